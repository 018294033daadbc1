/**
 * The analyses and the audit report, as `analyze scheduling|cost|sla` and `report audit` compute
 * them: the same library calls, the same options (their flags as query parameters), the same
 * result types.
 */
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { UsageError } from '../../errors.js';
import { checkTypes, type EventFilter } from '../../query/filters.js';
import { parseTimeRange } from '../../time.js';
import { parseWindowFlags } from '../../analyze/window.js';
import { analyzeScheduling, DEFAULT_MIN_SAMPLE, GROUP_BY } from '../../analyze/scheduling.js';
import { analyzeCost } from '../../analyze/cost.js';
import { analyzeSla } from '../../analyze/sla.js';
import { loadStoredRules } from '../../alerts/store.js';
import { buildAuditReport, DEFAULT_GAP_MS, DEFAULT_LIST_LIMIT } from '../../report/audit.js';
import { renderHtml, renderJson, renderMarkdown } from '../../report/render.js';
import { paramName, Query, type RawQuery } from '../query.js';
import type { RouteContext } from '../server.js';

type Req = FastifyRequest<{ Querystring: RawQuery }>;

/** The time bounds as the window rule reads them (analyze cost, sla, report audit). */
const windowOf = (q: Query) =>
  parseWindowFlags({ since: q.one('since'), until: q.one('until') }, undefined, paramName);

export function readRoutes(ctx: RouteContext) {
  return async (app: FastifyInstance) => {
    app.get('/analytics/scheduling-performance', async (req: Req) => scheduling(ctx, new Query(req.query)));
    app.get('/analytics/cost-efficiency', async (req: Req) => cost(ctx, new Query(req.query)));
    app.get('/analytics/sla-compliance', async (req: Req) => {
      const q = new Query(req.query);
      const { since, until } = windowOf(q);
      q.done();
      return ctx.read((store) => analyzeSla(store, ctx.slos, { since, until }));
    });
    app.get('/reports/audit', async (req: Req, reply: FastifyReply) =>
      audit(ctx, new Query(req.query), reply),
    );
  };
}

/** `analyze scheduling`: its filters, --by, --interval, the baseline window and the gates. */
async function scheduling(ctx: RouteContext, q: Query) {
  const now = Date.now();
  const filter = q.filter([], now);
  const by = q.option('by', GROUP_BY);
  const intervalMs = q.duration('interval', { min: 1000 });
  const baselineSince = q.one('baseline-since');
  const baselineUntil = q.one('baseline-until');
  const failUnder = q.number('fail-under-reduction', { min: 0, max: 100, unit: 'percent', percent: true });
  const failP95 = q.number('fail-if-p95-over', { min: 0, max: 86_400_000, unit: 'milliseconds' });
  const reductionMetric = q.option('reduction-metric', ['avg', 'p95'] as const) ?? 'avg';
  const minSample = q.count('min-sample', 1) ?? DEFAULT_MIN_SAMPLE;
  q.done();
  const hasBaseline = baselineSince !== undefined || baselineUntil !== undefined;
  if (failUnder !== undefined && !hasBaseline)
    throw new UsageError(
      `At least one of the following must be provided when using ${paramName('fail-under-reduction')}: ${paramName('baseline-since')}, ${paramName('baseline-until')}`,
    );
  const baselineFilter: EventFilter = {
    ...filter,
    ...parseTimeRange(
      baselineSince,
      baselineUntil,
      [paramName('baseline-since'), paramName('baseline-until')],
      now,
    ),
  };
  return ctx.read(async (store) => {
    await checkTypes(store, filter.types, paramName);
    return analyzeScheduling(store, {
      optionName: paramName,
      filter,
      by,
      intervalMs,
      baseline: hasBaseline ? { store, filter: baselineFilter } : undefined,
      failUnderReductionPct: failUnder,
      failIfP95OverMs: failP95,
      reductionMetric,
      minSample,
    });
  });
}

/** `analyze cost`: the filters of `events` (the window by the window rule), --interval, the policy comparison. */
async function cost(ctx: RouteContext, q: Query) {
  const filter = { ...q.filter(['since', 'until']), ...windowOf(q) };
  const intervalMs = q.duration('interval', { min: 1000 });
  const aroundPolicy = q.one('around-policy');
  const policyWindowMs = q.duration('policy-window', { min: 1000 });
  q.done();
  return ctx.read(async (store) => {
    await checkTypes(store, filter.types, paramName);
    return analyzeCost(store, { optionName: paramName, filter, intervalMs, aroundPolicy, policyWindowMs });
  });
}

const REPORT_TYPES = {
  json: 'application/json; charset=utf-8',
  md: 'text/markdown; charset=utf-8',
  html: 'text/html; charset=utf-8',
} as const;

/** `report audit` over the stored rules: --since, --until, --format (json by default here), --gap, --limit, --verify. */
async function audit(ctx: RouteContext, q: Query, reply: FastifyReply) {
  const { since, until } = windowOf(q);
  const format = q.option('format', ['md', 'html', 'json'] as const) ?? 'json';
  const gapMs = q.duration('gap', { min: 1000 }) ?? DEFAULT_GAP_MS;
  const listLimit = q.count('limit', 1) ?? DEFAULT_LIST_LIMIT;
  const verifyText = q.one('verify');
  q.done();
  // --verify / --no-verify / neither (automatic): true, false, absent
  const verify = verifyText === undefined ? undefined : new Query({ verify: verifyText }).flag('verify');
  const report = await ctx.read(async (store) => {
    const { rules, errors } = await loadStoredRules(store, ctx.slos);
    return buildAuditReport(store, {
      since,
      until,
      gapMs,
      slos: ctx.slos,
      rules,
      ruleErrors: errors,
      rulesSource: 'rules stored in the database',
      verify,
      toolVersion: ctx.version,
      listLimit,
      dbPath: ctx.shared.path,
    });
  }, true);
  const text =
    format === 'json' ? renderJson(report) : format === 'html' ? renderHtml(report) : renderMarkdown(report);
  return reply.type(REPORT_TYPES[format]).send(text);
}
