/**
 * Progress bars on standard error (cli-progress), fed by the library's progress callbacks
 * (IngestOptions.onProgress, VerifyOptions.onProgress, AuditOptions.onProgress): the library
 * never prints.
 *
 * Drawn only when standard error is a terminal, never with --json or --quiet, so a pipe, a file
 * or a CI log gets no redraw sequences. KCLOUD_LOG_PROGRESS=1 forces them on (one line per
 * redraw, every 500 ms, when standard error is not a terminal: for tests and recordings);
 * KCLOUD_LOG_PROGRESS=0 turns them off.
 *
 * `ingest --follow` draws a live status line on a terminal instead, and without one logs a status
 * line per --status-interval (followLog).
 */
import path from 'node:path';
import chalk from 'chalk';
import type cliProgress from 'cli-progress';
import type { IngestProgress } from '../lib/ingest/ingest.js';
import type { FollowStatus } from '../lib/ingest/follow.js';
import type { VerifyProgress } from '../lib/integrity/verify.js';
import type { ReportProgress } from '../lib/report/audit.js';
import { escapeControls } from '../lib/text.js';
import { truncateWidth } from './table.js';

/** Should progress be drawn? (Not with --json or --quiet; on a terminal's stderr, or forced.) */
export function progressWanted(off = false): boolean {
  const env = process.env.KCLOUD_LOG_PROGRESS;
  if (off || env === '0') return false;
  return env === '1' || process.stderr.isTTY === true;
}

const n = (v: number) => Math.round(v).toLocaleString('en-US');

/** Per second since `started` (ms). */
const perSecond = (count: number, started: number) => n((count * 1000) / Math.max(1, Date.now() - started));

/** cli-progress, loaded when a bar is wanted (progressWanted): without a terminal it is not. */
const loadBars = async (): Promise<typeof cliProgress> => (await import('cli-progress')).default;

/** A bar started on its first update, stopped (and cleared) by stop(). */
class Bar {
  private bar?: cliProgress.SingleBar;
  readonly started = Date.now();

  constructor(
    private readonly bars: typeof cliProgress,
    private readonly format: (withTotal: boolean) => string,
  ) {}

  update(value: number, total: number, payload: Record<string, string>): void {
    if (!this.bar) {
      const forced = !process.stderr.isTTY;
      this.bar = new this.bars.SingleBar({
        format: this.format(total > 0),
        stream: process.stderr,
        fps: 5,
        barsize: 20,
        etaBuffer: 50,
        clearOnComplete: !forced,
        hideCursor: null,
        linewrap: true,
        noTTYOutput: forced,
        notTTYSchedule: 500,
        barCompleteChar: '█',
        barIncompleteChar: '░',
      });
      this.bar.start(Math.max(total, value, 1), value, payload);
    }
    // a gzip file's bytes read (decompressed) can pass its size on disk
    if (total > 0 && value > this.bar.getTotal()) this.bar.setTotal(value);
    this.bar.update(value, payload);
  }

  stop(): void {
    this.bar?.stop();
    this.bar = undefined;
  }
}

const fileName = (p: string) => truncateWidth(escapeControls(path.basename(p)), 32);

/** The ingest bar: bytes read of the files' sizes (ETA from bytes), lines and events read, rate. */
export async function ingestProgress() {
  const bar = new Bar(await loadBars(), (sized) =>
    sized
      ? 'ingest {bar} {percentage}% | {lines} lines, {events} events | {rate} lines/s | ETA {eta_formatted} | {file}'
      : 'ingest {lines} lines, {events} events | {rate} lines/s | {file}',
  );
  return {
    update(p: IngestProgress): void {
      bar.update(p.bytesRead, p.bytesTotal, {
        lines: n(p.lines),
        events: n(p.events),
        rate: perSecond(p.lines, bar.started),
        file: fileName(p.file),
      });
    },
    stop: () => bar.stop(),
  };
}

