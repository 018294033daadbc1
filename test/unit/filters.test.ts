import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { checkTypes, filterFromFlags } from '../../src/lib/query/filters.js';
import { UsageError } from '../../src/lib/errors.js';
import { parseTimeRange } from '../../src/lib/time.js';
import { openStore } from '../../src/lib/store/open.js';
import { decisionLine, ingestLines, tmpDir } from '../helpers.js';

const usage = (fn: () => unknown) => {
  try {
    fn();
  } catch (e) {
    expect(e).toBeInstanceOf(UsageError);
    return (e as Error).message;
  }
  throw new Error('no usage error');
};

describe('filter flags: a value that can match nothing is a usage error, not "no events match"', () => {
  it('--severity: one of low, medium, high, critical (any case, comma-separated)', () => {
    expect(filterFromFlags({ severity: ['HIGH,critical'] }).severities).toEqual(['high', 'critical']);
    expect(usage(() => filterFromFlags({ severity: ['high', 'urgent'] }))).toBe(
      '--severity "urgent": expected low, medium, high or critical',
    );
  });

  it('--since must be before --until (an inverted or empty window)', () => {
    const now = Date.UTC(2025, 0, 16);
    expect(filterFromFlags({ since: '2025-01-15', until: '1h' }, now)).toMatchObject({
      since: Date.UTC(2025, 0, 15) * 1000,
      until: (now - 3_600_000) * 1000,
    });
    for (const [since, until] of [
      ['2025-02-01', '2025-01-01'],
      ['2025-01-15', '2025-01-15'],
      ['1h', '2h'], // durations before now: 1h ago is after 2h ago
    ])
      expect(usage(() => filterFromFlags({ since, until }, now))).toBe(
        `--until must be after --since (--since ${since} is at or after --until ${until})`,
      );
  });

  it('parseTimeRange names the flags it checks', () => {
    expect(
      usage(() => parseTimeRange('2h', '3h', ['--baseline-since', '--baseline-until'], Date.now())),
    ).toBe(
      '--baseline-until must be after --baseline-since (--baseline-since 2h is at or after --baseline-until 3h)',
    );
  });
});

describe('checkTypes: the five known types, or a type stored as a generic event', () => {
  it('refuses a mistyped type, listing the valid ones; accepts a stored generic type', async () => {
    const db = path.join(tmpDir(), 'types.duckdb');
    await ingestLines(db, [
      decisionLine(1),
      JSON.stringify({ event_type: 'node_heartbeat', timestamp: '2025-01-15T00:00:00Z', node: 'n1' }),
    ]);
    const store = await openStore(db, { readOnly: true });
    try {
      await checkTypes(store, undefined);
      await checkTypes(store, ['scheduling_decision', 'policy_change', 'node_heartbeat']);
      await expect(checkTypes(store, ['schedulng_decision', 'node_heartbeat'])).rejects.toThrow(
        new UsageError(
          '--type "schedulng_decision": no such event type; expected scheduling_decision, workload_relocation, cluster_reconfiguration, inefficiency_detected, policy_change, or a type stored as a generic event (node_heartbeat)',
        ),
      );
    } finally {
      store.close();
    }
  });
});

describe('filters name their options as the caller does (the service: query parameters)', () => {
  const param = (name: string) => name;
  it('names --severity, --since/--until and --where by the name given; the CLI keeps --NAME', () => {
    expect(usage(() => filterFromFlags({ severity: ['urgent'] }, Date.now(), param))).toBe(
      'severity "urgent": expected low, medium, high or critical',
    );
    expect(usage(() => filterFromFlags({ since: '2h', until: '3h' }, Date.now(), param))).toBe(
      'until must be after since (since 2h is at or after until 3h)',
    );
    expect(usage(() => filterFromFlags({ where: ['nonsense'] }, Date.now(), param))).toMatch(
      /^where "nonsense": expected PATH=VALUE/,
    );
  });

  it('refuses a comparison with a non-number when the flag is read, not when the query runs', () => {
    expect(usage(() => filterFromFlags({ where: ['execution_time_ms>abc'] }))).toBe(
      '--where execution_time_ms>abc: > needs a number',
    );
    expect(usage(() => filterFromFlags({ where: ['execution_time_ms<=x'] }, Date.now(), param))).toBe(
      'where execution_time_ms<=x: <= needs a number',
    );
    expect(filterFromFlags({ where: ['decision.selected_cluster=gpu', 'reason~x'] }).where).toHaveLength(2);
  });
});
