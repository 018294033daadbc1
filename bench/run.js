#!/usr/bin/env node
/**
 * kcloud-log benchmark harness (issue 6). Plain Node ESM, no build step.
 *
 *   npm run bench                                   # defaults: 1M events, 10M-event query store
 *   npm run bench -- --events 50000 --large 200000 --follow-seconds 5 --runs 3
 *   npm run bench -- --only queries,startup --large 0
 *   node bench/run.js --help
 *
 * See bench/README.md for what each figure measures and how.
 */
import fs from 'node:fs';
import http from 'node:http';
import os from 'node:os';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { createHash } from 'node:crypto';
import { execFileSync } from 'node:child_process';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { setTimeout as sleep } from 'node:timers/promises';
import { pipeline } from 'node:stream/promises';
import { Writable } from 'node:stream';
import { installExitHandlers, isInterrupted, onCleanup, run, start, stop } from './lib/proc.js';

const HERE = path.dirname(fileURLToPath(import.meta.url));
const ROOT = path.resolve(HERE, '..');
const GENERATOR = path.join(ROOT, 'examples', 'generate.mjs');
const RSS_HOOK = path.join(HERE, 'lib', 'rss-hook.mjs');
const PHASE_HOOK = path.join(HERE, 'lib', 'phase-hook.mjs');
const SECTIONS = ['ingest', 'follow', 'queries', 'exports', 'startup', 'serve'];
const SERVE_PARTS = ['follow', 'post', 'queries'];

const HELP = `Usage: npm run bench -- [options]     (or: node bench/run.js [options])

  --events N            events of the batch-ingest file (default 1000000)
  --large N             events of the query store (default 10000000; 0 = reuse the --events store)
  --runs K              runs per figure; medians are reported (default 5)
  --seed S              generator seed (default 1)
  --out DIR             output and cache directory (default bench/out)
  --only LIST           sections: ${SECTIONS.join(',')} (default: all)
  --cli PATH            the CLI entry point (default ./bin/run.js)
  --rss-gb G            also measure ingest peak RSS on a file of about G GB (default 5, issue 13; 0 = off)
  --follow-seconds S    duration of the follow-mode writer (default 30)
  --follow-rate R       lines per second appended in follow mode (default 10000)
  --flush-interval D    ingest --follow --flush-interval (default 1s)
  --poll-ms MS          follow-mode poller interval (default 100)
  --cli-poll-s S        follow mode: also run \`kcloud-log sql\` every S seconds (default 2; 0 = off)
  --serve-seconds S     serve: how long the writer appends to the followed file (default 60)
  --serve-rate R        serve: lines per second it appends (default 10000)
  --serve-flush-interval D  serve --flush-interval (default 500ms)
  --serve-clients C     serve: concurrent POST /events clients (default 3)
  --serve-batch N       serve: lines per POST (default 1000)
  --serve-post-events N serve: POST the first N lines of the --events file (default 100000; 0: all)
  --serve-requests N    serve: GET /events requests on the query store (default 200)
  --serve-poll-ms MS    serve --follow: see events by GET /events every MS ms instead of by SSE (default 0: SSE)
  --serve-only LIST     serve: only these parts: ${SERVE_PARTS.join(',')} (default: all)
  --rebuild-store       rebuild the cached query store even if it looks valid
  --reuse-store         reuse a cached store built by a different build of the CLI (default: rebuild)
  --fail-on-target      exit 1 when a figure misses its target (default: exit 0 unless the harness fails)
  --help`;

// ---------------------------------------------------------------------------
// Options

const { values: argv } = parseArgs({
  options: {
    events: { type: 'string', default: '1000000' },
    large: { type: 'string', default: '10000000' },
    runs: { type: 'string', default: '5' },
    seed: { type: 'string', default: '1' },
    out: { type: 'string', default: path.join('bench', 'out') },
    only: { type: 'string' },
    cli: { type: 'string', default: path.join('.', 'bin', 'run.js') },
    'rss-gb': { type: 'string' },
    'follow-seconds': { type: 'string', default: '30' },
    'follow-rate': { type: 'string', default: '10000' },
    'flush-interval': { type: 'string', default: '1s' },
    'poll-ms': { type: 'string', default: '100' },
    'cli-poll-s': { type: 'string', default: '2' },
    'serve-seconds': { type: 'string', default: '60' },
    'serve-rate': { type: 'string', default: '10000' },
    'serve-flush-interval': { type: 'string', default: '500ms' },
    'serve-clients': { type: 'string', default: '3' },
    'serve-batch': { type: 'string', default: '1000' },
    'serve-post-events': { type: 'string', default: '100000' },
    'serve-requests': { type: 'string', default: '200' },
    'serve-only': { type: 'string' },
    'serve-poll-ms': { type: 'string', default: '0' },
    'rebuild-store': { type: 'boolean', default: false },
    'reuse-store': { type: 'boolean', default: false },
    'fail-on-target': { type: 'boolean', default: false },
    help: { type: 'boolean', short: 'h' },
  },
});
if (argv.help) {
  process.stdout.write(HELP + '\n');
  process.exit(0);
}
const int = (name, min = 0) => {
  const v = Number(String(argv[name]).replace(/[_,]/g, ''));
  if (!Number.isInteger(v) || v < min) {
    process.stderr.write(`bench: --${name} must be a whole number >= ${min}, got ${argv[name]}\n`);
    process.exit(2);
  }
  return v;
};
const opt = {
  events: int('events', 1),
  large: int('large', 0),
  runs: int('runs', 1),
  seed: int('seed', 0),
  out: path.resolve(argv.out),
  only: argv.only ? argv.only.split(',').map((s) => s.trim()) : SECTIONS,
  cli: path.resolve(argv.cli),
  rssGb: argv['rss-gb'] === undefined ? 5 : Number(argv['rss-gb']),
  followSeconds: Number(argv['follow-seconds']),
  followRate: int('follow-rate', 1),
  flushInterval: argv['flush-interval'],
  pollMs: int('poll-ms', 10),
  cliPollS: Number(argv['cli-poll-s']),
  serveSeconds: Number(argv['serve-seconds']),
  serveRate: int('serve-rate', 1),
  serveFlushInterval: argv['serve-flush-interval'],
  serveClients: int('serve-clients', 1),
  serveBatch: int('serve-batch', 1),
  servePostEvents: int('serve-post-events', 0),
  serveRequests: int('serve-requests', 1),
  servePollMs: int('serve-poll-ms', 0),
  serveOnly: argv['serve-only'] ? argv['serve-only'].split(',').map((s) => s.trim()) : SERVE_PARTS,
  rebuildStore: argv['rebuild-store'],
  reuseStore: argv['reuse-store'],
};
for (const s of opt.serveOnly) {
  if (!SERVE_PARTS.includes(s)) {
    process.stderr.write(`bench: --serve-only: unknown part ${s} (known: ${SERVE_PARTS.join(', ')})\n`);
    process.exit(2);
  }
}
for (const s of opt.only) {
  if (!SECTIONS.includes(s)) {
    process.stderr.write(`bench: --only: unknown section ${s} (known: ${SECTIONS.join(', ')})\n`);
    process.exit(2);
  }
}
if (!fs.existsSync(opt.cli)) {
  process.stderr.write(`bench: --cli ${opt.cli} does not exist\n`);
  process.exit(2);
}
if (!(opt.followSeconds > 0) || !(opt.serveSeconds > 0) || !(opt.rssGb >= 0) || !(opt.cliPollS >= 0)) {
  process.stderr.write(
    'bench: --follow-seconds, --serve-seconds, --rss-gb and --cli-poll-s must be numbers >= 0\n',
  );
  process.exit(2);
}

const DATA = path.join(opt.out, 'data');
const STORES = path.join(opt.out, 'stores');
const TMP = path.join(opt.out, 'tmp', `run-${process.pid}`);
fs.mkdirSync(DATA, { recursive: true });
fs.mkdirSync(STORES, { recursive: true });
fs.mkdirSync(TMP, { recursive: true });
installExitHandlers();
onCleanup(() => fs.rmSync(TMP, { recursive: true, force: true }));

// ---------------------------------------------------------------------------
// Small helpers

const T0 = Date.now();
const log = (msg) =>
  !isInterrupted() &&
  process.stderr.write(`[${((Date.now() - T0) / 1000).toFixed(0).padStart(4)} s] ${msg}\n`);
const median = (xs) => {
  const s = xs.filter((x) => Number.isFinite(x)).sort((a, b) => a - b);
  if (!s.length) return null;
  const m = s.length >> 1;
  return s.length % 2 ? s[m] : (s[m - 1] + s[m]) / 2;
};
const quantile = (sorted, q) =>
  sorted.length ? sorted[Math.min(sorted.length - 1, Math.ceil(q * sorted.length) - 1)] : null;
const round = (v, d = 0) => (v === null || v === undefined ? null : Math.round(v * 10 ** d) / 10 ** d);
const fmtInt = (v) => (v === null || v === undefined ? '-' : Math.round(v).toLocaleString('en-US'));
const fmtMs = (v) =>
  v === null || v === undefined ? '-' : v >= 10_000 ? `${(v / 1000).toFixed(1)} s` : `${Math.round(v)} ms`;
