/**
 * SLA compliance: service level objectives over the stored events, their
 * error budgets and multiwindow burn rates (Google SRE workbook, "Alerting on
 * SLOs", multiwindow multi-burn-rate alerts).
 *
 * SLIs (all from typed columns, one aggregate query for every SLO and window):
 *
 * - `decision_latency`: good = scheduling_decision events with
 *   execution_time_ms <= threshold_ms; valid = decisions with an
 *   execution_time_ms. SLI = good / valid.
 * - `decision_success`: good = decisions with outcome `scheduled` (the
 *   default when not logged); valid = all decisions. SLI = good / valid (the
 *   same success rate as `analyze scheduling`).
 * - `relocation_availability`: SLI = 1 - sum(downtime_seconds) /
 *   (relocated workloads x window seconds), where relocated workloads are
 *   the distinct workload ids with a workload_relocation event in the window,
 *   each counted as running for the whole window; clamped at 0.
 *
 * Error budget: allowed = 1 - objective; consumed = (1 - SLI) / (1 - objective)
 * (the burn rate over the whole window); remaining = 1 - consumed.
 * Burn rate over a window w: (1 - SLI over w) / (1 - objective).
 *
 * Windows follow the analysis window rule (window.ts): they end at `--until`
 * or just after the newest stored event (the log's "now"), whichever is
 * earlier. The compliance window starts at `--since` or the first stored
 * event, whichever is later; without `--since`, one SLO period before the end,
 * not before the first stored event. Burn-rate windows end at the same
 * instant and are clipped to the compliance window's start.
 */
import { z } from '../zod.js';
import type { Store } from '../store/open.js';
import { exactSum, numOrZero, Params, queryRows, type Row } from '../store/sql.js';
import { microsToIso } from '../time.js';
import { dataExtent, resolveWindow, WINDOW_RULE } from './window.js';
import { excerpt } from '../text.js';
import { durationMs, DurationText, parseRatio, readSpecFile, SpecName, validateSpec } from '../specfile.js';

export const SLI_KINDS = ['decision_latency', 'relocation_availability', 'decision_success'] as const;
export type SliKind = (typeof SLI_KINDS)[number];

export const DEFAULT_PERIOD = '30d';

/* ----------------------------------------------------------------------------------------------
 * SLO file schema
 * -------------------------------------------------------------------------------------------- */

const Objective = z
  .union([z.number(), z.string()])
  .refine(
    (v) => {
      const r = parseRatio(v);
      return r !== undefined && r > 0 && r < 1;
    },
    { message: 'expected a target above 0 and below 100%: 99.9%, 99.9 or 0.999' },
  )
  .describe('target share of good events (or time): "99.9%", 99.9 (percent) or 0.999 (fraction)');

const base = {
  name: SpecName.describe('unique name, used by alert rules (slo_burn_rate)'),
  description: z.string().optional(),
  objective: Objective,
  period: DurationText.optional().describe('compliance window (default: the file-level period, else 30d)'),
};

export const SloEntrySchema = z.discriminatedUnion('sli', [
  z.strictObject({
    ...base,
    sli: z.literal('decision_latency'),
    threshold_ms: z
      .number()
      .positive()
      .max(86_400_000, 'expected at most 86400000 (a day)')
      .describe('a decision is good when execution_time_ms <= this'),
  }),
  z.strictObject({ ...base, sli: z.literal('relocation_availability') }),
  z.strictObject({ ...base, sli: z.literal('decision_success') }),
]);

export const BurnAlertSchema = z.strictObject({
  name: SpecName,
  long: DurationText,
  short: DurationText,
  budget: Objective.describe('share of the period budget that burning over `long` spends, e.g. 2%'),
  severity: z.string().default('page'),
});

export const SloFileSchema = z
  .strictObject({
    period: DurationText.optional(),
    slos: z.array(SloEntrySchema).min(1, 'expected at least one SLO'),
    burn_rate_alerts: z.array(BurnAlertSchema).min(1).optional(),
  })
  .superRefine((f, ctx) => {
    const seen = new Set<string>();
    f.slos.forEach((s, i) => {
      if (seen.has(s.name))
        ctx.addIssue({
          code: 'custom',
          path: ['slos', i, 'name'],
          message: `duplicate SLO name ${excerpt(s.name)}`,
        });
      seen.add(s.name);
    });
  });

