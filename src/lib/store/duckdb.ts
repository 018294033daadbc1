/**
 * @duckdb/node-api, loaded from one pre-bundled file when there is one.
 *
 * The package's JavaScript is ~185 small CommonJS modules; requiring them
 * costs 120-200 ms per process on the 2-core machine, more than opening the
 * database. `npm run build` bundles them into dist/vendor/duckdb-node-api.cjs
 * (scripts/bundle-vendor.mjs; the native bindings stay external), which loads
 * in ~50 ms. Without the bundle (tests running from src/), the package is
 * loaded as published.
 */
import { createRequire } from 'node:module';
import type * as Api from '@duckdb/node-api';

const require = createRequire(import.meta.url);

function load(): typeof Api {
  try {
    // dist/lib/store/duckdb.js -> dist/vendor/duckdb-node-api.cjs
    return require('../../vendor/duckdb-node-api.cjs') as typeof Api;
  } catch {
    return require('@duckdb/node-api') as typeof Api;
  }
}

const api = load();

export const { DuckDBInstance, DuckDBTimestampValue, StatementType } = api;
export type DuckDBInstance = Api.DuckDBInstance;
export type DuckDBTimestampValue = Api.DuckDBTimestampValue;
export type StatementType = Api.StatementType;
export type DuckDBConnection = Api.DuckDBConnection;
export type DuckDBPreparedStatement = Api.DuckDBPreparedStatement;
