import fs from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { decodeLine, type DecodeState } from '../../src/lib/formats/decode.js';
import { FIXTURES } from '../helpers.js';

const fb = (f: string) =>
  fs
    .readFileSync(path.join(FIXTURES, 'fluent-bit', f), 'utf8')
    .split('\n')
    .filter(Boolean);

const decodeAll = (ls: string[]) => {
  const st: DecodeState = {};
  return ls.map((l) => decodeLine(l, st));
};

const eventTypes = (ds: ReturnType<typeof decodeAll>) =>
  ds
    .filter((d) => d.kind === 'value')
    .map((d) => (d.kind === 'value' ? (d.value as { event_type: string }).event_type : ''));

describe('decodeLine on real Fluent Bit output', () => {
  const input = fb('input-events.jsonl').map((l) => (JSON.parse(l) as { event_type: string }).event_type);
  it('plain JSONL', () => {
    const d = decodeAll(fb('out-file-plain.jsonl'));
    expect(d.every((x) => x.kind === 'value' && x.format === 'jsonl')).toBe(true);
    expect(eventTypes(d)).toEqual(input);
  });
  it('default format TAG: [EPOCH, {record}] with the tag kept', () => {
    const d = decodeAll(fb('out-file-default-format.log'));
    expect(
      d.every((x) => x.kind === 'value' && x.format === 'fluentbit' && x.fbTag === 'kcloud.events'),
    ).toBe(true);
    expect(eventTypes(d)).toEqual(input);
    const first = d[0]!;
    expect(first.kind === 'value' && (first.value as { decision: { reason: string } }).decision.reason).toBe(
      '최적 전력 효율성',
    );
  });
  it('docker json-file and the docker parser output', () => {
    for (const f of ['input-docker-json-file.log', 'out-file-plain-from-docker-parser.jsonl']) {
      const d = decodeAll(fb(f));
      expect(
        d.every((x) => x.kind === 'value' && x.format === 'docker'),
        f,
      ).toBe(true);
      expect(eventTypes(d)).toHaveLength(20);
    }
  });
  it('CRI lines with a P part joined to its F part', () => {
    const d = decodeAll(fb('input-cri.log'));
    expect(d.filter((x) => x.kind === 'partial')).toHaveLength(1);
    expect(eventTypes(d)).toHaveLength(20);
    expect(eventTypes(d)[3]).toBe('inefficiency_detected');
  });
  it('CRI multiline output of Fluent Bit (joined, still marked _p P)', () => {
    expect(eventTypes(decodeAll(fb('out-file-plain-from-cri-multiline.jsonl')))).toHaveLength(20);
  });
});