export type SloFile = z.infer<typeof SloFileSchema>;

/** An SLO ready to evaluate. */
export interface Slo {
  name: string;
  sli: SliKind;
  description: string;
  /** Target, as a fraction (0.999). */
  objective: number;
  period: string;
  periodMs: number;
  threshold_ms?: number;
}

export interface BurnAlertSpec {
  name: string;
  long: string;
  short: string;
  longMs: number;
  shortMs: number;
  /** Share of the period's budget spent over the long window when burning at the threshold. */
  budget: number;
  severity: string;
}

export interface SloSet {
  /** Where the SLOs came from: a file path, or `defaults`. */
  source: string;
  slos: Slo[];
  burnAlerts: BurnAlertSpec[];
}

/**
 * The workbook's recommended pairs for a 30-day SLO: 2% of the budget in 1 h
 * (burn 14.4) and 5% in 6 h (burn 6) page, 10% in 3 d (burn 1) opens a ticket;
 * each long window is paired with a short one of 1/12 its length.
 */
export const DEFAULT_BURN_ALERTS: readonly z.input<typeof BurnAlertSchema>[] = [
  { name: 'page-fast', long: '1h', short: '5m', budget: '2%', severity: 'page' },
  { name: 'page-slow', long: '6h', short: '30m', budget: '5%', severity: 'page' },
  { name: 'ticket', long: '3d', short: '6h', budget: '10%', severity: 'ticket' },
];

/** The SLOs used when no `--slo FILE` is given (README "SLOs"). */
export const DEFAULT_SLO_FILE: z.input<typeof SloFileSchema> = {
  period: DEFAULT_PERIOD,
  slos: [
    {
      name: 'decision-latency',
      sli: 'decision_latency',
      threshold_ms: 100,
      objective: '99%',
      description: '99% of scheduling decisions take at most 100 ms (execution_time_ms)',
    },
    {
      name: 'relocation-availability',
      sli: 'relocation_availability',
      objective: '99.9%',
      description: 'relocated workloads are up 99.9% of the time (downtime_seconds of their relocations)',
    },
    {
      name: 'decision-success',
      sli: 'decision_success',
      objective: '99%',
      description: "99% of scheduling decisions end with outcome 'scheduled'",
    },
  ],
};

const DESCRIBE: Record<SliKind, (s: Slo) => string> = {
  decision_latency: (s) =>
    `${pctText(s.objective)} of scheduling decisions take at most ${s.threshold_ms} ms (execution_time_ms)`,
  relocation_availability: (s) =>
    `relocated workloads are up ${pctText(s.objective)} of the time (downtime_seconds of their relocations)`,
  decision_success: (s) => `${pctText(s.objective)} of scheduling decisions end with outcome 'scheduled'`,
};

const pctText = (f: number) => `${Number((f * 100).toFixed(6))}%`;

/** Turn a validated SLO file into SLOs (durations and objectives resolved). */
export function resolveSloFile(f: SloFile, source: string): SloSet {
  const filePeriod = f.period ?? DEFAULT_PERIOD;
  const slos = f.slos.map((e): Slo => {
    const period = e.period ?? filePeriod;
    const slo: Slo = {
      name: e.name,
      sli: e.sli,
      description: '',
      objective: parseRatio(e.objective)!,
      period,
      periodMs: durationMs(period)!,
      ...(e.sli === 'decision_latency' ? { threshold_ms: e.threshold_ms } : {}),
    };
    slo.description = e.description ?? DESCRIBE[e.sli](slo);
    return slo;
  });
  const alerts = (f.burn_rate_alerts ?? DEFAULT_BURN_ALERTS.map((a) => BurnAlertSchema.parse(a))).map(
    (a): BurnAlertSpec => ({
      name: a.name,
      long: a.long,
      short: a.short,
      longMs: durationMs(a.long)!,
      shortMs: durationMs(a.short)!,
      budget: parseRatio(a.budget)!,
      severity: a.severity,
    }),
  );
  return { source, slos, burnAlerts: alerts };
}

/** Validate SLO file content (already parsed from YAML/JSON). */
export function parseSloSpec(data: unknown, name: string): SloSet {
  return resolveSloFile(validateSpec(SloFileSchema, data, name), name);
}