const fmtBytes = (b) => (b >= 1e9 ? `${(b / 1e9).toFixed(2)} GB` : `${Math.round(b / 1e6)} MB`);
const fmtMb = (kb) => (kb ? `${Math.round(kb / 1024)} MB` : '-');
/** A path for display: relative to the repository when inside it. */
const rel = (p) => {
  const r = path.relative(ROOT, p);
  return r && !r.startsWith('..') ? r : p;
};
const rmDb = (db) => {
  for (const f of [db, `${db}.wal`, `${db}.writer-waiting`, `${db}.tmp`])
    fs.rmSync(f, { recursive: true, force: true });
};
const readJson = (f) => JSON.parse(fs.readFileSync(f, 'utf8'));
/** The last JSON value printed on stdout (oclif --json prints one document). */
function parseJsonOut(text) {
  const t = text.trim();
  try {
    return JSON.parse(t);
  } catch {
    const i = t.lastIndexOf('\n{');
    if (i >= 0) {
      try {
        return JSON.parse(t.slice(i + 1));
      } catch {
        /* fall through */
      }
    }
    return undefined;
  }
}
/** The most telling line of an error output: the first that names an error, else the first. */
const firstLine = (s) => {
  const lines = String(s ?? '')
    .split('\n')
    .map((l) => l.trim())
    .filter(Boolean);
  return (lines.find((l) => /error|not found|failed|refus/i.test(l)) ?? lines[0] ?? '').slice(0, 300);
};
const isMissingCommand = (r) => /command .*not found|not a kcloud-log command/i.test(r.stderr + r.stdout);

/** Child environment: no inherited store path or tracing; no colour. */
const childEnv = (extra = {}) => {
  const env = { ...process.env, NO_COLOR: '1', ...extra };
  delete env.KCLOUD_LOG_DB;
  delete env.KCLOUD_LOG_TRACE;
  delete env.FORCE_COLOR;
  return env;
};

/** Run the CLI under test: `node CLI args...`, whole-process wall time. */
function cli(args, { timeoutMs = 120_000, rssOut, phasesOut, sampleRss = false, keepOutput = true } = {}) {
  const nodeArgs = [
    ...(rssOut ? ['--import', RSS_HOOK] : []),
    ...(phasesOut ? ['--import', PHASE_HOOK] : []),
  ];
  return run(process.execPath, [...nodeArgs, opt.cli, ...args], {
    cwd: TMP,
    env: childEnv({
      ...(rssOut ? { BENCH_RSS_OUT: rssOut } : {}),
      ...(phasesOut ? { BENCH_PHASES_OUT: phasesOut } : {}),
    }),
    timeoutMs,
    sampleRss,
    keepOutput,
  });
}

/** Peak RSS (kB) of a finished run: getrusage from the preload hook, else the sampled VmHWM. */
function peakRss(rssOut, r) {
  try {
    const v = readJson(rssOut).maxrss_kb;
    fs.rmSync(rssOut, { force: true });
    return { kb: v, how: 'getrusage' };
  } catch {
    return { kb: r.peakHwmKb || null, how: 'VmHWM sampled' };
  }
}

/** Drop nothing, just read the file once so every measured run finds it in the page cache. */
async function warmCache(file) {
  await pipeline(
    fs.createReadStream(file, { highWaterMark: 4 << 20 }),
    new Writable({
      write(_c, _e, cb) {
        cb();
      },
    }),
  );
}

// ---------------------------------------------------------------------------
// Machine and load

function machine() {
  const cpus = os.cpus();
  let osName = `${os.type()} ${os.release()}`;
  try {
    const m = /^PRETTY_NAME="?([^"\n]+)"?/m.exec(fs.readFileSync('/etc/os-release', 'utf8'));
    if (m) osName = `${m[1]} (${os.type()} ${os.release()})`;
  } catch {
    /* not Linux */
  }
  return {
    hostname: os.hostname(),
    os: osName,
    arch: os.arch(),
    cpus: cpus.length,
    cpu_model: cpus[0]?.model ?? 'unknown',
    ram_gb: round(os.totalmem() / 2 ** 30, 1),
    free_ram_gb_at_start: round(os.freemem() / 2 ** 30, 1),
    node: process.version,
    duckdb_node_api: pkgVersion('@duckdb/node-api'),
    oclif_core: pkgVersion('@oclif/core'),
  };
}
function pkgVersion(name) {
  try {
    return readJson(path.join(ROOT, 'node_modules', name, 'package.json')).version;
  } catch {
    return null;
  }
}
/** The code measured: the repository's commit and the build of the CLI under test. */
function codeInfo() {
  const git = (...a) => {
    try {
      return execFileSync('git', a, {
        cwd: ROOT,
        timeout: 10_000,
        encoding: 'utf8',
        stdio: ['ignore', 'pipe', 'ignore'],
      }).trim();
    } catch {
      return null;
    }
  };
  const status = git('status', '--porcelain');
  return {
    commit: git('rev-parse', 'HEAD'),
    uncommitted_changes: status === null ? null : status.split('\n').filter(Boolean).length,
    cli: opt.cli,
    cli_build: buildFingerprint(),
  };
}

/**
 * A fingerprint of the CLI build's ingest and store code (dist/lib/{ingest,store,schema}):
 * a cached query store is rebuilt when it changes, since a store written by other
 * code may have another layout.
 */
function buildFingerprint() {
  const dist = path.join(path.dirname(opt.cli), '..', 'dist', 'lib');
  const h = createHash('sha256');
  let files = 0;
  for (const d of ['ingest', 'store', 'schema']) {
    const dir = path.join(dist, d);
    if (!fs.existsSync(dir)) continue;
    for (const f of fs.readdirSync(dir, { recursive: true }).map(String).sort()) {
      const full = path.join(dir, f);
      if (!f.endsWith('.js') || !fs.statSync(full).isFile()) continue;
      h.update(`${d}/${f}\0`).update(fs.readFileSync(full)).update('\0');
      files++;
    }
  }
  return files ? h.digest('hex').slice(0, 16) : null;
}

const loadSamples = [];
const sampleLoad = () =>
  loadSamples.push({ t: Math.round((Date.now() - T0) / 1000), load1: os.loadavg()[0] });
sampleLoad();
const loadTimer = setInterval(sampleLoad, 5000);
loadTimer.unref();

// ---------------------------------------------------------------------------
// Data sets and stores (cached in --out)

/** A generated JSONL file of n events (cached by n and seed). */
async function ensureData(n) {
  const base = path.join(DATA, `events-${n}-seed${opt.seed}`);
  const file = `${base}.jsonl`;
  const exp = `${base}.expected.json`;
  if (fs.existsSync(file) && fs.existsSync(exp)) {
    const expected = readJson(exp);
    return { file, expected, bytes: fs.statSync(file).size, cached: true };
  }
  log(`generating ${fmtInt(n)} events (seed ${opt.seed}) -> ${rel(file)}`);
  const tmp = `${base}.partial`;
  const r = await run(
    process.execPath,
    [
      GENERATOR,
      '--events',
      String(n),
      '--seed',
      String(opt.seed),
      '--out',
      tmp,
      '--expected',
      `${tmp}.json`,
      '--quiet',
    ],
    { timeoutMs: 120_000 + n * 0.05, env: childEnv() },
  );
  if (r.code !== 0) {
    fs.rmSync(tmp, { force: true });
    throw new Error(
      `generator failed (${r.timedOut ? 'timed out' : `exit ${r.code}`}): ${firstLine(r.stderr)}`,
    );
  }
  fs.renameSync(`${tmp}.json`, exp);
  fs.renameSync(tmp, file);
  log(`generated in ${(r.ms / 1000).toFixed(1)} s (${(fs.statSync(file).size / 2 ** 20).toFixed(0)} MiB)`);
  return { file, expected: readJson(exp), bytes: fs.statSync(file).size, cached: false };
}

/** Ingest timeout: generous (5k events/s floor) so a slow run is reported, not hung. */
const ingestTimeout = (n) => 120_000 + n * 0.2;

/** A store with `data` ingested (cached; rebuilt when the CLI cannot read it or counts differ). */
async function ensureStore(data, name) {
  const db = path.join(STORES, `${name}.duckdb`);
  const meta = `${db}.json`;
  const fingerprint = buildFingerprint();
  if (!opt.rebuildStore && fs.existsSync(db) && fs.existsSync(meta)) {
    const old = readJson(meta);
    if (!opt.reuseStore && old.cli_build !== fingerprint) {
      log(
        `cached store ${rel(db)} was built by another build of the ingest code: rebuilding (--reuse-store keeps it)`,
      );
    } else {
      const r = await cli(['sql', 'SELECT count(*) AS n FROM events', '--db', db, '--json'], {
        timeoutMs: 120_000,
      });
      const j = parseJsonOut(r.stdout);
      const n = Number(j?.rows?.[0]?.n);
      if (r.code === 0 && n === data.expected.stored) return { db, build: old, cached: true };
      log(
        `cached store ${rel(db)} unusable (${r.code === 0 ? `${n} events` : firstLine(r.stderr)}): rebuilding`,
      );
    }
  }
  rmDb(db);
  fs.rmSync(meta, { force: true });
  log(`building store ${rel(db)} from ${fmtInt(data.expected.records)} events`);
  const rssOut = path.join(TMP, 'store-rss.json');
  const r = await cli(['ingest', data.file, '--db', db, '--json'], {
    timeoutMs: ingestTimeout(data.expected.records),
    rssOut,
    sampleRss: true,
  });
  const j = parseJsonOut(r.stdout);
  if (r.code !== 0 || !j) {
    rmDb(db);
    throw new Error(
      `store build failed (${r.timedOut ? 'timed out' : `exit ${r.code}`}): ${firstLine(r.stderr)}`,
    );
  }
  const build = {
    events: data.expected.records,
    bytes: data.bytes,
    stored: j.stored,
    lines: j.lines,
    wall_ms: round(r.ms),
    stored_per_s: round(j.stored / (r.ms / 1000)),
    lines_per_s: round(j.lines / (r.ms / 1000)),
    peak_rss_kb: peakRss(rssOut, r).kb,
    db_bytes: fs.statSync(db).size,
    built_at: new Date().toISOString(),
    cli: opt.cli,
    cli_build: fingerprint,
  };
  fs.writeFileSync(meta, JSON.stringify(build, null, 2) + '\n');
  log(`store built in ${(r.ms / 1000).toFixed(1)} s (${fmtInt(build.stored_per_s)} stored/s)`);
  return { db, build, cached: false };
}

