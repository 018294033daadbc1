/**
 * A parse worker (a worker thread, blocks.ts): takes a block of whole lines of
 * one file, runs the same line accounting as the main thread (LineHandler:
 * decode, validate, event id, JSON checks), and writes the events to a stage
 * file that DuckDB loads (store/writer.ts STAGE_COLUMNS). What it sends back
 * is small: counts, rejects, the offsets reached, the held parts of a split
 * line, and the rare events a stage file cannot carry.
 */
import fs from 'node:fs';
import { parentPort, workerData } from 'node:worker_threads';
import { LineHandler, SourceState, type HeldState } from './accounting.js';
import type { SourceRow } from './source.js';
import { rowHash } from '../store/chain.js';
import {
  BLOCK_POSITIONS,
  LARGE_EVENT_BYTES,
  STAGE_FIELD_SEPARATOR,
  needsAppender,
  typeGroup,
  type PendingEvent,
  type PendingReject,
} from '../store/stage.js';

export interface WorkerSetup {
  host: string;
  ingestedAt: string;
  strict: boolean;
  maxLineBytes: number;
}

export interface BlockTask {
  blk: number;
  sourceId: number;
  path: string;
  /** Offset of the block's first byte, and the number of the line before it. */
  startOffset: number;
  startLine: number;
  /** Whole lines (each ends with a newline). */
  bytes?: Uint8Array;
  /** Instead of bytes: one line longer than --max-line-bytes, its length and first bytes. */
  tooLong?: { bytes: number; preview: Uint8Array };
  /** The held parts of a split line the block continues (null: it starts afresh). */
  held: HeldState | null;
  /**
   * Where to write the stage files (a path with the type group's number appended), preferred
   * first: a file system that is full falls back to the next (ParsePool.stageFile).
   */
  stageFile: string[];
}

/** One stage file of a block: the block's events of one type group (store/stage.ts TYPE_GROUPS). */
export interface StageFile {
  group: number;
  file: string;
  rows: number;
  /** Bytes of its events, and of those larger than LARGE_EVENT_BYTES. */
  bytes: number;
  large: number;
}

export interface BlockResult {
  /** Events of the block, in order (positions blk x BLOCK_POSITIONS + 0..events-1), in stage files or `appended`. */
  events: number;
  stageFiles: StageFile[];
  /** The distinct tags of the block's events; stage files hold their index here. */
  tags: string[];
  /** Events a stage file cannot carry (a separator in a field), with their positions. */
  appended: { pos: number; e: PendingEvent }[];
  rejects: PendingReject[];
  /** The block's line counts (SourceState semantics) and where it left the source. */
  lines: number;
  rejected: number;
  skipped: number;
  lineNo: number;
  safeOffset: number;
  safeLineNo: number;
  linesRead: number;
  held: HeldState | null;
}

const US = STAGE_FIELD_SEPARATOR;

