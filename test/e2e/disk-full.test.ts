/**
 * A full disk is an input problem (exit 4) with one line naming the remedy, for everything that
 * writes: an ingest, creating a store, `alerts rules add`, `verify` recording its result, a
 * report. Nothing half written stays behind, and after space is freed the same commands store
 * every event exactly once.
 *
 * The small disk is a 10 MiB tmpfs mounted in a private mount namespace (`unshare --mount
 * --map-root-user`, no root needed where user namespaces are enabled); it vanishes with the
 * namespace. What each step printed is copied out to a directory of the test.
 */
import fs from 'node:fs';
import path from 'node:path';
import { spawnSync } from 'node:child_process';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { BIN, ROOT, tmpDir } from '../helpers.js';

let dir: string;
const out = (name: string, ext: string) => fs.readFileSync(path.join(dir, `${name}.${ext}`), 'utf8');
const step = (name: string) => ({
  code: Number(out(name, 'rc')),
  stdout: out(name, 'out'),
  stderr: out(name, 'err'),
});

beforeAll(() => {
  dir = tmpDir('kcl-diskfull-');
  const disk = path.join(dir, 'disk');
  fs.mkdirSync(disk);
  const logs = path.join(ROOT, 'examples', 'logs');
  const script = `
set -u
D=${disk}; O=${dir}; L=${logs}
mount -t tmpfs -o size=10m tmpfs "$D" || exit 97
run() { n=$1; shift; NO_COLOR=1 "${process.execPath}" "${BIN}" "$@" >"$O/$n.out" 2>"$O/$n.err"; echo $? >"$O/$n.rc"; }
run first ingest "$L/scheduler.jsonl" --db "$D/s.duckdb" --json
avail=$(df --output=avail -B1 "$D" | tail -1)
head -c "$avail" /dev/zero >"$D/filler" 2>/dev/null
run ingest ingest "$L" --db "$D/s.duckdb"
run create ingest "$L" --db "$D/new.duckdb"
run rules alerts rules add severe --type inefficiency_detected --db "$D/s.duckdb"
run verify verify --db "$D/s.duckdb"
run report report audit --db "$D/s.duckdb" --out "$D/report.html"
ls "$D" >"$O/full.ls"
rm "$D/filler"
run ingest2 ingest "$L" --db "$D/s.duckdb" --json
run create2 ingest "$L" --db "$D/new.duckdb" --json
run rules2 alerts rules add severe --type inefficiency_detected --db "$D/s.duckdb"
run verify2 verify --db "$D/s.duckdb"
run count sql "SELECT count(*) AS n, count(DISTINCT event_id) AS ids FROM events" --db "$D/s.duckdb" --json
run count2 sql "SELECT count(*) AS n, count(DISTINCT event_id) AS ids FROM events" --db "$D/new.duckdb" --json
`;
  const r = spawnSync('unshare', ['--mount', '--map-root-user', 'bash', '-c', script], { encoding: 'utf8' });
  if (r.status !== 0)
    throw new Error(
      `cannot make a small disk (unshare --mount --map-root-user + mount -t tmpfs): exit ${r.status} ${r.error ?? ''} ${r.stderr}`,
    );
}, 300_000);
afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));

/** Exit 4, one line on stderr saying the device is full and what to do. */
function expectDiskFull(name: string): string {
  const r = step(name);
  const what = `${name}: exit ${r.code}\n${r.stderr}`;
  expect(r.code, what).toBe(4);
  const lines = r.stderr.trim().split('\n');
  expect(lines, what).toHaveLength(1);
  expect(lines[0], what).toMatch(/no space left on the device|ran out of disk space/);
  expect(lines[0], what).toMatch(/free disk space/);
  expect(lines[0], what).not.toMatch(/unexpected error|\bat .*\.js:\d+/);
  return lines[0]!;
}

describe('a full disk', () => {
  it('the first ingest fits', () => {
    expect(step('first').code).toBe(0);
  });

  it('ingest into a store, and creating a new store, exit 4 naming the remedy', () => {
    expect(expectDiskFull('ingest')).toContain('s.duckdb');
    expect(expectDiskFull('create')).toContain('new.duckdb');
  });

  it('alerts rules add exits 4', () => {
    expectDiskFull('rules');
  });

  it('verify that cannot record its result exits 4 (after printing the result)', () => {
    expect(expectDiskFull('verify')).toMatch(/the verification result was not recorded/);
    expect(step('verify').stdout).toMatch(/^ok: 191 events verified/);
  });

  it('a report that cannot be written exits 4 and leaves no partial file', () => {
    expect(expectDiskFull('report')).toContain('report.html');
    expect(out('full', 'ls')).not.toMatch(/report/);
  });

  it('after freeing space the same commands store every event exactly once', () => {
    const first = JSON.parse(step('first').stdout) as { stored: number };
    const again = step('ingest2');
    expect(again.code, again.stderr).toBe(0);
    const created = step('create2');
    expect(created.code, created.stderr).toBe(0); // the file the full disk left is initialised
    const total = (JSON.parse(created.stdout) as { stored: number }).stored;
    expect(first.stored + (JSON.parse(again.stdout) as { stored: number }).stored).toBe(total);
    for (const name of ['count', 'count2']) {
      const rows = (JSON.parse(step(name).stdout) as { rows: { n: string; ids: string }[] }).rows;
      expect(rows).toEqual([{ n: String(total), ids: String(total) }]); // BIGINT as text in JSON
    }
    expect(step('rules2').code).toBe(0);
    const v = step('verify2');
    expect(v.code, v.stderr).toBe(0);
    expect(v.stderr).toBe('');
  });
});
