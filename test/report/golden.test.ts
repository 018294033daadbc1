/**
 * The audit report, byte for byte: JSON, Markdown and HTML of four stores (the bundled examples, the
 * test fixtures, the report scenario and the wide store) against files kept in test/report/golden/.
 * What legitimately changes from run to run (the time of generation and of verification, how long
 * it took, when a source was read, the temporary and checkout paths) is set to fixed values first.
 *
 * A change of wording or layout shows here as a diff; regenerate on purpose with
 * `npx vitest run test/report/golden.test.ts -u` and review the diff.
 */
import fs from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildAuditReport, type AuditOptions, type AuditReport } from '../../src/lib/report/audit.js';
import { renderHtml, renderJson, renderMarkdown } from '../../src/lib/report/render.js';
import { loadSlos } from '../../src/lib/analyze/sla.js';
import { compileRule, loadRulesFile } from '../../src/lib/alerts/rules.js';
import { ingestPaths } from '../../src/lib/ingest/ingest.js';
import { openStore, type Store } from '../../src/lib/store/open.js';
import { recordVerification } from '../../src/lib/integrity/verifications.js';
import { verifyStore } from '../../src/lib/integrity/verify.js';
import { FIXTURES, ROOT, tmpDir } from '../helpers.js';
import { buildDb, HOUR, scenario, T0 } from '../scenario.js';
import { buildWideDb } from './wide.js';

const GOLDEN = path.join(ROOT, 'test', 'report', 'golden');
const FIXED_TIME = '2000-01-01T00:00:00.000Z';

let dir: string;
const stores: Store[] = [];

beforeAll(() => {
  dir = tmpDir('kcl-golden-');
});

afterAll(() => {
  for (const s of stores) s.close();
  if (dir) fs.rmSync(dir, { recursive: true, force: true });
});

async function ingested(name: string, paths: string[]): Promise<Store> {
  const store = await openStore(path.join(dir, `${name}.duckdb`));
  stores.push(store);
  await ingestPaths(store, paths);
  return store;
}

async function opened(db: string): Promise<Store> {
  const store = await openStore(db);
  stores.push(store);
  return store;
}

/**
 * The report with its run-dependent values fixed: paths by placeholders, times and durations, and
 * the chain values (each row's tags hold its ingest time) by fixed hex strings, one per value.
 */
function normalised(r: AuditReport): AuditReport {
  const v0 = r.integrity.verification;
  const chains = [r.integrity.chain_head.chain, v0.head_chain, ...v0.anchors.map((a) => a.chain)];
  let text = JSON.stringify(r).replaceAll(dir, '<tmp>').replaceAll(ROOT, '<root>');
  [...new Set(chains)].forEach((c, i) => {
    if (c) text = text.replaceAll(c, `${i}`.padStart(64, 'c'));
  });
  const n = JSON.parse(text) as AuditReport;
  n.generated_at = FIXED_TIME;
  for (const s of n.completeness.sources) {
    s.first_seen = FIXED_TIME;
    if (s.last_read !== null) s.last_read = FIXED_TIME;
  }
  const v = n.integrity.verification;
  if (v.verified_at !== null) v.verified_at = FIXED_TIME;
  if (v.seconds !== null) v.seconds = 0.5;
  return n;
}

const options = (o: Partial<AuditOptions>): AuditOptions => ({
  slos: loadSlos(),
  rules: [],
  rulesSource: 'none',
  toolVersion: '0.0.0-golden',
  dbPath: path.join(dir, 'store.duckdb'),
  ...o,
});

async function expectGolden(name: string, report: AuditReport): Promise<void> {
  const r = normalised(report);
  await expect(renderJson(r)).toMatchFileSnapshot(path.join(GOLDEN, `${name}.json`));
  await expect(renderMarkdown(r)).toMatchFileSnapshot(path.join(GOLDEN, `${name}.md`));
  await expect(renderHtml(r)).toMatchFileSnapshot(path.join(GOLDEN, `${name}.html`));
}

describe('audit report: byte-identical renderings', () => {
  it('the bundled examples, with their SLOs and alert rules, verified now', async () => {
    const store = await ingested('examples', [path.join(ROOT, 'examples', 'logs')]);
    const slos = loadSlos(path.join(ROOT, 'examples', 'slo.yaml'));
    const rules = loadRulesFile(path.join(ROOT, 'examples', 'alert-rules.yaml'), slos);
    const report = await buildAuditReport(
      store,
      options({ slos, rules, rulesSource: 'examples/alert-rules.yaml' }),
    );
    expect(report.integrity.verification.mode).toBe('run');
    await expectGolden('examples', report);
  });

  it('the test fixtures, not verified', async () => {
    const store = await ingested('fixtures', [FIXTURES]);
    const report = await buildAuditReport(store, options({ verify: false }));
    expect(report.integrity.verification.mode).toBe('none');
    await expectGolden('fixtures', report);
  });

  it('the report scenario in a wider window, a recorded verification, short lists, signed', async () => {
    const events = scenario({ seed: 5, hours: 30, decisionGap: 120, quiet: [10, 12.5], slow: [25, 26] });
    const store = await opened(await buildDb(dir, 'scenario', events));
    await recordVerification(store, await verifyStore(store), 'golden');
    const rule = compileRule({
      name: 'severe',
      match: { type: 'inefficiency_detected', where: ['severity >= high'] },
    });
    const report = await buildAuditReport(
      store,
      options({
        since: T0 - 2 * HOUR,
        until: T0 + 40 * HOUR,
        rules: [rule],
        rulesSource: 'test',
        verify: false,
        listLimit: 3,
        signingKeyId: 'golden-key',
      }),
    );
    expect(report.integrity.verification.mode).toBe('recorded');
    expect(report.completeness.gaps.list.map((g) => g.where)).toContain('start');
    await expectGolden('scenario', report);
  });

  it('the wide store (Korean text, long names, many kinds of reject reason)', async () => {
    const { db } = await buildWideDb(dir);
    const store = await opened(db);
    await expectGolden('wide', await buildAuditReport(store, options({ listLimit: 5 })));
  });
});