// ---------------------------------------------------------------------------
// Checks (figure vs target)

const checks = [];
function check(section, name, value, display, target, pass) {
  checks.push({ section, name, value, display, target, pass: value === null ? null : pass });
}

// ---------------------------------------------------------------------------
// 1. Batch ingest vs DuckDB's read_ndjson_objects, and peak RSS

async function kcloudIngestOnce(data, tag) {
  const db = path.join(TMP, `ingest-${tag}.duckdb`);
  rmDb(db);
  const rssOut = path.join(TMP, `rss-${tag}.json`);
  const r = await cli(['ingest', data.file, '--db', db, '--json'], {
    timeoutMs: ingestTimeout(data.expected.records),
    rssOut,
    sampleRss: true,
  });
  const rss = peakRss(rssOut, r);
  rmDb(db);
  const j = parseJsonOut(r.stdout);
  if (r.code !== 0 || !j) {
    return {
      ok: false,
      error: r.timedOut ? 'timed out' : `exit ${r.code}: ${firstLine(r.stderr)}`,
      wall_ms: r.ms,
    };
  }
  return {
    ok: true,
    wall_ms: r.ms,
    inner_s: j.seconds,
    stored: j.stored,
    lines: j.lines,
    rejected: j.rejected,
    duplicates: j.duplicates,
    skipped: j.skipped,
    peak_rss_kb: rss.kb,
    rss_how: rss.how,
  };
}

async function duckdbLoadOnce(data, tag) {
  const db = path.join(TMP, `duck-${tag}.duckdb`);
  rmDb(db);
  const rssOut = path.join(TMP, `duck-rss-${tag}.json`);
  const r = await run(
    process.execPath,
    ['--import', RSS_HOOK, path.join(HERE, 'lib', 'duckdb-load.js'), data.file, db],
    {
      cwd: TMP,
      env: childEnv({ BENCH_RSS_OUT: rssOut }),
      timeoutMs: ingestTimeout(data.expected.records),
      sampleRss: true,
    },
  );
  const rss = peakRss(rssOut, r);
  rmDb(db);
  const j = parseJsonOut(r.stdout);
  if (r.code !== 0 || !j) {
    return {
      ok: false,
      error: r.timedOut ? 'timed out' : `exit ${r.code}: ${firstLine(r.stderr)}`,
      wall_ms: r.ms,
    };
  }
  return { ok: true, wall_ms: r.ms, inner_s: j.seconds, rows: j.rows, peak_rss_kb: rss.kb };
}

async function benchIngest() {
  const data = await ensureData(opt.events);
  await warmCache(data.file);
  const res = {
    events: opt.events,
    file: rel(data.file),
    file_bytes: data.bytes,
    expected: { lines: data.expected.lines, stored: data.expected.stored },
    timing: 'whole process wall time, node start-up included, for both kcloud-log and DuckDB',
    runs: [],
  };
  for (let i = 0; i < opt.runs; i++) {
    const order = i % 2 === 0 ? ['kcloud', 'duckdb'] : ['duckdb', 'kcloud'];
    const pair = {};
    for (const who of order) {
      log(
        `ingest run ${i + 1}/${opt.runs}: ${who === 'kcloud' ? 'kcloud-log ingest' : 'DuckDB read_ndjson_objects'}`,
      );
      pair[who] = who === 'kcloud' ? await kcloudIngestOnce(data, i) : await duckdbLoadOnce(data, i);
      const p = pair[who];
      log(
        p.ok
          ? `  ${(p.wall_ms / 1000).toFixed(2)} s wall, ${fmtMb(p.peak_rss_kb)} peak RSS`
          : `  failed: ${p.error}`,
      );
    }
    pair.ratio = pair.kcloud.ok && pair.duckdb.ok ? pair.duckdb.wall_ms / pair.kcloud.wall_ms : null;
    res.runs.push(pair);
  }
  const k = res.runs.map((p) => p.kcloud).filter((p) => p.ok);
  const d = res.runs.map((p) => p.duckdb).filter((p) => p.ok);
  const kWall = median(k.map((p) => p.wall_ms));
  const dWall = median(d.map((p) => p.wall_ms));
  const stored = k[0]?.stored ?? null;
  const lines = k[0]?.lines ?? null;
  res.kcloud = {
    ok_runs: k.length,
    failed: res.runs
      .map((p) => p.kcloud)
      .filter((p) => !p.ok)
      .map((p) => p.error),
    median_wall_ms: round(kWall),
    median_inner_s: round(median(k.map((p) => p.inner_s)), 2),
    stored,
    lines,
    counts_match_expected: k.every(
      (p) => p.stored === data.expected.stored && p.lines === data.expected.lines,
    ),
    stored_per_s: kWall ? round(stored / (kWall / 1000)) : null,
    lines_per_s: kWall ? round(lines / (kWall / 1000)) : null,
    mib_per_s: kWall ? round(data.bytes / 2 ** 20 / (kWall / 1000), 1) : null,
    median_peak_rss_kb: median(k.map((p) => p.peak_rss_kb)),
  };
  res.duckdb = {
    ok_runs: d.length,
    failed: res.runs
      .map((p) => p.duckdb)
      .filter((p) => !p.ok)
      .map((p) => p.error),
    statement: "CREATE TABLE t AS SELECT * FROM read_ndjson_objects('FILE', ignore_errors = true)",
    note: 'ignore_errors: the file has torn (malformed) lines, which DuckDB otherwise refuses; they load as NULL rows',
    median_wall_ms: round(dWall),
    median_inner_s: round(median(d.map((p) => p.inner_s)), 2),
    rows: d[0]?.rows ?? null,
    rows_per_s: dWall && d[0] ? round(d[0].rows / (dWall / 1000)) : null,
    median_peak_rss_kb: median(d.map((p) => p.peak_rss_kb)),
  };
  res.ratio = kWall && dWall ? round(dWall / kWall, 2) : null;
  res.ratio_inner =
    res.kcloud.median_inner_s && res.duckdb.median_inner_s
      ? round(res.duckdb.median_inner_s / res.kcloud.median_inner_s, 2)
      : null;
  res.ratio_per_run = res.runs.map((p) => round(p.ratio, 2));
  if (!res.kcloud.counts_match_expected && k.length) {
    log(
      `WARNING: ingest counts differ from the generator's expected counts (stored ${stored} vs ${data.expected.stored})`,
    );
  }
  check(
    'ingest',
    `batch ingest, ${fmtInt(opt.events)} events (stored/s)`,
    res.kcloud.stored_per_s,
    `${fmtInt(res.kcloud.stored_per_s)}/s (${fmtInt(res.kcloud.lines_per_s)} lines/s, ${fmtMs(kWall)})`,
    '>= 100,000/s',
    res.kcloud.stored_per_s >= 100_000,
  );
  check(
    'ingest',
    'DuckDB read_ndjson_objects load, same file',
    dWall,
    `${fmtMs(dWall)} (${fmtInt(res.duckdb.rows_per_s)} rows/s)`,
    'reference',
    null,
  );
  check(
    'ingest',
    'ratio DuckDB time / kcloud-log time',
    res.ratio,
    `${res.ratio ?? '-'}x`,
    '>= 0.5x',
    res.ratio >= 0.5,
  );

  // Peak RSS: a quarter-size file, the full file (above), optionally a ~G GB file.
  res.rss = { sizes: [] };
  const quarter = Math.max(1, Math.round(opt.events / 4));
  const qData = await ensureData(quarter);
  await warmCache(qData.file);
  log(`ingest peak RSS: ${fmtInt(quarter)} events`);
  const q = await kcloudIngestOnce(qData, 'quarter');
  res.rss.sizes.push({
    events: quarter,
    file_bytes: qData.bytes,
    ok: q.ok,
    peak_rss_kb: q.peak_rss_kb ?? null,
    wall_ms: round(q.wall_ms),
    error: q.error,
  });
  res.rss.sizes.push({
    events: opt.events,
    file_bytes: data.bytes,
    ok: k.length > 0,
    peak_rss_kb: res.kcloud.median_peak_rss_kb,
    wall_ms: round(kWall),
    note: `median of ${k.length} runs`,
  });
  if (opt.rssGb > 0) {
    const perEvent = data.bytes / opt.events;
    const n = Math.round((opt.rssGb * 1e9) / perEvent);
    const big = await ensureData(n);
    log(`ingest peak RSS: ${fmtInt(n)} events (${(big.bytes / 1e9).toFixed(1)} GB)`);
    const b = await kcloudIngestOnce(big, 'big');
    res.rss.sizes.push({
      events: n,
      file_bytes: big.bytes,
      ok: b.ok,
      peak_rss_kb: b.peak_rss_kb ?? null,
      wall_ms: round(b.wall_ms),
      stored_per_s: b.ok ? round(b.stored / (b.wall_ms / 1000)) : null,
      error: b.error,
    });
  }
  for (const s of res.rss.sizes) {
    check(
      'ingest',
      `ingest peak RSS, ${fmtInt(s.events)} events (${fmtBytes(s.file_bytes)} file)`,
      s.peak_rss_kb,
      fmtMb(s.peak_rss_kb),
      '< 400 MB',
      s.peak_rss_kb !== null && s.peak_rss_kb < 400 * 1024,
    );
  }
  const a = res.rss.sizes[0].peak_rss_kb;
  const b = res.rss.sizes[res.rss.sizes.length - 1].peak_rss_kb;
  res.rss.growth = a && b ? round(b / a, 2) : null;
  check(
    'ingest',
    'peak RSS growth, largest file / quarter file',
    res.rss.growth,
    `${res.rss.growth ?? '-'}x`,
    'flat (< 1.5x)',
    res.rss.growth !== null && res.rss.growth < 1.5,
  );
  return res;
}