/** The verify bar: rows checked of the store's rows, rate, ETA, the check running. */
export async function verifyProgress() {
  const bar = new Bar(
    await loadBars(),
    () =>
      'verify {bar} {percentage}% | {rows} of {total_rows} rows | {rate} rows/s | ETA {eta_formatted} | {check}',
  );
  return {
    update(p: VerifyProgress): void {
      bar.update(p.rows, p.total, {
        rows: n(p.rows),
        total_rows: n(p.total),
        rate: perSecond(p.rows, bar.started),
        check: p.check,
      });
    },
    stop: () => bar.stop(),
  };
}

/** The report bar: sections done of all, the section running (with the verification's rows). */
export async function reportProgress() {
  const bar = new Bar(
    await loadBars(),
    () => 'report {bar} {value}/{total} sections | {duration_formatted} | {section}{detail}',
  );
  return {
    update(p: ReportProgress): void {
      const v = p.verify;
      bar.update(p.step, p.steps, {
        section: p.section,
        detail: v ? `: verify ${n(v.rows)} of ${n(v.total)} rows (${v.check})` : '',
      });
    },
    stop: () => bar.stop(),
  };
}

/** One status line of a follower: rate, lag per file, rejects (the live line on a terminal). */
export function statusLine(st: FollowStatus): string {
  const lag = st.files
    .filter((f) => f.lag_bytes > 0)
    .slice(0, 3)
    .map((f) => `${escapeControls(path.basename(f.path))} ${bytes(f.lag_bytes)}`)
    .join(', ');
  return `${n(st.stored)} stored (${n(st.rate)}/s) · ${st.files.length} files, lag ${lag || '0'} · ${st.rejected ? chalk.red(`${n(st.rejected)} rejected`) : '0 rejected'}`;
}

const bytes = (b: number) =>
  b < 1024 ? `${b} B` : b < 1 << 20 ? `${(b / 1024).toFixed(1)} KiB` : `${(b / (1 << 20)).toFixed(1)} MiB`;

export type LogFormat = 'text' | 'json';

/**
 * The status log of `ingest --follow` without a terminal (systemd, a container): one line per
 * `intervalMs` on stderr, text or one JSON object per line (the FollowStatus fields, `rate` over
 * the interval, with `time`, `level` and `msg`), and warnings in the same format.
 */
export function followLog(
  format: LogFormat,
  intervalMs: number,
  write = (s: string) => process.stderr.write(s),
) {
  let last = { t: Date.now(), stored: 0 };
  const line = (level: 'info' | 'warn', msg: string, fields: Record<string, unknown>): string => {
    const time = new Date().toISOString();
    if (format === 'json') return JSON.stringify({ time, level, msg, ...fields }) + '\n';
    return `${time} ${level === 'warn' ? 'warning: ' : ''}${escapeControls(msg)}\n`;
  };
  return {
    /** Fed every follow cycle; writes when an interval has passed since the last line. */
    status(st: FollowStatus): void {
      const now = Date.now();
      if (intervalMs <= 0 || now - last.t < intervalMs) return;
      const rate = Math.round(((st.stored - last.stored) * 1000) / Math.max(1, now - last.t));
      last = { t: now, stored: st.stored };
      const s = { ...st, rate };
      const lag = st.files.reduce((a, f) => a + f.lag_bytes, 0);
      write(
        line(
          'info',
          format === 'json'
            ? 'status'
            : `status: ${n(s.lines)} lines = ${n(s.stored)} stored + ${n(s.rejected)} rejected + ${n(s.duplicates)} duplicates + ${n(s.skipped)} skipped; ${n(rate)} stored/s; ${n(s.commits)} commits; ${s.files.length} files, lag ${bytes(lag)}`,
          s,
        ),
      );
    },
    warn(path: string, reason: string): void {
      write(line('warn', `${path}: ${reason}`, { path, reason }));
    },
  };
}
