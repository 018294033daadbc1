/** A service over a real temp DuckDB file, driven with fastify's inject (no socket). */
import fs from 'node:fs';
import path from 'node:path';
import type { FastifyInstance } from 'fastify';
import { openStore } from '../../src/lib/store/open.js';
import { SharedStore } from '../../src/lib/store/shared.js';
import { buildServer, type ServerOptions } from '../../src/lib/serve/server.js';
import { loadSlos } from '../../src/lib/analyze/sla.js';
import { tmpDir } from '../helpers.js';

export interface Harness {
  app: FastifyInstance;
  shared: SharedStore;
  db: string;
  dir: string;
  /** Close the server and the store (the temp directory stays until `remove`). */
  close(): Promise<void>;
  remove(): void;
}

export async function startHarness(
  opts: Partial<Omit<ServerOptions, 'shared'>> = {},
  dir = tmpDir('kcl-serve-'),
): Promise<Harness> {
  const db = path.join(dir, 'test.duckdb');
  const shared = new SharedStore(await openStore(db));
  const app = await buildServer({ shared, slos: loadSlos(), version: 'test', ...opts });
  await app.ready();
  let closed = false;
  return {
    app,
    shared,
    db,
    dir,
    async close() {
      if (closed) return;
      closed = true;
      await app.close();
      await shared.close();
    },
    remove: () => fs.rmSync(dir, { recursive: true, force: true }),
  };
}

/** A POST of `body` (a string, sent as is) with a content type. */
export const post = (app: FastifyInstance, url: string, body: string, type = 'application/json') =>
  app.inject({ method: 'POST', url, payload: body, headers: { 'content-type': type } });

/** Rows of a query on the store (through a reader, as the service reads). */
export async function rows(h: Harness, sql: string): Promise<Record<string, unknown>[]> {
  return h.shared.read(
    async (s) => (await s.conn.runAndReadAll(sql)).getRowObjectsJS() as Record<string, unknown>[],
  );
}
