/**
 * Start-up loads only what a command needs: the modules the real binary's process loads
 * (recorded by test/load-hook.mjs), never their timing (bench/run.js --only startup measures
 * that). Each heavy dependency costs every process that imports it 15-130 ms before the first
 * query: zod, string-width, the DuckDB client, cli-progress, yaml, chokidar.
 */
import fs from 'node:fs';
import path from 'node:path';
import { spawnSync } from 'node:child_process';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { BIN, FIXTURES, ROOT, cli, tmpDir } from '../helpers.js';

const HOOK = path.join(ROOT, 'test', 'load-hook.mjs');

let dir: string;
let db: string;
beforeAll(() => {
  dir = tmpDir('kcl-startup-');
  db = path.join(dir, 'store.duckdb');
  expect(cli(['ingest', path.join(FIXTURES, 'spec-events.jsonl')], { db }).code).toBe(0);
});
afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));

/** The dependencies `npm run build` bundles into one file each (scripts/bundle-vendor.mjs). */
const BUNDLED: Record<string, string> = {
  'dist/vendor/zod.js': 'zod',
  'dist/vendor/duckdb-node-api.cjs': '@duckdb/node-api',
};

interface Loaded {
  /** The packages it loaded, from node_modules or from their bundle. */
  packages: Set<string>;
  /** The packages it loaded from node_modules. */
  installed: Set<string>;
  /** Its files of dist/ (`dist/commands/events.js`). */
  dist: Set<string>;
}

/** What a run of the CLI loaded. */
function loaded(args: string[]): Loaded {
  const out = path.join(dir, `loaded-${process.pid}.txt`);
  fs.rmSync(out, { force: true });
  const r = spawnSync(process.execPath, ['--import', HOOK, BIN, ...args], {
    encoding: 'utf8',
    env: { ...process.env, NO_COLOR: '1', KCLOUD_LOG_DB: db, KCL_LOADED_OUT: out },
  });
  expect(r.status, `${args.join(' ')}: ${r.stderr}`).toBe(0);
  const installed = new Set<string>();
  const dist = new Set<string>();
  for (const line of fs.readFileSync(out, 'utf8').split('\n')) {
    const file = line.replace(/^file:\/\//, '');
    // the package a file belongs to, by the first node_modules in its path: a dependency's own
    // copy (@oclif/core/node_modules/string-width) is not ours
    const m = /\/node_modules\/((?:@[^/]+\/)?[^/]+)\//.exec(file);
    if (m) installed.add(m[1]!);
    else if (file.includes('/dist/')) dist.add(file.slice(file.lastIndexOf('/dist/') + 1));
  }
  const bundled = [...dist].flatMap((f) => (BUNDLED[f] ? [BUNDLED[f]] : []));
  return { packages: new Set([...installed, ...bundled]), installed, dist };
}

/** What no command needs to start: each is loaded where it is used. */
const HEAVY = [
  'zod',
  'string-width',
  '@duckdb/node-api',
  '@duckdb/node-bindings',
  'cli-progress',
  'yaml',
  'chokidar',
];
const without = (packages: Set<string>, names: string[]) => names.filter((n) => packages.has(n));

describe('start-up loads only what a command needs', () => {
  it.each([[['--version']], [['version']], [['help']], [['--help']], [['help', 'sources']]])(
    '%j: oclif and the manifest, no command module',
    (args) => {
      const { packages, dist } = loaded(args);
      expect([...dist].filter((f) => f.startsWith('dist/commands/'))).toEqual([]);
      expect(without(packages, [...HEAVY, 'chalk'])).toEqual([]);
    },
  );

  it('events --help: no DuckDB client (help needs the flags, not the store)', () => {
    const { packages, dist } = loaded(['events', '--help']);
    expect(dist.has('dist/commands/events.js')).toBe(true); // a flag's help text is computed
    expect(without(packages, ['@duckdb/node-api', '@duckdb/node-bindings', 'cli-progress', 'yaml'])).toEqual(
      [],
    );
  });

  it.each([
    [['sources', '--json']],
    [['rejects', '--json']],
    [['sql', 'SELECT count(*) FROM events', '--json']],
    [['analyze', 'scheduling', '--json']],
    [['analyze', 'cost', '--json']],
  ])('%j: the store, no validator, no display widths', (args) => {
    const { packages } = loaded(args);
    expect(packages.has('@duckdb/node-bindings')).toBe(true);
    expect(without(packages, ['zod', 'string-width', 'cli-progress', 'yaml', 'chokidar'])).toEqual([]);
  });

  it('sources (a table): display widths, no validator', () => {
    const { packages } = loaded(['sources']);
    expect(packages.has('string-width')).toBe(true);
    expect(without(packages, ['zod', 'cli-progress', 'yaml', 'chokidar'])).toEqual([]);
  });

  it('events (a table): the normaliser (zod), display widths, nothing of ingest', () => {
    const { packages } = loaded(['events', '--limit', '1']);
    expect(packages.has('zod') && packages.has('string-width')).toBe(true);
    expect(without(packages, ['cli-progress', 'yaml', 'chokidar'])).toEqual([]);
  });

  it.each([[['events', '--limit', '1']], [['analyze', 'sla', '--json']], [['alerts', '--json']]])(
    '%j: zod from its bundle (one file), not the ~95 modules of the package',
    (args) => {
      const { installed, dist } = loaded(args);
      expect(dist.has('dist/vendor/zod.js')).toBe(true);
      expect(installed.has('zod')).toBe(false);
    },
  );

  it('analyze sla with the default SLOs: the validator, no YAML parser', () => {
    const { packages } = loaded(['analyze', 'sla', '--json']);
    expect(packages.has('zod')).toBe(true);
    expect(without(packages, ['yaml', 'cli-progress', 'chokidar'])).toEqual([]);
  });

  it('ingest without --follow, without a terminal: no file watcher, no progress bar', () => {
    const { packages } = loaded(['ingest', path.join(FIXTURES, 'spec-events-flat.jsonl'), '--json']);
    expect(without(packages, ['chokidar', 'cli-progress', 'yaml'])).toEqual([]);
  });

  it('verify without a terminal: no progress bar', () => {
    const { packages } = loaded(['verify', '--json']);
    expect(without(packages, ['cli-progress', 'yaml', 'chokidar'])).toEqual([]);
  });
});
