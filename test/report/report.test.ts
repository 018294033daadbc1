/**
 * The audit report's figures equal the store's (and the generated events'),
 * integrity modes (verified now, recorded, none; tampering), and the three
 * renderings.
 */
import fs from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildAuditReport, type AuditOptions, type AuditReport } from '../../src/lib/report/audit.js';
import { renderHtml, renderJson, renderMarkdown } from '../../src/lib/report/render.js';
import { analyzeSla, loadSlos } from '../../src/lib/analyze/sla.js';
import { compileRule } from '../../src/lib/alerts/rules.js';
import { recordVerification } from '../../src/lib/integrity/verifications.js';
import { verifyStore } from '../../src/lib/integrity/verify.js';
import { microsToIso } from '../../src/lib/time.js';
import type { Store } from '../../src/lib/store/open.js';
import {
  buildDb,
  HOUR,
  near,
  NOISE,
  open,
  scenario,
  T0,
  tmpDir,
  type Decision,
  type Ev,
  type Inefficiency,
  type Policy,
} from '../scenario.js';

let dir: string;
let db: string;
let store: Store;
let events: Ev[];
let report: AuditReport;
const slos = loadSlos();
const rule = compileRule({
  name: 'severe',
  match: { type: 'inefficiency_detected', where: ['severity >= high'] },
});

const opts = (o: Partial<AuditOptions> = {}): AuditOptions => ({
  slos,
  rules: [rule],
  rulesSource: 'test',
  toolVersion: '0.0.0-test',
  dbPath: db,
  ...o,
});

async function q(sql: string): Promise<Record<string, unknown>[]> {
  return (await store.conn.runAndReadAll(sql)).getRowObjectsJS() as Record<string, unknown>[];
}
const num = (v: unknown) => Number(v);

beforeAll(async () => {
  dir = tmpDir();
  events = scenario({ seed: 5, hours: 30, decisionGap: 120, quiet: [10, 12.5], slow: [25, 26] });
  db = await buildDb(dir, 'report', events);
  store = await open(db, false);
  report = await buildAuditReport(store, opts());
}, 120_000);

afterAll(() => {
  store?.close();
  fs.rmSync(dir, { recursive: true, force: true });
});

const KIND_TYPE: Record<Ev['kind'], string> = {
  decision: 'scheduling_decision',
  relocation: 'workload_relocation',
  inefficiency: 'inefficiency_detected',
  reconfig: 'cluster_reconfiguration',
  policy: 'policy_change',
};

