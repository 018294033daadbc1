import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import zlib from 'node:zlib';
import { execFileSync } from 'node:child_process';
import { describe, expect, it } from 'vitest';
import {
  EVENT_TYPES,
  FORMATS,
  TYPE_WEIGHTS,
  generateEvents,
  writeEvents,
  type Expected,
  type Format,
} from '../../examples/generate.mjs';
import { decodeLine, type DecodeState } from '../../src/lib/formats/decode.js';
import { classify } from '../../src/lib/schema/index.js';
import { contentId } from '../../src/lib/store/chain.js';

const GENERATOR = path.resolve(__dirname, '../../examples/generate.mjs');
const tmp = () => fs.mkdtempSync(path.join(os.tmpdir(), 'kcloud-gen-'));

const sum = (e: Expected) => e.stored + e.rejected + e.duplicates + e.skipped;

/** Count lines the way `ingest` does (decode, classify, dedupe by own id or content hash). */
function account(lines: string[]) {
  const state: DecodeState = {};
  const seen = new Set<string>();
  const c = { lines: 0, stored: 0, rejected: 0, duplicates: 0, skipped: 0 };
  let held = 0;
  for (const line of lines) {
    const d = decodeLine(line, state);
    if (d.kind === 'partial') {
      held++;
      continue;
    }
    c.lines += 1 + held;
    c.skipped += held;
    held = 0;
    if (d.kind === 'blank' || d.kind === 'text') c.skipped++;
    else if (d.kind === 'error') c.rejected++;
    else {
      const k = classify(d.value);
      if (k.kind === 'skip') c.skipped++;
      else if (k.kind === 'reject') c.rejected++;
      else {
        const id = k.ownId ?? contentId(d.value);
        if (seen.has(id)) c.duplicates++;
        else {
          seen.add(id);
          c.stored++;
        }
      }
    }
  }
  return c;
}

const NOISY = { bad: 0.03, dup: 0.03, skip: 0.03, unknown: 0.01, split: 0.02 };

