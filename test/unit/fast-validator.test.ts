/**
 * The fast validity check (src/lib/schema/fast.ts) against zod, the one definition: fed the same
 * random valid and mutated events, the fast check must never accept what zod rejects, and must
 * accept nearly every valid event (else ingest pays for zod anyway).
 */
import fs from 'node:fs';
import path from 'node:path';
import { describe, expect, it, vi } from 'vitest';
import { z } from 'zod';
import { generateEvents, mulberry32 } from '../../examples/generate.mjs';
import { classify, isKnownType, passesFast, type Json, type JsonObject } from '../../src/lib/schema/index.js';
import { compileFast } from '../../src/lib/schema/fast.js';
import * as common from '../../src/lib/schema/common.js';
import * as decision from '../../src/lib/schema/scheduling-decision.js';
import * as relocation from '../../src/lib/schema/workload-relocation.js';
import * as reconfiguration from '../../src/lib/schema/cluster-reconfiguration.js';
import * as inefficiency from '../../src/lib/schema/inefficiency-detected.js';
import * as policy from '../../src/lib/schema/policy-change.js';
import { FIXTURES } from '../helpers.js';

const SCHEMAS: Record<string, { nested: z.ZodType; flat: z.ZodType; isFlat(o: JsonObject): boolean }> = {
  scheduling_decision: decision,
  workload_relocation: relocation,
  cluster_reconfiguration: reconfiguration,
  inefficiency_detected: inefficiency,
  policy_change: policy,
};
const ALL = Object.values(SCHEMAS).flatMap((m) => [m.nested, m.flat]);
const FAST = new Map(ALL.map((s) => [s, compileFast(s)]));

const parse = (l: string): unknown => {
  try {
    return JSON.parse(l);
  } catch {
    return undefined;
  }
};
const isObj = (v: unknown): v is JsonObject => typeof v === 'object' && v !== null && !Array.isArray(v);
const known = (v: unknown): v is JsonObject =>
  isObj(v) && typeof v.event_type === 'string' && isKnownType(v.event_type);
const zodOk = (o: JsonObject) => {
  const m = SCHEMAS[o.event_type as string]!;
  return (m.isFlat(o) ? m.flat : m.nested).safeParse(o).success;
};

/** Every known-type event of the fixtures and of a generated log, valid or not (the mutation seeds). */
const fixtureEvents = ['spec-events.jsonl', 'spec-events-flat.jsonl'].flatMap((f) =>
  fs.readFileSync(path.join(FIXTURES, f), 'utf8').split('\n').filter(Boolean).map(parse),
);
const seeds = [...fixtureEvents, ...generateEvents({ events: 4000, seed: 13 }).lines.map(parse)].filter(
  known,
);
const valid = seeds.filter(zodOk);

const NUMBERS = [
  0,
  -0,
  1,
  -1,
  0.5,
  1e12,
  -1e12,
  1e12 + 1,
  -1e12 - 1,
  1e12 * (1 + 2 ** -52),
  2 ** 53 + 2,
  2 ** 70,
  2 ** 70 * (1 + 2 ** -52),
  1e300,
  -1e-300,
  12.5,
  100,
  3,
];
const STRINGS = [
  '',
  ' ',
  '\t\n',
  'NaN',
  'Infinity',
  '-Infinity',
  '1e3',
  '25%',
  ' 25 % ',
  '-25%',
  '25.%',
  '%',
  '25.5%',
  '1000000000000%',
  '1000000000001%',
  '-1000000000000',
  '32Gi',
  '1.5Mi',
  '500m',
  '2Ei',
  '1024Ei',
  '1025Ei',
  '1024.0001Ei',
  '1180591620717411303424',
  '1180591620717411303425000',
  '32 Gi',
  '32gi',
  '-1Gi',
  'HIGH',
  'Critical',
  'medium ',
  ' low',
  'unknown',
  'scheduled',
  'FAILED',
  'pending',
  'applied',
  'Applied',
  'x',
  'true',
];
const OTHERS: Json[] = [null, true, false, {}, [], [1], { cluster: 'c', cost: 1 }];

const pick = <T>(rnd: () => number, xs: readonly T[]): T => xs[Math.floor(rnd() * xs.length)]!;

/** Every container in `v` with its keys (objects) or indexes (arrays), the root included. */
function containers(v: Json, out: { parent: JsonObject | Json[] }[] = []): { parent: JsonObject | Json[] }[] {
  if (isObj(v)) {
    out.push({ parent: v });
    for (const c of Object.values(v)) containers(c, out);
  } else if (Array.isArray(v)) {
    out.push({ parent: v });
    for (const c of v) containers(c, out);
  }
  return out;
}

