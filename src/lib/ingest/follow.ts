/**
 * Follow mode: tail files, directories and globs for days.
 *
 * Every cycle (each --flush-interval, or sooner when chokidar reports a
 * change) the targets are listed again, each file is matched to the file it
 * was by device + inode, new bytes are read up to the last complete line,
 * and one batch is committed. The database is opened only to commit (and to
 * register new files) and closed right after, so readers can open it
 * read-only between commits; or, under `kcloud-log serve`, every write goes
 * through the `writer` of a store that process keeps open (store/shared.ts).
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
 *
 * The parts: `Follower` runs the cycles (`cycle()` is the list of steps);
 * each open file is a `FileTail` (tail-file.ts: its position, growth, detach
 * time, reading and truncation check); standard input is a `StdinSource`
 * (tail-stdin.ts); every statement on `sources` is in store/sources.ts.
 */
import fs from 'node:fs';
import zlib from 'node:zlib';
import chokidar, { type FSWatcher } from 'chokidar';
import { sleep } from '../sleep.js';
import { Ingester, SourceState, type IngestOptions } from './ingest.js';
import { excluder, expandTargets, watchRoot, type PathError } from './paths.js';
import { createSource, identify, isGzipName, resolveSource } from './source.js';
import { FileTail, keyOf, type FileLag } from './tail-file.js';
import { StdinSource } from './tail-stdin.js';
import { DEFAULT_WORKERS, ParsePool } from './blocks.js';
import { DEFAULT_LOCK_TIMEOUT_MS, openStore, type OpenOptions, type Store } from '../store/open.js';
import { setSourcePath, setSourceStart, setSourceStatus } from '../store/sources.js';
import { acquireLease } from '../store/lease.js';
import type { StoreWriter } from '../store/shared.js';

export type { FileLag };

export interface FollowOptions extends IngestOptions {
  dbPath: string;
  open?: OpenOptions;
  /**
   * A store kept open by this process (`serve`): each write (a commit, new sources, a status)
   * runs through it, one at a time with the process's other writes, instead of an open and close.
   */
  writer?: StoreWriter;
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

const FIFO_NOT_FOLLOWED =
  'a FIFO (named pipe) is not followed; ingest it without --follow, or pipe it: cat FIFO | kcloud-log ingest --follow -';

export async function follow(paths: readonly string[], opts: FollowOptions): Promise<FollowResult> {
  const lease = await acquireLease(opts.dbPath, {
    timeoutMs: opts.open?.lockTimeoutMs ?? DEFAULT_LOCK_TIMEOUT_MS,
    command: opts.command ?? 'kcloud-log ingest --follow',
    signal: opts.signal,
  });
  try {
    return await new Follower(paths, opts).run();
  } finally {
    lease.release();
  }
}

/** A followed path found this cycle, by the device + inode of the file it names. */
interface Found {
  path: string;
  key: string;
}

type Totals = Omit<FollowStatus, 'elapsed_s' | 'rate' | 'files'>;
const COUNTS = ['lines', 'stored', 'rejected', 'duplicates', 'skipped'] as const;

/** Watch the roots of the followed paths, so a change starts the next cycle early. */
function watchTargets(
  fileArgs: readonly string[],
  opts: FollowOptions,
  flushMs: number,
  onChange: () => void,
) {
  if (!fileArgs.length) return undefined;
  const watcher: FSWatcher = chokidar.watch(
    fileArgs.map((p) => watchRoot(p)),
    {
      ignoreInitial: true,
      usePolling: opts.poll,
      interval: Math.min(flushMs, 500),
      followSymlinks: true,
      ignored: excluder(opts.exclude),
    },
  );
  watcher.on('all', onChange);
  watcher.on('error', () => undefined);
  return watcher;
}

/** One run of follow mode, under the store's ingest lease: a cycle every flush interval until stopped. */
class Follower {
  private readonly started = Date.now();
  private readonly flushMs: number;
  private readonly graceMs: number;
  private readonly ing: Ingester;
  private readonly fileArgs: string[];
  /** Open files by device + inode. */
  private readonly tails = new Map<string, FileTail>();
  private stdin: StdinSource | undefined;
  /** gzip archives already read whole (by device + inode). */
  private readonly doneGz = new Set<string>();
  /** Source id -> its file's new name, recorded with the next commit. */
  private readonly renames = new Map<number, string>();
  private readonly errors: PathError[] = [];
  private readonly skippedFiles: PathError[] = [];
  private readonly reported = new Set<string>();
  private readonly totals: Totals = {
    cycles: 0,
    commits: 0,
    lines: 0,
    stored: 0,
    rejected: 0,
    duplicates: 0,
    skipped: 0,
  };
  private firstScan = true;
  /** The parse workers of the followed files' growth (made with the first file; none with workers: 0). */
  private pool: ParsePool | undefined;
  private wake: (() => void) | undefined;
  private lastStatus = { t: Date.now(), stored: 0 };

