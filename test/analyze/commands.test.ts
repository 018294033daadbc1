/**
 * The commands: --json documents with the issue's keys, and the CI gates'
 * exit codes (3 exactly when a threshold is missed, the JSON still printed).
 * The command classes run directly (no built dist/ needed).
 */
import fs from 'node:fs';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import AnalyzeScheduling from '../../src/commands/analyze/scheduling.js';
import AnalyzeCost from '../../src/commands/analyze/cost.js';
import Trace from '../../src/commands/trace.js';
import { runCmd } from '../run-command.js';
import { buildStore, generate, refScheduling, tmpDir, T0_US, type GenDecision } from '../scenario.js';

const HOUR = 3600e6;
const MID = T0_US + 24 * HOUR;
let dir: string;
let db: string;
let decisions: GenDecision[];

beforeAll(async () => {
  dir = tmpDir();
  const events = generate({
    seed: 3,
    decisions: 1200,
    gapSeconds: 144,
    latency: (us, r) => (us < MID ? 150 + r() * 100 : 90 + r() * 60),
    policyAt: 0.5,
  });
  decisions = events.filter((e): e is GenDecision => e.kind === 'decision');
  db = await buildStore(dir, 'cmd', events);
}, 60_000);

afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));
afterEach(() => {
  process.exitCode = undefined;
});

/** Run a command class with --json on the test store (see test/run-command.ts). */
const run = (cmd: Parameters<typeof runCmd>[0], argv: string[]) => runCmd(cmd, [...argv, '--db', db]);

const iso = (us: number) => new Date(us / 1000).toISOString();

describe('analyze scheduling --json', () => {
  it('prints the documented keys', async () => {
    const r = await run(AnalyzeScheduling, ['--by', 'scheduler', '--interval', '1h']);
    expect(r.error).toBeUndefined();
    expect(r.code ?? 0).toBe(0);
    for (const k of [
      'decisions',
      'throughput_per_min',
      'latency_ms',
      'success_rate',
      'cheapest_choice_rate',
      'regret_usd_per_hour',
      'groups',
      'trend',
    ]) {
      expect(r.json, k).toHaveProperty(k);
    }
    expect(Object.keys(r.json!.latency_ms as object)).toEqual(
      expect.arrayContaining(['avg', 'p50', 'p90', 'p95', 'p99', 'max']),
    );
    expect(r.json!.decisions).toBe(decisions.length);
  });

  it('exits 3 exactly when the reduction is missed, and still prints the result', async () => {
    const base = ['--since', iso(MID), '--baseline-until', iso(MID)];
    const ok = await run(AnalyzeScheduling, [...base, '--fail-under-reduction', '30']);
    const change = (ok.json!.change as { avg_pct: number }).avg_pct;
    expect(change).toBeLessThan(-30);
    expect(ok.code ?? 0).toBe(0);
    expect(ok.json!.verdict).toBe('pass');
    expect(ok.json!.baseline).toHaveProperty('latency_ms');

    const bad = await run(AnalyzeScheduling, [...base, '--fail-under-reduction', String(-change + 1)]);
    expect(bad.code).toBe(3);
    expect(bad.json!.verdict).toBe('fail');
    expect(bad.stderr).toContain('--fail-under-reduction');
  });

  it('exits 3 exactly when p95 is over the threshold', async () => {
    const p95 = refScheduling(decisions).p95!;
    const over = await run(AnalyzeScheduling, ['--fail-if-p95-over', String(Math.floor(p95 - 1))]);
    expect(over.code).toBe(3);
    expect((over.json!.latency_ms as { p95: number }).p95).toBeGreaterThan(Math.floor(p95 - 1));
    const under = await run(AnalyzeScheduling, ['--fail-if-p95-over', String(Math.ceil(p95 + 1))]);
    expect(under.code ?? 0).toBe(0);
  });

  it('refuses a reduction gate without a baseline (exit 2)', async () => {
    // With --json, oclif prints the error as JSON and sets the exit code instead of throwing.
    const r = await run(AnalyzeScheduling, ['--fail-under-reduction', '30']);
    expect(r.code).toBe(2);
    expect(JSON.stringify(r.json)).toContain(
      'One of the following must be provided when using --fail-under-reduction: --baseline-since, --baseline-until, --baseline-db',
    );
  });
});

