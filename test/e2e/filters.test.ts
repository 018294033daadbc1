/**
 * Filters that can match nothing are usage errors (exit 2, listing the valid values), not "no
 * events match"; --limit 0 counts; durations in time flags count back from now in every command.
 */
import fs from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ROOT, cli, cliJson, tmpDir } from '../helpers.js';

let dir: string;
let db: string;
beforeAll(() => {
  dir = tmpDir('kcl-filters-');
  db = path.join(dir, 'examples.duckdb');
  const r = cli(['ingest', path.join(ROOT, 'examples', 'logs')], { db });
  if (r.code !== 0) throw new Error(r.stderr);
});
afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));

const KNOWN =
  'scheduling_decision, workload_relocation, cluster_reconfiguration, inefficiency_detected, policy_change';

describe('unknown values and inverted windows: exit 2 naming what is valid', () => {
  const cases: [string[], string][] = [
    [['events', '--severity', 'urgent'], '--severity "urgent": expected low, medium, high or critical'],
    [
      ['events', '--type', 'schedulng_decision'],
      `--type "schedulng_decision": no such event type; expected ${KNOWN}, or a type stored as a generic event (node_heartbeat)`,
    ],
    [
      ['events', '--since', '2025-02-01', '--until', '2025-01-01'],
      '--until must be after --since (--since 2025-02-01 is at or after --until 2025-01-01)',
    ],
    [['events', '--since', '1h', '--until', '2h'], '--until must be after --since'],
    [
      ['trace', 'etl-job-8', '--since', '2025-01-16', '--until', '2025-01-15'],
      '--until must be after --since',
    ],
    [['tail', '--type', 'policy_chnage'], '--type "policy_chnage": no such event type'],
    [['analyze', 'cost', '--type', 'relocation'], '--type "relocation": no such event type'],
    [['analyze', 'scheduling', '--severity', 'severe'], '--severity "severe"'],
    [
      ['analyze', 'scheduling', '--baseline-since', '2025-01-16', '--baseline-until', '2025-01-15'],
      '--baseline-until must be after --baseline-since',
    ],
    [['alerts', '--since', '2025-01-16', '--at', '2025-01-15'], '--at must be after --since'],
    [['analyze', 'sla', '--since', '2025-01-16', '--until', '2025-01-15'], '--until must be after --since'],
  ];
  it.each(cases.map(([args, msg]) => [args.join(' '), args, msg] as const))('%s', (_n, args, msg) => {
    const r = cli(args, { db, timeoutMs: 30_000 });
    expect(r.code, r.stderr).toBe(2);
    expect(r.stderr.split('\n').filter(Boolean)).toEqual([expect.stringMatching(/^ › {3}Error: /)]);
    expect(r.stderr).toContain(` ›   Error: ${msg}`);
    if (args[0] === 'tail') return; // tail streams lines: it has no --json
    const j = cliJson<{ error: { message: string; exit: number } }>(args, { db, timeoutMs: 30_000 });
    expect(j.code).toBe(2);
    expect(j.json.error).toMatchObject({ message: expect.stringContaining(msg), exit: 2 });
  });

  it('a type stored as a generic event is a valid --type', () => {
    const r = cliJson<{ total: number }>(['events', '--type', 'node_heartbeat'], { db });
    expect(r.code, r.stderr).toBe(0);
    expect(r.json.total).toBe(5);
  });
});

describe('events --limit 0', () => {
  it('counts the matches and shows none', () => {
    const r = cli(['events', '--limit', '0'], { db });
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout.trim()).toBe('showing 0 of 1,006 matching events (--limit 0)');
    const j = cliJson<{ total: number; events: unknown[] }>(['events', '--limit', '0'], { db });
    expect(j.json).toEqual({ total: 1006, events: [] });
    expect(cli(['events', '--since', '2030-01-01'], { db }).stdout.trim()).toBe('no events match');
  });
});

describe('one rule for relative times: a duration counts back from now, in every command', () => {
  it('events, analyze sla, analyze cost and alerts read "2h" as two hours before the wall clock', () => {
    const before = Date.now();
    const sla = cliJson<{ slos: { window: { since: string } }[]; window?: unknown }>(
      ['analyze', 'sla', '--since', '2h'],
      { db },
    );
    const alerts = cliJson<{ at: string }>(
      ['alerts', '--rules', path.join(ROOT, 'examples', 'alert-rules.yaml'), '--at', '2h'],
      { db },
    );
    const cost = cliJson<{ window: { requested: { since: string } } }>(['analyze', 'cost', '--since', '2h'], {
      db,
    });
    const after = Date.now();
    const inRange = (iso: string) => {
      const t = Date.parse(iso) + 2 * 3_600_000;
      return t >= before - 1000 && t <= after + 1000;
    };
    expect(alerts.code, alerts.stderr).toBe(0);
    expect(inRange(alerts.json.at), alerts.json.at).toBe(true);
    // the examples end on 2025-01-15: a window from two hours before now holds none of them
    expect(sla.code, sla.stderr).toBe(0);
    expect(inRange(sla.json.slos[0]!.window.since), sla.json.slos[0]!.window.since).toBe(true);
    expect(cliJson<{ total: number }>(['events', '--since', '2h'], { db }).json.total).toBe(0);
    expect(inRange(cost.json.window.requested.since)).toBe(true);
  });
});