  constructor(
    private readonly paths: readonly string[],
    private readonly opts: FollowOptions,
  ) {
    this.flushMs = opts.flushIntervalMs ?? 1000;
    this.graceMs = opts.drainGraceMs ?? 5000;
    this.ing = new Ingester(opts);
    this.fileArgs = paths.filter((p) => p !== '-');
  }

  async run(): Promise<FollowResult> {
    const watcher = watchTargets(this.fileArgs, this.opts, this.flushMs, () => this.wake?.());
    try {
      if (this.paths.includes('-')) this.stdin = await this.openStdin();
      while (!this.opts.signal?.aborted) {
        const t0 = Date.now();
        await this.cycle();
        this.opts.onStatus?.(this.status());
        await this.pause(this.flushMs - (Date.now() - t0));
        if (await this.onlyStdinAndEnded()) break;
      }
      // Stopping: commit what is complete.
      await this.cycle();
      await this.settle();
    } finally {
      await this.settle().catch(() => undefined); // a failed commit's error is the one thrown
      await watcher?.close();
      for (const t of this.tails.values()) await t.close();
      await this.pool?.close();
    }
    return this.result();
  }

  /** One cycle: find the files, follow them through renames, truncation and deletion, read, commit. */
  private async cycle(): Promise<void> {
    this.totals.cycles++;
    const { seen, fresh } = this.match(this.discover());
    await this.restartTruncated(seen, fresh);
    await this.drainDetached(seen);
    if (fresh.length) await this.register(fresh);
    this.firstScan = false;
    await this.readGrowth();
    await this.commitBehind();
  }

  /** List the followed paths again; report what cannot be followed (once per path and reason). */
  private discover(): string[] {
    const open = new Set([...this.tails.values()].map((t) => t.path));
    const { targets, errors, skipped } = expandTargets(this.fileArgs, {
      store: this.opts.dbPath,
      exclude: this.opts.exclude,
      known: (p) => open.has(p),
    });
    for (const e of skipped) this.report(e, this.skippedFiles, this.opts.onSkip);
    const fifos = targets.filter((t) => t.kind === 'fifo'); // would block: refused
    for (const t of fifos) errors.push({ path: t.path, reason: FIFO_NOT_FOLLOWED });
    for (const e of errors) this.report(e, this.errors, this.opts.onError);
    return targets.filter((t) => t.kind !== 'fifo').map((t) => t.path);
  }

  private report(e: PathError, list: PathError[], callback?: (e: PathError) => void): void {
    if (this.reported.has(e.path + e.reason)) return;
    this.reported.add(e.path + e.reason);
    list.push(e);
    callback?.(e);
  }

  /** Match each path to the open file it names (noting renames); the files not open yet are fresh. */
  private match(paths: string[]): { seen: Map<string, string>; fresh: Found[] } {
    const seen = new Map<string, string>(); // key -> path
    const fresh: Found[] = [];
    for (const p of paths) {
      let st: fs.Stats;
      try {
        st = fs.statSync(p);
      } catch {
        continue;
      }
      if (!st.isFile()) continue;
      const key = keyOf(st);
      seen.set(key, p);
      const tail = this.tails.get(key);
      if (tail) {
        if (tail.foundAt(p)) this.renames.set(tail.state.row.id, p);
      } else if (!this.doneGz.has(key)) fresh.push({ path: p, key });
    }
    return { seen, fresh };
  }

