/**
 * `alerts` and `alerts rules add|list|remove` as commands: --json results,
 * exit codes (2 for a refused rule, 3 for --fail-on-firing), rules files.
 */
import fs from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import Alerts from '../../src/commands/alerts/index.js';
import RulesAdd from '../../src/commands/alerts/rules/add.js';
import RulesList from '../../src/commands/alerts/rules/list.js';
import RulesRemove from '../../src/commands/alerts/rules/remove.js';
import { buildDb, HOUR, scenario, tmpDir, type Ev, type Inefficiency } from '../scenario.js';
import { runCmd } from '../run-command.js';

let dir: string;
let db: string;
let events: Ev[];

beforeAll(async () => {
  dir = tmpDir();
  events = scenario({ seed: 3, hours: 30, decisionGap: 60, slow: [28, 30] });
  db = await buildDb(dir, 'cmd', events);
  fs.writeFileSync(
    path.join(dir, 'fires.yaml'),
    'rules:\n  - name: slow\n    metric: latency_p95_ms\n    window: 1h\n    threshold: 250\n    for: 10m\n    labels: {severity: page}\n',
  );
  fs.writeFileSync(
    path.join(dir, 'quiet.yaml'),
    'rules:\n  - name: never\n    metric: latency_p95_ms\n    window: 1h\n    threshold: 100000\n',
  );
}, 120_000);
afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));

const last = () => Math.max(...events.map((e) => e.us));

describe('alerts rules add | list | remove', () => {
  it('adds an event rule from flags and lists it', async () => {
    const r = await runCmd(RulesAdd, [
      'severe',
      '--type',
      'inefficiency_detected',
      '--where',
      'severity>=high',
      '--where',
      'wasted_cost_estimate > 100',
      '--label',
      'team=finops',
      '--message',
      '{{cluster}} wasted {{wasted_cost_estimate}}',
      '--db',
      db,
    ]);
    expect(r.code, r.stderr).toBe(0);
    expect(r.json).toMatchObject({ added: ['severe'], replaced: [] });
    const l = await runCmd(RulesList, ['--db', db]);
    const rules = l.json!.rules as {
      name: string;
      kind: string;
      condition: string;
      spec: { labels: object };
    }[];
    expect(rules.map((x) => [x.name, x.kind])).toEqual([['severe', 'event']]);
    expect(rules[0]!.condition).toBe(
      'inefficiency_detected where severity>=high and wasted_cost_estimate > 100',
    );
    expect(rules[0]!.spec.labels).toEqual({ team: 'finops' });
  });

  it('refuses a clash (exit 2) unless --replace; refuses a bad rule with the reason (exit 2)', async () => {
    const clash = await runCmd(RulesAdd, ['severe', '--type', 'policy_change', '--db', db]);
    expect(clash.code).toBe(2);
    expect(clash.message).toMatch(/already exists; use --replace/);
    const bad = await runCmd(RulesAdd, [
      'bad',
      '--type',
      'inefficiency_detected',
      '--where',
      'wasted > 1',
      '--db',
      db,
    ]);
    expect(bad.code).toBe(2);
    expect(bad.message).toMatch(/match\.where\[0\]: unknown field "wasted"/);
    const thr = await runCmd(RulesAdd, ['t', '--metric', 'latency_p95_ms', '--threshold', '100', '--db', db]);
    expect(thr.code).toBe(2);
    expect(thr.message).toMatch(/must be provided when using --metric: --threshold, --window/);
  });

  it('evaluates the stored rules: exactly the matching events', async () => {
    const r = await runCmd(Alerts, ['--db', db]);
    expect(r.code, r.stderr).toBe(0);
    const want = events.filter(
      (e): e is Inefficiency =>
        e.kind === 'inefficiency' && (e.severity === 'high' || e.severity === 'critical') && e.waste > 100,
    );
    const alerts = r.json!.alerts as { event: { event_id: string }; state: string; message: string }[];
    expect(alerts.map((a) => a.event.event_id).sort()).toEqual(want.map((e) => e.id).sort());
    expect((r.json!.counts as { firing: number }).firing).toBe(
      want.filter((e) => e.us + HOUR > last()).length,
    );
  });

  it('adds rules from a file, then removes them; an unknown name exits 2', async () => {
    const add = await runCmd(RulesAdd, ['--file', path.join(dir, 'fires.yaml'), '--db', db]);
    expect(add.json).toMatchObject({ added: ['slow'] });
    const rm = await runCmd(RulesRemove, ['severe', 'slow', '--db', db]);
    expect(rm.json).toEqual({ removed: ['severe', 'slow'] });
    const again = await runCmd(RulesRemove, ['severe', '--db', db]);
    expect(again.code).toBe(2);
    expect(again.message).toMatch(/no alert rule named "severe"/);
  });
});

describe('alerts --rules FILE', () => {
  it('--fail-on-firing exits 3 when a rule fires, 0 otherwise; the JSON is printed either way', async () => {
    const fires = await runCmd(Alerts, [
      '--rules',
      path.join(dir, 'fires.yaml'),
      '--fail-on-firing',
      '--db',
      db,
    ]);
    expect(fires.code).toBe(3);
    const a = (fires.json!.alerts as { rule: string; state: string; labels: object; value: number }[])[0]!;
    expect(a).toMatchObject({ rule: 'slow', state: 'firing', labels: { severity: 'page' } });
    expect(a.value).toBeGreaterThan(250);
    const quiet = await runCmd(Alerts, [
      '--rules',
      path.join(dir, 'quiet.yaml'),
      '--fail-on-firing',
      '--db',
      db,
    ]);
    expect(quiet.code).toBe(0);
    expect(quiet.json!.counts).toEqual({ firing: 0, pending: 0, resolved: 0 });
  });

  it('--backtest shows when each rule would have fired', async () => {
    const r = await runCmd(Alerts, [
      '--rules',
      path.join(dir, 'fires.yaml'),
      '--backtest',
      '30d',
      '--db',
      db,
    ]);
    expect(r.code).toBe(0);
    const rule = (
      r.json!.rules as {
        rule: string;
        fired: number;
        firings: { firing_since: string; resolved_at: string | null }[];
      }[]
    )[0]!;
    expect(rule.rule).toBe('slow');
    expect(rule.fired).toBeGreaterThanOrEqual(1);
    const lastFiring = rule.firings.at(-1)!;
    expect(lastFiring.resolved_at).toBeNull(); // still firing at the end
    expect(Date.parse(lastFiring.firing_since)).toBeGreaterThan(Date.parse('2025-03-02T04:00:00Z'));
  });

  it('a bad --backtest or rules file is a usage error', async () => {
    expect((await runCmd(Alerts, ['--backtest', 'soon', '--db', db])).code).toBe(2);
    fs.writeFileSync(path.join(dir, 'bad.yaml'), 'rules:\n  - name: x\n    metric: p95\n');
    const r = await runCmd(Alerts, ['--rules', path.join(dir, 'bad.yaml'), '--db', db]);
    expect(r.code).toBe(2);
    expect(r.message).toMatch(/rules\[0\] "x": metric:/);
  });
});