describe('audit report: counts equal the store', () => {
  it('scope', async () => {
    const [row] = await q('SELECT count(*) AS n, min(epoch_us(ts)) AS f, max(epoch_us(ts)) AS l FROM events');
    expect(report.scope.events).toBe(num(row!.n));
    expect(report.scope.events).toBe(events.length);
    expect(report.scope.first_event).toBe(microsToIso(num(row!.f)));
    expect(report.scope.last_event).toBe(microsToIso(num(row!.l)));
    const byType = new Map<string, number>();
    for (const e of events) byType.set(KIND_TYPE[e.kind], (byType.get(KIND_TYPE[e.kind]) ?? 0) + 1);
    expect(Object.fromEntries(report.scope.events_by_type.map((t) => [t.key, t.count]))).toEqual(
      Object.fromEntries(byType),
    );
  });

  it('completeness: sources, lines, stored, rejected, duplicates, skipped', async () => {
    const [s] = await q(
      'SELECT count(*) AS n, sum(lines) AS lines, sum(stored) AS stored, sum(rejected) AS rejected, sum(duplicates) AS dup, sum(skipped) AS skipped FROM sources',
    );
    const c = report.completeness.store;
    expect([c.sources, c.lines, c.stored, c.rejected, c.duplicates, c.skipped]).toEqual(
      [s!.n, s!.lines, s!.stored, s!.rejected, s!.dup, s!.skipped].map(num),
    );
    expect(c).toMatchObject({
      lines: events.length + NOISE.length,
      stored: events.length,
      rejected: 2,
      skipped: 1,
      duplicates: 0,
      balanced: true,
    });
    expect(c.events).toBe(events.length);
    expect(report.completeness.rejects.total).toBe(num((await q('SELECT count(*) AS n FROM rejects'))[0]!.n));
    expect(report.completeness.rejects.by_reason.reduce((a, r) => a + r.count, 0)).toBe(2);
  });

  it('quiet gaps: exactly the gaps of at least an hour between consecutive events', () => {
    const ts = events.map((e) => e.us).sort((a, b) => a - b);
    const want: [string, string][] = [];
    for (let i = 1; i < ts.length; i++)
      if (ts[i]! - ts[i - 1]! >= HOUR) want.push([microsToIso(ts[i - 1]!), microsToIso(ts[i]!)]);
    expect(want.length).toBeGreaterThanOrEqual(1);
    expect(report.completeness.gaps.list.map((g) => [g.from, g.until])).toEqual(want);
    expect(report.completeness.gaps.count).toBe(want.length);
  });

  it('decisions, relocations, reconfigurations, policy changes, inefficiencies', () => {
    const ds = events.filter((e): e is Decision => e.kind === 'decision');
    expect(report.scheduling.decisions).toBe(ds.length);
    expect(
      near(report.scheduling.success_rate, ds.filter((d) => d.outcome === 'scheduled').length / ds.length),
    ).toBe(true);
    expect(report.scheduling.latency_histogram.reduce((a, b) => a + b.count, 0)).toBe(ds.length);
    expect(report.relocations.count).toBe(events.filter((e) => e.kind === 'relocation').length);
    expect(report.reconfigurations.count).toBe(events.filter((e) => e.kind === 'reconfig').length);
    const pol = events.filter((e): e is Policy => e.kind === 'policy');
    expect(report.policy_changes.count).toBe(pol.length);
    expect(report.policy_changes.list.map((p) => [p.ts, p.actor, p.action, p.policy_id, p.version])).toEqual(
      pol.map((p) => [microsToIso(p.us), p.actor, p.action, p.policy, p.version]),
    );
    expect(JSON.parse(report.policy_changes.list[0]!.previous!)).toEqual({
      id: 'cost-opt',
      version: pol[0]!.previous,
    });
    const ie = events.filter((e): e is Inefficiency => e.kind === 'inefficiency');
    expect(report.inefficiencies.count).toBe(ie.length);
    expect(
      near(
        report.inefficiencies.wasted_usd,
        ie.reduce((a, e) => a + e.waste, 0),
        1e-9,
      ),
    ).toBe(true);
    expect(report.inefficiencies.actions.auto.count).toBe(ie.filter((e) => e.auto).length);
    expect(report.inefficiencies.actions.manual.count).toBe(ie.filter((e) => !e.auto).length);
  });

  it('SLA, timeline and alerts agree with the analyses', async () => {
    const first = Math.min(...events.map((e) => e.us));
    const sla = await analyzeSla(store, slos, { since: first });
    expect(report.sla.slos.map((s) => [s.name, s.sli, s.status])).toEqual(
      sla.slos.map((s) => [s.name, s.sli, s.status]),
    );
    const pts = report.timeline.points;
    expect(pts.reduce((a, p) => a + p.decisions, 0)).toBe(report.scheduling.decisions);
    expect(
      near(
        pts.reduce((a, p) => a + p.wasted_usd, 0),
        report.inefficiencies.wasted_usd,
        1e-9,
      ),
    ).toBe(true);
    expect(
      near(
        pts.reduce((a, p) => a + p.realized_savings_usd, 0),
        report.relocations.realized_savings_usd,
        1e-6,
      ),
    ).toBe(true);
    const severe = events.filter(
      (e): e is Inefficiency =>
        e.kind === 'inefficiency' && (e.severity === 'high' || e.severity === 'critical'),
    );
    const last = Math.max(...events.map((e) => e.us));
    expect(report.alerts.counts.firing + report.alerts.counts.resolved).toBe(severe.length);
    expect(report.alerts.active.map((a) => a.event!.event_id).sort()).toEqual(
      severe
        .filter((e) => e.us + HOUR > last)
        .map((e) => e.id)
        .sort(),
    );
  });

  it('a window: --since/--until select events by time; gaps at the edges', async () => {
    const since = T0 + 5 * HOUR;
    const until = T0 + 11 * HOUR;
    const r = await buildAuditReport(store, opts({ since, until }));
    expect(r.scope.events).toBe(events.filter((e) => e.us >= since && e.us < until).length);
    expect(r.scope.since).toBe(microsToIso(since));
    const end = r.completeness.gaps.list.find((g) => g.where === 'end');
    expect(end?.until).toBe(microsToIso(until));
    expect(r.completeness.store.events).toBe(events.length); // completeness stays store-wide
  });

  it('a window wider than the data: the same cost and SLA figures, no timeline bucket past the newest event', async () => {
    const first = Math.min(...events.map((e) => e.us));
    const last = Math.max(...events.map((e) => e.us));
    const since = first - 30 * 24 * HOUR;
    const until = last + 30 * 24 * HOUR;
    const wide = await buildAuditReport(store, opts({ since, until }));
    const figures = (r: AuditReport) => ({
      cost: { ...r.cost, basis: undefined },
      relocations: { ...r.relocations, basis: undefined },
      sla: r.sla.slos.map((s) => [s.name, s.sli, s.window.since, s.window.until, s.workloads]),
      savings: r.timeline.points.map((p) => [p.start, p.realized_savings_usd]),
    });
    expect(figures(wide)).toEqual(figures(report));
    expect(wide.scope.window.until).toBe(microsToIso(last + 1));
    expect(wide.scope.window.since).toBe(microsToIso(first));
    expect(Date.parse(wide.timeline.points.at(-1)!.start)).toBeLessThanOrEqual(last / 1000);
    // The HTML savings chart: a bar per bucket of the data, none after the newest event.
    const chart = /<svg class="chart" id="chart-savings"[\s\S]*?<\/svg>/.exec(renderHtml(wide))![0];
    const days = [...chart.matchAll(/<title>(\d\d-\d\d) \d\d:\d\d: realised savings USD/g)].map((m) => m[1]);
    expect(days.length).toBe(wide.timeline.points.length);
    expect(days.at(-1)).toBe(microsToIso(last).slice(5, 10));
    // The SLA section is `analyze sla` with the same flags.
    const sla = await analyzeSla(store, slos, { since, until });
    expect(wide.sla.slos).toEqual(sla.slos);
    expect(wide.cost.monthly_projection_usd).toBeCloseTo(wide.cost.run_rate_usd_per_hour * 730, 9);
  });

  it('every figure group says how it was computed', () => {
    for (const k of [
      'completeness',
      'scheduling',
      'relocations',
      'reconfigurations',
      'inefficiencies',
      'cost',
      'timeline',
      'integrity',
    ] as const) {
      expect((report[k] as { basis: unknown }).basis, k).toBeTruthy();
    }
    for (const s of report.sla.slos) expect(s.method).toMatch(/SLI/);
  });
});