/** `--slo FILE`, else the documented defaults. */
export function loadSlos(file?: string): SloSet {
  if (!file) return resolveSloFile(SloFileSchema.parse(DEFAULT_SLO_FILE), 'defaults');
  return parseSloSpec(readSpecFile(file), file);
}

/* ----------------------------------------------------------------------------------------------
 * SQL pieces per SLI (shared with alert rules on slo_burn_rate)
 * -------------------------------------------------------------------------------------------- */

export interface SliSql {
  eventType: string;
  /** Numerator of the bad fraction (sum over rows). */
  bad: string;
  /** Denominator for event-based SLIs (sum over rows); null for time-based. */
  valid: string | null;
}

/** Row-level expressions over `events` columns for an SLO's SLI (threshold inlined as a number). */
export function sliSql(slo: Slo): SliSql {
  switch (slo.sli) {
    case 'decision_latency':
      return {
        eventType: 'scheduling_decision',
        bad: `CASE WHEN exec_ms > ${Number(slo.threshold_ms)} THEN 1 WHEN exec_ms IS NOT NULL THEN 0 END`,
        valid: `CASE WHEN exec_ms IS NOT NULL THEN 1 END`,
      };
    case 'decision_success':
      return {
        eventType: 'scheduling_decision',
        bad: `CASE WHEN outcome = 'scheduled' THEN 0 ELSE 1 END`,
        valid: '1',
      };
    case 'relocation_availability':
      return { eventType: 'workload_relocation', bad: 'downtime_seconds', valid: null };
  }
}

export const SLI_METHOD: Record<SliKind, (s: Slo) => string> = {
  decision_latency: (s) =>
    `good = scheduling_decision events with execution_time_ms <= ${s.threshold_ms} ms; valid = scheduling_decision events with an execution_time_ms; SLI = good / valid over the window`,
  decision_success: () =>
    "good = scheduling_decision events with outcome 'scheduled' (the default when no outcome is logged); valid = all scheduling_decision events; SLI = good / valid over the window",
  relocation_availability: () =>
    'SLI = 1 - sum(downtime_seconds) / (relocated workloads x window seconds), relocated workloads = distinct workload ids with a workload_relocation event in the window (each counted as running for the whole window); clamped at 0',
};

/* ----------------------------------------------------------------------------------------------
 * Evaluation
 * -------------------------------------------------------------------------------------------- */

export type SloStatus = 'met' | 'breached' | 'no-data';

export interface WindowCounts {
  /** Event-based: events counted; availability: relocations in the window. */
  valid: number;
  /** Event-based: good events. */
  good: number | null;
  /** Event-based: bad events. */
  bad: number | null;
  /** Availability: sum of downtime_seconds. */
  downtime_seconds: number | null;
  /** Availability: distinct relocated workloads. */
  workloads: number | null;
  /** Availability: workloads x window seconds. */
  workload_seconds: number | null;
}

export interface BurnRate extends WindowCounts {
  window: string;
  since: string;
  until: string;
  /** Window length after clipping, seconds. */
  seconds: number;
  sli: number | null;
  /** (1 - sli) / (1 - objective); null without data. */
  burn_rate: number | null;
}

export interface BurnAlertResult {
  name: string;
  severity: string;
  long: string;
  short: string;
  /** budget x period / long window. */
  threshold: number;
  long_burn_rate: number | null;
  short_burn_rate: number | null;
  firing: boolean;
}

export interface ErrorBudget {
  /** 1 - objective. */
  allowed: number;
  /** (1 - SLI) / (1 - objective); null without data. */
  consumed: number | null;
  /** 1 - consumed. */
  remaining: number | null;
  /** Event-based: (1 - objective) x valid events. */
  allowed_bad_events: number | null;
  remaining_bad_events: number | null;
  /** Availability: (1 - objective) x workload seconds. */
  allowed_downtime_seconds: number | null;
  remaining_downtime_seconds: number | null;
}

export interface SloResult extends WindowCounts {
  name: string;
  sli_kind: SliKind;
  description: string;
  objective: number;
  period: string;
  threshold_ms: number | null;
  window: { since: string; until: string; seconds: number; basis: string };
  /** The SLI over the compliance window (0..1); null without data. */
  sli: number | null;
  status: SloStatus;
  compliant: boolean | null;
  error_budget: ErrorBudget;
  burn_rates: BurnRate[];
  burn_alerts: BurnAlertResult[];
  method: string;
}

