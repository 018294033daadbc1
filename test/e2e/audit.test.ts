import fs from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ROOT, cli, cliJson, tmpDir } from '../helpers.js';

let dir: string;
let db: string;
beforeAll(() => {
  dir = tmpDir('kcl-audit-');
  db = path.join(dir, 'db.duckdb');
  expect(cli(['ingest', path.join(ROOT, 'examples', 'logs'), '-q'], { db }).code).toBe(0);
});
afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));

describe('SLA, alerts and the audit report through the real binary', () => {
  it('analyze sla --json with the example SLOs; --fail-on-breach exits 3 on a breach', () => {
    const r = cliJson<{ slos: { name: string; compliance: unknown }[] }>(
      ['analyze', 'sla', '--slo', path.join(ROOT, 'examples', 'slo.yaml')],
      { db },
    );
    expect(r.code).toBe(0);
    expect(r.json.slos.length).toBeGreaterThan(0);
    const strict = cli(['analyze', 'sla', '--fail-on-breach', '--json'], { db });
    expect([0, 3]).toContain(strict.code);
    const anyBreach = (
      JSON.parse(strict.stdout) as { slos: { status?: string; breached?: boolean }[] }
    ).slos.some((s) => s.breached === true || s.status === 'breached');
    expect(strict.code).toBe(anyBreach ? 3 : 0);
  });

  it('a bad SLO file is refused naming the key', () => {
    const bad = path.join(dir, 'bad.yaml');
    fs.writeFileSync(
      bad,
      'slos:\n  - name: x\n    sli: decision_latency\n    treshold_ms: 100\n    objective: 0.99\n',
    );
    const r = cli(['analyze', 'sla', '--slo', bad], { db });
    expect(r.code).not.toBe(0);
    expect(r.stderr).toMatch(/treshold_ms/);
    expect(r.stderr).not.toMatch(/\s+at .+\.js:\d+/);
  });

  it('alert rules from the examples evaluate; --fail-on-firing exits 3 when one fires', () => {
    const r = cliJson<{ alerts: { state: string }[] }>(
      ['alerts', '--rules', path.join(ROOT, 'examples', 'alert-rules.yaml')],
      { db },
    );
    expect([0]).toContain(r.code);
    const firing = r.json.alerts.filter((a) => a.state === 'firing').length;
    const gate = cli(
      ['alerts', '--rules', path.join(ROOT, 'examples', 'alert-rules.yaml'), '--fail-on-firing', '--json'],
      { db },
    );
    expect(gate.code).toBe(firing ? 3 : 0);
  });

  it('a signed audit report verifies; a one-byte change does not', () => {
    const keys = path.join(dir, 'keys');
    expect(cli(['report', 'keygen', '--out', keys], { db }).code).toBe(0);
    const key = fs.readdirSync(keys).find((f) => f.endsWith('.key'))!;
    const pub = fs.readdirSync(keys).find((f) => f.endsWith('.pub'))!;
    for (const format of ['md', 'html', 'json']) {
      const out = path.join(dir, `audit.${format}`);
      const r = cli(['report', 'audit', '--format', format, '--out', out, '--key', path.join(keys, key)], {
        db,
      });
      expect(r.code, r.stderr).toBe(0);
      expect(cli(['verify', '--report', out, '--pub', path.join(keys, pub)], { db }).code).toBe(0);
      const bytes = fs.readFileSync(out);
      const i = Math.floor(bytes.length / 3);
      bytes[i] = bytes[i] === 0x41 ? 0x42 : 0x41;
      fs.writeFileSync(out, bytes);
      const bad = cli(['verify', '--report', out, '--pub', path.join(keys, pub)], { db });
      expect(bad.code).toBe(3);
    }
  });

  it("the audit report's counts equal the store's", () => {
    const out = path.join(dir, 'counts.json');
    expect(cli(['report', 'audit', '--format', 'json', '--out', out], { db }).code).toBe(0);
    const text = fs.readFileSync(out, 'utf8');
    const stored = cliJson<{ rows: { n: number }[] }>(['sql', 'SELECT count(*) AS n FROM events'], { db })
      .json.rows[0]!.n;
    expect(text).toContain(`"stored": ${stored}`);
  });

  it("the README's one-month window on the examples' two hours: the figures of the data, the same in every command", () => {
    const month = ['--since', '2025-01-01', '--until', '2025-02-01'];
    type Cost = {
      relocations: { count: number; realized_savings_usd: number; hours_in_effect: number };
      run_rate_usd_per_hour: number;
      monthly_projection_usd: number;
      energy_saved_kwh: number;
      window: { until: string; newest_event: string; minutes: number };
    };
    const plain = cliJson<Cost>(['analyze', 'cost'], { db }).json;
    const wide = cliJson<Cost>(['analyze', 'cost', ...month], { db }).json;
    const figures = (c: Cost) => [
      c.relocations.realized_savings_usd,
      c.relocations.hours_in_effect,
      c.run_rate_usd_per_hour,
      c.monthly_projection_usd,
      c.energy_saved_kwh,
      c.window.until,
    ];
    expect(figures(wide)).toEqual(figures(plain));
    // At most the data's span per relocation (it was 58,121 h when savings ran on to --until).
    expect(wide.relocations.hours_in_effect).toBeLessThanOrEqual(
      (wide.relocations.count * wide.window.minutes) / 60,
    );
    expect(wide.monthly_projection_usd).toBeCloseTo(wide.run_rate_usd_per_hour * 730, 6);
    const out = path.join(dir, 'month.json');
    expect(cli(['report', 'audit', ...month, '--format', 'json', '--out', out], { db }).code).toBe(0);
    const rep = JSON.parse(fs.readFileSync(out, 'utf8')) as {
      cost: { realized_savings_usd: number; monthly_projection_usd: number; energy_saved_kwh: number };
      sla: { slos: { name: string; sli: number | null }[] };
      timeline: { points: { start: string }[] };
    };
    expect([
      rep.cost.realized_savings_usd,
      rep.cost.monthly_projection_usd,
      rep.cost.energy_saved_kwh,
    ]).toEqual([wide.relocations.realized_savings_usd, wide.monthly_projection_usd, wide.energy_saved_kwh]);
    const sla = cliJson<{ slos: { name: string; sli: number | null }[] }>(['analyze', 'sla', ...month], {
      db,
    }).json;
    expect(rep.sla.slos.map((s) => [s.name, s.sli])).toEqual(sla.slos.map((s) => [s.name, s.sli]));
    expect(rep.timeline.points.at(-1)!.start <= wide.window.newest_event).toBe(true);
  });
});
