/**
 * Follow mode: tail files, directories and globs for days.
 *
 * Every cycle (each --flush-interval, or sooner when chokidar reports a
 * change) the targets are listed again, each file is matched to the file it
 * was by device + inode, new bytes are read up to the last complete line,
 * and one batch is committed. The database is opened only to commit (and to
 * register new files) and closed right after, so readers can open it
 * read-only between commits.
 *
 * File events handled:
 * - rename + create (logrotate `create`, Fluent Bit `Rotate On`): the renamed
 *   file is kept open by its descriptor and drained to its end (until it has
 *   been quiet for --drain-grace) before it is released; the new file is read
 *   from 0; a `.gz` of a file already read continues at that file's offset;
 * - copytruncate / truncate + rewrite / inode reuse: the first bytes no longer
 *   match the fingerprint (or the file is shorter than our offset): the old
 *   source is closed as truncated and the file is read again from 0;
 * - deleted while half read: drained through the open descriptor, then released;
 * - symlinked paths: followed (identity is the target's inode);
 * - partial last lines and over-long lines: see LineSplitter.
 */
import { sleep } from '../sleep.js';
import fs from 'node:fs';
import zlib from 'node:zlib';
import chokidar, { type FSWatcher } from 'chokidar';
import { Ingester, SourceState, seedWindow, type IngestOptions } from './ingest.js';
import { excluder, expandTargets, watchRoot, type PathError } from './paths.js';
import {
  FINGERPRINT_BYTES,
  fingerprintOf,
  identify,
  resolveSource,
  createSource,
  isGzipName,
} from './source.js';
import { DEFAULT_LOCK_TIMEOUT_MS, openStore, type OpenOptions, type Store } from '../store/open.js';
import { setSourcePath, setSourceStart, setSourceStatus } from '../store/sources.js';
import { acquireLease } from '../store/lease.js';

export interface FollowOptions extends IngestOptions {
  dbPath: string;
  open?: OpenOptions;
  /** Commit at least this often (ms). */
  flushIntervalMs?: number;
  /** Where files without a checkpoint start when first seen at start-up. */
  from?: 'beginning' | 'end';
  /** Poll the file system instead of using events (network file systems). */
  poll?: boolean;
  /** How long a rotated or deleted file must be quiet before it is released (ms). */
  drainGraceMs?: number;
  signal?: AbortSignal;
  onStatus?: (s: FollowStatus) => void;
  onError?: (e: PathError) => void;
  /** A binary file skipped (once per path and reason). */
  onSkip?: (e: PathError) => void;
}

export interface FileLag {
  path: string;
  source_id: number;
  offset: number;
  size: number;
  lag_bytes: number;
}

export interface FollowStatus {
  elapsed_s: number;
  cycles: number;
  commits: number;
  lines: number;
  stored: number;
  rejected: number;
  duplicates: number;
  skipped: number;
  /** Events stored per second over the last status period. */
  rate: number;
  files: FileLag[];
}

export interface FollowResult extends Omit<FollowStatus, 'rate'> {
  db: string;
  errors: PathError[];
  /** Binary files skipped whole (see IngestResult.skipped_files). */
  skipped_files: PathError[];
}

const CHUNK = 1 << 20;

const FIFO_NOT_FOLLOWED =
  'a FIFO (named pipe) is not followed; ingest it without --follow, or pipe it: cat FIFO | kcloud-log ingest --follow -';

/** An open file being tailed, known by device + inode. */
class Tail {
  pos: number;
  detachedAt = 0;
  lastGrowth = Date.now();
  constructor(
    public path: string,
    readonly key: string,
    readonly fh: fs.promises.FileHandle,
    public state: SourceState,
  ) {
    this.pos = state.row.offset;
  }
}

const keyOf = (st: { dev: number | bigint; ino: number | bigint }) => `${st.dev}:${st.ino}`;