describe('audit report: integrity', () => {
  it('small store: a full verification runs for the report and covers the head', async () => {
    const [h] = await q('SELECT seq, chain FROM events ORDER BY seq DESC LIMIT 1');
    expect(report.integrity.chain_head).toEqual({ seq: num(h!.seq), chain: String(h!.chain) });
    expect(report.integrity.verification).toMatchObject({
      mode: 'run',
      ok: true,
      covers_head: true,
      rows: events.length,
    });
  });

  it('large store (or --no-verify): cites the latest recorded verify run, or says none', async () => {
    const none = await buildAuditReport(store, opts({ verify: false }));
    expect(none.integrity.verification.mode).toBe('none');
    expect(none.integrity.verification.basis).toMatch(/no `kcloud-log verify` run is recorded/);
    await recordVerification(store, await verifyStore(store), 'test');
    const rec = await buildAuditReport(store, opts({ autoVerifyMaxRows: 10 }));
    expect(rec.integrity.verification).toMatchObject({
      mode: 'recorded',
      ok: true,
      covers_head: true,
      verified_head_unchanged: true,
      events_after: 0,
    });
    expect(rec.integrity.verification.basis).toMatch(/>= 10\b/);
  });

  it('a tampered row: the report says the verification failed and names the row', async () => {
    const copy = `${dir}/tampered.duckdb`;
    fs.copyFileSync(db, copy);
    const t = await open(copy, false);
    try {
      // record a good verification first, then edit a row behind the tool's back
      await recordVerification(t, await verifyStore(t), 'test');
      await t.conn.run(
        "UPDATE events SET raw = replace(raw, 'cheaper', 'dearer') WHERE seq = (SELECT min(seq) FROM events WHERE event_type = 'workload_relocation')",
      );
      const bad = (
        await t.conn.runAndReadAll("SELECT min(seq) FROM events WHERE event_type = 'workload_relocation'")
      ).getRows()[0]![0];
      const r = await buildAuditReport(t, { ...opts(), verify: true });
      expect(r.integrity.verification.ok).toBe(false);
      expect(r.integrity.verification.first_bad?.seq).toBe(Number(bad));
      // editing the head row's chain is seen even when only the record is cited
      await t.conn.run("UPDATE events SET chain = repeat('0', 64) WHERE seq = (SELECT max(seq) FROM events)");
      const r2 = await buildAuditReport(t, { ...opts(), verify: false });
      expect(r2.integrity.verification).toMatchObject({
        mode: 'recorded',
        verified_head_unchanged: false,
        covers_head: false,
      });
    } finally {
      t.close();
    }
  });
});