/** One random change somewhere in `e` (in place). */
function mutate(rnd: () => number, e: JsonObject): void {
  const { parent } = pick(rnd, containers(e));
  const keys: (string | number)[] = Array.isArray(parent) ? parent.map((_, i) => i) : Object.keys(parent);
  const set = (k: string | number, v: Json) => ((parent as Record<string | number, Json>)[k] = v);
  const r = rnd();
  if (keys.length === 0 || r < 0.1) {
    // an extra field, often one of another event's (nested vs flat mixes)
    const donor = pick(rnd, valid);
    const k =
      rnd() < 0.7 ? pick(rnd, Object.keys(donor)) : pick(rnd, ['extra', 'severity', 'metrics', 'migration']);
    set(Array.isArray(parent) ? parent.length : k, structuredClone(donor[k] ?? pick(rnd, STRINGS)));
    return;
  }
  const k = pick(rnd, keys);
  if (r < 0.25) {
    if (Array.isArray(parent)) parent.splice(k as number, 1);
    else delete parent[String(k)];
  } else if (r < 0.5) set(k, pick(rnd, NUMBERS) * (rnd() < 0.1 ? -1 : 1));
  else if (r < 0.75) set(k, pick(rnd, STRINGS));
  else if (r < 0.9) set(k, structuredClone(pick(rnd, OTHERS)));
  else set(k, structuredClone(pick(rnd, Object.values(pick(rnd, valid)))));
}

describe('fast validity check', () => {
  it('has a corpus of valid events of every type and both shapes', () => {
    for (const [t, m] of Object.entries(SCHEMAS)) {
      const ofType = valid.filter((e) => e.event_type === t);
      expect(ofType.length, t).toBeGreaterThan(10);
      if (m.flat !== m.nested) expect(ofType.filter(m.isFlat).length, `${t} flat`).toBeGreaterThan(3);
    }
  });

  it('accepts nearly every valid event (the fixtures and the generator)', () => {
    const fast = valid.filter((e) => passesFast(e.event_type as never, e));
    expect(fast.length / valid.length).toBeGreaterThanOrEqual(0.99);
    for (const e of fixtureEvents.filter(known))
      expect(passesFast(e.event_type as never, e), JSON.stringify(e)).toBe(true);
  });

  it('never accepts what zod rejects: 24,000 random mutated events, both shapes', () => {
    const rnd = mulberry32(20250115);
    let zodValid = 0;
    let fastValid = 0;
    for (let i = 0; i < 24000; i++) {
      const e = structuredClone(pick(rnd, rnd() < 0.9 ? valid : seeds));
      const m = SCHEMAS[e.event_type as string]!; // the seed's type, before event_type may change
      const n = 1 + Math.floor(rnd() * 3);
      for (let j = 0; j < n; j++) mutate(rnd, e);
      for (const s of [m.nested, m.flat]) {
        const fast = FAST.get(s)!(e);
        const zod = s.safeParse(e).success;
        if (fast && !zod) expect.fail(`fast accepts what zod rejects: ${JSON.stringify(e)}`);
      }
      if (!known(e)) continue;
      const ok = zodOk(e);
      const c = classify(e);
      if (c.kind === 'event' && !ok) expect.fail(`classify accepts: ${JSON.stringify(e)}`);
      if (ok) zodValid++;
      if (passesFast(e.event_type as never, e)) fastValid++;
    }
    // the mutations break most events but leave many valid, and the fast check takes nearly all of those
    expect(zodValid).toBeGreaterThan(24000 * 0.1);
    expect(zodValid).toBeLessThan(24000 * 0.5);
    expect(fastValid / zodValid).toBeGreaterThan(0.95);
  });

  it('does not run zod for a valid event, and rejects an invalid one with zod’s reason', () => {
    const spy = vi.spyOn(decision.nested, 'safeParse');
    const ok = valid.find((e) => e.event_type === 'scheduling_decision' && !decision.isFlat(e))!;
    expect(classify(ok)).toMatchObject({ kind: 'event', known: true });
    expect(spy).not.toHaveBeenCalled();
    const bad = structuredClone(ok) as { execution_time_ms: Json };
    bad.execution_time_ms = -1;
    expect(classify(bad)).toEqual({
      kind: 'reject',
      reason: 'scheduling_decision (nested form): execution_time_ms must be >= 0',
    });
    bad.execution_time_ms = '25%';
    expect(classify(bad)).toEqual({
      kind: 'reject',
      reason: 'scheduling_decision (nested form): execution_time_ms must be a number',
    });
    expect(spy).toHaveBeenCalledTimes(2);
    spy.mockRestore();
  });

  it('falls back to zod for what it does not know, and for quantities and percentages at their limits', () => {
    const fast = (s: z.ZodType, v: unknown) => compileFast(s)(v);
    const { quantity, percent, severity, nonEmpty, count } = common;
    expect([
      fast(quantity, '1024Ei'),
      fast(quantity, '1025Ei'),
      fast(quantity, 2 ** 70),
      fast(quantity, '-1Gi'),
    ]).toEqual([true, false, true, false]);
    expect([
      fast(percent, ' 25 % '),
      fast(percent, '25.%'),
      fast(percent, 1e12),
      fast(percent, 1e12 + 1),
    ]).toEqual([true, false, true, false]);
    expect([
      fast(severity, 'HIGH'),
      fast(severity, 'urgent'),
      fast(nonEmpty, ' \t'),
      fast(count, 1.5),
    ]).toEqual([true, false, false, false]);
    expect(fast(z.string().email(), 'a@b.co')).toBe(false); // an unknown string format: never fast
    expect(fast(z.looseObject({ a: z.string().default('x') }), {})).toBe(false); // defaults: never fast
    expect(fast(z.strictObject({ a: z.string() }), { a: 'x' })).toBe(false); // strict objects: never fast
  });
});
