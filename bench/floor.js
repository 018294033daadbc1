/**
 * The cost floor of a validated, tamper-evident ingest on this machine: what
 * the parts that `kcloud-log ingest` cannot skip cost on their own, measured
 * one after the other in this process, next to DuckDB's own load of the file.
 *
 *   npm run build && node bench/floor.js [FILE.jsonl]   (default: bench/out/data/events-1000000-seed1.jsonl)
 *
 * Each part is timed once per run, three runs, median printed:
 *   duckdb load     CREATE TABLE t AS SELECT * FROM read_ndjson_objects(FILE)   (the reference)
 *   duckdb raw copy CREATE TABLE u AS SELECT json::VARCHAR FROM t + CHECKPOINT   (storing the raw text alone)
 *   js read+parse   read the file in 1 MiB chunks, split lines, JSON.parse each (one core)
 *   js zod          the project's classify() (zod v4) on every parsed line (one core)
 *   js sha256 x2    the event hash and the chain link per line (one core)
 * The JavaScript parts run on one core; DuckDB's on both. A lower bound for the
 * whole ingest on 2 cores is (sum of JS parts + DuckDB's raw copy x 2 threads) / 2.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { DuckDBInstance } from '@duckdb/node-api';

const root = path.dirname(path.dirname(fileURLToPath(import.meta.url)));
const { classify } = await import(path.join(root, 'dist/lib/schema/index.js'));
const { sha256Hex } = await import(path.join(root, 'dist/lib/integrity/chain.js'));

const file = path.resolve(process.argv[2] ?? path.join(root, 'bench/out/data/events-1000000-seed1.jsonl'));
if (!fs.existsSync(file)) {
  process.stderr.write(`no such file: ${file} (npm run bench generates it)\n`);
  process.exit(2);
}
const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'kcl-floor-'));
const time = async (f) => {
  const t = performance.now();
  await f();
  return (performance.now() - t) / 1000;
};

function lines(onLine) {
  const fd = fs.openSync(file, 'r');
  const buf = Buffer.allocUnsafe(1 << 20);
  let rest = '';
  let n;
  while ((n = fs.readSync(fd, buf, 0, buf.length)) > 0) {
    const text = rest + buf.toString('utf8', 0, n);
    let start = 0;
    for (let nl = text.indexOf('\n'); nl !== -1; nl = text.indexOf('\n', start)) {
      onLine(text.slice(start, nl));
      start = nl + 1;
    }
    rest = text.slice(start);
  }
  fs.closeSync(fd);
}

const runs = [];
for (let run = 0; run < 3; run++) {
  const r = {};
  const db = path.join(tmp, `floor-${run}.duckdb`);
  const inst = await DuckDBInstance.create(db);
  const c = await inst.connect();
  const q = file.replaceAll("'", "''");
  r.duckdbLoad = await time(() =>
    c.run(`CREATE TABLE t AS SELECT * FROM read_ndjson_objects('${q}', ignore_errors = true)`),
  );
  r.duckdbRawCopy = await time(async () => {
    await c.run('CREATE TABLE u AS SELECT json::VARCHAR AS raw FROM t');
    await c.run('CHECKPOINT');
  });
  c.closeSync();
  inst.closeSync();
  fs.rmSync(db, { force: true });

  const parsed = [];
  let n = 0;
  r.jsParse = await time(() =>
    lines((l) => {
      n++;
      try {
        const v = JSON.parse(l);
        if (parsed.length < 200_000) parsed.push(v); // zod is timed on these and scaled
      } catch {
        /* torn lines */
      }
    }),
  );
  const zod200k = await time(() => {
    for (const v of parsed) classify(v, {});
  });
  r.jsZod = (zod200k * n) / parsed.length;
  let h = '0'.repeat(64);
  r.jsSha = await time(() =>
    lines((l) => {
      h = sha256Hex(h + sha256Hex(l));
    }),
  );
  r.lines = n;
  runs.push(r);
}
fs.rmSync(tmp, { recursive: true, force: true });

const med = (k) => runs.map((r) => r[k]).sort((a, b) => a - b)[1];
const rows = [
  ['duckdb load (read_ndjson_objects, 2 threads)', med('duckdbLoad')],
  ['duckdb raw copy + checkpoint (2 threads)', med('duckdbRawCopy')],
  ['js read + split + JSON.parse (1 core)', med('jsParse')],
  ['js zod classify (1 core)', med('jsZod')],
  ['js read + 2 x sha256 (1 core)', med('jsSha')],
];
const js = med('jsParse') + med('jsZod') + med('jsSha');
const floor = (js + 2 * med('duckdbRawCopy')) / 2;
process.stdout.write(`file: ${file} (${runs[0].lines.toLocaleString('en-US')} lines), median of 3 runs\n\n`);
for (const [k, v] of rows) process.stdout.write(`${k.padEnd(48)} ${v.toFixed(2).padStart(7)} s\n`);
process.stdout.write(
  `\nlower bound for ingest on 2 cores: (JS ${js.toFixed(2)} s + DuckDB raw copy ${med('duckdbRawCopy').toFixed(2)} s x 2) / 2 = ${floor.toFixed(2)} s\n` +
    `the 1.3x target needs <= ${(med('duckdbLoad') / 1.3).toFixed(2)} s (DuckDB load / 1.3): the floor is ${(floor / (med('duckdbLoad') / 1.3)).toFixed(1)}x that\n`,
);
