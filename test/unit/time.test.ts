import { describe, expect, it } from 'vitest';
import {
  microsToIso,
  parseDurationMs,
  parseEventTime,
  parseIsoMicros,
  parseTimeBound,
  readEventTime,
} from '../../src/lib/time.js';
import { UsageError } from '../../src/lib/errors.js';

const us = (iso: string) => Date.parse(iso) * 1000;

describe('parseEventTime', () => {
  it('reads ISO with Z, offsets with and without colon, and none (UTC)', () => {
    expect(parseEventTime('2025-01-15T10:30:00Z')).toBe(us('2025-01-15T10:30:00Z'));
    expect(parseEventTime('2025-01-15T10:29:59.812+0900')).toBe(us('2025-01-15T01:29:59.812Z'));
    expect(parseEventTime('2025-01-15T10:30:00-05:30')).toBe(us('2025-01-15T16:00:00Z'));
    expect(parseEventTime('2025-01-15T10:30:00')).toBe(us('2025-01-15T10:30:00Z'));
    expect(parseEventTime('2025-01-15 10:30:00.123456Z')).toBe(us('2025-01-15T10:30:00.123Z') + 456);
    expect(parseEventTime('2025-01-15T10:31:00.123456789Z')).toBe(us('2025-01-15T10:31:00.123Z') + 456);
  });
  it('reads epoch seconds and milliseconds', () => {
    expect(parseEventTime(1736937000)).toBe(us('2025-01-15T10:30:00Z'));
    expect(parseEventTime(1736937000123)).toBe(us('2025-01-15T10:30:00.123Z'));
    expect(parseEventTime(1736937000.5)).toBe(us('2025-01-15T10:30:00.500Z'));
  });
  it('refuses impossible dates and junk', () => {
    for (const bad of [
      '2025-02-30T00:00:00Z',
      '2025-13-01T00:00:00Z',
      '2025-01-15T25:00:00Z',
      'yesterday',
      '',
      '2025-01-15T10:30:00+25:00',
    ])
      expect(parseEventTime(bad), bad).toBeUndefined();
    expect(parseEventTime(-5)).toBeUndefined();
    expect(parseEventTime(Number.NaN)).toBeUndefined();
    expect(parseEventTime(true)).toBeUndefined();
  });
});

describe('the event time range', () => {
  it('keeps times from 1700 to 2199 exactly, refuses the rest (never another year)', () => {
    expect(readEventTime('1700-01-01T00:00:00Z')).toEqual({ ok: true, micros: us('1700-01-01T00:00:00Z') });
    expect(parseEventTime('2199-12-31T23:59:59.999999Z')).toBe(us('2199-12-31T23:59:59.999Z') + 999);
    expect(microsToIso(parseEventTime('1700-01-01T00:00:00.000001Z')!)).toBe('1700-01-01T00:00:00.000001Z');
    for (const bad of [
      '0050-01-01T00:00:00Z',
      '0000-01-01',
      '1699-12-31T23:59:59Z',
      '2200-01-01T00:00:00Z',
      '9999-12-31',
    ])
      expect(readEventTime(bad), bad).toMatchObject({
        ok: false,
        reason: expect.stringMatching(/outside the supported range/),
      });
    expect(readEventTime('1700-01-01T00:30:00+01:00').ok).toBe(false);
  });
  it('epoch numbers: seconds below 1e11, milliseconds above; huge ones refused', () => {
    expect(parseEventTime(99_999_999_999)).toBeUndefined(); // seconds: the year 5138
    expect(parseEventTime(100_000_000_000)).toBe(us('1973-03-03T09:46:40Z'));
    for (const bad of [1.7e15, 1e17, 9.3e18, 1e300])
      expect(readEventTime(bad), String(bad)).toMatchObject({ ok: false });
    expect(readEventTime(-1)).toEqual({ ok: false, reason: 'is a negative epoch number' });
  });
  it('--since/--until out of range are usage errors', () => {
    expect(() => parseTimeBound('0050-01-01', '--since')).toThrow(
      /--since: "0050-01-01" is outside the supported range/,
    );
    expect(() => parseTimeBound('99999999d', '--since')).toThrow(UsageError);
  });
});

describe('microsToIso', () => {
  it('prints UTC, with a fraction only when needed', () => {
    expect(microsToIso(us('2025-01-15T10:30:00Z'))).toBe('2025-01-15T10:30:00Z');
    expect(microsToIso(us('2025-01-15T10:30:00.120Z'))).toBe('2025-01-15T10:30:00.120Z');
    expect(microsToIso(us('2025-01-15T10:30:00.120Z') + 7)).toBe('2025-01-15T10:30:00.120007Z');
  });
  it('round-trips with parseIsoMicros', () => {
    const t = us('2024-02-29T23:59:59.999Z') + 123;
    expect(parseIsoMicros(microsToIso(t))).toBe(t);
  });
});

describe('durations and bounds', () => {
  it('parses relative durations', () => {
    expect(parseDurationMs('15m')).toBe(900_000);
    expect(parseDurationMs('24h')).toBe(86_400_000);
    expect(parseDurationMs('7d')).toBe(604_800_000);
    expect(parseDurationMs('7 days')).toBeUndefined();
  });
  it('resolves --since values against now', () => {
    const now = Date.parse('2025-01-16T00:00:00Z');
    expect(parseTimeBound('1d', '--since', now)).toBe(us('2025-01-15T00:00:00Z'));
    expect(parseTimeBound('2025-01-15', '--since', now)).toBe(us('2025-01-15T00:00:00Z'));
    expect(() => parseTimeBound('last week', '--since', now)).toThrow(UsageError);
    expect(() => parseTimeBound('last week', '--since', now)).toThrow(/--since/);
  });
});
