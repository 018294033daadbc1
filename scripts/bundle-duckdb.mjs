// Bundle @duckdb/node-api's JavaScript into one file (see src/lib/store/duckdb.ts).
// The native bindings (@duckdb/node-bindings and its platform package) stay external.
import { build } from 'esbuild';
import { createRequire } from 'node:module';

const require = createRequire(import.meta.url);
await build({
  entryPoints: [require.resolve('@duckdb/node-api')],
  outfile: 'dist/vendor/duckdb-node-api.cjs',
  bundle: true,
  platform: 'node',
  format: 'cjs',
  target: 'node20',
  external: ['@duckdb/node-bindings'],
  logLevel: 'warning',
  legalComments: 'inline',
});