describe('decodeLine edge cases', () => {
  it('blank lines, broken JSON, unknown text', () => {
    const st = {};
    expect(decodeLine('   ', st).kind).toBe('blank');
    expect(decodeLine('{"event_type": "x", ', st)).toMatchObject({
      kind: 'error',
      reason: expect.stringContaining('invalid JSON'),
    });
  });
  it('plain text lines are ordinary log lines (skipped), like text inside docker or CRI records', () => {
    const st: DecodeState = {};
    for (const line of [
      'hello world',
      'I0115 10:00:00.123456       1 main.go:42] starting meta-scheduler',
      '2025-01-15 10:00:00,123 INFO optimizer: 12 clusters scanned',
      '2025-01-15T10:00:00Z INFO started', // an ISO time, but not CRI's "stdout|stderr P|F"
      '[INFO] ready; config=[a, b]',
      'ERROR: [db] connection refused',
      '  indented text',
    ])
      expect(decodeLine(line, st), line).toEqual({ kind: 'text', format: 'text' });
  });
  it('a line that looks like JSON, a known format or an event but does not decode is still a reject', () => {
    const st: DecodeState = {};
    for (const [line, reason] of [
      ['{"event_type": "x", ', 'invalid JSON'],
      ['  {"event_type": "x"', 'invalid JSON'],
      ['[{"event_type": "x"}', 'invalid JSON'],
      ['kcloud.events: [1736935200.5, {"event_type":"x"', 'Fluent Bit record'],
      ['kcloud.events: [1736935200.5, "event_type"]', 'looks like a Fluent Bit record'],
      ['2025-01-15T10:00:00.1Z stdout X {"event_type":"x"}', 'looks like a CRI line'],
      ['2025-01-15T10:00:00.1Z stderr', 'looks like a CRI line'],
      ['INFO event {"event_type":"scheduling_decision","timestamp":1}', 'mentions "event_type"'],
    ] as const)
      expect(decodeLine(line, st), line).toMatchObject({
        kind: 'error',
        reason: expect.stringContaining(reason),
      });
  });
  it('Fluent Bit records with date and the event at top level or nested', () => {
    const st = {};
    expect(decodeLine('{"date":1736937000.1,"event_type":"x","timestamp":1}', st)).toMatchObject({
      kind: 'value',
      format: 'fluentbit-json',
    });
    const nested = decodeLine('{"date":1736937000.1,"log":{"event_type":"x","timestamp":1}}', st);
    expect(nested).toMatchObject({
      kind: 'value',
      format: 'fluentbit-json',
      raw: '{"event_type":"x","timestamp":1}',
    });
    const inMsg = decodeLine('{"date":1736937000.1,"message":"{\\"event_type\\":\\"x\\"}"}', st);
    expect(inMsg).toMatchObject({ kind: 'value', raw: '{"event_type":"x"}' });
  });
  it('ignores a byte order mark at the start of a line', () => {
    expect(decodeLine('\uFEFF{"event_type":"x","timestamp":1}', {})).toMatchObject({
      kind: 'value',
      raw: '{"event_type":"x","timestamp":1}',
    });
  });
  it('a docker record around plain text is an ordinary log line', () => {
    expect(
      decodeLine('{"log":"starting server\\n","stream":"stderr","time":"2025-01-15T10:00:00Z"}', {}).kind,
    ).toBe('text');
  });
  it('docker json-file partial records (16 KiB, no trailing newline) are joined', () => {
    const st: DecodeState = {};
    const head = '{"event_type":"x","pad":"' + 'p'.repeat(16384 - 25);
    const a = decodeLine(JSON.stringify({ log: head, stream: 'stdout', time: 't' }), st);
    const b = decodeLine(JSON.stringify({ log: '","timestamp":1}\n', stream: 'stdout', time: 't' }), st);
    expect(a.kind).toBe('partial');
    expect(b).toMatchObject({ kind: 'value', raw: head + '","timestamp":1}' });
  });
  it('a shorter docker record without a newline is a whole line (docker splits only at 16 KiB)', () => {
    const st: DecodeState = {};
    const a = decodeLine(
      JSON.stringify({ log: '{"event_type":"x","timestamp":1}', stream: 'stdout', time: 't' }),
      st,
    );
    expect(a).toMatchObject({ kind: 'value', raw: '{"event_type":"x","timestamp":1}' });
  });
  it('joined parts are bounded by maxLineBytes, in linear time', () => {
    const st: DecodeState = { maxLineBytes: 100_000 };
    const part = JSON.stringify({
      log: '{"event_type":"x","pad":"' + 'p'.repeat(16384 - 25),
      stream: 'stdout',
    });
    for (let i = 0; i < 10; i++) expect(decodeLine(part, st).kind).toBe('partial');
    expect(st.docker!.parts.length).toBeLessThan(10); // parts past the limit are not held
    const end = decodeLine(JSON.stringify({ log: '"}\n', stream: 'stdout' }), st);
    expect(end).toMatchObject({ kind: 'error' });
    expect((end as { reason: string }).reason).toMatch(
      /joined from 11 parts is \d+ bytes, longer than --max-line-bytes 100000/,
    );
    const cri: DecodeState = { maxLineBytes: 50 };
    decodeLine('2025-01-15T10:00:00Z stdout P {"event_type":"x",', cri);
    decodeLine('2025-01-15T10:00:00Z stdout P "pad":"' + 'q'.repeat(40), cri);
    expect(decodeLine('2025-01-15T10:00:00Z stdout F "}', cri)).toMatchObject({ kind: 'error' });
    expect(cri.cri).toBeUndefined();
  });
});
