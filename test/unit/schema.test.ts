import fs from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { classify, normaliseEvent, type JsonObject } from '../../src/lib/schema/index.js';
import { parseQuantity } from '../../src/lib/schema/common.js';
import { FIXTURES } from '../helpers.js';

const lines = (f: string) =>
  fs
    .readFileSync(path.join(FIXTURES, f), 'utf8')
    .split('\n')
    .filter(Boolean)
    .map((l) => JSON.parse(l) as Record<string, unknown>);

describe('classify', () => {
  it('accepts every specification event, nested and flat', () => {
    for (const e of [...lines('spec-events.jsonl'), ...lines('spec-events-flat.jsonl')]) {
      const c = classify(e);
      expect(c, JSON.stringify(e)).toMatchObject({ kind: 'event', known: true, eventType: e.event_type });
    }
  });
  it('skips ordinary module log lines', () => {
    for (const e of lines('module-log-lines.jsonl')) expect(classify(e).kind).toBe('skip');
  });
  it('keeps unknown types as generic events unless strict', () => {
    const e = { event_type: 'node_heartbeat', timestamp: '2025-01-15T10:00:00Z', node: 'n1' };
    expect(classify(e)).toMatchObject({ kind: 'event', known: false });
    expect(classify(e, { strict: true })).toMatchObject({
      kind: 'reject',
      reason: expect.stringContaining('node_heartbeat'),
    });
  });
  it('rejects missing fields with a readable reason naming the path', () => {
    const [d] = lines('spec-events.jsonl');
    const bad = structuredClone(d!) as { decision: Record<string, unknown> };
    delete bad.decision.selected_cluster;
    const c = classify(bad);
    expect(c.kind).toBe('reject');
    expect(c.kind === 'reject' && c.reason).toBe(
      'scheduling_decision (nested form): decision.selected_cluster is missing',
    );
  });
  it('rejects wrong types, bad timestamps and non-objects', () => {
    const [d] = lines('spec-events.jsonl');
    expect(classify({ ...d, execution_time_ms: 'fast' })).toMatchObject({
      kind: 'reject',
      reason: expect.stringContaining('execution_time_ms must be a number'),
    });
    expect(classify({ ...d, timestamp: '2025-13-45T99:00:00Z' })).toMatchObject({
      kind: 'reject',
      reason: expect.stringContaining('timestamp'),
    });
    expect(classify({ ...d, timestamp: undefined })).toMatchObject({
      kind: 'reject',
      reason: expect.stringContaining('timestamp is missing'),
    });
    expect(classify([1, 2])).toMatchObject({ kind: 'reject', reason: expect.stringContaining('array') });
    expect(classify({ event_type: 42, timestamp: 1 })).toMatchObject({ kind: 'reject' });
  });
  it('accepts percentages as numbers or strings, severity in any case', () => {
    const [, , reconf, ineff] = lines('spec-events.jsonl');
    expect(
      classify({ ...reconf, trigger: { ...(reconf!.trigger as object), expected_efficiency_gain: 25 } }).kind,
    ).toBe('event');
    expect(
      classify({ ...reconf, trigger: { ...(reconf!.trigger as object), expected_efficiency_gain: 'a lot' } })
        .kind,
    ).toBe('reject');
    expect(classify({ ...ineff, severity: 'HIGH' }).kind).toBe('event');
    expect(classify({ ...ineff, severity: 'urgent' }).kind).toBe('reject');
  });
  it('uses the event own id when it has one', () => {
    const [d] = lines('spec-events.jsonl');
    expect(classify({ ...d, event_id: 'evt-1' })).toMatchObject({ ownId: 'evt-1' });
    expect(classify({ ...d, event_id: 'bad\u001eid' })).toMatchObject({ ownId: undefined });
  });
});

describe('normaliseEvent', () => {
  it('maps the flat shape to the nested stored form', () => {
    const [d, r, i] = lines('spec-events-flat.jsonl');
    expect(normaliseEvent(d as never, 'x', '2025-01-15T11:00:00Z')).toMatchObject({
      event_id: 'x',
      event_type: 'scheduling_decision',
      workload: { id: 'ml-training-job-456' },
      decision: {
        selected_cluster: 'gpu-cluster-02',
        outcome: 'scheduled',
        cost_calculation: {
          estimated_power_watts: 1400,
          estimated_cost_per_hour: 16.8,
          efficiency_score: 0.85,
          alternatives: [
            { cluster: 'gpu-cluster-01', cost: 18.5 },
            { cluster: 'hybrid-cluster', cost: 22.3 },
          ],
        },
      },
      execution_time_ms: 180,
    });
    expect(normaliseEvent(r as never, 'y', 't')).toMatchObject({
      workload: 'inference-service-789',
      migration: {
        from_cluster: 'gpu-cluster-01',
        to_cluster: 'npu-cluster-01',
        power_saving_watts: 250,
        cost_saving_per_hour: 3.75,
      },
      migration_time_seconds: 35,
      downtime_seconds: 1,
    });
    expect(normaliseEvent(i as never, 'z', 't')).toMatchObject({
      severity: 'high',
      inefficiency: {
        type: 'idle_cluster',
        cluster: 'cpu-cluster-05',
        utilization: 5,
        idle_duration_hours: 12,
        wasted_cost_estimate: 150.4,
      },
    });
  });
  it('turns percentage strings into numbers and keeps unknown fields', () => {
    const [, , reconf] = lines('spec-events.jsonl');
    const n = normaliseEvent({ ...(reconf as JsonObject), extra_field: 1 }, 'a', 't') as {
      trigger: { expected_efficiency_gain: number };
      extra_field: number;
    };
    expect(n.trigger.expected_efficiency_gain).toBe(25);
    expect(n.extra_field).toBe(1);
  });
});

describe('parseQuantity', () => {
  it('reads Kubernetes quantities', () => {
    expect(parseQuantity('32Gi')).toBe(32 * 2 ** 30);
    expect(parseQuantity('500Mi')).toBe(500 * 2 ** 20);
    expect(parseQuantity('2G')).toBe(2e9);
    expect(parseQuantity('500m')).toBe(0.5);
    expect(parseQuantity(4)).toBe(4);
    expect(parseQuantity('lots')).toBeUndefined();
  });
});