export interface SlaResult {
  source: string;
  /** End of every window (exclusive), ISO UTC. */
  until: string | null;
  until_basis: string;
  slos: SloResult[];
  /** Names of breached SLOs. */
  breached: string[];
  /** Names of SLOs with a firing burn-rate alert. */
  burning: string[];
  basis: Record<string, string>;
}

export interface SlaOptions {
  /** Epoch µs, inclusive. */
  since?: number;
  /** Epoch µs, exclusive. */
  until?: number;
}
const SLA_BASIS = {
  window: `each SLO's compliance window: ${WINDOW_RULE}; without --since it starts one SLO period before its end, not before the first stored event`,
  sli: 'per SLO: see its method',
  error_budget:
    'allowed = 1 - objective; consumed = (1 - SLI) / (1 - objective) over the compliance window; remaining = 1 - consumed',
  burn_rate:
    '(1 - SLI over the window) / (1 - objective); 1 spends the budget exactly over one period. Windows end at `until` and are clipped to the compliance window start',
  burn_alerts:
    'SRE workbook multiwindow, multi-burn-rate alerts: fires when both the long and the short window burn at or above budget x period / long window (30d period: 14.4 over 1h and 5m, 6 over 6h and 30m, 1 over 3d and 6h)',
  compliance: 'met when SLI >= objective over the compliance window; no-data when nothing was measured',
};

interface Win {
  key: string;
  label: string;
  start: number;
  end: number;
}

/** An SLO's windows: the compliance window first, then each burn-rate window (shortest first). */
interface SloWindows {
  slo: Slo;
  wins: Win[];
  start: number;
  basis: string;
}

export async function analyzeSla(store: Store, set: SloSet, opts: SlaOptions = {}): Promise<SlaResult> {
  const extent = await dataExtent(store);
  const requested = { since: opts.since, until: opts.until };
  // One end for every SLO (window.ts); without --since each window starts one period earlier.
  const plain = resolveWindow(requested, extent);
  const end = plain.endUs;
  // the result's keys in their documented order: source, until, until_basis, ...
  const head = (until: string | null) => ({ source: set.source, until, until_basis: plain.endBasis });
  if (end === null) {
    const slos = set.slos.map((s) => emptySlo(s, set));
    return { ...head(null), slos, breached: [], burning: [], basis: SLA_BASIS };
  }
  const perSlo = set.slos.map((slo): SloWindows => {
    const w = resolveWindow(requested, extent, {
      us: slo.periodMs * 1000,
      label: `${slo.period} (the SLO period)`,
    });
    return { slo, wins: sloWindows(slo, set, w.startUs!, end), start: w.startUs!, basis: w.info.basis };
  });
  const bands = await bandCounts(store, set, perSlo, end);
  const slos = perSlo.map((x) => sloResult(x, set, end, bands));
  return {
    ...head(microsToIso(end)),
    slos,
    breached: slos.filter((s) => s.status === 'breached').map((s) => s.name),
    burning: slos.filter((s) => s.burn_alerts.some((a) => a.firing)).map((s) => s.name),
    basis: SLA_BASIS,
  };
}

/** The compliance window [start, end) and every burn-rate window, clipped to its start. */
function sloWindows(slo: Slo, set: SloSet, start: number, end: number): Win[] {
  const lens = new Map<string, number>();
  for (const a of set.burnAlerts) {
    lens.set(a.long, a.longMs);
    lens.set(a.short, a.shortMs);
  }
  const burn = [...lens.entries()].sort((a, b) => a[1] - b[1]);
  return [
    { key: 'period', label: slo.period, start, end },
    ...burn.map(([label, ms]) => ({
      key: label,
      label,
      start: Math.trunc(Math.min(end, Math.max(end - ms * 1000, start))),
      end,
    })),
  ];
}

/** The counts of one window: valid events, bad events (or downtime), relocated workloads. */
type CountsOf = (slo: Slo, w: Win) => { valid: number; bad: number; workloads: number };

/**
 * Every window ends at `end`, so each is "rows from its start on". One pass groups the rows by
 * event type and by band (the interval between consecutive window starts); a window's counts
 * are the sums over the bands from its start on. Distinct relocated workloads: a workload is in
 * a window when its newest relocation before `end` is.
 */