// ---------------------------------------------------------------------------
// 2. Follow mode: write -> visible latency at a sustained rate

/** Start `file` with a warm-up line (bench_seq 0, seq 1), so the follower is up before the clock starts. */
async function writeWarmup(file) {
  const { createGenerator } = await import(pathToFileURL(GENERATOR).href);
  const warm = createGenerator({ events: 1, seed: 99, bad: 0, dup: 0, skip: 0, unknown: 0 }).lines.next()
    .value;
  fs.writeFileSync(file, `{"bench_seq":0,"bench_written_at":${Date.now()},` + warm.slice(1) + '\n');
}

/**
 * An onStdout for a child printing JSON lines (follow-poller.js, sse-client.js): each array
 * ([at_ms, max_seq]) is pushed to `seen`, an object is the child's summary (`onSummary`).
 */
function jsonLines(seen, onSummary) {
  let buf = '';
  return (c) => {
    buf += c;
    let i;
    while ((i = buf.indexOf('\n')) >= 0) {
      const l = buf.slice(0, i);
      buf = buf.slice(i + 1);
      try {
        const v = JSON.parse(l);
        if (Array.isArray(v)) seen.push(v);
        else onSummary(v);
      } catch {
        /* ignore */
      }
    }
  };
}

/** bench/lib/follow-writer.js: `rate` valid lines per second for `seconds`, bench_seq from 1. */
const startWriter = (file, ticksFile, rate, seconds, budget) =>
  start(
    process.execPath,
    [
      path.join(HERE, 'lib', 'follow-writer.js'),
      '--file',
      file,
      '--rate',
      String(rate),
      '--seconds',
      String(seconds),
      '--first',
      '1',
      '--seed',
      String(opt.seed + 1000),
      '--ticks',
      ticksFile,
    ],
    { cwd: TMP, env: childEnv(), timeoutMs: budget },
  );

/** A run of the CLI as a user's query, every `everyS` seconds while `running()`: wall times, exit codes. */
async function cliEvery(args, everyS, running, out) {
  if (!(everyS > 0)) return;
  while (running()) {
    const t = Date.now();
    await cliQuery(args, out);
    const wait = everyS * 1000 - (Date.now() - t);
    if (wait > 0 && running()) await sleep(wait);
  }
}
/** One such query: its wall time and exit code into `out` ({runs, failed, errors, wall_ms, exit_codes}). */
async function cliQuery(args, out) {
  const r = await cli(args, { timeoutMs: 60_000, keepOutput: false });
  out.runs++;
  out.wall_ms.push(round(r.ms));
  out.exit_codes?.push(r.code);
  if (r.code !== 0) {
    out.failed++;
    if (out.errors.length < 5) out.errors.push(r.timedOut ? 'timed out' : firstLine(r.stderr));
  }
}
const cliStats = () => ({ runs: 0, failed: 0, errors: [], wall_ms: [], exit_codes: [] });

/**
 * Write->visible per line written (the writer's ticks file): the time of the first sighting in
 * `seen` ([at_ms, max_seq], ascending) of a max seq >= the line's seq (bench_seq K is seq K+1)
 * minus its write time. A line never seen counts with stop time - write time (a lower bound).
 */
function writeToVisible(ticksFile, seen, stopAt) {
  const ticks = readJson(ticksFile);
  const lat = [];
  let unseen = 0;
  let p = 0;
  for (const [first, count, at] of ticks) {
    for (let k = first; k < first + count; k++) {
      while (p < seen.length && seen[p][1] < k + 1) p++;
      if (p < seen.length) lat.push(seen[p][0] - at);
      else {
        unseen++;
        lat.push(stopAt - at);
      }
    }
  }
  lat.sort((a, b) => a - b);
  return {
    lines: lat.length,
    unseen,
    unseen_note: unseen
      ? 'lines not visible when watching stopped count with latency = stop time - write time'
      : undefined,
    p50: quantile(lat, 0.5),
    p95: quantile(lat, 0.95),
    p99: quantile(lat, 0.99),
    max: lat.length ? lat[lat.length - 1] : null,
    min: lat.length ? lat[0] : null,
  };
}

async function benchFollow() {
  const dir = path.join(TMP, 'follow');
  const logs = path.join(dir, 'logs');
  fs.mkdirSync(logs, { recursive: true });
  const db = path.join(dir, 'follow.duckdb');
  const file = path.join(logs, 'bench.jsonl');
  const ticksFile = path.join(dir, 'ticks.json');
  const res = {
    rate: opt.followRate,
    seconds: opt.followSeconds,
    flush_interval: opt.flushInterval,
    poll_ms: opt.pollMs,
    method:
      'writer appends lines stamped with bench_seq/bench_written_at; a separate poller process opens the store read-only every poll_ms, reads max(seq) and closes it; a line is visible at the completion of the first poll with max(seq) >= its seq',
  };

  await writeWarmup(file);
  const budget = (opt.followSeconds + 180) * 1000;
  log(`follow: starting ingest --follow (flush ${opt.flushInterval}), poller every ${opt.pollMs} ms`);
  const follower = start(
    process.execPath,
    [opt.cli, 'ingest', '--follow', logs, '--db', db, '--json', '--flush-interval', opt.flushInterval],
    { cwd: TMP, env: childEnv(), timeoutMs: budget, sampleRss: true },
  );
  const polls = [];
  let pollerSummary;
  const poller = start(
    process.execPath,
    [path.join(HERE, 'lib', 'follow-poller.js'), '--db', db, '--interval', String(opt.pollMs)],
    {
      cwd: TMP,
      env: childEnv(),
      timeoutMs: budget,
      keepOutput: false,
      onStdout: jsonLines(polls, (v) => (pollerSummary = v)),
    },
  );
  const maxSeq = () => (polls.length ? polls[polls.length - 1][1] : 0);
  const alive = (h) => h.child.exitCode === null && h.child.signalCode === null;
  const waitFor = async (cond, ms) => {
    const until = Date.now() + ms;
    while (Date.now() < until && !cond() && alive(follower) && alive(poller)) await sleep(50);
    return cond();
  };
  const cliChecks = cliStats();
  let writer;
  let stopAt;
  try {
    if (!(await waitFor(() => maxSeq() >= 1, 60_000))) {
      throw new Error(
        `follower did not store the warm-up line within 60 s${alive(follower) ? '' : ' (it exited)'}`,
      );
    }
    log(`follow: follower is up; writing ${fmtInt(opt.followRate)} lines/s for ${opt.followSeconds} s`);
    writer = startWriter(file, ticksFile, opt.followRate, opt.followSeconds, budget);
    // A user's query now and then, through the CLI: must never fail.
    let writing = true;
    const cliLoop = cliEvery(
      ['sql', 'SELECT max(seq) AS m FROM events', '--db', db, '--json'],
      opt.cliPollS,
      () => writing,
      cliChecks,
    );
    const w = await writer.done;
    const ws = parseJsonOut(w.stdout);
    if (w.code !== 0 || !ws) throw new Error(`writer failed: ${firstLine(w.stderr)}`);
    res.writer = ws;
    log(
      `follow: wrote ${fmtInt(ws.written)} lines in ${ws.seconds.toFixed(1)} s (${fmtInt(ws.rate)}/s); waiting for the rest`,
    );
    const target = ws.last + 1;
    const caught = await waitFor(() => maxSeq() >= target, 60_000);
    writing = false;
    await cliLoop;
    if (!caught)
      log(`follow: WARNING: only seq ${maxSeq()} of ${target} visible 60 s after the writer stopped`);
    await sleep(opt.pollMs * 2);
  } finally {
    stopAt = Date.now();
    await stop(poller, 'SIGTERM', 15_000);
    const f = await stop(follower, 'SIGINT', 60_000);
    res.follower = {
      exit: f.code,
      signal: f.signal,
      peak_rss_kb: f.peakHwmKb || null,
      result: (() => {
        const j = parseJsonOut(f.stdout);
        return j
          ? { lines: j.lines, stored: j.stored, rejected: j.rejected, commits: j.commits, cycles: j.cycles }
          : null;
      })(),
      stderr: f.code === 0 ? undefined : firstLine(f.stderr),
    };
    if (writer) await stop(writer, 'SIGTERM', 5000);
  }
  res.poller = pollerSummary ?? null;
  res.cli_queries = {
    runs: cliChecks.runs,
    failed: cliChecks.failed,
    errors: cliChecks.errors,
    median_wall_ms: round(median(cliChecks.wall_ms)),
    max_wall_ms: cliChecks.wall_ms.length ? Math.max(...cliChecks.wall_ms) : null,
  };

  // What reached the store: every bench_seq exactly once, in order.
  const v = await verifyFollowStore(db);
  res.store = v;
  const written = res.writer.written;
  const lost = v ? written - v.distinct_in_range : null;

  // Latency per line: visible time (poll completion) - write time.
  res.latency_ms = writeToVisible(ticksFile, polls, stopAt);
  res.lost = lost;
  const failedQueries = (res.poller?.failed ?? 0) + res.cli_queries.failed;
  res.failed_queries = failedQueries;
  check(
    'follow',
    `follow: write->visible p50 (${fmtInt(opt.followRate)} lines/s)`,
    res.latency_ms.p50,
    fmtMs(res.latency_ms.p50),
    'reference',
    null,
  );
  check(
    'follow',
    `follow: write->visible p95 (${fmtInt(res.writer.rate)} lines/s sustained)`,
    res.latency_ms.p95,
    fmtMs(res.latency_ms.p95),
    '< 2 s',
    res.latency_ms.p95 !== null && res.latency_ms.p95 < 2000,
  );
  check(
    'follow',
    'follow: write->visible max',
    res.latency_ms.max,
    fmtMs(res.latency_ms.max),
    'reference',
    null,
  );
  check(
    'follow',
    `follow: lines lost (of ${fmtInt(written)})`,
    lost,
    String(lost ?? '-'),
    '0',
    lost === 0 && v?.duplicates === 0 && v?.out_of_order === 0,
  );
  check(
    'follow',
    `follow: failed queries (${res.poller?.polls ?? 0} polls + ${res.cli_queries.runs} CLI)`,
    failedQueries,
    String(failedQueries),
    '0',
    failedQueries === 0,
  );
  return res;
}