export async function follow(paths: readonly string[], opts: FollowOptions): Promise<FollowResult> {
  const lease = await acquireLease(opts.dbPath, {
    timeoutMs: opts.open?.lockTimeoutMs ?? DEFAULT_LOCK_TIMEOUT_MS,
    command: opts.command ?? 'kcloud-log ingest --follow',
    signal: opts.signal,
  });
  try {
    return await followUnderLease(paths, opts);
  } finally {
    lease.release();
  }
}

async function followUnderLease(paths: readonly string[], opts: FollowOptions): Promise<FollowResult> {
  const started = Date.now();
  const flushMs = opts.flushIntervalMs ?? 1000;
  const grace = opts.drainGraceMs ?? 5000;
  const ing = new Ingester(opts);
  const tails = new Map<string, Tail>();
  const doneGz = new Set<string>(); // gzip archives already read (by key)
  const errors: PathError[] = [];
  const skippedFiles: PathError[] = [];
  const reported = new Set<string>();
  const totals = { cycles: 0, commits: 0, lines: 0, stored: 0, rejected: 0, duplicates: 0, skipped: 0 };
  let firstScan = true;
  let wake: (() => void) | undefined;
  let lastStatus = { t: Date.now(), stored: 0 };

  const fileArgs = paths.filter((p) => p !== '-');
  const watcher: FSWatcher | undefined = fileArgs.length
    ? chokidar.watch(
        fileArgs.map((p) => watchRoot(p)),
        {
          ignoreInitial: true,
          usePolling: opts.poll,
          interval: Math.min(flushMs, 500),
          followSymlinks: true,
          ignored: excluder(opts.exclude),
        },
      )
    : undefined;
  watcher?.on('all', () => wake?.());
  watcher?.on('error', () => undefined);

  // A follower never gives up on the lock: readers hold it only for moments, and wait for us.
  const withStore = async <T>(fn: (s: Store) => Promise<T>): Promise<T> => {
    const store = await openStore(opts.dbPath, { ...opts.open, lockTimeoutMs: Number.POSITIVE_INFINITY });
    try {
      return await fn(store);
    } finally {
      store.close();
    }
  };

  const renames = new Map<number, string>(); // source id -> its file's new name
  const commit = async () => {
    if (!ing.pending && !ing.dirtySources && !renames.size) return;
    const before = new Map([...tails.values()].map((t) => [t, { ...t.state.summary }]));
    await withStore(async (s) => {
      await ing.commit(s);
      for (const [id, p] of renames) await setSourcePath(s, id, p);
      renames.clear();
    });
    totals.commits++;
    for (const [t, b] of before) {
      const a = t.state.summary;
      totals.lines += a.lines - b.lines;
      totals.stored += a.stored - b.stored;
      totals.rejected += a.rejected - b.rejected;
      totals.duplicates += a.duplicates - b.duplicates;
      totals.skipped += a.skipped - b.skipped;
    }
  };

  // Standard input as a source, read concurrently, committed with the rest.
  let stdinState: SourceState | undefined;
  let stdinDone: Promise<void> | undefined;
  if (paths.includes('-')) {
    const row = await withStore((s) => createSource(s, '-', 'stdin', null, null, 0));
    stdinState = new SourceState(row, 'new', ing.maxLineBytes);
    const st = stdinState;
    tails.set('stdin', { path: '-', key: 'stdin', state: st } as unknown as Tail);
    stdinDone = (async () => {
      for await (const c of opts.stdin ?? process.stdin)
        ing.feed(st, typeof c === 'string' ? Buffer.from(c) : (c as Buffer));
      st.splitter.flushFinal((line) => ing.handleLine(st, line));
      wake?.();
    })();
  }

  /** Read new bytes of a tail up to its end. */
  const drain = async (t: Tail) => {
    const buf = Buffer.allocUnsafe(CHUNK);
    for (;;) {
      const { bytesRead } = await t.fh.read(buf, 0, CHUNK, t.pos);
      if (bytesRead === 0) break;
      t.pos += bytesRead;
      t.lastGrowth = Date.now();
      ing.feed(t.state, buf.subarray(0, bytesRead));
      if (ing.full) await commit();
    }
  };

  /** Does the open file still start with the bytes its source was fingerprinted with? */
  const truncated = async (t: Tail): Promise<boolean> => {
    const st = await t.fh.stat();
    if (st.size < t.pos) return true;
    const row = t.state.row;
    const n = Math.min(row.fp_len ?? 0, FINGERPRINT_BYTES);
    if (!row.fingerprint || n === 0) return false;
    const b = Buffer.alloc(n);
    const { bytesRead } = await t.fh.read(b, 0, n, 0);
    return bytesRead < n || fingerprintOf(b) !== row.fingerprint;
  };

  const release = async (t: Tail, status: string) => {
    tails.delete(t.key);
    await t.fh.close().catch(() => undefined);
    await withStore((s) => setSourceStatus(s, t.state.row.id, status));
  };

  const cycle = async () => {
    totals.cycles++;
    const reading = new Set([...tails.values()].map((t) => t.path));
    const {
      targets,
      errors: errs,
      skipped,
    } = expandTargets(fileArgs, {
      store: opts.dbPath,
      exclude: opts.exclude,
      known: (p) => reading.has(p),
    });
    for (const e of skipped) {
      if (!reported.has(e.path + e.reason)) {
        reported.add(e.path + e.reason);
        skippedFiles.push(e);
        opts.onSkip?.(e);
      }
    }
    for (const t of targets) if (t.kind === 'fifo') errs.push({ path: t.path, reason: FIFO_NOT_FOLLOWED }); // would block: refused
    for (const e of errs) {
      if (!reported.has(e.path + e.reason)) {
        reported.add(e.path + e.reason);
        errors.push(e);
        opts.onError?.(e);
      }
    }
    // 1. match paths to open tails; collect new files
    const seen = new Map<string, string>(); // key -> path
    const fresh: { path: string; key: string }[] = [];
    for (const t of targets) {
      let st: fs.Stats;
      try {
        st = fs.statSync(t.path);
      } catch {
        continue;
      }
      if (!st.isFile()) continue;
      const key = keyOf(st);
      seen.set(key, t.path);
      const tail = tails.get(key);
      if (tail) {
        if (tail.path !== t.path) {
          tail.path = t.path;
          renames.set(tail.state.row.id, t.path);
        }
        tail.detachedAt = 0;
      } else if (!doneGz.has(key)) fresh.push({ path: t.path, key });
    }
    // 2. truncation (copytruncate, rewrite): commit what was read, then start the file again
    for (const t of [...tails.values()]) {
      if (t.key === 'stdin') continue;
      if (await truncated(t)) {
        await drain(t).catch(() => undefined);
        await commit();
        await release(t, 'truncated');
        if (seen.has(t.key)) fresh.push({ path: seen.get(t.key)!, key: t.key });
      }
    }
    // 3. rotated or deleted files: drain through the open descriptor, release when quiet
    for (const t of [...tails.values()]) {
      if (t.key === 'stdin' || seen.has(t.key)) continue;
      t.detachedAt ||= Date.now();
      await drain(t);
      if (Date.now() - t.lastGrowth >= grace && Date.now() - t.detachedAt >= grace) {
        await commit();
        let gone = false;
        try {
          fs.statSync(t.path);
        } catch {
          gone = true;
        }
        await release(t, gone ? 'deleted' : 'rotated');
      }
    }
    // 4. new files: register (or resume) their sources; gzip archives are read whole
    if (fresh.length) {
      // Drain open files first so a rotated archive of one of them starts after what was read.
      for (const t of tails.values()) if (t.key !== 'stdin') await drain(t);
      await commit();
      const opened: Tail[] = [];
      await withStore(async (store) => {
        for (const f of fresh) {
          try {
            if (isGzipName(f.path)) {
              let data: Buffer;
              try {
                data = zlib.gunzipSync(fs.readFileSync(f.path));
              } catch {
                continue; // still being written: try again next cycle
              }
              const ident = identify(f.path);
              const { row, how } = await resolveSource(store, f.path, ident);
              const state = new SourceState(row, how, ing.maxLineBytes);
              if (row.offset < data.length) ing.feed(state, data.subarray(row.offset));
              state.splitter.flushFinal((line) => ing.handleLine(state, line));
              await ing.commit(store);
              totals.commits++;
              totals.lines += state.summary.lines;
              totals.stored += state.summary.stored;
              totals.rejected += state.summary.rejected;
              totals.duplicates += state.summary.duplicates;
              totals.skipped += state.summary.skipped;
              await setSourceStatus(store, row.id, 'done');
              doneGz.add(f.key);
              continue;
            }
            const fh = await fs.promises.open(f.path, 'r');
            const ident = identify(f.path);
            const resolved = await resolveSource(store, f.path, ident);
            let row = resolved.row;
            let how: string = resolved.how;
            if (how === 'new' && firstScan && opts.from === 'end') {
              await setSourceStart(store, row.id, ident.size);
              row = { ...row, start_offset: ident.size, offset: ident.size };
              how = 'end';
            }
            const state = new SourceState(row, how, ing.maxLineBytes);
            await seedWindow(fh, state);
            opened.push(new Tail(f.path, f.key, fh, state));
          } catch (e) {
            const err = { path: f.path, reason: (e as Error).message };
            if (!reported.has(err.path + err.reason)) {
              reported.add(err.path + err.reason);
              errors.push(err);
              opts.onError?.(err);
            }
          }
        }
      });
      for (const t of opened) tails.set(t.key, t);
    }
    firstScan = false;
    // 5. read what is new and commit
    for (const t of tails.values()) if (t.key !== 'stdin') await drain(t);
    await commit();
  };

  const status = (): FollowStatus => {
    const now = Date.now();
    const rate = ((totals.stored - lastStatus.stored) * 1000) / Math.max(1, now - lastStatus.t);
    lastStatus = { t: now, stored: totals.stored };
    const files: FileLag[] = [];
    for (const t of tails.values()) {
      if (t.key === 'stdin') continue;
      let size = t.pos;
      try {
        size = fs.statSync(t.path).size;
      } catch {
        /* gone */
      }
      files.push({
        path: t.path,
        source_id: t.state.row.id,
        offset: t.state.safeOffset,
        size,
        lag_bytes: Math.max(0, size - t.state.safeOffset),
      });
    }
    return { elapsed_s: Math.round((now - started) / 100) / 10, ...totals, rate: Math.round(rate), files };
  };

  try {
    while (!opts.signal?.aborted) {
      const t0 = Date.now();
      await cycle();
      opts.onStatus?.(status());
      const wait = flushMs - (Date.now() - t0);
      if (wait > 0 && !opts.signal?.aborted) {
        await Promise.race([sleep(wait, opts.signal), new Promise<void>((r) => (wake = r))]);
        // a change woke us: give the writer a moment to finish its block, but keep batches coming
        if (!opts.signal?.aborted) await sleep(Math.min(50, wait), opts.signal);
      }
      if (stdinDone && stdinState && fileArgs.length === 0) {
        const finished = await Promise.race([stdinDone.then(() => true), sleep(0).then(() => false)]);
        if (finished) break;
      }
    }
    // Stopping: commit what is complete.
    await cycle();
  } finally {
    await watcher?.close();
    for (const t of tails.values()) if (t.key !== 'stdin') await t.fh.close().catch(() => undefined);
  }
  const s = status();
  return {
    db: opts.dbPath,
    elapsed_s: s.elapsed_s,
    cycles: s.cycles,
    commits: s.commits,
    lines: s.lines,
    stored: s.stored,
    rejected: s.rejected,
    duplicates: s.duplicates,
    skipped: s.skipped,
    files: s.files,
    errors,
    skipped_files: skippedFiles,
  };
}