async function bandCounts(store: Store, set: SloSet, perSlo: SloWindows[], end: number): Promise<CountsOf> {
  const bounds = [...new Set(perSlo.flatMap((x) => x.wins.map((w) => Math.trunc(w.start))))].sort(
    (a, b) => a - b,
  );
  const band = (col: string) =>
    bounds.length > 1
      ? `CASE ${bounds
          .map((b, i) => [b, i] as const)
          .slice(1)
          .reverse()
          .map(([b, i]) => `WHEN ${col} >= make_timestamp(${b}::BIGINT) THEN ${i}`)
          .join(' ')} ELSE 0 END`
      : '0';
  const thresholds = [
    ...new Set(set.slos.filter((x) => x.sli === 'decision_latency').map((x) => Number(x.threshold_ms))),
  ];
  const types = [...new Set(set.slos.map((x) => sliSql(x).eventType))];
  const ps = new Params();
  const span = (p: Params) =>
    `ts >= make_timestamp(${p.p(bounds[0]!)}::BIGINT) AND ts < make_timestamp(${p.p(end)}::BIGINT)`;
  const bandRows = await queryRows(
    store,
    `SELECT event_type, ${band('ts')} AS band, count(*) AS n, count(exec_ms) AS lat_n,
      ${thresholds.map((t, i) => `sum((exec_ms > ${t})::BIGINT) AS lat_bad_${i}`).join(', ')}${thresholds.length ? ',' : ''}
      sum((outcome IS DISTINCT FROM 'scheduled')::BIGINT) AS not_ok,
      coalesce(${exactSum('downtime_seconds')}, 0) AS dt
     FROM events WHERE event_type IN (${ps.list(types)}) AND ${span(ps)} GROUP BY ALL`,
    ps.values,
  );
  const wlBands = new Map<number, number>();
  if (set.slos.some((x) => x.sli === 'relocation_availability')) {
    const wp = new Params();
    const rows = await queryRows(
      store,
      `SELECT ${band('mt')} AS band, count(*) AS wl FROM (
         SELECT workload_id, max(ts) AS mt FROM events
         WHERE event_type = ${wp.p('workload_relocation')} AND workload_id IS NOT NULL AND ${span(wp)}
         GROUP BY workload_id) GROUP BY ALL`,
      wp.values,
    );
    for (const r of rows) wlBands.set(numOrZero(r.band), numOrZero(r.wl));
  }
  /** Sum of a measure over the bands from band `j` on, for one event type. */
  const sumFrom = (eventType: string, j: number, f: (r: Row) => number) =>
    bandRows.filter((r) => r.event_type === eventType && Number(r.band) >= j).reduce((a, r) => a + f(r), 0);
  return (slo, w) => {
    const et = sliSql(slo).eventType;
    const j = bounds.indexOf(Math.trunc(w.start));
    const valid = sumFrom(et, j, (r) => numOrZero(slo.sli === 'decision_latency' ? r.lat_n : r.n));
    switch (slo.sli) {
      case 'decision_latency': {
        const k = thresholds.indexOf(Number(slo.threshold_ms));
        return { valid, bad: sumFrom(et, j, (r) => numOrZero(r[`lat_bad_${k}`])), workloads: 0 };
      }
      case 'decision_success':
        return { valid, bad: sumFrom(et, j, (r) => numOrZero(r.not_ok)), workloads: 0 };
      case 'relocation_availability': {
        let wl = 0;
        for (const [b, n] of wlBands) if (b >= j) wl += n;
        return { valid, bad: sumFrom(et, j, (r) => numOrZero(r.dt)), workloads: wl };
      }
    }
  };
}

/** The fields of an SLO's result that say what it is. */
function sloHead(slo: Slo) {
  return {
    name: slo.name,
    sli_kind: slo.sli,
    description: slo.description,
    objective: slo.objective,
    period: slo.period,
    threshold_ms: slo.threshold_ms ?? null,
  };
}

/** The burn rate that fires an alert: budget x period / long window. */
const burnThreshold = (a: BurnAlertSpec, slo: Slo) => (a.budget * slo.periodMs) / a.longMs;

