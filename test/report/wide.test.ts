/**
 * The report's wording on a store with Korean text, long names, many kinds of
 * reject reason and nested policy changes: reasons word for word with their
 * counts, policy changes field by field, the chain head labelled, a font
 * stack that has Korean glyphs.
 */
import fs from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildAuditReport, policyChanges, type AuditReport } from '../../src/lib/report/audit.js';
import { renderHtml, renderMarkdown } from '../../src/lib/report/render.js';
import { esc } from '../../src/lib/report/charts.js';
import { loadSlos } from '../../src/lib/analyze/sla.js';
import { parseAnchor } from '../../src/lib/integrity/anchors.js';
import type { Store } from '../../src/lib/store/open.js';
import { open, tmpDir } from '../scenario.js';
import { buildWideDb, WIDE_REJECTED } from './wide.js';

let dir: string;
let db: string;
let store: Store;
let report: AuditReport;
let md: string;
let html: string;

const build = (listLimit?: number) =>
  buildAuditReport(store, {
    slos: loadSlos(),
    rules: [],
    rulesSource: 'none',
    toolVersion: 'test',
    dbPath: db,
    listLimit,
  });

beforeAll(async () => {
  dir = tmpDir();
  ({ db } = await buildWideDb(dir));
  store = await open(db);
  report = await build();
  md = renderMarkdown(report);
  // <wbr> (a place to break a long name) is no text: the page reads and copies without it
  html = renderHtml(report).replace(/<wbr>/g, '');
}, 120_000);

afterAll(() => {
  store?.close();
  if (dir) fs.rmSync(dir, { recursive: true, force: true });
});

/** The rejects table's reasons and their counts, most frequent first. */
async function storedReasons(): Promise<{ key: string; count: number }[]> {
  const rows = (await store.conn.runAndReadAll('SELECT reason FROM rejects')).getRows();
  const counts = new Map<string, number>();
  for (const [r] of rows) counts.set(String(r), (counts.get(String(r)) ?? 0) + 1);
  return [...counts]
    .map(([key, count]) => ({ key, count }))
    .sort((a, b) => b.count - a.count || (a.key < b.key ? -1 : a.key > b.key ? 1 : 0));
}

const badTime = (t: string) =>
  `scheduling_decision: timestamp "${t}" is not an ISO 8601 time (ISO 8601, or epoch seconds below 1e11 / milliseconds)`;

describe('reject reasons: as logged, with their counts', () => {
  it('by_reason lists the exact reasons of the rejects table with their counts', async () => {
    const want = await storedReasons();
    expect(report.completeness.rejects.total).toBe(WIDE_REJECTED);
    expect(report.completeness.rejects.by_reason).toEqual(want);
    expect(report.completeness.rejects.reasons).toBe(want.length);
  });

  it('by_kind: reasons differing only in quoted values and numbers count together, shown by their most frequent exact reason', async () => {
    const want = await storedReasons();
    const k = report.completeness.rejects.by_kind;
    expect(k[0]).toEqual({
      example: badTime('2025-03-01 at noon'),
      count: 14,
      example_count: 5,
      variants: 4,
    });
    expect(k).toContainEqual({
      example: 'Fluent Bit record is not closed by "]"',
      count: 3,
      example_count: 3,
      variants: 1,
    });
    expect(k).toContainEqual({
      example: `invalid JSON: Unexpected token 'o', "{"event_type": nope}" is not valid JSON`,
      count: 3,
      example_count: 2,
      variants: 2,
    });
    for (const x of k) expect(want.map((w) => w.key)).toContain(x.example);
    expect(k.reduce((a, x) => a + x.count, 0)).toBe(WIDE_REJECTED);
    expect(k.reduce((a, x) => a + x.variants, 0)).toBe(want.length);
    expect(report.completeness.rejects.kinds).toBe(k.length);
  });

  it('markdown and HTML show every reason word for word, never a pattern', () => {
    expect(md).toContain(`| ${badTime('2025-03-01 at noon')} | 14 | 5 | 9 |`);
    expect(md).toContain('Fluent Bit record is not closed by "\\]"');
    expect(md).toContain('정책_점검: timestamp is missing');
    expect(html).toContain(esc(badTime('2025-03-01 at noon')));
    expect(html).toContain('Fluent Bit record is not closed by &quot;]&quot;');
    for (const text of [md, html]) {
      expect(text).not.toContain('ISO N');
      expect(text).not.toContain('"…"');
      expect(text).not.toContain('&quot;…&quot;');
    }
  });

  it('a shorter list says how many more kinds of reason there are, and their lines', async () => {
    const r = await build(3);
    const c = r.completeness.rejects;
    expect(c.by_kind).toHaveLength(3);
    expect(c.by_reason).toHaveLength(3);
    const rest = c.total - c.by_kind.reduce((a, x) => a + x.count, 0);
    const more = `and ${c.kinds - 3} more kinds of reason (${rest} lines): kcloud-log rejects lists every line`;
    expect(renderMarkdown(r)).toContain(`_${more}_`);
    expect(renderHtml(r).replace(/<wbr>/g, '')).toContain(more);
  });
});

