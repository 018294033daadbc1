/**
 * The window of bytes just before a source's committed offset.
 *
 * A file whose first KiB equals a known source's is a copy of it (rotated,
 * compressed, re-emitted by a shipper) only if the bytes just before that
 * source's offset are there too: then what the source read is what the copy
 * holds up to the offset, and the copy can continue there. Each commit
 * records sha256 of the WINDOW_BYTES before the new offset (as Fluent Bit's
 * offset marker does); resolveSource checks it (source.ts).
 */
import { sha256OfBytes } from './source.js';

export const WINDOW_BYTES = 1024;
const EMPTY = Buffer.alloc(0);

export interface Window {
  hash: string;
  len: number;
}

/**
 * The last bytes fed to a source, enough to hash the window before any offset up to the end
 * fed: the window plus the bytes of a line not yet complete. A line longer than `maxKeep` is
 * not kept: the window is unknown until lines complete again.
 */
export class TailWindow {
  private buf = EMPTY;
  /** Offset of buf[0]; buf ends at `end`. */
  private start: number;
  private end: number;

  constructor(
    offset: number,
    private readonly maxKeep: number,
  ) {
    this.start = this.end = offset;
  }

  /** The bytes just before the starting offset, read from the file (a resumed source). */
  seed(before: Buffer): void {
    if (this.end !== this.start) return;
    this.buf = Buffer.from(before);
    this.start = this.end - before.length;
  }

  /** Keep what a window ending at `safe` or later can need, after `chunk` was fed. */
  push(chunk: Buffer, safe: number): void {
    const chunkStart = this.end;
    this.end += chunk.length;
    const keepFrom = Math.max(this.start, safe - WINDOW_BYTES);
    if (this.end - keepFrom > this.maxKeep) {
      this.buf = EMPTY;
      this.start = this.end;
      return;
    }
    const old = keepFrom < chunkStart ? this.buf.subarray(keepFrom - this.start) : EMPTY;
    const add = chunk.subarray(Math.max(0, keepFrom - chunkStart));
    this.buf = Buffer.concat([old, add]);
    this.start = keepFrom;
  }

  /** `n` bytes were read but not kept (a line too long to hold): the window is unknown until after them. */
  skip(n: number): void {
    this.end += n;
    this.buf = EMPTY;
    this.start = this.end;
  }

  /** The window before `safe`, or null when its bytes are not known. */
  at(safe: number): Window | null {
    if (safe < this.start || safe > this.end) return null;
    const from = Math.max(this.start, safe - WINDOW_BYTES);
    if (from === safe) return null;
    const b = this.buf.subarray(from - this.start, safe - this.start);
    return { hash: sha256OfBytes(b), len: b.length };
  }
}
