/**
 * Split a byte stream into lines, keeping byte offsets.
 *
 * A line is the bytes up to and including `\n` (a trailing `\r` is dropped
 * from its text). Bytes after the last newline are a partial line: not
 * yielded unless the caller says the stream is complete (a gzip archive, a
 * closed standard input). A line longer than `maxLineBytes` is yielded with
 * `tooLong` set and only its first bytes as text, and reading goes on.
 */
import { isUtf8 } from 'node:buffer';

export interface Line {
  text: string;
  /** Byte offset of the line's first byte. */
  start: number;
  /** Byte offset just past its newline (the next line's start). */
  end: number;
  /** Length in bytes without the newline. */
  bytes: number;
  tooLong?: boolean;
  /** The bytes are not valid UTF-8 (the text holds U+FFFD where they were). */
  badUtf8?: boolean;
}

/** A line's text, and whether its bytes were valid UTF-8 (checked only when a U+FFFD shows up). */
function textOf(buf: Buffer, start: number, end: number): { text: string; badUtf8?: boolean } {
  const text = buf.toString('utf8', start, end);
  if (!text.includes('\uFFFD') || isUtf8(buf.subarray(start, end))) return { text };
  return { text, badUtf8: true };
}

export const DEFAULT_MAX_LINE_BYTES = 1024 * 1024;
/** The bytes a line too long to hold keeps (its reject's raw), wherever reads cut it. */
export const PREVIEW_BYTES = 4096;

/** `preview` with the first bytes of `more` it still has room for. */
export function keepPreview(preview: Buffer, more: Buffer): Buffer {
  if (preview.length >= PREVIEW_BYTES) return preview;
  return Buffer.concat([preview, more.subarray(0, PREVIEW_BYTES - preview.length)]);
}

export class LineSplitter {
  private parts: Buffer[] = [];
  private partLen = 0;
  private overflow = false;
  private lineStart: number;

  constructor(
    startOffset: number,
    private readonly maxLineBytes = DEFAULT_MAX_LINE_BYTES,
  ) {
    this.lineStart = startOffset;
  }

  /** Bytes held after the last complete line. */
  get pendingBytes(): number {
    return this.partLen;
  }

  /** Offset where the pending partial line starts (= offset after the last complete line). */
  get offset(): number {
    return this.lineStart;
  }

  /** Feed a chunk; calls `onLine` for each complete line. */
  push(chunk: Buffer, onLine: (line: Line) => void): void {
    let pos = 0;
    for (;;) {
      const nl = chunk.indexOf(10, pos);
      if (nl === -1) {
        if (pos < chunk.length) this.hold(chunk.subarray(pos));
        return;
      }
      if (this.partLen === 0 && !this.overflow) {
        const len = nl - pos;
        if (len > this.maxLineBytes) {
          this.emitTooLong(chunk.subarray(pos, pos + Math.min(len, PREVIEW_BYTES)), len, onLine);
        } else {
          let e = nl;
          if (e > pos && chunk[e - 1] === 13) e--;
          const start = this.lineStart;
          this.lineStart += len + 1;
          onLine({ ...textOf(chunk, pos, e), start, end: this.lineStart, bytes: len });
        }
      } else {
        this.hold(chunk.subarray(pos, nl));
        this.finishHeld(onLine);
      }
      pos = nl + 1;
    }
  }

  /** At the end of a complete stream: yield the held bytes as a last line. */
  flushFinal(onLine: (line: Line) => void): void {
    if (this.partLen > 0 || this.overflow) {
      this.finishHeld(onLine, false);
      this.lineStart -= 1; // finishHeld counted a newline that is not there
    }
  }

  private hold(b: Buffer): void {
    if (this.overflow) {
      this.partLen += b.length;
      this.parts[0] = keepPreview(this.parts[0]!, b);
      return;
    }
    this.parts.push(Buffer.from(b)); // copy: the caller may reuse its buffer
    this.partLen += b.length;
    if (this.partLen > this.maxLineBytes) {
      const keep = Buffer.concat(this.parts).subarray(0, PREVIEW_BYTES);
      this.parts = [keep];
      this.overflow = true;
    }
  }

  private finishHeld(onLine: (line: Line) => void, hasNewline = true): void {
    const len = this.partLen;
    if (this.overflow) {
      this.emitTooLong(this.parts[0]!, len, onLine);
    } else {
      let buf = this.parts.length === 1 ? this.parts[0]! : Buffer.concat(this.parts);
      if (buf.length && buf[buf.length - 1] === 13) buf = buf.subarray(0, buf.length - 1);
      const start = this.lineStart;
      this.lineStart += len + 1;
      onLine({
        ...textOf(buf, 0, buf.length),
        start,
        end: hasNewline ? this.lineStart : this.lineStart - 1,
        bytes: len,
      });
    }
    this.parts = [];
    this.partLen = 0;
    this.overflow = false;
  }

  private emitTooLong(preview: Buffer, len: number, onLine: (line: Line) => void): void {
    const start = this.lineStart;
    this.lineStart += len + 1;
    onLine({ text: preview.toString('utf8'), start, end: this.lineStart, bytes: len, tooLong: true });
    this.parts = [];
    this.partLen = 0;
    this.overflow = false;
  }
}
