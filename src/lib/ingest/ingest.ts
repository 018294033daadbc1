/**
 * Batch ingest: read every target from its committed offset, decode,
 * validate, and commit batches of events + rejects + offsets exactly once.
 */
import fs from 'node:fs';
import zlib from 'node:zlib';
import type { ClassifyOptions } from '../schema/index.js';
import { WINDOW_BYTES } from './window.js';
import { SourceState, LineHandler } from './accounting.js';
import {
  BLOCK_BYTES,
  BlockCutter,
  DEFAULT_WORKERS,
  ParsePool,
  removeStageFiles,
  type Block,
} from './blocks.js';
import type { BlockResult, BlockTask } from './parse-worker.js';
import { expandTargets, type PathError, type Target } from './paths.js';
import { openFifo } from './fifo.js';
import { createSource, identify, resolveSource } from './source.js';
import { DEFAULT_LOCK_TIMEOUT_MS, type Store } from '../store/open.js';
import { StoreFailure, storeFailure } from '../store/failure.js';
import { acquireLease } from '../store/lease.js';
import { InputError } from '../errors.js';
import { ROW_GROUP, Transaction, type BatchResult, type SourceProgress } from '../store/writer.js';
import type { LineCounts } from '../store/sources.js';
import { BLOCK_POSITIONS } from '../store/stage.js';

export { SourceState, LineHandler, type HeldState } from './accounting.js';

export interface IngestOptions extends ClassifyOptions {
  /** How long to wait for another ingester's lease on the store (ms; default 10 s). */
  leaseTimeoutMs?: number;
  /** What the lease says is writing (default `kcloud-log ingest`). */
  command?: string;
  /**
   * Events per commit in batch ingest (default: two DuckDB row groups, so
   * commits write whole row groups to the file rather than through the WAL).
   */
  batchSize?: number;
  /** Events per append to the open transaction (default FLUSH_EVENTS). */
  appendSize?: number;
  /** Commits of at least this many events are stored grouped by event type (default one row group). */
  groupMinRows?: number;
  maxLineBytes?: number;
  /** Called as bytes are read (each chunk of a file or stream), for progress display. */
  onProgress?: (p: IngestProgress) => void;
  /** Standard input, when a target is `-`. */
  stdin?: NodeJS.ReadableStream;
  /** `--exclude` patterns (see excluder in paths.ts). */
  exclude?: readonly string[];
  /**
   * Parse workers for regular files (default: one per core, at most 4; 0: parse on the main
   * thread). Files with less than `parallelMinBytes` to read (default 4 MiB) are parsed on the
   * main thread; `blockBytes` is the size of a block (default BLOCK_BYTES).
   */
  workers?: number;
  parallelMinBytes?: number;
  blockBytes?: number;
  /**
   * Only events are taken (the service's POSTs): what file ingest skips (plain text, JSON
   * without event_type) is a reject.
   */
  eventsOnly?: boolean;
  /** Only events of this type (POST /events/scheduling, ...): one of another type is a reject. */
  expectType?: string;
}

export interface IngestProgress {
  bytesRead: number;
  /** Sizes of the files to read (0 when only streams are read: stdin, a FIFO). */
  bytesTotal: number;
  /** Lines read so far (counted as they are read, not at commit). */
  lines: number;
  /** Valid events read so far (duplicates among them are known at commit). */
  events: number;
  /** Events stored by the commits so far. */
  stored: number;
  file: string;
}

export interface FileSummary extends LineCounts {
  path: string;
  source_id: number;
  /** new | resume | truncated | copy */
  how: string;
  start_offset: number;
  offset: number;
  /**
   * Lines before the start offset of a copy (a rotated, compressed or re-emitted file continuing
   * where its origin source stopped): read, and accounted for, through that source.
   */
  via_origin: number;
  /** Bytes after the last newline, not read until their line is complete. */
  partial_bytes: number;
}

export interface IngestResult extends LineCounts {
  db: string;
  files: number;
  /** Lines of copies before their start offset, read through their origin source (see FileSummary). */
  via_origin: number;
  seconds: number;
  events_per_second: number;
  errors: PathError[];
  /** Binary files, skipped whole: not read, not sources, their bytes counted nowhere. */
  skipped_files: PathError[];
  sources: FileSummary[];
}

const CHUNK = 1 << 20;
/** Events per append: small enough to hold in memory, large enough to amortise a duplicate check. */
export const FLUSH_EVENTS = 32_768;
/**
 * Bytes of lines per append: with large events a count-based append would hold gigabytes
 * (32,768 x 1 MiB) in JavaScript, so appends are cut by bytes as well (commits too, see
 * Transaction.needsCommit), and memory stays bounded whatever the events' size.
 */