  /** Truncated or rewritten files (copytruncate): commit what was read, then read the file again from 0. */
  private async restartTruncated(seen: Map<string, string>, fresh: Found[]): Promise<void> {
    for (const t of [...this.tails.values()]) {
      if (!(await t.truncated())) continue;
      await t.readGrowth(this.ing, () => this.commit()).catch(() => undefined);
      await this.commit();
      await this.release(t, 'truncated');
      const p = seen.get(t.key);
      if (p !== undefined) fresh.push({ path: p, key: t.key });
    }
  }

  /** Rotated or deleted files: read on through the open descriptor, release them once quiet. */
  private async drainDetached(seen: Map<string, string>): Promise<void> {
    for (const t of [...this.tails.values()]) {
      if (seen.has(t.key)) continue;
      t.detach();
      await t.readGrowth(this.ing, () => this.commit());
      if (!t.drained(this.graceMs)) continue;
      await this.commit();
      await this.release(t, t.pathGone() ? 'deleted' : 'rotated');
    }
  }

  /** New files: register (or resume) their sources and open them; gzip archives are read whole. */
  private async register(fresh: Found[]): Promise<void> {
    // Read open files first so a rotated archive of one of them starts after what was read.
    await this.readGrowth();
    await this.commit();
    const opened: FileTail[] = [];
    await this.withStore(async (store) => {
      for (const f of fresh) {
        try {
          if (isGzipName(f.path)) await this.readArchive(store, f);
          else opened.push(await this.openFile(store, f));
        } catch (e) {
          this.report({ path: f.path, reason: (e as Error).message }, this.errors, this.opts.onError);
        }
      }
    });
    for (const t of opened) this.tails.set(t.key, t);
  }

  /** Open a new file at its source's offset (at its end with `--from end` at start-up). */
  private async openFile(store: Store, f: Found): Promise<FileTail> {
    const tail = await this.openTail(store, f);
    const workers = this.opts.workers ?? DEFAULT_WORKERS;
    if (workers > 0) {
      this.pool ??= new ParsePool(workers, {
        host: this.ing.host,
        ingestedAt: this.ing.ingestedAt,
        strict: this.opts.strict === true,
        maxLineBytes: this.ing.maxLineBytes,
      });
      tail.useWorkers(this.ing, this.pool);
    }
    return tail;
  }

  private openTail(store: Store, f: Found): Promise<FileTail> {
    return FileTail.open(f.path, f.key, async () => {
      const ident = identify(f.path);
      const resolved = await resolveSource(store, f.path, ident);
      let row = resolved.row;
      let how: string = resolved.how;
      if (how === 'new' && this.firstScan && this.opts.from === 'end') {
        await setSourceStart(store, row.id, ident.size);
        row = { ...row, start_offset: ident.size, offset: ident.size };
        how = 'end';
      }
      return new SourceState(row, how, this.ing.maxLineBytes);
    });
  }

  /** Read a gzip archive whole, from its source's offset, and mark it done; one still being written waits. */
  private async readArchive(store: Store, f: Found): Promise<void> {
    let data: Buffer;
    try {
      data = zlib.gunzipSync(fs.readFileSync(f.path));
    } catch {
      return; // still being written: try again next cycle
    }
    const { row, how } = await resolveSource(store, f.path, identify(f.path));
    const state = new SourceState(row, how, this.ing.maxLineBytes);
    if (row.offset < data.length) this.ing.feed(state, data.subarray(row.offset));
    state.splitter.flushFinal((line) => this.ing.handleLine(state, line));
    await this.counted([...this.states(), state], () => this.ing.commit(store));
    await setSourceStatus(store, row.id, 'done');
    this.doneGz.add(f.key);
  }

  /** Read what is new in every open file. */
  private async readGrowth(): Promise<void> {
    for (const t of this.tails.values()) await t.readGrowth(this.ing, () => this.commitBehind());
  }

  /** The commit in flight (commitBehind), if any. */
  private inflight: Promise<void> | undefined;

  /** Wait for the commit in flight; its error, if it failed, is thrown here. */
  private async settle(): Promise<void> {
    const p = this.inflight;
    this.inflight = undefined;
    await p;
  }