/** Rows of `sql` on `db` opened read-only, retrying while another process holds the lock; null if no file. */
async function readOnlyRows(db, sql) {
  if (!fs.existsSync(db)) return null;
  const { DuckDBInstance } = await import('@duckdb/node-api');
  for (let i = 0; ; i++) {
    try {
      const inst = await DuckDBInstance.create(db, { access_mode: 'READ_ONLY' });
      const conn = await inst.connect();
      try {
        return (await conn.runAndReadAll(sql)).getRowObjectsJson();
      } finally {
        conn.closeSync();
        inst.closeSync();
      }
    } catch (e) {
      if (!/lock/i.test(String(e?.message)) || i >= 100) throw e;
      await sleep(100);
    }
  }
}

/** Read the follow store directly (read-only): counts per bench_seq. */
async function verifyFollowStore(db) {
  const rows = await readOnlyRows(
    db,
    `WITH b AS (SELECT seq, TRY_CAST(json_extract_string(raw, '$.bench_seq') AS BIGINT) AS k FROM events)
     SELECT count(*) AS rows, count(DISTINCT k) AS distinct_k,
            count(DISTINCT k) FILTER (WHERE k >= 1) AS distinct_in_range,
            count(*) FILTER (WHERE k IS NULL) AS without_seq,
            count(*) FILTER (WHERE seq <> k + 1) AS out_of_order,
            max(k) AS max_k
     FROM b`,
  );
  if (!rows) return null;
  const [row] = rows;
  const n = (x) => (x === null ? null : Number(x));
  return {
    rows: n(row.rows),
    distinct_in_range: n(row.distinct_in_range),
    duplicates: n(row.rows) - n(row.distinct_k) - n(row.without_seq),
    without_bench_seq: n(row.without_seq),
    out_of_order: n(row.out_of_order),
    max_bench_seq: n(row.max_k),
  };
}

// ---------------------------------------------------------------------------
// 3. Query latency on the large store

async function pickIds(db) {
  const { DuckDBInstance } = await import('@duckdb/node-api');
  const inst = await DuckDBInstance.create(db, { access_mode: 'READ_ONLY' });
  const conn = await inst.connect();
  try {
    // A workload of typical size: the median by number of events among workloads with decisions.
    const w = await conn.runAndReadAll(`
      WITH c AS (SELECT workload_id, count(*) AS n FROM events
                 WHERE workload_id IS NOT NULL GROUP BY 1
                 HAVING count(*) FILTER (WHERE event_type = 'scheduling_decision') > 0),
           r AS (SELECT *, row_number() OVER (ORDER BY n, workload_id) AS i, count(*) OVER () AS total FROM c)
      SELECT workload_id, n, total, (SELECT max(n) FROM c) AS max_n FROM r WHERE i = (total + 1) // 2`);
    const [wr] = w.getRowObjectsJson();
    const t = await conn.runAndReadAll(
      `SELECT strftime(max(ts) - INTERVAL 1 DAY, '%Y-%m-%dT%H:%M:%SZ') AS since FROM events`,
    );
    const [tr] = t.getRowObjectsJson();
    return {
      workload: wr?.workload_id ?? null,
      workload_events: Number(wr?.n ?? 0),
      workloads: Number(wr?.total ?? 0),
      max_workload_events: Number(wr?.max_n ?? 0),
      since: tr?.since ?? null,
    };
  } finally {
    conn.closeSync();
    inst.closeSync();
  }
}

async function benchQueries() {
  let n = opt.large;
  if (n === 0) n = opt.events;
  const data = await ensureData(n);
  const store = await ensureStore(data, `kcloud-${n}-seed${opt.seed}`);
  const ids = await pickIds(store.db);
  log(
    `queries on ${fmtInt(n)} events: workload ${ids.workload} (${ids.workload_events} events), since ${ids.since}`,
  );
  const reportOut = path.join(TMP, 'audit.json');
  const qs = [
    {
      name: 'events --workload W --type scheduling_decision --limit 50',
      args: ['events', '--workload', ids.workload, '--type', 'scheduling_decision', '--limit', '50'],
      target: 500, // issue 13
    },
    {
      name: 'events --since <last day> --type workload_relocation --limit 50',
      args: ['events', '--since', ids.since, '--type', 'workload_relocation', '--limit', '50'],
      target: 500,
    },
    { name: 'trace W', args: ['trace', ids.workload], target: 1000 },
    { name: 'analyze scheduling', args: ['analyze', 'scheduling'], target: 1000 },
    { name: 'analyze cost', args: ['analyze', 'cost'], target: 1000 },
    { name: 'analyze sla', args: ['analyze', 'sla'], target: 1000 },
    {
      name: 'report audit --format json --out FILE',
      args: ['report', 'audit', '--format', 'json', '--out', reportOut],
      target: 1000,
    },
  ];
  for (const q of qs) Object.assign(q, { walls: [], failures: [], missing: false, out_bytes: 0 });
  // Round-robin over the queries, so a burst of load on the shared machine hits all alike.
  for (let i = 0; i < opt.runs; i++) {
    log(`queries run ${i + 1}/${opt.runs}`);
    for (const q of qs) {
      if (q.missing || q.failures.length > 1) continue;
      const r = await cli([...q.args, '--db', store.db], { timeoutMs: 120_000, keepOutput: false });
      if (r.code === 0) {
        q.walls.push(r.ms);
        q.out_bytes = r.outBytes;
      } else if (isMissingCommand(r)) q.missing = true;
      else q.failures.push(r.timedOut ? 'timed out after 120 s' : `exit ${r.code}: ${firstLine(r.stderr)}`);
      fs.rmSync(reportOut, { force: true });
    }
  }
  const res = {
    events: n,
    store: rel(store.db),
    store_bytes: fs.statSync(store.db).size,
    store_cached: store.cached,
    store_build: store.build,
    ids,
    timing:
      'whole process wall time (node + oclif start-up, open, query, render, exit), output piped and discarded',
    queries: qs.map((q) => ({
      name: q.name,
      argv: ['kcloud-log', ...q.args.map((a) => (a === reportOut ? '/tmp/x.json' : a)), '--db', 'STORE'],
      status: q.missing
        ? 'missing'
        : q.walls.length
          ? q.failures.length
            ? 'partly failed'
            : 'ok'
          : 'failed',
      runs: q.walls.length,
      median_ms: round(median(q.walls)),
      min_ms: q.walls.length ? round(Math.min(...q.walls)) : null,
      max_ms: q.walls.length ? round(Math.max(...q.walls)) : null,
      output_bytes: q.out_bytes,
      target_ms: q.target,
      failures: q.failures,
    })),
  };
  if (!store.cached) {
    const b = store.build;
    check(
      'queries',
      `store build: ingest ${fmtInt(n)} events (stored/s)`,
      b.stored_per_s,
      `${fmtInt(b.stored_per_s)}/s (${fmtMs(b.wall_ms)}, ${fmtMb(b.peak_rss_kb)} peak RSS)`,
      '>= 100,000/s',
      b.stored_per_s >= 100_000,
    );
  }
  for (const q of res.queries) {
    const display =
      q.status === 'missing'
        ? 'command not found (missing)'
        : q.status === 'failed'
          ? `failed: ${q.failures[0]}`
          : `${fmtMs(q.median_ms)} (${fmtMs(q.min_ms)}-${fmtMs(q.max_ms)})`;
    check(
      'queries',
      `${fmtInt(n)} ev: ${q.name}`,
      q.median_ms,
      display,
      `< ${fmtMs(q.target_ms)}`,
      q.median_ms !== null && q.median_ms < q.target_ms && q.status === 'ok',
    );
  }
  return res;
}

// ---------------------------------------------------------------------------
// 3b. Exports: every row of the --events store through a pipe, peak RSS (issue 11: < 300 MB)

async function benchExports() {
  const n = opt.events;
  const data = await ensureData(n);
  const store = await ensureStore(data, `kcloud-${n}-seed${opt.seed}`);
  const exports = [
    { name: 'events --output jsonl', args: ['events', '--output', 'jsonl'] },
    { name: 'events --output csv', args: ['events', '--output', 'csv'] },
    {
      name: 'sql "SELECT * FROM events" --output csv',
      args: ['sql', 'SELECT * FROM events', '--output', 'csv'],
    },
    {
      name: 'sql "SELECT * FROM events" --output jsonl',
      args: ['sql', 'SELECT * FROM events', '--output', 'jsonl'],
    },
  ];
  const res = [];
  for (const x of exports) {
    const rss = [];
    const walls = [];
    let outBytes = 0;
    let failure = null;
    for (let i = 0; i < Math.min(opt.runs, 3); i++) {
      const rssOut = path.join(TMP, 'export-rss.json');
      const r = await cli([...x.args, '--db', store.db], { timeoutMs: 600_000, rssOut, keepOutput: false });
      if (r.code !== 0) {
        failure = r.timedOut ? 'timed out' : `exit ${r.code}: ${firstLine(r.stderr)}`;
        break;
      }
      rss.push(peakRss(rssOut, r).kb);
      walls.push(r.ms);
      outBytes = r.outBytes;
    }
    const row = {
      name: x.name,
      runs: rss.length,
      median_peak_rss_kb: round(median(rss)),
      max_peak_rss_kb: rss.length ? Math.max(...rss) : null,
      median_ms: round(median(walls)),
      output_bytes: outBytes,
      failure,
    };
    res.push(row);
    check(
      'exports',
      `${fmtInt(n)} ev: ${x.name} (peak RSS)`,
      row.max_peak_rss_kb,
      failure
        ? `failed: ${failure}`
        : `${fmtMb(row.median_peak_rss_kb)} median, ${fmtMb(row.max_peak_rss_kb)} max; ${fmtMs(row.median_ms)}, ${fmtMb(outBytes / 1024)} out`,
      '< 300 MB',
      !failure && row.max_peak_rss_kb !== null && row.max_peak_rss_kb < 300 * 1024,
    );
  }
  return { events: n, store: rel(store.db), exports: res };
}