export const APPEND_BYTES = 8 << 20;
/** Two DuckDB row groups. */
export const DEFAULT_BATCH = 2 * ROW_GROUP;

export class Ingester extends LineHandler {
  readonly batchSize: number;
  private blocks = 0;

  /** A new block number: stage positions are ordered by it (store/stage.ts BLOCK_POSITIONS). */
  nextBlock(): number {
    return this.blocks++;
  }

  constructor(opts: IngestOptions = {}) {
    super(opts);
    this.batchSize = opts.batchSize ?? DEFAULT_BATCH;
  }

  get pending(): number {
    return this.events.length + this.rejects.length + this.heldRows;
  }

  /** Block results taken for the next commit (`holdBlock`), and their events + rejects and bytes. */
  private heldBlocks: { s: SourceState; r: BlockResult }[] = [];
  private heldRows = 0;
  private heldBytes = 0;

  /** Account for the lines of a parse worker's result for source `s`, as `handleLine` would have. */
  private countBlock(s: SourceState, r: BlockResult): void {
    s.lines += r.lines;
    s.rejected += r.rejected;
    s.skipped += r.skipped;
    s.lineNo = r.lineNo;
    s.safeOffset = r.safeOffset;
    s.safeLineNo = r.safeLineNo;
    s.setHeld(r.held);
    this.linesRead += r.linesRead;
    this.eventsRead += r.events;
    this.dirty.add(s);
  }

  /** Stage a block result's stage files, and the events and rejects it carries, in the open transaction. */
  private async stageBlock(store: Store, s: SourceState, r: BlockResult): Promise<void> {
    this.txn ??= await Transaction.begin(store, { groupMinRows: this.opts.groupMinRows });
    for (const f of r.stageFiles) {
      await this.txn.appendStageFile(
        f.file,
        f.group,
        r.tags,
        new Map([[s.row.id, { rows: f.rows, bytes: f.bytes, large: f.large }]]),
      );
    }
    if (r.appended.length || r.rejects.length) await this.txn.appendAt(r.appended, r.rejects);
  }

  /**
   * Take the result of a parse worker for the next block of source `s` (results are taken in
   * block order): stage its events and rejects, and account for its lines as `handleLine` would
   * have. Commits when the transaction is full.
   */
  async acceptBlock(store: Store, s: SourceState, r: BlockResult): Promise<void> {
    this.countBlock(s, r);
    try {
      await this.stageBlock(store, s, r);
    } catch (e) {
      removeStageFiles(r);
      await this.txn?.abandon();
      this.endTransaction();
      throw storeFailure(e, store.path) ?? e;
    }
    await this.flush(store, false);
  }

  /**
   * The same, without a store at hand (follow mode: the store is the writer's, between commits):
   * the lines are accounted for now, and the result is staged by the next `flush`.
   */
  holdBlock(s: SourceState, r: BlockResult): void {
    this.countBlock(s, r);
    this.heldBlocks.push({ s, r });
    this.heldRows += r.events + r.rejects.length;
    for (const f of r.stageFiles) this.heldBytes += f.bytes;
  }

  /** What the last commit stored (its seqs, and per source what DuckDB refused). */
  lastBatch: BatchResult | undefined;

  /** Is there anything to commit? */
  get dirtySources(): number {
    return this.dirty.size;
  }

  /** The open transaction of batch ingest, and what it holds per source. */
  private txn: Transaction | undefined;
  private txnSources = new Map<SourceState, SourceProgress>();

