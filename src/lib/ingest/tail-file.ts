/**
 * One file followed by `ingest --follow`: its open descriptor, the position
 * read up to, when it last grew and when its path stopped naming it.
 *
 * The file is known by device + inode (`keyOf`), so a rotated (renamed) or
 * deleted file is still read through the descriptor until it has been quiet
 * for the drain grace; the follower (follow.ts) decides when, this class only
 * answers for its own file.
 */
import fs from 'node:fs';
import { BlockFeed, seedWindow, type Ingester, type SourceState } from './ingest.js';
import type { ParsePool } from './blocks.js';
import { FINGERPRINT_BYTES, fingerprintOf } from './source.js';

const CHUNK = 1 << 20;
/** Blocks a file may have in the parse workers' hands while it is read on. */
const WORKER_AHEAD = 4;

/** How far behind one followed file is (FollowStatus.files). */
export interface FileLag {
  path: string;
  source_id: number;
  offset: number;
  size: number;
  lag_bytes: number;
}

/** A file's identity while it is open: device + inode. */
export const keyOf = (st: { dev: number | bigint; ino: number | bigint }): string => `${st.dev}:${st.ino}`;

export class FileTail {
  /** Offset of the next byte to read. */
  private pos: number;
  /** When the file's path stopped naming it (0: still in place). */
  private detachedAt = 0;
  private lastGrowth = Date.now();
  /** Its growth parsed by the parse workers (useWorkers), else on this thread by the Ingester. */
  private feed: BlockFeed | undefined;

  private constructor(
    private currentPath: string,
    readonly key: string,
    private readonly fh: fs.promises.FileHandle,
    readonly state: SourceState,
  ) {
    this.pos = state.row.offset;
  }

  /**
   * Open `path`, then find its source (`source`, e.g. resolveSource: the file is open before it
   * is identified, so what is identified is what is read), seeding the bytes before its offset
   * for the next window.
   */
  static async open(path: string, key: string, source: () => Promise<SourceState>): Promise<FileTail> {
    const fh = await fs.promises.open(path, 'r');
    try {
      const state = await source();
      await seedWindow(fh, state);
      return new FileTail(path, key, fh, state);
    } catch (e) {
      await fh.close().catch(() => undefined);
      throw e;
    }
  }

  /**
   * Parse this file's growth in `pool`'s workers: each read becomes blocks of whole lines whose
   * results the Ingester holds for its next commit (the bytes after the last newline wait for
   * the next read, as the line splitter would keep them).
   */
  useWorkers(ing: Ingester, pool: ParsePool): void {
    this.feed = new BlockFeed(ing, this.state, pool, (r) => ing.holdBlock(this.state, r), this.pos);
  }

  get path(): string {
    return this.currentPath;
  }

  /** The file was found at `path` this cycle; true when that is a new name (renamed). */
  foundAt(path: string): boolean {
    this.detachedAt = 0;
    if (path === this.currentPath) return false;
    this.currentPath = path;
    return true;
  }

  /** The file was not found under any followed path this cycle (rotated away or deleted). */
  detach(now = Date.now()): void {
    this.detachedAt ||= now;
  }

  /** Detached and without growth for `graceMs`: everything it will get has been read. */
  drained(graceMs: number, now = Date.now()): boolean {
    return this.detachedAt > 0 && now - this.lastGrowth >= graceMs && now - this.detachedAt >= graceMs;
  }

  /** Is its path gone (deleted) rather than naming another file (rotated)? */
  pathGone(): boolean {
    try {
      fs.statSync(this.currentPath);
      return false;
    } catch {
      return true;
    }
  }

  /** Feed the bytes written since the last read, up to the file's end; `commit` when the batch is full. */
  async readGrowth(ing: Ingester, commit: () => Promise<void>): Promise<void> {
    const buf = Buffer.allocUnsafe(CHUNK);
    for (;;) {
      const { bytesRead } = await this.fh.read(buf, 0, CHUNK, this.pos);
      if (bytesRead === 0) break;
      this.pos += bytesRead;
      this.lastGrowth = Date.now();
      if (this.feed) {
        this.feed.push(buf.subarray(0, bytesRead));
        await this.feed.drain(WORKER_AHEAD);
      } else ing.feed(this.state, buf.subarray(0, bytesRead));
      if (ing.full) await commit();
    }
    await this.feed?.drain();
    if (ing.full) await commit();
  }

  /**
   * Was the open file truncated or rewritten (copytruncate, inode reuse)? Shorter than what
   * was read, or no longer starting with the bytes its source was fingerprinted with.
   */
  async truncated(): Promise<boolean> {
    const st = await this.fh.stat();
    if (st.size < this.pos) return true;
    const row = this.state.row;
    const n = Math.min(row.fp_len ?? 0, FINGERPRINT_BYTES);
    if (!row.fingerprint || n === 0) return false;
    const b = Buffer.alloc(n);
    const { bytesRead } = await this.fh.read(b, 0, n, 0);
    return bytesRead < n || fingerprintOf(b) !== row.fingerprint;
  }

  /** Committed offset against the size of the file at its path (what was read, when it is gone). */
  lag(): FileLag {
    let size = this.pos;
    try {
      size = fs.statSync(this.currentPath).size;
    } catch {
      /* gone */
    }
    const offset = this.state.safeOffset;
    return {
      path: this.currentPath,
      source_id: this.state.row.id,
      offset,
      size,
      lag_bytes: Math.max(0, size - offset),
    };
  }

  async close(): Promise<void> {
    this.feed?.abandon();
    await this.fh.close().catch(() => undefined);
  }
}