// ---------------------------------------------------------------------------
// 4. Start-up

/** Where a start-up goes (bench/lib/phase-hook.mjs), in the order it happens. */
const PHASES = ['node', 'oclif', 'config', 'load', 'run', 'exit'];

async function benchStartup() {
  const small = await ensureData(1000);
  const store = await ensureStore(small, `small-1000-seed${opt.seed}`);
  const items = [
    { name: 'kcloud-log --help', args: ['--help'], target: 250 },
    { name: 'kcloud-log help', args: ['help'], target: null },
    { name: 'kcloud-log --version', args: ['--version'], target: null },
    {
      name: 'kcloud-log sources --json (1,000-event store)',
      args: ['sources', '--json', '--db', store.db],
      target: null,
    },
    {
      name: 'kcloud-log events --limit 1 (1,000-event store)',
      args: ['events', '--limit', '1', '--db', store.db],
      target: null,
    },
  ];
  const phasesOut = path.join(TMP, 'phases.json');
  for (const it of items) {
    it.walls = [];
    it.failures = [];
    it.phases = Object.fromEntries(PHASES.map((p) => [p, []]));
    // One unmeasured run first, so the file cache is warm as for a user's second command.
    await cli(it.args, { timeoutMs: 60_000 });
    for (let i = 0; i < opt.runs; i++) {
      const r = await cli(it.args, { timeoutMs: 60_000 });
      if (r.code === 0) it.walls.push(r.ms);
      else it.failures.push(r.timedOut ? 'timed out' : `exit ${r.code}: ${firstLine(r.stderr)}`);
      // the phases in a run of their own: the wall times above are of the plain command
      const p = await cli(it.args, { timeoutMs: 60_000, phasesOut });
      if (p.code !== 0 || !fs.existsSync(phasesOut)) continue;
      for (const [k, v] of Object.entries(readJson(phasesOut))) it.phases[k]?.push(v);
      fs.rmSync(phasesOut, { force: true });
    }
  }
  const nodeOnly = [];
  for (let i = 0; i < opt.runs; i++) {
    const r = await run(process.execPath, ['-e', '0'], { timeoutMs: 30_000, env: childEnv() });
    nodeOnly.push(r.ms);
  }
  const res = {
    timing:
      'whole process wall time; one unmeasured warm-up run first; phases (median ms, bench/lib/phase-hook.mjs) from separate runs',
    node_bare_ms: round(median(nodeOnly)),
    items: items.map((it) => ({
      name: it.name,
      runs: it.walls.length,
      median_ms: round(median(it.walls)),
      min_ms: it.walls.length ? round(Math.min(...it.walls)) : null,
      max_ms: it.walls.length ? round(Math.max(...it.walls)) : null,
      target_ms: it.target,
      phases_ms: Object.fromEntries(
        Object.entries(it.phases)
          .filter(([, v]) => v.length)
          .map(([k, v]) => [k, round(median(v))]),
      ),
      failures: it.failures,
    })),
  };
  for (const it of res.items) {
    check(
      'startup',
      it.name,
      it.median_ms,
      it.failures.length && !it.runs ? `failed: ${it.failures[0]}` : fmtMs(it.median_ms),
      it.target_ms ? `< ${fmtMs(it.target_ms)}` : 'reference',
      it.target_ms ? it.median_ms !== null && it.median_ms < it.target_ms : null,
    );
    const phases = Object.entries(it.phases_ms);
    if (phases.length)
      check(
        'startup',
        `  phases of ${it.name.replace(/^kcloud-log /, '')}`,
        null,
        phases.map(([k, v]) => `${k} ${v}`).join(' · ') + ' ms',
        'reference',
        null,
      );
  }
  check(
    'startup',
    'node -e 0 (bare Node start, for reference)',
    res.node_bare_ms,
    fmtMs(res.node_bare_ms),
    'reference',
    null,
  );
  return res;
}

// ---------------------------------------------------------------------------
// 5. The service (issue 14): `kcloud-log serve` following, taking POSTs, answering queries

/**
 * Start `kcloud-log serve --db DB --listen 127.0.0.1:0 --json ARGS` and wait until it has
 * published its address in <db>.serve.json.
 */
async function startServe(db, args, budgetMs) {
  const handle = start(
    process.execPath,
    [opt.cli, 'serve', '--db', db, '--listen', '127.0.0.1:0', '--json', ...args],
    { cwd: TMP, env: childEnv(), timeoutMs: budgetMs, sampleRss: true },
  );
  const until = Date.now() + 120_000;
  while (Date.now() < until) {
    if (handle.child.exitCode !== null || handle.child.signalCode !== null) {
      const r = await handle.done;
      throw new Error(`serve exited (${r.code ?? r.signal}) before listening: ${firstLine(r.stderr)}`);
    }
    try {
      const j = readJson(`${db}.serve.json`);
      if (j.url && j.pid === handle.child.pid) return { handle, url: j.url };
    } catch {
      /* not yet written */
    }
    await sleep(50);
  }
  await stop(handle, 'SIGKILL', 5000);
  throw new Error('serve did not publish its address within 120 s');
}

/** SIGTERM: the service commits, closes the store and exits 0 (its --json result on stdout). */
async function stopServe(handle) {
  const t = performance.now();
  const r = await stop(handle, 'SIGTERM', 120_000);
  return {
    exit: r.code,
    signal: r.signal,
    stop_ms: round(performance.now() - t),
    peak_rss_kb: r.peakHwmKb || null,
    result: parseJsonOut(r.stdout) ?? null,
    stderr: r.code === 0 ? undefined : firstLine(r.stderr),
  };
}

/** One HTTP request on `agent` (keep-alive): status, body text, wall time; status 0 when it failed. */
function request(agent, url, { method = 'GET', headers = {}, body } = {}) {
  return new Promise((resolve) => {
    const t0 = performance.now();
    const failed = (e) => resolve({ status: 0, error: String(e?.message ?? e), ms: performance.now() - t0 });
    const req = http.request(url, { method, agent, headers }, (res) => {
      const chunks = [];
      res.on('data', (c) => chunks.push(c));
      res.on('error', failed);
      res.on('end', () =>
        resolve({
          status: res.statusCode,
          body: Buffer.concat(chunks).toString('utf8'),
          ms: performance.now() - t0,
        }),
      );
    });
    req.setTimeout(120_000, () => req.destroy(new Error('no answer within 120 s')));
    req.on('error', failed);
    req.end(body);
  });
}

const percentiles = (xs) => {
  const s = [...xs].sort((a, b) => a - b);
  return {
    n: s.length,
    p50: round(quantile(s, 0.5), 1),
    p95: round(quantile(s, 0.95), 1),
    max: round(s.at(-1) ?? null, 1),
  };
};

/**
 * Follow through the service: serve --follow DIR while follow-writer.js appends at --serve-rate;
 * visible = received on GET /stream/events (sse-client.js). Meanwhile a user's
 * `events --limit 50 --db X` every --cli-poll-s seconds, then as often again with no writer
 * and no service at all, on the same store.
 */