  /**
   * Append what is pending to the open transaction (begun if need be); the
   * batch is taken synchronously, so reading can go on while it is written.
   * Commits when `commit` is set or the transaction holds `batchSize` events.
   */
  async flush(store: Store, commit: boolean): Promise<void> {
    const events = this.events;
    const rejects = this.rejects;
    const blocks = this.heldBlocks;
    const taken = [...this.dirty];
    this.events = [];
    this.rejects = [];
    this.heldBlocks = [];
    this.pendingBytes = this.heldRows = this.heldBytes = 0;
    this.dirty.clear();
    for (const s of taken) {
      const p = this.txnSources.get(s) ?? {
        id: s.row.id,
        offset: s.safeOffset,
        lines: 0,
        rejected: 0,
        skipped: 0,
      };
      p.offset = s.safeOffset;
      if (s.window && s.safeOffset !== s.windowOffset) {
        p.window = s.window.at(s.safeOffset);
        s.windowOffset = s.safeOffset;
      }
      p.lines += s.lines;
      p.rejected += s.rejected;
      p.skipped += s.skipped;
      this.txnSources.set(s, p);
      s.lines = s.rejected = s.skipped = 0;
    }
    if (!this.txn && !this.txnSources.size) return;
    try {
      this.txn ??= await Transaction.begin(store, { groupMinRows: this.opts.groupMinRows });
      if (rejects.length) await this.txn.append([], rejects, 0);
      for (const b of blocks) await this.stageBlock(store, b.s, b.r);
      // one block of stage positions per BLOCK_POSITIONS events
      for (let i = 0; i < events.length; i += BLOCK_POSITIONS) {
        await this.txn.append(events.slice(i, i + BLOCK_POSITIONS), [], this.nextBlock() * BLOCK_POSITIONS);
      }
      if (!commit && !this.txn.needsCommit(this.batchSize)) return;
      const sources = [...this.txnSources];
      const res = await this.txn.commit(sources.map(([, p]) => p));
      this.lastBatch = res;
      this.endTransaction();
      for (const [s, p] of sources) {
        const c = res.perSource.get(s.row.id) ?? { stored: 0, duplicates: 0, rejected: 0 };
        const sum = s.summary;
        sum.lines += p.lines;
        sum.rejected += p.rejected + c.rejected;
        sum.skipped += p.skipped;
        sum.stored += c.stored;
        sum.duplicates += c.duplicates;
        sum.offset = p.offset;
      }
    } catch (e) {
      for (const b of blocks) removeStageFiles(b.r); // those not staged yet
      await this.txn?.abandon();
      this.endTransaction();
      throw storeFailure(e, store.path) ?? e;
    }
  }

  private endTransaction(): void {
    this.txn = undefined;
    this.txnSources.clear();
  }

  /** Commit what is pending (events, rejects and the offsets of dirty sources). */
  async commit(store: Store): Promise<void> {
    await this.flush(store, true);
  }

  private inflight: Promise<void> | undefined;

  /**
   * Start appending the pending events while the caller reads on (DuckDB
   * works on its own threads); at most one append is in flight, and its
   * error surfaces at the next call or at `settle()`.
   */
  async commitBehind(store: Store): Promise<void> {
    await this.settle();
    const p = this.flush(store, false);
    p.catch(() => undefined);
    this.inflight = p;
  }

  /** Wait for the append in flight, if any. */
  async settle(): Promise<void> {
    const p = this.inflight;
    this.inflight = undefined;
    await p;
  }

  /** Feed a chunk of bytes of source `s`. */
  feed(s: SourceState, chunk: Buffer): void {
    s.splitter.push(chunk, (line) => this.handleLine(s, line));
    s.window?.push(chunk, s.safeOffset);
  }

  /** Enough pending to append (batch ingest) or to commit (follow mode): by count or by bytes. */
  get full(): boolean {
    return (
      this.pending >= Math.min(this.batchSize, this.opts.appendSize ?? FLUSH_EVENTS) ||
      this.pendingBytes + this.heldBytes >= APPEND_BYTES
    );
  }
}

/** Give a resumed source the bytes before its offset, so its next window is whole. */
export async function seedWindow(fh: fs.promises.FileHandle, s: SourceState): Promise<void> {
  const from = Math.max(0, s.row.offset - WINDOW_BYTES);
  if (!s.window || from === s.row.offset) return;
  const b = Buffer.alloc(s.row.offset - from);
  const { bytesRead } = await fh.read(b, 0, b.length, from);
  if (bytesRead === b.length) s.window.seed(b);
}

/** Read a regular file from its offset to its current end. */
async function readFile(
  ing: Ingester,
  s: SourceState,
  store: Store,
  onBytes: (n: number) => void,
): Promise<void> {
  const fh = await fs.promises.open(s.row.path, 'r');
  try {
    await seedWindow(fh, s);
    const buf = Buffer.allocUnsafe(CHUNK);
    let pos = s.row.offset;
    for (;;) {
      const { bytesRead } = await fh.read(buf, 0, CHUNK, pos);
      if (bytesRead === 0) break;
      pos += bytesRead;
      onBytes(bytesRead);
      ing.feed(s, buf.subarray(0, bytesRead));
      if (ing.full) await ing.commitBehind(store);
    }
  } finally {
    await fh.close();
  }
}

/**
 * The bytes of one source cut into blocks of whole lines (BlockCutter), parsed by the pool's
 * workers, and their results taken in block order by `take` (batch ingest stages them at once,
 * the follower holds them for its next commit). A block that continues a split line is parsed
 * again with the parts held. The bytes after the last newline wait in the cutter for the next
 * `push` (a file that grows).
 */