describe('policy changes: field by field', () => {
  const find = (id: string) => report.policy_changes.list.find((p) => p.policy_id === id)!;

  it('changes: every field whose value differs, nested fields by their path, lists as lists', () => {
    expect(find('야간-전력-절감').changes).toEqual([
      { field: 'name', before: null, after: '야간 전력 절감 (night power saving)' },
      { field: 'version', before: '6', after: '7' },
      { field: 'rules.max_cost_per_hour', before: '15', after: '12.5' },
      { field: 'rules.regions', before: '서울', after: '서울, 부산' },
      { field: 'owner', before: 'platform-team', after: null },
    ]);
    expect(find('gpu-burst-admission-control-for-the-training-fleet').changes).toEqual([
      { field: 'id', before: null, after: 'gpu-burst-admission-control-for-the-training-fleet' },
      { field: 'name', before: null, after: 'GPU burst' },
      { field: 'version', before: null, after: '1' },
    ]);
    expect(find('cost-opt').changes).toEqual([
      { field: 'name', before: null, after: 'cost optimisation' },
      { field: 'version', before: '1', after: '2' },
    ]);
    expect(JSON.parse(find('야간-전력-절감').after!)).toMatchObject({ id: '야간-전력-절감', version: '7' });
  });

  it('policyChanges: unchanged fields left out, empty lists and objects shown as such', () => {
    expect(policyChanges('{"a":1,"b":{"c":[]},"d":"x"}', '{"a":1,"b":{"c":[1,2]},"e":{}}')).toEqual([
      { field: 'b.c', before: '(none)', after: '1, 2' },
      { field: 'e', before: null, after: '{}' },
      { field: 'd', before: 'x', after: null },
    ]);
    expect(policyChanges(null, null)).toEqual([]);
    expect(policyChanges('not json', '{"a":1}')).toEqual([
      { field: 'a', before: null, after: '1' },
      { field: '(as logged)', before: 'not json', after: null },
    ]);
  });

  it('markdown and HTML: what changed and the policy before, as fields, no JSON', () => {
    for (const text of [md, html]) {
      expect(text).toContain('version: 6 → 7');
      expect(text).toContain('rules.regions: 서울 → 서울, 부산');
      expect(text).toContain('owner: platform-team → –');
      expect(text).toContain('rules.max_cost_per_hour: 15');
      expect(text).not.toMatch(/\{"id"|\{&quot;id&quot;/);
    }
  });
});

describe('HTML header and fonts', () => {
  it('the chain head under the title is labelled, and still read back as an anchor', () => {
    const head = report.integrity.chain_head;
    const header = /<header>[\s\S]*?<\/header>/.exec(html)![0];
    expect(header).toContain(
      `<dt>chain head</dt><dd>seq ${head.seq.toLocaleString('en-US')}: <code>${head.chain}</code>`,
    );
    const file = path.join(dir, 'header-only.html');
    fs.writeFileSync(file, header);
    expect(parseAnchor(file)).toMatchObject({ seq: head.seq, chain: head.chain });
  });

  it('the page and the charts name fonts with Korean glyphs before the generic family, nothing fetched', () => {
    const body = /body\{[^}]*font:[^;}]*/.exec(html)![0];
    const chart = /<svg class="chart"[\s\S]*?text\{font:[^;}]*/.exec(html)![0];
    for (const f of ['"Noto Sans CJK KR"', '"Malgun Gothic"', '"Apple SD Gothic Neo"', 'sans-serif'])
      for (const css of [body, chart]) expect(css, f).toContain(f);
    expect(html).not.toMatch(/@font-face|url\(/);
  });

  it('navigation wraps: a flex row allowed to wrap, one link per section', () => {
    expect(html).toMatch(/nav\{[^}]*display:flex[^}]*flex-wrap:wrap/);
    expect(html.match(/<nav[\s\S]*?<\/nav>/)![0].match(/<a /g)).toHaveLength(11);
  });
});
