/**
 * The audit report's content: everything an auditor needs about a time
 * window of the store, each figure with how it was computed. Rendering (md,
 * html, json) is separate (render.ts); this module only queries.
 *
 * Scope: events with --since <= ts < --until; without them, the whole store
 * (first to newest event, inclusive). Completeness (sources, lines, rejects)
 * is about the whole store: files are not split by time.
 *
 * Each section (sections/) computes its part of the report from a context
 * computed once here: the scope, the analysis window, the chain head and the
 * analyses' results. The sections then run one after the other, in the
 * report's order (SECTIONS).
 */
import type { Store } from '../store/open.js';
import type { EventFilter } from '../query/filters.js';
import { chainHead } from '../integrity/verifications.js';
import { analyzeScheduling } from '../analyze/scheduling.js';
import { autoInterval } from '../analyze/buckets.js';
import { analyzeCost } from '../analyze/cost.js';
import { dataExtent, resolveWindow } from '../analyze/window.js';
import { analyzeSla } from '../analyze/sla.js';
import { countScope } from './sections/scope.js';
import { SECTIONS } from './sections/index.js';
import {
  DEFAULT_LIST_LIMIT,
  REPORT_TITLE,
  type AuditContext,
  type AuditOptions,
  type AuditReport,
  type PartKey,
  type ReportProgress,
} from './types.js';

export {
  AUTO_VERIFY_MAX_ROWS,
  DEFAULT_GAP_MS,
  DEFAULT_LIST_LIMIT,
  REPORT_TITLE,
  type AuditContext,
  type AuditOptions,
  type AuditReport,
  type ReportProgress,
} from './types.js';
export { integrityFailure } from './sections/integrity.js';
export { policyChanges, policyFields } from './sections/policies.js';

/** Run each task on a connection of its own to the same database, concurrently. */
async function onConnections<T extends readonly ((s: Store) => Promise<unknown>)[]>(
  store: Store,
  tasks: T,
): Promise<{ -readonly [K in keyof T]: Awaited<ReturnType<T[K]>> }> {
  const conns = await Promise.all(tasks.map(() => store.instance.connect()));
  try {
    return (await Promise.all(tasks.map((t, i) => t({ ...store, conn: conns[i]! })))) as {
      -readonly [K in keyof T]: Awaited<ReturnType<T[K]>>;
    };
  } finally {
    for (const c of conns) c.closeSync();
  }
}

/** What every section reads, computed once: the scope and its window, the chain head, the analyses. */
async function auditContext(store: Store, o: AuditOptions): Promise<AuditContext> {
  const filter: EventFilter = { since: o.since, until: o.until };
  const counts = await countScope(store, filter);
  const head = await chainHead(store);
  // The analysis window (the analyses' rule) and the timeline's buckets over it.
  const window = resolveWindow(filter, await dataExtent(store));
  const intervalMs = window.empty ? 3_600_000 : autoInterval(window.endUs! - window.startUs!);
  // Analyses (the same code as `analyze scheduling`, `analyze cost`, `analyze sla`), each on its
  // own connection so DuckDB runs them side by side (one connection runs one query at a time).
  // The cost trend has the timeline's buckets: its realised savings per bucket are the timeline's.
  const [scheduling, cost, sla] = await onConnections(store, [
    (s) => analyzeScheduling(s, { filter, by: 'cluster' }),
    (s) => analyzeCost(s, { filter, intervalMs }),
    (s) => analyzeSla(s, o.slos, { since: o.since, until: o.until }),
  ] as const);
  const limit = o.listLimit ?? DEFAULT_LIST_LIMIT;
  return { options: o, limit, filter, window, intervalMs, counts, head, scheduling, cost, sla };
}

/** The report's steps, for progress: the analyses, then each section. */
const STEPS = ['analyses', ...SECTIONS.map((s) => s.name)];

/** Tell o.onProgress that the step `name` starts (or, with `verify`, how far its verification is). */
function reportStep(o: AuditOptions, name: string, verify?: ReportProgress['verify']): void {
  o.onProgress?.({ section: name, step: STEPS.indexOf(name), steps: STEPS.length, verify });
}

export async function buildAuditReport(store: Store, o: AuditOptions): Promise<AuditReport> {
  reportStep(o, 'analyses');
  const ctx = await auditContext(store, o);
  const parts: Partial<Record<PartKey, unknown>> = {};
  for (const section of SECTIONS) {
    reportStep(o, section.name);
    const onProgress = o.onProgress && ((p: ReportProgress) => reportStep(o, section.name, p.verify));
    parts[section.key] = await section.compute(store, { ...ctx, options: { ...o, onProgress } });
  }
  return {
    report: REPORT_TITLE,
    format_version: 1,
    generated_at: new Date().toISOString(),
    tool: { name: 'kcloud-log', version: o.toolVersion },
    database: o.dbPath,
    ...(parts as Pick<AuditReport, PartKey>),
  };
}
