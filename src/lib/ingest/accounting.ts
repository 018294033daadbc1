/**
 * The accounting of lines, shared by the ingester (main thread) and the parse
 * workers (parse-worker.ts): the state of a source while it is read, and what
 * each line becomes. Nothing here opens the store.
 */
import os from 'node:os';
import { decodeLine, type DecodeState } from '../formats/decode.js';
import { classify, type Classified, type JsonObject } from '../schema/index.js';
import { contentId } from '../store/chain.js';
import { checkJsonText } from '../formats/json-check.js';
import { LineSplitter, DEFAULT_MAX_LINE_BYTES, type Line } from './lines.js';
import { TailWindow, WINDOW_BYTES } from './window.js';
import type { SourceRow } from './source.js';
import { REJECT_RAW_LIMIT, type PendingEvent, type PendingReject } from '../store/stage.js';
import type { FileSummary, IngestOptions } from './ingest.js';

/** Why a line that is not an event is a reject where only events are taken (`eventsOnly`). */
export const NOT_AN_EVENT = 'not an event: a JSON object with event_type and timestamp is expected';

/** State of one source while it is read. */
export class SourceState {
  readonly decode: DecodeState;
  splitter: LineSplitter;
  /** Counts not yet committed. */
  lines = 0;
  rejected = 0;
  skipped = 0;
  /** Parts of a split line (CRI P, docker partial) held until their end arrives. */
  heldParts = 0;
  /** One of the held parts was not valid UTF-8. */
  heldBadUtf8 = false;
  heldStart = -1;
  heldLine = 0;
  /** Line number of the last line handed out. */
  lineNo: number;
  /** Offset up to which everything is accounted for (no held parts). */
  safeOffset: number;
  safeLineNo: number;
  summary: FileSummary;
  tagsCache = new Map<string, string>();
  /** The bytes before the offset, for the window each commit records (none for stdin). */
  readonly window: TailWindow | undefined;
  /** The offset whose window was last recorded. */
  windowOffset: number;
  /**
   * When the file is read in blocks by the parse workers (blocks.ts): the bytes after the last
   * complete line, and the offset up to which blocks were handed out (the splitter holds
   * neither then).
   */
  tailBytes: number | undefined;
  readEnd: number | undefined;

  constructor(
    readonly row: SourceRow,
    how: string,
    maxLineBytes: number,
    opts: { window?: boolean } = {},
  ) {
    this.splitter = new LineSplitter(row.offset, maxLineBytes);
    this.window =
      row.kind === 'stdin' || opts.window === false
        ? undefined
        : new TailWindow(row.offset, maxLineBytes + WINDOW_BYTES);
    this.windowOffset = row.offset;
    this.decode = { maxLineBytes };
    this.lineNo = row.start_line + row.lines;
    this.safeOffset = row.offset;
    this.safeLineNo = this.lineNo;
    this.summary = {
      path: row.path,
      source_id: row.id,
      how,
      start_offset: row.offset,
      offset: row.offset,
      lines: 0,
      stored: 0,
      rejected: 0,
      duplicates: 0,
      skipped: 0,
      via_origin: how === 'copy' ? row.start_line : 0,
      partial_bytes: 0,
    };
  }

  /** Bytes of an unfinished last line, and of the parts of a split line still held. */
  get partialBytes(): number {
    const tail = this.tailBytes ?? this.splitter.pendingBytes;
    const end = this.readEnd ?? this.splitter.offset;
    return tail + (this.heldParts ? end - this.heldStart : 0);
  }

  /** What the next line's accounting depends on besides itself: the parts of a split line held. */
  heldState(): HeldState | null {
    if (!this.heldParts && !this.decode.cri && !this.decode.docker) return null;
    return {
      heldParts: this.heldParts,
      heldBadUtf8: this.heldBadUtf8,
      heldStart: this.heldStart,
      heldLine: this.heldLine,
      cri: this.decode.cri,
      docker: this.decode.docker,
      safeOffset: this.safeOffset,
      safeLineNo: this.safeLineNo,
    };
  }

  /** Take over the held state a block ended with (null: nothing held). */
  setHeld(h: HeldState | null): void {
    this.heldParts = h?.heldParts ?? 0;
    this.heldBadUtf8 = h?.heldBadUtf8 ?? false;
    this.heldStart = h?.heldStart ?? -1;
    this.heldLine = h?.heldLine ?? 0;
    this.decode.cri = h?.cri;
    this.decode.docker = h?.docker;
  }
}

/** The held parts of a split line and the offset before them (structured-cloneable, for the workers). */
export interface HeldState {
  heldParts: number;
  heldBadUtf8: boolean;
  heldStart: number;
  heldLine: number;
  cri: DecodeState['cri'];
  docker: DecodeState['docker'];
  safeOffset: number;
  safeLineNo: number;
}

/**
 * The accounting of lines: each line of a source becomes an event to store, a
 * reject with its reason, or a skipped line, with the source's counts. Used by
 * the ingester on the main thread and by the parse workers (parse-worker.ts),
 * which run it over blocks of a file in parallel.
 */
