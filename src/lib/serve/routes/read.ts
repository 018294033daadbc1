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
import { FILTER_PARAMS, paramName, Query, type Param, type Params, type RawQuery } from '../query.js';
import type { JsonSchema, RouteDoc } from '../openapi.js';
import { auditShape, costShape, schedulingShape, slaShape } from '../shapes.js';
import type { RouteContext } from '../server.js';

type Req = FastifyRequest<{ Querystring: RawQuery }>;

/** The analysis window's bounds (window.ts: clipped to the stored data). */
const WINDOW_PARAMS = {
  since: { kind: 'time', description: 'start of the window (inclusive; clipped to the stored data)' },
  until: { kind: 'time', description: 'end of the window (exclusive; clipped to the stored data)' },
} as const satisfies Params;
const INTERVAL = {
  kind: 'duration',
  range: { min: 1000 },
  description: 'trend bucket (default: chosen from the window, about 60 buckets)',
} as const satisfies Param;

const SCHEDULING_PARAMS = {
  ...FILTER_PARAMS,
  by: { kind: 'option', options: GROUP_BY, description: 'break down by' },
  interval: INTERVAL,
  'baseline-since': { kind: 'time', description: 'baseline window start' },
  'baseline-until': { kind: 'time', description: 'baseline window end' },
  'fail-under-reduction': {
    kind: 'number',
    range: { min: 0, max: 100, unit: 'percent', percent: true },
    description: 'a failing gate unless latency fell by at least this much against the baseline',
  },
  'fail-if-p95-over': {
    kind: 'number',
    range: { min: 0, max: 86_400_000, unit: 'milliseconds' },
    description: 'a failing gate if p95 latency is above this',
  },
  'reduction-metric': {
    kind: 'option',
    options: ['avg', 'p95'],
    default: 'avg',
    description: 'latency statistic the reduction verdict uses',
  },
  'min-sample': {
    kind: 'count',
    min: 1,
    default: DEFAULT_MIN_SAMPLE,
    description: 'decisions needed on each side for a verdict',
  },
} as const satisfies Params;

const COST_PARAMS = {
  ...FILTER_PARAMS,
  ...WINDOW_PARAMS,
  interval: INTERVAL,
  'around-policy': { kind: 'text', description: 'compare equal windows before and after this policy change' },
  'policy-window': {
    kind: 'duration',
    range: { min: 1000 },
    description: 'length of each side of around-policy (default 7d, or the span available)',
  },
} as const satisfies Params;

const AUDIT_PARAMS = {
  ...WINDOW_PARAMS,
  format: { kind: 'option', options: ['md', 'html', 'json'], default: 'json', description: 'report format' },
  gap: {
    kind: 'duration',
    range: { min: 1000 },
    default: DEFAULT_GAP_MS,
    description: 'report quiet periods at least this long',
  },
  limit: {
    kind: 'count',
    min: 1,
    default: DEFAULT_LIST_LIMIT,
    description: 'rows per listing (counts are always complete)',
  },
  verify: {
    kind: 'flag',
    description: 'verify the whole chain now: true, false, or (absent) only below 1M events',
  },
} as const satisfies Params;

const json = (schema: JsonSchema) => ({ 'application/json': schema });
const SCHEDULING_DOC: RouteDoc = {
  tag: 'analytics',
  summary:
    'Scheduling latency, outcomes, cost of choices, trend and the baseline verdict (`analyze scheduling`)',
  query: SCHEDULING_PARAMS,
  ok: { description: 'the analysis', content: json(schedulingShape) },
};
const COST_DOC: RouteDoc = {
  tag: 'analytics',
  summary: 'Savings, waste and reconfiguration costs over the window (`analyze cost`)',
  query: COST_PARAMS,
  ok: { description: 'the analysis', content: json(costShape) },
  errors: { 404: 'no policy change of that id (around-policy)' },
};
const SLA_DOC: RouteDoc = {
  tag: 'analytics',
  summary: "Each SLO's compliance and burn rate (`analyze sla`)",
  query: WINDOW_PARAMS,
  ok: { description: 'the analysis', content: json(slaShape) },
};
const AUDIT_DOC: RouteDoc = {
  tag: 'reports',
  summary: 'The audit report over the stored rules (`report audit`)',
  query: AUDIT_PARAMS,
  ok: {
    description: 'the report in the format asked for',
    content: {
      'application/json': auditShape,
      'text/markdown': { type: 'string' },
      'text/html': { type: 'string' },
    },
  },
};

/** The time bounds as the window rule reads them (analyze cost, sla, report audit). */
const windowOf = (q: Query<typeof WINDOW_PARAMS>) =>
  parseWindowFlags({ since: q.time('since'), until: q.time('until') }, undefined, paramName);

export function readRoutes(ctx: RouteContext) {
  return async (app: FastifyInstance) => {
    app.get('/analytics/scheduling-performance', { config: { doc: SCHEDULING_DOC } }, async (req: Req) =>
      scheduling(ctx, new Query(req.query, SCHEDULING_PARAMS)),
    );
    app.get('/analytics/cost-efficiency', { config: { doc: COST_DOC } }, async (req: Req) =>
      cost(ctx, new Query(req.query, COST_PARAMS)),
    );
    app.get('/analytics/sla-compliance', { config: { doc: SLA_DOC } }, async (req: Req) => {
      const q = new Query(req.query, WINDOW_PARAMS);
      const { since, until } = windowOf(q);
      q.done();
      return ctx.read((store) => analyzeSla(store, ctx.slos, { since, until }));
    });
    app.get('/reports/audit', { config: { doc: AUDIT_DOC } }, async (req: Req, reply: FastifyReply) =>
      audit(ctx, new Query(req.query, AUDIT_PARAMS), reply),
    );
  };
}

/** `analyze scheduling`: its filters, --by, --interval, the baseline window and the gates. */
async function scheduling(ctx: RouteContext, q: Query<typeof SCHEDULING_PARAMS>) {
  const now = Date.now();
  const filter = q.filter([], now);
  const by = q.option('by');
  const intervalMs = q.duration('interval');
  const baselineSince = q.time('baseline-since');
  const baselineUntil = q.time('baseline-until');
  const failUnder = q.number('fail-under-reduction');
  const failP95 = q.number('fail-if-p95-over');
  const reductionMetric = q.option('reduction-metric');
  const minSample = q.count('min-sample');
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
async function cost(ctx: RouteContext, q: Query<typeof COST_PARAMS>) {
  const filter = { ...q.filter(['since', 'until']), ...windowOf(q) };
  const intervalMs = q.duration('interval');
  const aroundPolicy = q.text('around-policy');
  const policyWindowMs = q.duration('policy-window');
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
async function audit(ctx: RouteContext, q: Query<typeof AUDIT_PARAMS>, reply: FastifyReply) {
  const { since, until } = windowOf(q);
  const format = q.option('format');
  const gapMs = q.duration('gap');
  const listLimit = q.count('limit');
  const verify = q.flag('verify'); // --verify / --no-verify / neither (automatic): true, false, absent
  q.done();
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