  /**
   * Start committing what is complete and go on reading: the next batch is read, split and
   * validated on this thread while DuckDB writes this one on its own threads (the Ingester
   * takes a batch synchronously when its commit starts). At most one commit is in flight.
   */
  private async commitBehind(): Promise<void> {
    await this.settle();
    const p = this.commitNow();
    p.catch(() => undefined); // surfaces at the next settle()
    this.inflight = p;
  }

  /** Commit what is complete, and the new names of renamed files, and wait for it. */
  private async commit(): Promise<void> {
    await this.settle();
    await this.commitNow();
  }

  private async commitNow(): Promise<void> {
    if (!this.ing.pending && !this.ing.dirtySources && !this.renames.size) return;
    await this.counted(this.states(), () =>
      this.withStore(async (s) => {
        // taken now: renames found while this commit runs go with the next one
        const renames = [...this.renames];
        this.renames.clear();
        try {
          await this.ing.commit(s);
          for (const [id, p] of renames) await setSourcePath(s, id, p);
        } catch (e) {
          for (const [id, p] of renames) if (!this.renames.has(id)) this.renames.set(id, p);
          throw e;
        }
      }),
    );
  }

  /** Run a commit, adding what it stored, rejected, ... of `states` to the totals. */
  private async counted(states: SourceState[], commit: () => Promise<void>): Promise<void> {
    const before = states.map((s) => ({ ...s.summary }));
    await commit();
    this.totals.commits++;
    states.forEach((s, i) => {
      for (const k of COUNTS) this.totals[k] += s.summary[k] - before[i]![k];
    });
  }

  private states(): SourceState[] {
    const files = [...this.tails.values()].map((t) => t.state);
    return this.stdin ? [...files, this.stdin.state] : files;
  }

  private async release(t: FileTail, status: string): Promise<void> {
    this.tails.delete(t.key);
    await t.close();
    await this.withStore((s) => setSourceStatus(s, t.state.row.id, status));
  }

  /**
   * The store, open only for `fn` (or the writer's, kept open). A follower never gives up on the
   * lock: readers hold it only for moments.
   */
  private async withStore<T>(fn: (s: Store) => Promise<T>): Promise<T> {
    if (this.opts.writer) return this.opts.writer.write(fn);
    const store = await openStore(this.opts.dbPath, {
      ...this.opts.open,
      lockTimeoutMs: Number.POSITIVE_INFINITY,
    });
    try {
      return await fn(store);
    } finally {
      store.close();
    }
  }

  /** Standard input as a source, read concurrently, committed with the rest. */
  private async openStdin(): Promise<StdinSource> {
    const row = await this.withStore((s) => createSource(s, '-', 'stdin', null, null, 0));
    const state = new SourceState(row, 'new', this.ing.maxLineBytes);
    return new StdinSource(state, this.ing, this.opts.stdin ?? process.stdin, () => this.wake?.());
  }

  /** Only standard input is followed and it has ended: nothing more will come. */
  private async onlyStdinAndEnded(): Promise<boolean> {
    return !!this.stdin && this.fileArgs.length === 0 && (await this.stdin.ended());
  }

  /** Wait until the next cycle is due, or a change wakes us. */
  private async pause(waitMs: number): Promise<void> {
    const signal = this.opts.signal;
    if (waitMs <= 0 || signal?.aborted) return;
    await Promise.race([sleep(waitMs, signal), new Promise<void>((r) => (this.wake = r))]);
    // a change woke us: give the writer a moment to finish its block, but keep batches coming
    if (!signal?.aborted) await sleep(Math.min(50, waitMs), signal);
  }

  private status(): FollowStatus {
    const now = Date.now();
    const rate =
      ((this.totals.stored - this.lastStatus.stored) * 1000) / Math.max(1, now - this.lastStatus.t);
    this.lastStatus = { t: now, stored: this.totals.stored };
    return {
      elapsed_s: Math.round((now - this.started) / 100) / 10,
      ...this.totals,
      rate: Math.round(rate),
      files: [...this.tails.values()].map((t) => t.lag()),
    };
  }

  private result(): FollowResult {
    const { rate: _rate, ...s } = this.status();
    return { db: this.opts.dbPath, ...s, errors: this.errors, skipped_files: this.skippedFiles };
  }
}