export class LineHandler {
  events: PendingEvent[] = [];
  rejects: PendingReject[] = [];
  /** Bytes of the lines behind `events` and `rejects`. */
  protected pendingBytes = 0;
  protected dirty = new Set<SourceState>();
  readonly maxLineBytes: number;
  /** Lines and valid events read so far, over all sources (for progress: commits count later). */
  linesRead = 0;
  eventsRead = 0;

  constructor(protected readonly opts: IngestOptions & { host?: string; ingestedAt?: string } = {}) {
    this.maxLineBytes = opts.maxLineBytes ?? DEFAULT_MAX_LINE_BYTES;
    this.host = opts.host ?? os.hostname();
    this.ingestedAt = opts.ingestedAt ?? new Date().toISOString();
  }

  /** Written into every event's tags. */
  readonly host: string;
  readonly ingestedAt: string;

  private tags(s: SourceState, format: string, fbTag: string | undefined): string {
    const key = `${format}\0${fbTag ?? ''}`;
    let t = s.tagsCache.get(key);
    if (t === undefined) {
      t = JSON.stringify({
        file: s.row.path,
        host: this.host,
        format,
        ...(fbTag ? { fluentbit_tag: fbTag } : {}),
        ingested_at: this.ingestedAt,
      });
      s.tagsCache.set(key, t);
    }
    return t;
  }

  private reject(s: SourceState, line: Line, lineNo: number, reason: string): void {
    s.rejected++;
    this.pendingBytes += Math.min(line.bytes, REJECT_RAW_LIMIT);
    this.rejects.push({
      sourceId: s.row.id,
      path: s.row.path,
      line: lineNo,
      byteOffset: line.start,
      reason,
      raw: line.text,
      rawLength: line.bytes,
    });
  }

  /**
   * What a decoded value is, by the options: `expectType` refuses events of another type (before
   * their fields are checked), `eventsOnly` makes what file ingest skips a reject.
   */
  private classify(value: unknown): Classified {
    const { expectType, eventsOnly } = this.opts;
    if (expectType !== undefined && value !== null && typeof value === 'object' && !Array.isArray(value)) {
      const type = (value as JsonObject).event_type;
      if (type !== undefined && type !== expectType)
        return {
          kind: 'reject',
          reason: `event_type ${JSON.stringify(type)?.slice(0, 60)}: only ${expectType} events are taken here`,
        };
    }
    const c = classify(value, this.opts);
    return c.kind === 'skip' && eventsOnly ? { kind: 'reject', reason: NOT_AN_EVENT } : c;
  }

  /** Account for one line of source `s`. */
  handleLine(s: SourceState, line: Line): void {
    const lineNo = ++s.lineNo;
    s.lines++;
    this.linesRead++;
    this.dirty.add(s);
    if (line.tooLong) {
      this.reject(
        s,
        line,
        lineNo,
        `line is ${line.bytes} bytes, longer than --max-line-bytes ${this.maxLineBytes}`,
      );
    } else {
      const d = decodeLine(line.text, s.decode);
      if (d.kind === 'partial') {
        // Not counted until the line it belongs to is complete.
        s.lines--;
        this.linesRead--;
        if (s.heldParts === 0) {
          s.heldStart = line.start;
          s.heldLine = lineNo - 1;
        }
        s.heldParts++;
        s.heldBadUtf8 ||= line.badUtf8 === true;
        return;
      }
      const badUtf8 = line.badUtf8 === true || s.heldBadUtf8;
      if (s.heldParts) {
        s.lines += s.heldParts;
        this.linesRead += s.heldParts;
        s.skipped += s.heldParts; // the parts are counted as skipped; the joined line as itself
        s.heldParts = 0;
        s.heldBadUtf8 = false;
      }
      if (d.kind === 'blank' || (d.kind === 'text' && !this.opts.eventsOnly)) {
        s.skipped++;
      } else if (d.kind === 'text') {
        this.reject(s, line, lineNo, NOT_AN_EVENT);
      } else if (d.kind === 'error') {
        this.reject(s, line, lineNo, d.reason);
      } else {
        const c = this.classify(d.value);
        if (c.kind === 'skip') s.skipped++;
        else if (c.kind === 'reject') this.reject(s, line, lineNo, c.reason);
        else {
          const refused = badUtf8
            ? 'the line is not valid UTF-8 (an event is stored exactly as logged, so its bytes must be text)'
            : checkJsonText(d.raw, d.value);
          if (refused) this.reject(s, line, lineNo, `${c.eventType}: ${refused}`);
          else {
            this.pendingBytes += line.bytes;
            this.eventsRead++;
            this.events.push({
              eventId: c.ownId ?? contentId(d.value),
              tsMicros: c.ts,
              eventType: c.eventType,
              known: c.known,
              sourceId: s.row.id,
              line: lineNo,
              tags: this.tags(s, d.format, d.fbTag),
              raw: d.raw,
              byteOffset: line.start,
              bytes: line.bytes,
            });
          }
        }
      }
    }
    s.safeOffset = line.end;
    s.safeLineNo = lineNo;
  }
}
