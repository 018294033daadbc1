/**
 * Preloaded into a CLI process by test/e2e/startup.test.ts (`node --import ./test/load-hook.mjs
 * bin/run.js ...`): appends every module the process loads, one path or URL a line, to the file
 * named by KCL_LOADED_OUT. ES modules are recorded as they are resolved (by a resolve hook, which
 * runs on the loader's thread and so writes synchronously), CommonJS ones from require.cache at
 * exit.
 */
import fs from 'node:fs';
import { createRequire, register } from 'node:module';

const out = process.env.KCL_LOADED_OUT;
if (out) {
  const hooks = `
    import fs from 'node:fs';
    let out;
    export function initialize(data) { out = data.out; }
    export async function resolve(specifier, context, next) {
      const r = await next(specifier, context);
      fs.appendFileSync(out, r.url + '\\n');
      return r;
    }`;
  register(`data:text/javascript,${encodeURIComponent(hooks)}`, { data: { out } });
  const require = createRequire(import.meta.url);
  process.on('exit', () => fs.appendFileSync(out, Object.keys(require.cache).join('\n') + '\n'));
}