async function serveFollow() {
  const dir = path.join(TMP, 'serve-follow');
  const logs = path.join(dir, 'logs');
  fs.mkdirSync(logs, { recursive: true });
  const db = path.join(dir, 'serve.duckdb');
  const file = path.join(logs, 'bench.jsonl');
  const ticksFile = path.join(dir, 'ticks.json');
  const res = {
    rate: opt.serveRate,
    seconds: opt.serveSeconds,
    flush_interval: opt.serveFlushInterval,
    method:
      'serve --follow DIR; writer appends lines stamped with bench_seq/bench_written_at; a separate process reads GET /stream/events?after=0 (SSE); a line is visible when the first SSE chunk with an id >= its seq arrives',
  };
  await writeWarmup(file);
  const budget = (opt.serveSeconds + 300) * 1000;
  log(`serve: starting serve --follow (flush ${opt.serveFlushInterval})`);
  const svc = await startServe(db, ['--follow', logs, '--flush-interval', opt.serveFlushInterval], budget);
  const seen = [];
  let sseSummary;
  const watch = opt.servePollMs ? ['--poll', String(opt.servePollMs)] : [];
  const sse = start(process.execPath, [path.join(HERE, 'lib', 'sse-client.js'), '--url', svc.url, ...watch], {
    cwd: TMP,
    env: childEnv(),
    timeoutMs: budget,
    keepOutput: false,
    onStdout: jsonLines(seen, (v) => (sseSummary = v)),
  });
  const maxSeq = () => (seen.length ? seen[seen.length - 1][1] : 0);
  const alive = (h) => h.child.exitCode === null && h.child.signalCode === null;
  const waitFor = async (cond, ms) => {
    const until = Date.now() + ms;
    while (Date.now() < until && !cond() && alive(svc.handle) && alive(sse)) await sleep(50);
    return cond();
  };
  const query = ['events', '--limit', '50', '--db', db];
  const beside = cliStats();
  let writer;
  let stopAt;
  try {
    if (!(await waitFor(() => maxSeq() >= 1, 60_000)))
      throw new Error(`the service did not stream the warm-up line within 60 s`);
    log(`serve: following; writing ${fmtInt(opt.serveRate)} lines/s for ${opt.serveSeconds} s`);
    writer = startWriter(file, ticksFile, opt.serveRate, opt.serveSeconds, budget);
    let writing = true;
    const cliLoop = cliEvery(query, opt.cliPollS, () => writing, beside);
    const w = await writer.done;
    const ws = parseJsonOut(w.stdout);
    if (w.code !== 0 || !ws) throw new Error(`writer failed: ${firstLine(w.stderr)}`);
    res.writer = ws;
    log(`serve: wrote ${fmtInt(ws.written)} lines in ${ws.seconds.toFixed(1)} s; waiting for the rest`);
    const caught = await waitFor(() => maxSeq() >= ws.last + 1, 60_000);
    writing = false;
    await cliLoop;
    if (!caught) log(`serve: WARNING: only seq ${maxSeq()} of ${ws.last + 1} streamed 60 s after the writer`);
  } finally {
    stopAt = Date.now();
    await stop(sse, 'SIGTERM', 15_000);
    res.service = await stopServe(svc.handle);
    if (writer) await stop(writer, 'SIGTERM', 5000);
  }
  res.sse = sseSummary ?? null;
  res.store = await verifyFollowStore(db);
  res.lost = res.store ? res.writer.written - res.store.distinct_in_range : null;
  res.latency_ms = writeToVisible(ticksFile, seen, stopAt);

  // The same query with no writer and no service, as often, on the same (now complete) store.
  log(`serve: ${beside.runs} CLI queries beside the service; as many with no writer`);
  const alone = cliStats();
  for (let i = 0; i < Math.max(3, beside.runs); i++) await cliQuery(query, alone);
  const summary = (c) => ({
    runs: c.runs,
    failed: c.failed,
    exit_codes: c.exit_codes,
    errors: c.errors,
    median_ms: round(median(c.wall_ms)),
    min_ms: c.wall_ms.length ? Math.min(...c.wall_ms) : null,
    max_ms: c.wall_ms.length ? Math.max(...c.wall_ms) : null,
  });
  res.cli_query = {
    argv: ['kcloud-log', ...query.slice(0, -1), 'X'],
    beside_service: summary(beside),
    no_writer: summary(alone),
  };
  return res;
}

/** The first `maxLines` lines of a JSONL file in batches of `size` lines (views of one buffer). */
function lineBatches(file, size, maxLines) {
  const buf = fs.readFileSync(file);
  const batches = [];
  let start = 0;
  let lines = 0;
  for (let i = buf.indexOf(10); i >= 0 && lines < maxLines; i = buf.indexOf(10, i + 1)) {
    if (++lines % size === 0 || lines === maxLines) {
      batches.push(buf.subarray(start, i + 1));
      start = i + 1;
    }
  }
  if (lines < maxLines && start < buf.length) batches.push(buf.subarray(start, buf.lastIndexOf(10) + 1));
  return { batches: batches.filter((b) => b.length), lines };
}

/** POST /events: NDJSON batches of the --events file from --serve-clients keep-alive clients. */
async function servePost() {
  const data = await ensureData(opt.events);
  const { batches, lines } = lineBatches(data.file, opt.serveBatch, opt.servePostEvents || Infinity);
  const db = path.join(TMP, 'serve-post.duckdb');
  rmDb(db);
  log(
    `serve: POST /events, ${fmtInt(lines)} lines in ${fmtInt(batches.length)} batches, ${opt.serveClients} clients`,
  );
  const svc = await startServe(db, [], 900_000);
  const agent = new http.Agent({ keepAlive: true, maxSockets: opt.serveClients });
  const acked = { requests: 0, events: 0, stored: 0, duplicates: 0, rejected: 0 };
  const failures = [];
  const ms = [];
  let next = 0;
  let wall;
  let service;
  try {
    const client = async () => {
      while (next < batches.length && !isInterrupted()) {
        const body = batches[next++];
        const r = await request(agent, `${svc.url}/events`, {
          method: 'POST',
          headers: { 'content-type': 'application/x-ndjson', 'content-length': body.length },
          body,
        });
        ms.push(r.ms);
        if (r.status >= 200 && r.status < 300) {
          const j = JSON.parse(r.body);
          acked.requests++;
          acked.events += j.events.length;
          acked.stored += j.stored;
          acked.duplicates += j.duplicates;
          acked.rejected += j.rejected;
        } else if (failures.length < 1000) failures.push(`${r.status}: ${(r.error ?? r.body).slice(0, 200)}`);
      }
    };
    const t0 = performance.now();
    await Promise.all(Array.from({ length: opt.serveClients }, client));
    wall = performance.now() - t0;
  } finally {
    agent.destroy();
    service = await stopServe(svc.handle);
  }
  const [row] = await readOnlyRows(
    db,
    'SELECT (SELECT count(*) FROM events) AS events, (SELECT count(DISTINCT event_id) FROM events) AS ids, (SELECT count(*) FROM rejects) AS rejects',
  );
  const inStore = Number(row.events);
  return {
    file: rel(data.file),
    lines,
    batch: opt.serveBatch,
    clients: opt.serveClients,
    batches: batches.length,
    wall_ms: round(wall),
    acknowledged: acked,
    failed_requests: failures.length,
    failures: failures.slice(0, 5),
    request_ms: percentiles(ms),
    acked_events_per_s: round(acked.events / (wall / 1000)),
    stored_per_s: round(acked.stored / (wall / 1000)),
    store: { events: inStore, distinct_event_ids: Number(row.ids), rejects: Number(row.rejects) },
    // every acknowledged stored event is in the store, once (nothing else got there)
    lost: acked.stored - inStore,
    expected_stored: opt.servePostEvents ? null : data.expected.stored,
    service,
  };
}

/** `count` workloads spread over the range of workload sizes (read-only, before serve opens the store). */
async function pickWorkloads(db, count) {
  const rows = await readOnlyRows(
    db,
    `WITH c AS (SELECT workload_id, count(*) AS n FROM events WHERE workload_id IS NOT NULL GROUP BY 1),
          r AS (SELECT *, row_number() OVER (ORDER BY n, workload_id) AS i, count(*) OVER () AS total FROM c)
     SELECT workload_id FROM r WHERE (i - 1) % greatest(1, total // ${count}) = 0 ORDER BY i LIMIT ${count}`,
  );
  return rows.map((r) => r.workload_id);
}

/** GET /events?workload=W&limit=50 on the query store, from one warm keep-alive client. */
async function serveQueries() {
  const n = opt.large || opt.events;
  const data = await ensureData(n);
  const store = await ensureStore(data, `kcloud-${n}-seed${opt.seed}`);
  const workloads = await pickWorkloads(store.db, 50);
  log(
    `serve: GET /events on ${fmtInt(n)} events, ${opt.serveRequests} requests over ${workloads.length} workloads`,
  );
  const svc = await startServe(store.db, [], 900_000);
  const agent = new http.Agent({ keepAlive: true, maxSockets: 1 });
  const ms = [];
  const failures = [];
  let rows = 0;
  let service;
  try {
    const get = (w) => request(agent, `${svc.url}/events?workload=${encodeURIComponent(w)}&limit=50`);
    for (const w of workloads.slice(0, 5)) await get(w); // warm-up: the connection, the first reads
    for (let i = 0; i < opt.serveRequests && !isInterrupted(); i++) {
      const r = await get(workloads[i % workloads.length]);
      if (r.status === 200) {
        ms.push(r.ms);
        rows += JSON.parse(r.body).events.length;
      } else if (failures.length < 5) failures.push(`${r.status}: ${(r.error ?? r.body).slice(0, 200)}`);
    }
  } finally {
    agent.destroy();
    service = await stopServe(svc.handle);
  }
  return {
    events: n,
    store: rel(store.db),
    workloads: workloads.length,
    request: 'GET /events?workload=W&limit=50',
    timing: 'request sent -> response read, one keep-alive client, after 5 unmeasured requests',
    ms: percentiles(ms),
    mean_rows: ms.length ? round(rows / ms.length, 1) : null,
    failed: failures.length,
    failures,
    service,
  };
}

async function benchServe() {
  const res = {};
  const section = async (name, fn) => {
    if (!opt.serveOnly.includes(name)) return;
    try {
      res[name] = await fn();
    } catch (e) {
      log(`serve ${name}: FAILED: ${e?.stack ?? e}`);
      res[name] = { error: String(e?.message ?? e) };
    }
  };
  await section('follow', serveFollow);
  await section('post', servePost);
  await section('queries', serveQueries);

  const f = res.follow;
  if (f) serveFollowChecks(f);
  if (res.post) servePostChecks(res.post);
  if (res.queries) serveQueryChecks(res.queries);
  return res;
}

const failedPart = (x) => (x.error ? `error: ${x.error.split('\n')[0]}` : null);
const serviceDown = (s) =>
  s?.exit !== 0 ? `service exit ${s?.exit ?? s?.signal}: ${s?.stderr ?? ''}` : null;