describe('audit report: renderings', () => {
  it('markdown has every section and the counts', () => {
    const md = renderMarkdown(report);
    for (const t of [
      'Scope',
      'Completeness',
      'Scheduling decisions',
      'Workload relocations',
      'Cluster reconfigurations',
      'Policy changes',
      'Inefficiencies and actions taken',
      'SLA compliance',
      'Cost effects',
      'Alerts',
      'Integrity',
    ])
      expect(md).toMatch(new RegExp(`^## \\d+\\. ${t}$`, 'm'));
    expect(md).toContain(`| events in scope | ${events.length.toLocaleString('en-US')} |`);
    expect(md).toContain(report.integrity.chain_head.chain);
    expect(md).toContain('how it was computed');
  });

  it('markdown cost section: the window, the run-rate and the monthly projection with their basis', () => {
    const md = renderMarkdown(report);
    const w = report.scope.window;
    expect(md).toContain(`| window | ${w.since} → ${w.until} | ${w.basis} |`);
    expect(md).toMatch(/\| savings run-rate at the end \| [\d,.]+ USD\/h \| at the window's end/);
    expect(md).toMatch(/\| monthly projection \| [\d,.]+ USD \| monthly = run-rate [\d.]+ USD\/h x 730 h \|/);
  });

  it('markdown shows text from events as text: HTML, links, images and pipes escaped', () => {
    const evil = '<img src=x onerror=alert(1)> ![t](http://e.example/x.png) a|b `code` \x1b[2J';
    const r = structuredClone(report);
    r.scope.events_by_type[0]!.key = evil;
    const md = renderMarkdown(r);
    const row = md.split('\n').find((l) => l.includes('onerror'))!;
    expect(row).toContain('&lt;img src=x onerror=alert(1)&gt;');
    expect(row).toContain('!\\[t\\](http://e.example/x.png) a\\|b \\`code\\` \\x1b\\[2J');
    expect(md).not.toMatch(/<img|!\[t\]/);
    expect(md).not.toContain('\x1b');
  });

  it('html is one self-contained file: no scripts, nothing fetched, three charts', () => {
    const html = renderHtml(report);
    expect(html).toMatch(/^<!doctype html>/);
    expect(html).toContain(`<meta http-equiv="Content-Security-Policy" content="default-src 'none'`);
    expect(html).not.toMatch(/<script|<link|<img|<iframe|@import|url\(/i);
    for (const m of html.matchAll(/\b(?:href|src)="([^"]*)"/g))
      expect(m[1]!.startsWith('#'), m[1]).toBe(true);
    expect(html.match(/<svg class="chart"/g)).toHaveLength(3);
    expect(html).toContain('@media print');
  });

  it('json is the report object', () => {
    const text = renderJson(report);
    expect(text.endsWith('\n}\n')).toBe(true);
    expect(JSON.parse(text)).toEqual(JSON.parse(JSON.stringify(report)));
  });
});
