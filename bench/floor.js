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
 *   js read         read the file in 1 MiB chunks and split it into line strings (one core)
 *   js parse        JSON.parse of every line (one core)
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
const { sha256Hex } = await import(path.join(root, 'dist/lib/store/chain.js'));

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

/**
 * Stream the file as the ingester does (1 MiB reads, split on the bytes), timing each
 * part per chunk of lines, so nothing is retained and garbage collection stays realistic.
 */
function streamParts() {
  const t = { read: 0, parse: 0, zod: 0, sha: 0, lines: 0 };
  const fd = fs.openSync(file, 'r');
  const buf = Buffer.allocUnsafe(1 << 20);
  let carry = Buffer.alloc(0);
  let n;
  let h = '0'.repeat(64);
  for (;;) {
    let t0 = performance.now();
    n = fs.readSync(fd, buf, 0, buf.length);
    if (n <= 0) break;
    const chunk = carry.length ? Buffer.concat([carry, buf.subarray(0, n)]) : buf.subarray(0, n);
    const lines = [];
    let start = 0;
    for (let nl = chunk.indexOf(10); nl !== -1; nl = chunk.indexOf(10, start)) {
      lines.push(chunk.toString('utf8', start, nl));
      start = nl + 1;
    }
    carry = Buffer.from(chunk.subarray(start));
    let t1 = performance.now();
    t.read += t1 - t0;
    const parsed = [];
    for (const l of lines) {
      try {
        parsed.push(JSON.parse(l));
      } catch {
        /* torn lines */
      }
    }
    t0 = performance.now();
    t.parse += t0 - t1;
    for (const v of parsed) classify(v, {});
    t1 = performance.now();
    t.zod += t1 - t0;
    for (const l of lines) h = sha256Hex(h + sha256Hex(l));
    t.sha += performance.now() - t1;
    t.lines += lines.length;
  }
  fs.closeSync(fd);
  return t;
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

  const t = streamParts();
  r.jsRead = t.read / 1000;
  r.jsParse = t.parse / 1000;
  r.jsZod = t.zod / 1000;
  r.jsSha = t.sha / 1000;
  const n = t.lines;
  r.lines = n;
  runs.push(r);
}
fs.rmSync(tmp, { recursive: true, force: true });

const med = (k) => runs.map((r) => r[k]).sort((a, b) => a - b)[1];
const rows = [
  ['duckdb load (read_ndjson_objects, 2 threads)', med('duckdbLoad')],
  ['duckdb raw copy + checkpoint (2 threads)', med('duckdbRawCopy')],
  ['js read + split into line strings (1 core)', med('jsRead')],
  ['js JSON.parse (1 core)', med('jsParse')],
  ['js zod classify (1 core)', med('jsZod')],
  ['js 2 x sha256 per line (1 core)', med('jsSha')],
];
const js = med('jsRead') + med('jsParse') + med('jsZod') + med('jsSha');
const floor = (js + 2 * med('duckdbRawCopy')) / 2;
process.stdout.write(`file: ${file} (${runs[0].lines.toLocaleString('en-US')} lines), median of 3 runs\n\n`);
for (const [k, v] of rows) process.stdout.write(`${k.padEnd(48)} ${v.toFixed(2).padStart(7)} s\n`);
process.stdout.write(
  `\nlower bound for ingest on 2 cores: (JS ${js.toFixed(2)} s + DuckDB raw copy ${med('duckdbRawCopy').toFixed(2)} s x 2) / 2 = ${floor.toFixed(2)} s\n` +
    `the 1.3x target needs <= ${(med('duckdbLoad') / 1.3).toFixed(2)} s (DuckDB load / 1.3): the floor is ${(floor / (med('duckdbLoad') / 1.3)).toFixed(1)}x that\n`,
);
