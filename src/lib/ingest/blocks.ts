/**
 * Reading a file in blocks parsed by worker threads (parse-worker.ts), while
 * the main thread keeps DuckDB busy.
 *
 * The main thread reads the file, cuts it into blocks of whole lines
 * (`BlockCutter`; a line longer than --max-line-bytes travels as its length
 * and first bytes only), numbers them, and hands them to the pool. Results
 * are taken in block order, so the accounting is exactly that of reading the
 * file line by line: a block is parsed as if nothing were held before it, and
 * when the block before it ended inside a split line (CRI `P` parts, Docker's
 * 16 KiB records), it is parsed again with those parts. Each result's events
 * are in a stage file DuckDB loads (store/writer.ts); the file is removed as
 * soon as it is loaded, and the pool's directory when the pool closes (a
 * killed process's directory is removed by the next pool).
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { Worker } from 'node:worker_threads';
import type { BlockResult, BlockTask, WorkerReply, WorkerSetup } from './parse-worker.js';
import { diskFull } from '../store/failure.js';
import { PREVIEW_BYTES, keepPreview } from './lines.js';

/** Parse workers by default: one per core, at most 4. */
export const DEFAULT_WORKERS = Math.min(4, os.availableParallelism());

/** Bytes read at a time, and so the size of a block (plus the line it cuts). */
export const BLOCK_BYTES = 2 << 20;

/** One block: whole lines, or one line too long to carry. */
export interface Block {
  startOffset: number;
  /** Lines in the block (its newlines). */
  lines: number;
  bytes?: Buffer;
  tooLong?: { bytes: number; preview: Buffer };
}

/** Cut a byte stream into blocks of whole lines, keeping what follows the last newline. */
export class BlockCutter {
  private parts: Buffer[] = [];
  private partLen = 0;
  /** The line being held is longer than the limit: only its first bytes are kept. */
  private overflow = false;

  constructor(
    private offset: number,
    private readonly maxLineBytes: number,
  ) {}

  /** Bytes after the last newline. */
  get pendingBytes(): number {
    return this.partLen;
  }

  /** Offset just past the last newline handed out. */
  get end(): number {
    return this.offset;
  }

  push(chunk: Buffer): Block[] {
    const out: Block[] = [];
    const last = chunk.lastIndexOf(10);
    if (last === -1) {
      this.hold(chunk);
      return out;
    }
    let from = 0;
    if (this.overflow) {
      // the long line ends at the first newline
      const nl = chunk.indexOf(10);
      const len = this.partLen + nl;
      const preview = keepPreview(this.parts[0]!, chunk.subarray(0, nl));
      out.push({ startOffset: this.offset, lines: 1, tooLong: { bytes: len, preview } });
      this.offset += len + 1;
      this.parts = [];
      this.partLen = 0;
      this.overflow = false;
      from = nl + 1;
    }
    if (from <= last) {
      const body = chunk.subarray(from, last + 1);
      const bytes = this.partLen ? Buffer.concat([...this.parts, body]) : Buffer.from(body);
      out.push({ startOffset: this.offset, lines: countLines(body), bytes });
      this.offset += bytes.length;
      this.parts = [];
      this.partLen = 0;
    }
    if (last + 1 < chunk.length) this.hold(chunk.subarray(last + 1));
    return out;
  }

  private hold(b: Buffer): void {
    if (this.overflow) {
      this.partLen += b.length;
      this.parts[0] = keepPreview(this.parts[0]!, b);
      return;
    }
    this.parts.push(Buffer.from(b));
    this.partLen += b.length;
    if (this.partLen > this.maxLineBytes) {
      this.parts = [Buffer.concat(this.parts).subarray(0, PREVIEW_BYTES)];
      this.overflow = true;
    }
  }
}

function countLines(b: Buffer): number {
  let n = 0;
  for (let i = b.indexOf(10); i !== -1; i = b.indexOf(10, i + 1)) n++;
  return n;
}

/**
 * Free space /dev/shm must have for stage files to go there. The files of the blocks in flight
 * take a few tens of MB (2 MiB blocks, three per worker), but /dev/shm is often small (64 MB in
 * a container by default) and shared; with less than this free, stage files go to the temporary
 * directory on disk, which is what a full /dev/shm falls back to as well (parse-worker.ts).
 */
export const SHM_MIN_FREE = 256 << 20;

/** Free bytes of the file system holding `dir`, or undefined when it cannot be told. */
function freeBytes(dir: string): number | undefined {
  try {
    const s = fs.statfsSync(dir);
    return s.bavail * s.bsize;
  } catch {
    return undefined;
  }
}

/**
 * Where stage files go, in order of preference: memory (/dev/shm) when the machine has it with
 * room to spare, then the temporary directory (TMPDIR).
 */
export function stageRoots(
  shm = '/dev/shm',
  free: (dir: string) => number | undefined = freeBytes,
): string[] {
  const tmp = os.tmpdir();
  try {
    fs.accessSync(shm, fs.constants.W_OK);
    if ((free(shm) ?? 0) >= SHM_MIN_FREE && path.resolve(shm) !== path.resolve(tmp)) return [shm, tmp];
  } catch {
    /* no /dev/shm */
  }
  return [tmp];
}

