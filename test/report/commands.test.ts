/**
 * `analyze sla`, `report keygen`, `report audit` and `verify` (store and
 * --report) as commands: --json results and exit codes.
 */
import fs from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import AnalyzeCost from '../../src/commands/analyze/cost.js';
import AnalyzeSla from '../../src/commands/analyze/sla.js';
import ReportAudit from '../../src/commands/report/audit.js';
import ReportKeygen from '../../src/commands/report/keygen.js';
import Verify from '../../src/commands/verify.js';
import { buildDb, HOUR, open, scenario, T0, tmpDir, type Ev } from '../scenario.js';
import { runCmd } from '../run-command.js';

let dir: string;
let db: string;
let events: Ev[];

beforeAll(async () => {
  dir = tmpDir();
  events = scenario({ seed: 9, hours: 30, decisionGap: 120, slow: [28, 30] });
  db = await buildDb(dir, 'cmd', events);
}, 120_000);
afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));

describe('analyze sla', () => {
  it('--json has every SLO with SLI, target, compliance, budget and burn rates; --fail-on-breach exits 3', async () => {
    const r = await runCmd(AnalyzeSla, ['--fail-on-breach', '--db', db]);
    expect(r.code).toBe(3);
    const slos = r.json!.slos as Record<string, unknown>[];
    expect(slos.map((s) => s.name)).toEqual([
      'decision-latency',
      'relocation-availability',
      'decision-success',
    ]);
    for (const s of slos) {
      for (const k of [
        'sli',
        'objective',
        'status',
        'compliant',
        'error_budget',
        'burn_rates',
        'burn_alerts',
        'method',
      ])
        expect(s, `${String(s.name)}.${k}`).toHaveProperty(k);
      expect((s.burn_rates as { window: string }[]).map((b) => b.window)).toEqual([
        '5m',
        '30m',
        '1h',
        '6h',
        '3d',
      ]);
    }
    expect(r.json!.breached).toContain('decision-latency');
  });

  it('a lenient SLO file passes (exit 0); a bad one is a usage error naming the key', async () => {
    const ok = path.join(dir, 'ok.yaml');
    fs.writeFileSync(
      ok,
      'slos:\n  - {name: lat, sli: decision_latency, threshold_ms: 5000, objective: 50%}\n',
    );
    expect((await runCmd(AnalyzeSla, ['--slo', ok, '--fail-on-breach', '--db', db])).code).toBe(0);
    const bad = path.join(dir, 'bad.yaml');
    fs.writeFileSync(bad, 'slos:\n  - {name: lat, sli: decision_latency, threshold: 100, objective: 99%}\n');
    const r = await runCmd(AnalyzeSla, ['--slo', bad, '--db', db]);
    expect(r.code).toBe(2);
    expect(r.message).toMatch(/slos\[0\]\.threshold: unknown key/);
    expect(r.message).toMatch(/slos\[0\]\.threshold_ms: is required/);
  });

  it('--until not after --since is a usage error (exit 2), as for analyze cost and report audit', async () => {
    const r = await runCmd(AnalyzeSla, ['--since', '2025-03-02', '--until', '2025-03-01', '--db', db]);
    expect(r.code).toBe(2);
    expect(r.message).toContain('--until must be after --since');
  });
});

describe('one window rule: analyze cost, analyze sla and report audit', () => {
  it('give the same figures for the same flags, and a window wider than the data changes none', async () => {
    const iso = (us: number) => new Date(us / 1000).toISOString();
    const first = Math.min(...events.map((e) => e.us));
    const last = Math.max(...events.map((e) => e.us));
    const figures = async (flags: string[]) => {
      const cost = (await runCmd(AnalyzeCost, [...flags, '--db', db])).json!;
      const sla = (await runCmd(AnalyzeSla, [...flags, '--db', db])).json!;
      const rep = (await runCmd(ReportAudit, [...flags, '--format', 'json', '--no-verify', '--db', db])).json!
        .report as Record<string, Record<string, unknown>>;
      const rel = cost.relocations as Record<string, unknown>;
      const pick = (o: Record<string, unknown>, keys: string[]) => keys.map((k) => o[k]);
      expect(
        pick(rep.cost!, ['realized_savings_usd', 'run_rate_usd_per_hour', 'monthly_projection_usd']),
      ).toEqual([rel.realized_savings_usd, cost.run_rate_usd_per_hour, cost.monthly_projection_usd]);
      expect(rep.cost!.energy_saved_kwh).toBe(cost.energy_saved_kwh);
      expect(rep.cost!.estimated_savings_usd_per_hour).toBe(rel.estimated_savings_usd_per_hour);
      expect(rep.relocations!.count).toBe(rel.count);
      expect(rep.scope!.window).toEqual(cost.window);
      expect(rep.sla!.slos).toEqual(sla.slos);
      const avail = (sla.slos as { name: string; sli: number }[]).find(
        (s) => s.name === 'relocation-availability',
      );
      return {
        cost: pick(cost, ['run_rate_usd_per_hour', 'monthly_projection_usd', 'energy_saved_kwh']),
        window: pick(cost.window as Record<string, unknown>, ['since', 'until', 'minutes']),
        realised: rel.realized_savings_usd,
        availability: avail!.sli,
      };
    };
    const all = await figures([]);
    expect(
      await figures(['--since', iso(first - 2 * 24 * HOUR), '--until', iso(last + 31 * 24 * HOUR)]),
    ).toEqual(all);
    expect(all.realised).toBeGreaterThan(0);
    const part = await figures(['--since', iso(T0 + 5 * HOUR), '--until', iso(T0 + 11.5 * HOUR)]);
    expect(part.realised).toBeLessThan(all.realised as number);
  });
});