describe('examples/generate.mjs', () => {
  it('is deterministic: same seed and options give the same lines, another seed others', () => {
    for (const format of FORMATS) {
      const a = generateEvents({ events: 3000, seed: 7, format, ...NOISY });
      const b = generateEvents({ events: 3000, seed: 7, format, ...NOISY });
      expect(b.lines).toEqual(a.lines);
      expect(b.expected).toEqual(a.expected);
      const c = generateEvents({ events: 3000, seed: 8, format, ...NOISY });
      expect(c.lines).not.toEqual(a.lines);
    }
    // A text seed works too.
    expect(generateEvents({ events: 50, seed: 'ci' }).lines).toEqual(
      generateEvents({ events: 50, seed: 'ci' }).lines,
    );
  });

  it('writes the same bytes to a file (plain or .gz) as it returns in memory', async () => {
    const dir = tmp();
    try {
      const opts = { events: 5000, seed: 3, format: 'cri' as Format, ...NOISY };
      const mem = generateEvents(opts);
      const text = mem.lines.join('\n') + '\n';
      const e1 = await writeEvents(opts, path.join(dir, 'a.log'));
      const e2 = await writeEvents(opts, path.join(dir, 'b.log'));
      await writeEvents(opts, path.join(dir, 'c.log.gz'));
      const a = fs.readFileSync(path.join(dir, 'a.log'));
      expect(a.equals(fs.readFileSync(path.join(dir, 'b.log')))).toBe(true);
      expect(a.toString('utf8')).toBe(text);
      expect(zlib.gunzipSync(fs.readFileSync(path.join(dir, 'c.log.gz'))).equals(a)).toBe(true);
      expect(e1).toEqual(mem.expected);
      expect(e2).toEqual(mem.expected);
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });

  it('runs as a command: --out and --expected', () => {
    const dir = tmp();
    try {
      const out = path.join(dir, 'events.jsonl');
      const exp = path.join(dir, 'expected.json');
      const args = [
        '--events',
        '2000',
        '--seed',
        '5',
        '--bad',
        '0.02',
        '--format',
        'docker',
        '--split',
        '0.01',
      ];
      execFileSync(process.execPath, [GENERATOR, ...args, '--out', out, '--expected', exp, '--quiet']);
      const mem = generateEvents({ events: 2000, seed: 5, bad: 0.02, format: 'docker', split: 0.01 });
      expect(fs.readFileSync(out, 'utf8')).toBe(mem.lines.join('\n') + '\n');
      expect(JSON.parse(fs.readFileSync(exp, 'utf8'))).toEqual(JSON.parse(JSON.stringify(mem.expected)));
      const stdout = execFileSync(process.execPath, [GENERATOR, ...args, '--quiet'], {
        encoding: 'utf8',
        maxBuffer: 64 << 20,
      });
      expect(stdout).toBe(mem.lines.join('\n') + '\n');
      // Usage errors exit with 2.
      const bad = () => execFileSync(process.execPath, [GENERATOR, '--format', 'xml'], { stdio: 'pipe' });
      expect(bad).toThrow(expect.objectContaining({ status: 2 }));
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });

  describe.each(FORMATS)('format %s', (format) => {
    const { lines, expected: e } = generateEvents({ events: 10_000, seed: 42, format, ...NOISY });

    it('has expected counts that add up and equal the lines written', () => {
      expect(e.records).toBe(10_000);
      expect(e.lines).toBe(lines.length);
      expect(sum(e)).toBe(e.lines);
      const byType = Object.values(e.by_type).reduce((a, b) => a + b, 0);
      expect(byType).toBe(e.stored);
      const known = EVENT_TYPES.reduce((a, t) => a + e.by_type[t], 0);
      expect(e.stored - known).toBe(e.unknown_type);
      expect(Object.values(e.rejected_by_kind).reduce((a, b) => a + b, 0)).toBe(e.rejected);
      expect(Object.values(e.skipped_by_kind).reduce((a, b) => a + b, 0)).toBe(e.skipped);
      const d = e.decisions;
      expect(d.scheduled + d.failed + d.pending).toBe(e.by_type.scheduling_decision);
      if (format === 'cri' || format === 'docker') expect(e.skipped_by_kind.partial_part).toBeGreaterThan(0);
      else expect(e.skipped_by_kind.partial_part).toBe(0);
    });

    it("agrees with the tool's decoder, classifier and duplicate detection", () => {
      expect(account(lines)).toEqual({
        lines: e.lines,
        stored: e.stored,
        rejected: e.rejected,
        duplicates: e.duplicates,
        skipped: e.skipped,
      });
    });
  });

  it('has shares that roughly match the options', () => {
    const n = 50_000;
    const { lines, expected: e } = generateEvents({
      events: n,
      seed: 11,
      bad: 0.02,
      dup: 0.01,
      skip: 0.005,
      unknown: 0.002,
      flat: 0.1,
    });
    const near = (got: number, want: number, tol = 0.15) =>
      expect(Math.abs(got - want)).toBeLessThanOrEqual(want * tol + 5);
    near(e.rejected, n * 0.02);
    near(e.duplicates, n * 0.01);
    near(e.skipped, n * 0.005, 0.25);
    near(e.unknown_type, n * 0.002, 0.3);
    const known = e.stored - e.unknown_type;
    for (const t of EVENT_TYPES) near(e.by_type[t], known * TYPE_WEIGHTS[t], 0.15);
    const flatCapable =
      e.by_type.scheduling_decision + e.by_type.workload_relocation + e.by_type.inefficiency_detected;
    near(e.flat, flatCapable * 0.1);
    const d = e.decisions;
    near(d.failed, e.by_type.scheduling_decision * 0.03, 0.2);
    near(d.pending, e.by_type.scheduling_decision * 0.02, 0.2);
    near(d.not_cheapest, e.by_type.scheduling_decision * 0.2);
    expect(e.workloads).toBeGreaterThan(450); // a bounded pool of 500, each seen many times

    // Decision latency: mostly 20-300 ms, a tail up to 2 s.
    const ms: number[] = [];
    for (const l of lines) {
      const m = /^\{"event_type":"scheduling_decision".*"execution_time_ms":(\d+)[,}]/.exec(l);
      if (m) ms.push(Number(m[1]));
    }
    expect(ms.length).toBeGreaterThan(e.by_type.scheduling_decision * 0.95);
    const inRange = ms.filter((v) => v >= 20 && v <= 300).length / ms.length;
    expect(inRange).toBeGreaterThan(0.85);
    expect(Math.max(...ms)).toBeLessThanOrEqual(2000);
    expect(Math.max(...ms)).toBeGreaterThan(1000);
  });

  it('writes canonical JSON events with increasing millisecond UTC timestamps', () => {
    const { lines } = generateEvents({ events: 20_000, seed: 9, bad: 0, dup: 0, skip: 0, unknown: 0.01 });
    let last = '';
    const problems: string[] = [];
    for (const l of lines) {
      const o = JSON.parse(l) as { timestamp: string; event_type: string; event_id?: string; id?: unknown };
      // The templates that build lines produce exactly what JSON.stringify would.
      if (JSON.stringify(o) !== l) problems.push(`not canonical: ${l}`);
      if (!/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$/.test(o.timestamp)) problems.push(`timestamp: ${l}`);
      if (!(o.timestamp > last)) problems.push(`not increasing: ${l}`);
      last = o.timestamp;
      // Only policy changes carry their own id; nothing has a top-level `id` (the tool would use it).
      if (o.event_id !== undefined && o.event_type !== 'policy_change') problems.push(`event_id: ${l}`);
      if (o.id !== undefined) problems.push(`id: ${l}`);
    }
    expect(problems.slice(0, 5)).toEqual([]);
  });

  it('places exact counts when given integers', () => {
    const { expected: e } = generateEvents({ events: 200, seed: 101, bad: 3, dup: 2, skip: 4, unknown: 0 });
    expect([e.rejected, e.duplicates, e.skipped, e.unknown_type]).toEqual([3, 2, 4, 0]);
    // An exact bad count cycles through the kinds.
    expect(e.rejected_by_kind).toEqual({ malformed: 1, missing_field: 1, bad_timestamp: 1, wrong_type: 0 });
    expect(e.stored).toBe(200 - 3 - 2 - 4);
  });

  it('keeps to the requested event types and time window', () => {
    const { lines, expected: e } = generateEvents({
      events: 2000,
      seed: 4,
      types: 'inefficiency_detected,cluster_reconfiguration',
      start: '2025-03-01T12:00:00Z',
      rate: 10,
      bad: 0,
      dup: 0,
      skip: 0,
      unknown: 0,
    });
    expect(e.by_type.scheduling_decision + e.by_type.workload_relocation + e.by_type.policy_change).toBe(0);
    expect(e.stored).toBe(2000);
    expect(new Set(lines.map((l) => (JSON.parse(l) as { event_type: string }).event_type))).toEqual(
      new Set(['inefficiency_detected', 'cluster_reconfiguration']),
    );
    // ~10 events per simulated second: 2000 events span ~200 s.
    const span = (Date.parse(e.last_timestamp!) - Date.parse(e.first_timestamp!)) / 1000;
    expect(span).toBeGreaterThan(150);
    expect(span).toBeLessThan(250);
    expect(e.first_timestamp! >= '2025-03-01T12:00:00.000Z').toBe(true);
  });

  it('rejects bad options', () => {
    expect(() => generateEvents({ format: 'xml' as Format })).toThrow(/--format/);
    expect(() => generateEvents({ bad: 1.5 })).toThrow(/--bad/);
    expect(() => generateEvents({ bad: 0.6, dup: 0.6 })).toThrow(/exceed/);
    expect(() => generateEvents({ events: 10, skip: 20 })).toThrow(/exceed/);
    expect(() => generateEvents({ types: 'node_heartbeat' })).toThrow(/--types/);
    expect(() => generateEvents({ start: 'yesterday' })).toThrow(/--start/);
  });
});