const DIR_PREFIX = 'kcloud-log-stage-';

/** A stage directory of this process in each root (first removing those of dead processes there, if `clean`). */
function stageDirs(roots: string[], clean: boolean): string[] {
  return roots.map((root) => {
    if (clean) removeStale(root);
    return fs.mkdtempSync(path.join(root, `${DIR_PREFIX}${process.pid}-`));
  });
}

/** The stage roots this process keeps to (pinStageRoots), if any. */
let pinned: string[] | undefined;

/**
 * Keep this process's stage files in directories of its own, made now, one per stage root:
 * a long-running process (the service) tells DuckDB that these are the only files it may read
 * (serve/sandbox.ts). They are named as stage directories are, so that a killed process's are
 * removed by the next ingest; `unpin` removes them.
 */
export function pinStageRoots(): { dirs: string[]; unpin: () => void } {
  const dirs = stageDirs(stageRoots(), true);
  pinned = dirs;
  return {
    dirs,
    unpin: () => {
      if (pinned === dirs) pinned = undefined;
      for (const d of dirs) fs.rmSync(d, { recursive: true, force: true });
    },
  };
}

/** Remove the stage directories of processes that are gone (killed before they could). */
function removeStale(root: string): void {
  let names: string[];
  try {
    names = fs.readdirSync(root);
  } catch {
    return;
  }
  for (const n of names) {
    if (!n.startsWith(DIR_PREFIX)) continue;
    const pid = Number(n.slice(DIR_PREFIX.length).split('-')[0]);
    if (!Number.isInteger(pid) || pid === process.pid) continue;
    try {
      process.kill(pid, 0);
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code === 'ESRCH')
        fs.rmSync(path.join(root, n), { recursive: true, force: true });
    }
  }
}

/** The worker's module: the built one, also when this module runs from the TypeScript sources (tests). */
function workerUrl(): URL {
  const here = new URL('./parse-worker.js', import.meta.url);
  if (!import.meta.url.endsWith('.ts')) return here;
  return new URL(here.href.replace('/src/lib/ingest/', '/dist/lib/ingest/'));
}

interface Job {
  task: BlockTask;
  resolve: (r: BlockResult) => void;
  reject: (e: Error) => void;
}

/** A fixed set of parse workers taking block tasks in turn. */
export class ParsePool {
  private readonly idle: Worker[] = [];
  private readonly all: Worker[] = [];
  private readonly queue: Job[] = [];
  private readonly running = new Map<Worker, Job>();
  /** The stage directories, preferred first (stageRoots); a full one falls back to the next. */
  readonly dirs: string[];
  private n = 0;
  private failed: Error | undefined;

  constructor(size: number, setup: WorkerSetup) {
    this.dirs = pinned ? stageDirs(pinned, false) : stageDirs(stageRoots(), true);
    for (let i = 0; i < size; i++) {
      const w = new Worker(workerUrl(), { workerData: setup });
      w.unref();
      w.on('message', (m: WorkerReply) => {
        const job = this.running.get(w)!;
        this.running.delete(w);
        this.idle.push(w);
        if (m.ok) job.resolve(m.result);
        else if (m.noSpace) job.reject(diskFull(`stage files in ${this.dirs.join(' and ')}`, m.noSpace));
        else job.reject(new Error(`parse worker failed: ${m.error}`));
        this.next();
      });
      w.on('error', (e) => this.fail(e));
      w.on('exit', (code) => {
        if (code !== 0) this.fail(new Error(`parse worker exited with code ${code}`));
      });
      this.all.push(w);
      this.idle.push(w);
    }
  }

  get size(): number {
    return this.all.length;
  }

  /** A fresh stage file name, in each stage directory (where to write it, preferred first). */
  stageFile(): string[] {
    const name = `${++this.n}.tsv`;
    return this.dirs.map((d) => path.join(d, name));
  }

  run(task: BlockTask): Promise<BlockResult> {
    if (this.failed) return Promise.reject(this.failed);
    return new Promise((resolve, reject) => {
      this.queue.push({ task, resolve, reject });
      this.next();
    });
  }

  private next(): void {
    while (this.idle.length && this.queue.length) {
      const w = this.idle.pop()!;
      const job = this.queue.shift()!;
      this.running.set(w, job);
      w.ref();
      w.postMessage(job.task);
    }
    for (const w of this.idle) w.unref();
  }

  private fail(e: Error): void {
    this.failed ??= e;
    for (const job of [...this.running.values(), ...this.queue]) job.reject(e);
    this.running.clear();
    this.queue.length = 0;
  }

  async close(): Promise<void> {
    this.failed ??= new Error('the parse pool is closed');
    await Promise.all(this.all.map((w) => w.terminate()));
    for (const d of this.dirs) fs.rmSync(d, { recursive: true, force: true });
  }
}

/** Remove the stage files of a result (no longer needed). */
export function removeStageFiles(r: BlockResult): void {
  for (const f of r.stageFiles) fs.rmSync(f.file, { force: true });
}