describe('report audit, signed, and verify --report', () => {
  let key: string;
  let pub: string;

  it('report keygen writes a key pair', async () => {
    const r = await runCmd(ReportKeygen, ['--out', path.join(dir, 'keys')]);
    expect(r.code, r.message).toBe(0);
    key = r.json!.private_key as string;
    pub = r.json!.public_key as string;
    expect(fs.existsSync(key) && fs.existsSync(pub)).toBe(true);
  });

  it('a signed JSON report verifies; one changed byte exits 3', async () => {
    const out = path.join(dir, 'audit.json');
    const r = await runCmd(ReportAudit, ['--out', out, '--key', key, '--db', db]);
    expect(r.code, r.message).toBe(0);
    expect(r.json).toMatchObject({ out, format: 'json' });
    const doc = JSON.parse(fs.readFileSync(out, 'utf8'));
    expect(doc.scope.events).toBe(events.length);
    expect(doc.completeness.store.stored).toBe(events.length);
    expect(doc.signature.key_id).toBe(doc.integrity.signature.key_id);
    expect(doc.integrity.verification).toMatchObject({ mode: 'run', ok: true });

    const v = await runCmd(Verify, ['--report', out, '--pub', pub]);
    expect(v.code).toBe(0);
    expect(v.json).toMatchObject({ ok: true, signed: true });

    const bytes = fs.readFileSync(out);
    const i = bytes.indexOf('"events": ') + 10;
    bytes[i] = bytes[i] === 0x39 ? 0x38 : bytes[i]! + 1; // one digit of the event count
    const tampered = path.join(dir, 'tampered.json');
    fs.writeFileSync(tampered, bytes);
    const t = await runCmd(Verify, ['--report', tampered, '--pub', pub]);
    expect(t.code).toBe(3);
    expect(t.json).toMatchObject({ ok: false });
    expect((await runCmd(Verify, ['--report', out])).code).toBe(2);
  });

  it('html and md reports; md goes to standard output', async () => {
    const html = path.join(dir, 'audit.html');
    const r = await runCmd(ReportAudit, ['--out', html, '--key', key, '--db', db]);
    expect(r.code).toBe(0);
    expect(r.json!.format).toBe('html');
    const text = fs.readFileSync(html, 'utf8');
    expect(text.match(/<svg class="chart"/g)).toHaveLength(3);
    expect((await runCmd(Verify, ['--report', html, '--pub', pub])).code).toBe(0);
    const md = await runCmd(ReportAudit, ['--format', 'md', '--db', db], { json: false });
    expect(md.code).toBe(0);
    expect(md.stdout).toMatch(/^# kcloud-log audit report/);
    expect(md.stdout).toMatch(/## 11\. Integrity/);
  });

  it('verify records its result; --no-verify reports cite it', async () => {
    const v = await runCmd(Verify, ['--db', db]);
    expect(v.code).toBe(0);
    expect(v.json).toMatchObject({ ok: true, recorded: 1 });
    const out = path.join(dir, 'cited.json');
    const r = await runCmd(ReportAudit, ['--out', out, '--no-verify', '--db', db]);
    expect(r.code).toBe(0);
    expect(JSON.parse(fs.readFileSync(out, 'utf8')).integrity.verification).toMatchObject({
      mode: 'recorded',
      ok: true,
      covers_head: true,
    });
  });

  it("a row edited behind the tool's back: verify exits 3 naming it, and so does report audit", async () => {
    const s = await open(db, false);
    try {
      await s.conn.run(
        `UPDATE events SET raw = replace(raw, '"timestamp":', '"timestamp": ') WHERE seq = 42`,
      );
    } finally {
      s.close();
    }
    const v = await runCmd(Verify, ['--db', db]);
    expect(v.code).toBe(3);
    expect(v.json).toMatchObject({ ok: false, first_bad: { seq: 42 } });
    const r = await runCmd(ReportAudit, ['--out', path.join(dir, 'bad.json'), '--db', db]);
    expect(r.code).toBe(3);
    expect(
      (r.json!.report as { integrity: { verification: { ok: boolean } } }).integrity.verification.ok,
    ).toBe(false);
  });
});