export class BlockFeed {
  private readonly cutter: BlockCutter;
  private readonly inflight: { block: Block; task: BlockTask; result: Promise<BlockResult> }[] = [];
  private nextLine: number;

  constructor(
    private readonly ing: Ingester,
    private readonly s: SourceState,
    private readonly pool: ParsePool,
    private readonly take: (r: BlockResult) => Promise<void> | void,
    offset = s.row.offset,
  ) {
    this.cutter = new BlockCutter(offset, ing.maxLineBytes);
    this.nextLine = s.lineNo;
  }

  /** Cut `chunk` (the bytes after the last pushed) and hand its whole lines to the workers. */
  push(chunk: Buffer): void {
    for (const block of this.cutter.push(chunk)) {
      const task: BlockTask = {
        blk: this.ing.nextBlock(),
        sourceId: this.s.row.id,
        path: this.s.row.path,
        startOffset: block.startOffset,
        startLine: this.nextLine,
        bytes: block.bytes,
        tooLong: block.tooLong,
        held: null,
        stageFile: this.pool.stageFile(),
      };
      this.nextLine += block.lines;
      const result = this.pool.run(task);
      result.catch(() => undefined);
      this.inflight.push({ block, task, result });
    }
  }

  /** Take results in order until at most `max` blocks are in the workers' hands. */
  async drain(max = 0): Promise<void> {
    while (this.inflight.length > max) {
      const { block, task, result } = this.inflight[0]!;
      let r = await result;
      const held = this.s.heldState();
      if (held) {
        // The block continues a split line: parse it again with the parts held.
        removeStageFiles(r);
        r = await this.pool.run({ ...task, held, stageFile: this.pool.stageFile() });
      }
      this.inflight.shift();
      // the window first: the commit `take` may make records the window at the new offset
      if (block.bytes) this.s.window?.push(block.bytes, r.safeOffset);
      else this.s.window?.skip(block.tooLong!.bytes + 1);
      await this.take(r);
    }
  }

  /** Bytes after the last newline, and the offset just past it. */
  get pendingBytes(): number {
    return this.cutter.pendingBytes;
  }

  get end(): number {
    return this.cutter.end;
  }

  /** Give up the blocks in flight (their stage files are removed when they arrive). */
  abandon(): void {
    for (const f of this.inflight.splice(0)) void f.result.then(removeStageFiles, () => undefined);
  }
}

/**
 * Read a regular file from its offset to its current end in blocks parsed by the pool's
 * workers (blocks.ts), taking their results in order.
 */
async function readFileParallel(
  ing: Ingester,
  s: SourceState,
  store: Store,
  pool: ParsePool,
  blockBytes: number,
  onBytes: (n: number) => void,
): Promise<void> {
  const fh = await fs.promises.open(s.row.path, 'r');
  const feed = new BlockFeed(ing, s, pool, async (r) => {
    await ing.acceptBlock(store, s, r);
    onBytes(0); // the lines and events counted so far (bytes were reported as they were read)
  });
  try {
    await seedWindow(fh, s);
    let pos = s.row.offset;
    for (;;) {
      const buf = Buffer.allocUnsafe(blockBytes);
      const { bytesRead } = await fh.read(buf, 0, blockBytes, pos);
      if (bytesRead === 0) break;
      pos += bytesRead;
      onBytes(bytesRead);
      feed.push(buf.subarray(0, bytesRead));
      await feed.drain(pool.size * 3);
    }
    await feed.drain();
  } finally {
    feed.abandon();
    await fh.close();
  }
  s.tailBytes = feed.pendingBytes;
  s.readEnd = feed.end;
}

/** Read a whole stream (gzip archive, stdin), skipping the first `skip` bytes. */
export async function readStream(
  ing: Ingester,
  s: SourceState,
  stream: NodeJS.ReadableStream,
  skip: number,
  onBytes: (n: number) => void,
  commit: () => Promise<void>,
) {
  let toSkip = skip;
  for await (const c of stream) {
    let chunk = typeof c === 'string' ? Buffer.from(c) : (c as Buffer);
    if (toSkip > 0) {
      if (chunk.length <= toSkip) {
        toSkip -= chunk.length;
        continue;
      }
      chunk = chunk.subarray(toSkip);
      toSkip = 0;
    }
    onBytes(chunk.length);
    ing.feed(s, chunk);
    if (ing.full) await commit();
  }
  // A complete stream: its last line needs no newline.
  s.splitter.flushFinal((line) => ing.handleLine(s, line));
}