/** Run the line accounting over one block. */
export function parseBlock(setup: WorkerSetup, t: BlockTask): BlockResult {
  const row = {
    id: t.sourceId,
    path: t.path,
    kind: 'file',
    offset: t.startOffset,
    start_line: t.startLine,
    lines: 0,
  } as SourceRow;
  const s = new SourceState(row, 'new', setup.maxLineBytes, { window: false });
  if (t.held) {
    s.setHeld(t.held);
    s.safeOffset = t.held.safeOffset;
    s.safeLineNo = t.held.safeLineNo;
  }
  const h = new LineHandler({
    strict: setup.strict,
    maxLineBytes: setup.maxLineBytes,
    host: setup.host,
    ingestedAt: setup.ingestedAt,
  });
  if (t.tooLong) {
    const preview = Buffer.from(
      t.tooLong.preview.buffer,
      t.tooLong.preview.byteOffset,
      t.tooLong.preview.byteLength,
    );
    h.handleLine(s, {
      text: preview.toString('utf8'),
      start: t.startOffset,
      end: t.startOffset + t.tooLong.bytes + 1,
      bytes: t.tooLong.bytes,
      tooLong: true,
    });
  } else if (t.bytes) {
    s.splitter.push(Buffer.from(t.bytes.buffer, t.bytes.byteOffset, t.bytes.byteLength), (line) =>
      h.handleLine(s, line),
    );
  }
  const appended: BlockResult['appended'] = [];
  const groups = new Map<number, { rows: string[]; bytes: number; large: number }>();
  const base = t.blk * BLOCK_POSITIONS;
  const tags: string[] = [];
  const tagIndex = new Map<string, number>();
  h.events.forEach((e, i) => {
    const pos = base + i;
    e.rowHash = rowHash(e);
    if (
      needsAppender(e.eventId) ||
      needsAppender(e.eventType) ||
      needsAppender(e.tags) ||
      needsAppender(e.raw)
    ) {
      appended.push({ pos, e });
      return;
    }
    let tag = tagIndex.get(e.tags);
    if (tag === undefined) tagIndex.set(e.tags, (tag = tags.push(e.tags) - 1));
    const g = typeGroup(e.eventType);
    let out = groups.get(g);
    if (!out) groups.set(g, (out = { rows: [], bytes: 0, large: 0 }));
    out.rows.push(
      `${pos}${US}${e.eventId}${US}${e.tsMicros}${US}${e.eventType}${US}${e.known}${US}${e.sourceId}${US}${e.line}${US}${tag}${US}${e.raw}${US}${e.byteOffset}${US}${e.bytes}${US}${e.rowHash}\n`,
    );
    out.bytes += e.bytes;
    if (e.bytes > LARGE_EVENT_BYTES) out.large += e.bytes;
  });
  const stageFiles: StageFile[] = [];
  for (const [group, g] of groups) {
    const file = writeStage(
      t.stageFile.map((f) => `${f}.${group}`),
      g.rows.join(''),
    );
    stageFiles.push({ group, file, rows: g.rows.length, bytes: g.bytes, large: g.large });
  }
  return {
    events: h.events.length,
    stageFiles,
    tags,
    appended,
    rejects: h.rejects,
    lines: s.lines,
    rejected: s.rejected,
    skipped: s.skipped,
    lineNo: s.lineNo,
    safeOffset: s.safeOffset,
    safeLineNo: s.safeLineNo,
    linesRead: h.linesRead,
    held: s.heldState(),
  };
}

const NO_SPACE = new Set(['ENOSPC', 'EDQUOT']);

/** A stage file could not be written anywhere for lack of space (the reason, per place tried). */
export class NoStageSpace extends Error {}

/**
 * Write `data` to the first of `files` whose file system has room, and return that file: a full
 * /dev/shm (often small in containers) falls back to the temporary directory on disk. Other
 * errors are not retried.
 */
export function writeStage(
  files: readonly string[],
  data: string,
  write: (file: string, data: string) => void = fs.writeFileSync,
): string {
  const full: string[] = [];
  for (const file of files) {
    try {
      write(file, data);
      return file;
    } catch (e) {
      const code = (e as NodeJS.ErrnoException).code ?? '';
      if (!NO_SPACE.has(code)) throw e;
      fs.rmSync(file, { force: true });
      full.push(`${code} writing ${file}`);
    }
  }
  throw new NoStageSpace(full.join('; '));
}

/** A worker's answer to a block task. */
export type WorkerReply = { ok: true; result: BlockResult } | { ok: false; error: string; noSpace?: string };

if (parentPort) {
  const setup = workerData as WorkerSetup;
  const port = parentPort;
  port.on('message', (t: BlockTask) => {
    try {
      port.postMessage({ ok: true, result: parseBlock(setup, t) } satisfies WorkerReply);
    } catch (e) {
      port.postMessage({
        ok: false,
        error: (e as Error)?.stack ?? String(e),
        noSpace: e instanceof NoStageSpace ? e.message : undefined,
      } satisfies WorkerReply);
    }
  });
}