describe('analyze cost --json', () => {
  it('prints the documented keys', async () => {
    const r = await run(AnalyzeCost, ['--around-policy', 'cost-opt-v2']);
    expect(r.error).toBeUndefined();
    const j = r.json!;
    expect(j.relocations).toEqual(
      expect.objectContaining({
        count: expect.any(Number),
        estimated_savings_usd_per_hour: expect.any(Number),
        realized_savings_usd: expect.any(Number),
      }),
    );
    expect(j.waste).toEqual(
      expect.objectContaining({
        total_usd: expect.any(Number),
        by_cluster: expect.any(Array),
        by_type: expect.any(Array),
      }),
    );
    for (const k of ['reconfigurations', 'energy_saved_kwh', 'monthly_projection_usd', 'policy_comparison'])
      expect(j, k).toHaveProperty(k);
    expect((j.policy_comparison as { policy_id: string }).policy_id).toBe('cost-opt-v2');
    expect(j.monthly_projection_usd).toBeCloseTo((j.run_rate_usd_per_hour as number) * 730, 6);
    const basis = j.basis as Record<string, string>;
    for (const k of ['window', 'realized_savings_usd', 'run_rate_usd_per_hour', 'energy_saved_kwh'])
      expect(basis[k], k).toBeTruthy();
    expect(basis.monthly_projection_usd).toMatch(/^monthly = run-rate [\d.]+ USD\/h x 730 h$/);
  });

  it('the human report states the run-rate behind the monthly projection and the window rule', async () => {
    const r = await runCmd(AnalyzeCost, ['--until', '2030-01-01', '--db', db], { json: false });
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toMatch(/run-rate at end +[\d,.]+ USD\/h/);
    expect(r.stdout).toMatch(/monthly projection +[\d,.]+ USD +\(run-rate [\d.]+ USD\/h x 730 h\)/);
    expect(r.stdout).toContain('--until is later; nothing is stored after it');
  });

  it('--until not after --since is a usage error (exit 2)', async () => {
    const r = await run(AnalyzeCost, ['--since', '2025-01-16', '--until', '2025-01-15']);
    expect(r.code).toBe(2);
    expect(r.message).toContain('--until must be after --since');
  });
});

describe('trace --json', () => {
  it('prints the documented keys', async () => {
    const r = await run(Trace, ['wl-1']);
    expect(r.error).toBeUndefined();
    for (const k of ['workload_id', 'events', 'placements', 'relocations', 'summary'])
      expect(r.json, k).toHaveProperty(k);
  });
  it('--raw adds each stored event; --limit bounds the list, not the counts', async () => {
    const plain = await run(Trace, ['wl-1', '--limit', '2']);
    const raw = await run(Trace, ['wl-1', '--raw', '--inefficiencies', 'all']);
    type T = {
      events: { event?: unknown }[];
      inefficiencies: unknown[];
      summary: { inefficiencies: number };
    };
    const p = plain.json as T;
    const a = raw.json as T;
    expect(p.events.every((e) => e.event === undefined)).toBe(true);
    expect(a.events.every((e) => e.event !== undefined)).toBe(true);
    expect(p.inefficiencies.length).toBe(Math.min(2, a.summary.inefficiencies));
    expect(a.inefficiencies.length).toBe(a.summary.inefficiencies);
    const bad = await run(Trace, ['wl-1', '--limit', 'some']);
    expect(bad.code).toBe(2);
  });
  it('exits 2 (usage) for an unknown id', async () => {
    const r = await run(Trace, ['wl-nope-123']);
    expect(r.code).toBe(2);
    // With --json the error is also a JSON document on stdout.
    expect(JSON.stringify(r.json)).toContain('no events for workload');
  });
});