/** Ingest `paths` (files, directories, globs, `-`) into the store. */
export async function ingestPaths(
  store: Store,
  paths: readonly string[],
  opts: IngestOptions = {},
): Promise<IngestResult> {
  const lease = await acquireLease(store.path, {
    timeoutMs: opts.leaseTimeoutMs ?? DEFAULT_LOCK_TIMEOUT_MS,
    command: opts.command ?? 'kcloud-log ingest',
  });
  try {
    return await ingestUnderLease(store, paths, opts);
  } finally {
    lease.release();
  }
}

async function ingestUnderLease(
  store: Store,
  paths: readonly string[],
  opts: IngestOptions,
): Promise<IngestResult> {
  const started = performance.now();
  const { targets, errors, skipped } = expandTargets(paths, { store: store.path, exclude: opts.exclude });
  const ing = new Ingester(opts);
  const commit = async () => {
    await ing.settle();
    await ing.commit(store);
  };
  const behind = () => ing.commitBehind(store);
  const summaries: FileSummary[] = [];
  let bytesTotal = 0;
  const sizes = new Map<Target, number>();
  for (const t of targets) {
    if (t.kind === 'file') {
      try {
        const size = fs.statSync(t.path).size;
        sizes.set(t, size);
        bytesTotal += size;
      } catch {
        /* reported when read */
      }
    }
  }
  let bytesRead = 0;
  let stored = 0;
  let pool: ParsePool | undefined;
  try {
    for (const t of targets) {
      let state: SourceState;
      const onBytes = (n: number) => {
        bytesRead += n;
        opts.onProgress?.({
          bytesRead,
          bytesTotal,
          lines: ing.linesRead,
          events: ing.eventsRead,
          stored: stored + (state?.summary.stored ?? 0),
          file: t.path,
        });
      };
      try {
        if (t.kind === 'stdin' || t.kind === 'fifo') {
          // A FIFO is a stream like standard input (src/lib/ingest/fifo.ts), kept as a source with its path.
          const input = t.kind === 'fifo' ? await openFifo(t.path) : (opts.stdin ?? process.stdin);
          const row = await createSource(store, t.path, 'stdin', null, null, 0);
          state = new SourceState(row, 'new', ing.maxLineBytes);
          await readStream(ing, state, input, 0, onBytes, behind);
        } else {
          const ident = identify(t.path);
          const { row, how } = await resolveSource(store, t.path, ident);
          state = new SourceState(row, how, ing.maxLineBytes);
          if (ident.gzip) {
            const gunzip = fs.createReadStream(t.path).pipe(zlib.createGunzip());
            await readStream(ing, state, gunzip, row.offset, onBytes, behind);
          } else {
            bytesRead += row.offset;
            const left = (sizes.get(t) ?? 0) - row.offset;
            const workers = opts.workers ?? DEFAULT_WORKERS;
            if (workers > 0 && left >= (opts.parallelMinBytes ?? 4 << 20)) {
              pool ??= new ParsePool(workers, {
                host: ing.host,
                ingestedAt: ing.ingestedAt,
                strict: opts.strict === true,
                maxLineBytes: ing.maxLineBytes,
              });
              await readFileParallel(ing, state, store, pool, opts.blockBytes ?? BLOCK_BYTES, onBytes);
            } else {
              await readFile(ing, state, store, onBytes);
            }
          }
        }
      } catch (e) {
        // A file that cannot be read (missing, unreadable, corrupt gzip) is reported and skipped;
        // anything else (the database failing) stops the ingest: nothing of the open batch is committed.
        if (e instanceof StoreFailure) throw e;
        if (typeof (e as NodeJS.ErrnoException).code !== 'string' && !(e instanceof InputError)) throw e;
        errors.push({
          path: t.path,
          reason: (e as NodeJS.ErrnoException).code === 'ENOENT' ? 'no such file' : (e as Error).message,
        });
        continue;
      }
      await commit();
      state.summary.partial_bytes = state.partialBytes;
      summaries.push(state.summary);
      stored += state.summary.stored;
    }
    await commit();
  } finally {
    await pool?.close();
  }
  const sum = (k: keyof FileSummary) => summaries.reduce((a, s) => a + (s[k] as number), 0);
  const seconds = (performance.now() - started) / 1000;
  return {
    db: store.path,
    files: summaries.length,
    lines: sum('lines'),
    stored: sum('stored'),
    rejected: sum('rejected'),
    duplicates: sum('duplicates'),
    skipped: sum('skipped'),
    via_origin: sum('via_origin'),
    seconds: Math.round(seconds * 1000) / 1000,
    events_per_second: seconds > 0 ? Math.round(sum('stored') / seconds) : 0,
    errors,
    skipped_files: skipped,
    sources: summaries,
  };
}