function serveFollowChecks(f) {
  const fl = f.latency_ms ?? {};
  const fErr = failedPart(f) ?? serviceDown(f.service);
  check(
    'serve',
    `serve --follow: write->visible p50 (${opt.servePollMs ? `GET /events every ${opt.servePollMs} ms` : 'SSE'}, ${fmtInt(opt.serveRate)} lines/s)`,
    fErr ? 0 : fl.p50,
    fErr || fmtMs(fl.p50),
    'reference',
    null,
  );
  check(
    'serve',
    `serve --follow: write->visible p95 (${fmtInt(f.writer?.rate ?? 0)} lines/s sustained, ${opt.serveSeconds} s)`,
    fErr ? 0 : fl.p95,
    fErr || fmtMs(fl.p95),
    '< 1 s',
    !fErr && fl.p95 < 1000,
  );
  check(
    'serve',
    'serve --follow: write->visible max',
    fErr ? null : fl.max,
    fmtMs(fl.max),
    'reference',
    null,
  );
  check(
    'serve',
    `serve --follow: lines lost (of ${fmtInt(f.writer?.written ?? 0)})`,
    fErr ? 0 : f.lost,
    fErr || `${f.lost} (duplicates ${f.store?.duplicates}, out of order ${f.store?.out_of_order})`,
    '0',
    !fErr && f.lost === 0 && f.store?.duplicates === 0 && f.store?.out_of_order === 0,
  );
  const cq = f.cli_query;
  if (cq?.beside_service.runs) {
    const b = cq.beside_service;
    const a = cq.no_writer;
    const codes = (c) => [...new Set(c.exit_codes)].join(',');
    check(
      'serve',
      'events --limit 50, no writer and no service (median)',
      a.median_ms,
      `${fmtMs(a.median_ms)} (${a.runs} runs, exit ${codes(a)})`,
      'reference',
      null,
    );
    check(
      'serve',
      'events --limit 50 beside serve --follow (median)',
      b.median_ms ?? 0,
      `${fmtMs(b.median_ms)} (${b.runs} runs, exit ${codes(b)}${b.failed ? `: ${b.errors[0]}` : ''})`,
      'no worse (+10 %), exit 0',
      b.failed === 0 && a.failed === 0 && b.median_ms <= a.median_ms * 1.1,
    );
  }
}

function servePostChecks(p) {
  const pErr = failedPart(p) ?? serviceDown(p.service);
  check(
    'serve',
    `POST /events: acknowledged events/s (batches of ${fmtInt(opt.serveBatch)}, ${opt.serveClients} clients)`,
    pErr ? 0 : p.acked_events_per_s,
    pErr ||
      `${fmtInt(p.acked_events_per_s)}/s (${fmtInt(p.acknowledged.events)} in ${fmtMs(p.wall_ms)}; request p50 ${fmtMs(p.request_ms.p50)}, p95 ${fmtMs(p.request_ms.p95)})`,
    '>= 50,000/s',
    !pErr && p.acked_events_per_s >= 50_000,
  );
  check(
    'serve',
    'POST /events: lost (acknowledged stored - stored)',
    pErr ? 0 : p.lost,
    pErr || `${p.lost} (${fmtInt(p.store.events)} stored, ${p.failed_requests} failed requests)`,
    '0',
    !pErr &&
      p.lost === 0 &&
      p.failed_requests === 0 &&
      p.store.distinct_event_ids === p.store.events &&
      (p.expected_stored === null || p.store.events === p.expected_stored),
  );
}

function serveQueryChecks(q) {
  const qErr =
    failedPart(q) ?? serviceDown(q.service) ?? (q.failed ? `${q.failed} failed: ${q.failures[0]}` : null);
  const qn = fmtInt(q.events ?? opt.large);
  check(
    'serve',
    `${qn} ev: GET /events?workload=W&limit=50 p50 (warm client)`,
    qErr ? 0 : q.ms.p50,
    qErr || `${q.ms.p50} ms`,
    'reference',
    null,
  );
  check(
    'serve',
    `${qn} ev: GET /events?workload=W&limit=50 p95 (${q.ms?.n ?? 0} requests, ${q.workloads ?? 0} workloads)`,
    qErr ? 0 : q.ms.p95,
    qErr || `${q.ms.p95} ms (max ${q.ms.max} ms)`,
    '< 50 ms',
    !qErr && q.ms.p95 < 50,
  );
}

// ---------------------------------------------------------------------------
// Main

function printTable(results) {
  const m = results.machine;
  const rows = checks.map((c) => [
    c.name,
    c.display,
    c.target,
    c.pass === null ? (c.target === 'reference' ? '' : 'n/a') : c.pass ? 'PASS' : 'FAIL',
  ]);
  const head = ['figure', 'measured', 'target', ''];
  const w = head.map((h, i) => Math.max(h.length, ...rows.map((r) => String(r[i]).length)));
  const line = (r) =>
    r
      .map((c, i) => String(c).padEnd(w[i]))
      .join('  ')
      .trimEnd();
  const out = [
    '',
    `kcloud-log benchmark  ${results.started_at}`,
    `machine: ${m.cpus} x ${m.cpu_model}, ${m.ram_gb} GB RAM, ${m.os}, Node ${m.node}, @duckdb/node-api ${m.duckdb_node_api}`,
    `load average (1 min): ${results.load.start.map((x) => x.toFixed(2)).join(' ')} at start, ${results.load.end.map((x) => x.toFixed(2)).join(' ')} at end; during the run mean ${results.load.during.mean}, max ${results.load.during.max}`,
    `options: --events ${opt.events} --large ${opt.large} --runs ${opt.runs} --seed ${opt.seed} --only ${opt.only.join(',')} --cli ${rel(opt.cli)}`,
    'times are whole-process wall times, median of --runs, Node start-up included',
    '',
    line(head),
    line(w.map((n) => '-'.repeat(n))),
  ];
  let section;
  for (let i = 0; i < rows.length; i++) {
    if (section && checks[i].section !== section) out.push('');
    section = checks[i].section;
    out.push(line(rows[i]));
  }
  const failed = checks.filter((c) => c.pass === false).length;
  const passed = checks.filter((c) => c.pass === true).length;
  out.push('', `${passed} passed, ${failed} failed; results: ${rel(results.file)}`, '');
  process.stdout.write(out.join('\n') + '\n');
}

/** The figures as a Markdown table (bench/out/results.md), for bench/README.md. */
function markdown(results) {
  const m = results.machine;
  const l = results.load;
  const esc = (v) => String(v).replaceAll('|', '\\|');
  const out = [
    `Run ${results.started_at} (${results.seconds} s): \`node bench/run.js ${process.argv.slice(2).join(' ')}\``,
    '',
    `Machine: ${m.cpus} x ${m.cpu_model}, ${m.ram_gb} GB RAM, ${m.os}, Node ${m.node}, @duckdb/node-api ${m.duckdb_node_api}.`,
    `Load average (1 min): ${l.start[0]} at start, ${l.end[0]} at end, mean ${l.during.mean} and max ${l.during.max} during the run.`,
    `Code: commit ${results.code.commit?.slice(0, 12) ?? '?'}${results.code.uncommitted_changes ? ` + ${results.code.uncommitted_changes} uncommitted changes` : ''}, CLI ${rel(opt.cli)}.`,
    '',
    '| figure | measured | target | |',
    '|---|---|---|---|',
    ...checks.map(
      (c) =>
        `| ${esc(c.name)} | ${esc(c.display)} | ${esc(c.target)} | ${c.pass === null ? '' : c.pass ? 'pass' : '**fail**'} |`,
    ),
  ];
  return out.join('\n') + '\n';
}

async function main() {
  const startedAt = new Date().toISOString();
  const results = {
    started_at: startedAt,
    machine: machine(),
    options: { ...opt, cli: rel(opt.cli), out: rel(opt.out) },
    code: codeInfo(),
    load: { start: os.loadavg().map((x) => round(x, 2)) },
  };
  log(`kcloud-log bench: ${opt.only.join(', ')}; load average ${results.load.start.join(' ')}`);
  const sections = {
    ingest: benchIngest,
    follow: benchFollow,
    queries: benchQueries,
    exports: benchExports,
    startup: benchStartup,
    serve: benchServe,
  };
  for (const s of SECTIONS) {
    if (!opt.only.includes(s)) continue;
    const t = Date.now();
    try {
      results[s] = await sections[s]();
    } catch (e) {
      log(`${s}: FAILED: ${e?.stack ?? e}`);
      results[s] = { error: String(e?.message ?? e) };
      check(s, `${s} section`, null, `error: ${String(e?.message ?? e).split('\n')[0]}`, 'runs', false);
      checks[checks.length - 1].pass = false;
    }
    results[s] ??= {};
    results[s].section_seconds = round((Date.now() - t) / 1000, 1);
  }
  sampleLoad();
  clearInterval(loadTimer);
  const l1 = loadSamples.map((s) => s.load1);
  results.load.end = os.loadavg().map((x) => round(x, 2));
  results.load.during = {
    mean: round(l1.reduce((a, b) => a + b, 0) / l1.length, 2),
    max: round(Math.max(...l1), 2),
    samples_every_5s: loadSamples.map((s) => [s.t, round(s.load1, 2)]),
  };
  results.finished_at = new Date().toISOString();
  results.seconds = round((Date.now() - T0) / 1000, 1);
  results.checks = checks;
  results.file = path.join(opt.out, 'results.json');
  fs.writeFileSync(results.file, JSON.stringify(results, null, 2) + '\n');
  fs.copyFileSync(results.file, path.join(opt.out, `results-${startedAt.replace(/[:.]/g, '-')}.json`));
  fs.writeFileSync(path.join(opt.out, 'results.md'), markdown(results));
  printTable(results);
  return argv['fail-on-target'] && checks.some((c) => c.pass === false) ? 1 : 0;
}

main().then(
  (code) => {
    process.exitCode = code;
  },
  (e) => {
    process.stderr.write(`bench: ${e?.stack ?? e}\n`);
    process.exitCode = 2;
  },
);