function sloResult(x: SloWindows, set: SloSet, end: number, countsOf: CountsOf): SloResult {
  const { slo, wins, start } = x;
  const counts = wins.map((w) => {
    const c = countsOf(slo, w);
    return windowCounts(slo, c.valid, c.bad, c.workloads, (w.end - w.start) / 1e6);
  });
  const period = counts[0]!;
  const burn_rates = wins.slice(1).map((w, i): BurnRate => {
    const c = counts[i + 1]!;
    return {
      window: w.label,
      since: microsToIso(w.start),
      until: microsToIso(w.end),
      seconds: (w.end - w.start) / 1e6,
      ...c.counts,
      sli: c.sli,
      burn_rate: c.sli === null ? null : (1 - c.sli) / (1 - slo.objective),
    };
  });
  const sli = period.sli;
  const status: SloStatus = sli === null ? 'no-data' : sli >= slo.objective ? 'met' : 'breached';
  return {
    ...sloHead(slo),
    window: {
      since: microsToIso(start),
      until: microsToIso(end),
      seconds: (end - start) / 1e6,
      basis: x.basis,
    },
    ...period.counts,
    sli,
    status,
    compliant: sli === null ? null : status === 'met',
    error_budget: errorBudget(slo, sli, period.counts),
    burn_rates,
    burn_alerts: burnAlerts(set, slo, burn_rates),
    method: SLI_METHOD[slo.sli](slo),
  };
}

/** Each burn-rate alert: firing when both its long and short window burn at or above its threshold. */
function burnAlerts(set: SloSet, slo: Slo, rates: BurnRate[]): BurnAlertResult[] {
  const burnOf = (label: string) => rates.find((b) => b.window === label)?.burn_rate ?? null;
  return set.burnAlerts.map((a) => {
    const threshold = burnThreshold(a, slo);
    const lb = burnOf(a.long);
    const sb = burnOf(a.short);
    return {
      name: a.name,
      severity: a.severity,
      long: a.long,
      short: a.short,
      threshold,
      long_burn_rate: lb,
      short_burn_rate: sb,
      firing: lb !== null && sb !== null && lb >= threshold && sb >= threshold,
    };
  });
}

function errorBudget(slo: Slo, sli: number | null, c: WindowCounts): ErrorBudget {
  const consumed = sli === null ? null : (1 - sli) / (1 - slo.objective);
  const allowed = 1 - slo.objective;
  const eventBased = slo.sli !== 'relocation_availability';
  return {
    allowed,
    consumed,
    remaining: consumed === null ? null : 1 - consumed,
    allowed_bad_events: eventBased ? allowed * c.valid : null,
    remaining_bad_events: eventBased ? allowed * c.valid - (c.bad ?? 0) : null,
    allowed_downtime_seconds: eventBased ? null : allowed * (c.workload_seconds ?? 0),
    remaining_downtime_seconds: eventBased
      ? null
      : allowed * (c.workload_seconds ?? 0) - (c.downtime_seconds ?? 0),
  };
}

function windowCounts(
  slo: Slo,
  valid: number,
  bad: number,
  workloads: number,
  seconds: number,
): { counts: WindowCounts; sli: number | null } {
  if (slo.sli === 'relocation_availability') {
    const ws = workloads * seconds;
    return {
      counts: {
        valid,
        good: null,
        bad: null,
        downtime_seconds: bad,
        workloads,
        workload_seconds: ws,
      },
      sli: ws > 0 ? Math.max(0, 1 - bad / ws) : null,
    };
  }
  return {
    counts: {
      valid,
      good: valid - bad,
      bad,
      downtime_seconds: null,
      workloads: null,
      workload_seconds: null,
    },
    sli: valid > 0 ? (valid - bad) / valid : null,
  };
}

function emptySlo(slo: Slo, set: SloSet): SloResult {
  const eventBased = slo.sli !== 'relocation_availability';
  return {
    ...sloHead(slo),
    window: { since: '', until: '', seconds: 0, basis: 'the store has no events' },
    valid: 0,
    good: eventBased ? 0 : null,
    bad: eventBased ? 0 : null,
    downtime_seconds: eventBased ? null : 0,
    workloads: eventBased ? null : 0,
    workload_seconds: eventBased ? null : 0,
    sli: null,
    status: 'no-data',
    compliant: null,
    error_budget: {
      allowed: 1 - slo.objective,
      consumed: null,
      remaining: null,
      allowed_bad_events: null,
      remaining_bad_events: null,
      allowed_downtime_seconds: null,
      remaining_downtime_seconds: null,
    },
    burn_rates: [],
    burn_alerts: burnAlerts(set, slo, []),
    method: SLI_METHOD[slo.sli](slo),
  };
}
