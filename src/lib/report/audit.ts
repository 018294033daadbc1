/**
 * The audit report's content: everything an auditor needs about a time
 * window of the store, each figure with how it was computed. Rendering (md,
 * html, json) is separate (render.ts); this module only queries.
 *
 * Scope: events with --since <= ts < --until; without them, the whole store
 * (first to newest event, inclusive). Completeness (sources, lines, rejects)
 * is about the whole store: files are not split by time.
 */
import type { Store } from '../store/open.js';
import { buildWhere, type EventFilter } from '../query/filters.js';
import { microsToIso } from '../time.js';
import { listSources } from '../ingest/source.js';
import {
  anchorProblem,
  describeProblem,
  verifyStore,
  type VerifyProblem,
  type VerifyProgress,
} from '../integrity/verify.js';
import { chainHead, latestVerification } from '../integrity/verifications.js';
import { checkAnchors, type Anchor, type AnchorCheck } from '../integrity/anchors.js';
import {
  analyzeScheduling,
  autoInterval,
  formatInterval,
  QUANTILE_BASIS,
  type SchedulingResult,
} from '../analyze/scheduling.js';
import { analyzeCost, IN_EFFECT, type CostResult } from '../analyze/cost.js';
import { dataExtent, resolveWindow, type WindowInfo } from '../analyze/window.js';
import { analyzeSla, type SlaResult, type SloSet } from '../analyze/sla.js';
import { evaluateAlerts, type AlertInstance, type RuleSummary } from '../alerts/evaluate.js';
import type { Rule, RuleError } from '../alerts/rules.js';

export const REPORT_TITLE = 'kcloud-log audit report';
export const DEFAULT_GAP_MS = 3_600_000;
export const AUTO_VERIFY_MAX_ROWS = 1_000_000;
export const DEFAULT_LIST_LIMIT = 50;

export interface AuditOptions {
  /** Epoch µs, inclusive. */
  since?: number;
  /** Epoch µs, exclusive. */
  until?: number;
  gapMs?: number;
  slos: SloSet;
  rules: Rule[];
  ruleErrors?: RuleError[];
  /** Where the rules came from (the database, a file). */
  rulesSource: string;
  /** true: verify the whole chain now; false: cite the latest recorded verification; undefined: verify now when the store has fewer than `autoVerifyMaxRows` events. */
  verify?: boolean;
  autoVerifyMaxRows?: number;
  /** External anchors to check (--anchor). */
  anchors?: readonly Anchor[];
  toolVersion: string;
  /** Id of the key the report will be signed with (--key). */
  signingKeyId?: string;
  /** Rows listed per section (counts are always complete). */
  listLimit?: number;
  dbPath: string;
  /** Called as each section starts (and as the verification of the integrity section checks rows). */
  onProgress?: (p: ReportProgress) => void;
}

/** The sections of the report, in the order they are built (for progress). */
export const REPORT_SECTIONS = [
  'scope',
  'completeness',
  'quiet gaps',
  'scheduling, cost and SLAs',
  'latency distribution',
  'timeline',
  'listings',
  'alerts',
  'integrity',
] as const;

export interface ReportProgress {
  section: (typeof REPORT_SECTIONS)[number];
  /** Sections done before this one. */
  step: number;
  steps: number;
  /** In the integrity section: the verification's progress. */
  verify?: VerifyProgress;
}

export interface Counted {
  key: string | null;
  count: number;
}

/** Reject reasons alike but for their quoted values and numbers (a timestamp's value, a JSON error's position). */
export interface RejectKind {
  /** The kind's most frequent reason, word for word. */
  example: string;
  /** Lines rejected with a reason of this kind. */
  count: number;
  /** Lines rejected with exactly `example`. */
  example_count: number;
  /** Distinct reasons of this kind. */
  variants: number;
}

/** One field of a policy that differs between before and after (null: not logged on that side). */
export interface PolicyFieldChange {
  /** Dotted path of the field in the policy object. */
  field: string;
  before: string | null;
  after: string | null;
}

export interface Gap {
  from: string;
  until: string;
  hours: number;
  /** `start`: before the first event (from --since); `end`: after the newest (to --until); `between`: between two events. */
  where: 'start' | 'between' | 'end';
}

export interface SourceLine {
  id: number;
  path: string;
  kind: string;
  status: string;
  lines: number;
  stored: number;
  rejected: number;
  duplicates: number;
  skipped: number;
  balanced: boolean;
  first_seen: string;
  last_read: string | null;
}

export interface LatencyBin {
  from_ms: number;
  to_ms: number | null;
  count: number;
}

export interface TimelinePoint {
  start: string;
  decisions: number;
  /** Mean estimated_cost_per_hour of the decisions in the bucket, USD/h. */
  avg_decision_cost_usd_per_hour: number | null;
  /** Realised savings falling in the bucket, USD. */
  realized_savings_usd: number;
  /** wasted_cost_estimate of the inefficiencies logged in the bucket, USD. */
  wasted_usd: number;
}

export interface Verification {
  /** `run`: verified for this report; `recorded`: the latest `kcloud-log verify` run; `none`: never verified. */
  mode: 'run' | 'recorded' | 'none';
  ok: boolean | null;
  verified_at: string | null;
  rows: number | null;
  head_seq: number | null;
  head_chain: string | null;
  /** Whether the verification reached the current chain head. */
  covers_head: boolean | null;
  /** Events stored after the verified head. */
  events_after: number | null;
  /** Recorded verifications: whether the row at the verified head still carries the verified chain value. */
  verified_head_unchanged: boolean | null;
  first_bad: VerifyProblem | null;
  checks: string[];
  seconds: number | null;
  /** The anchors checked, whichever the mode: the newest commit record, the newest recorded verification, --anchor values. */
  anchors: AnchorCheck[];
  anchors_basis: string;
  basis: string;
}

/** What failed in the integrity section, in one line; null when nothing did. */
export function integrityFailure(r: AuditReport): string | null {
  const v = r.integrity.verification;
  if (v.ok === false && v.first_bad) return describeProblem(v.first_bad);
  const a = v.anchors.find((x) => !x.ok);
  if (a) return describeProblem(anchorProblem(a, r.integrity.chain_head.seq));
  if (v.verified_head_unchanged === false)
    return 'the store changed since the recorded verification: the verified head row no longer carries the verified chain value';
  return null;
}

export const ANCHORS_BASIS =
  "each anchor is a chain head (seq and chain value) recorded earlier: the store's newest commit record (written with every commit), its newest recorded verification, and --anchor values kept outside the store (a head printed by verify --json or an earlier report); the row at that seq must still be stored with that chain value, else rows were deleted or rewritten";

export interface AuditReport {
  report: typeof REPORT_TITLE;
  format_version: 1;
  generated_at: string;
  tool: { name: 'kcloud-log'; version: string };
  database: string;
  scope: {
    since: string | null;
    until: string | null;
    basis: string;
    first_event: string | null;
    last_event: string | null;
    /** The analysis window of the figures (the analyses' window rule): the scope clipped to the stored data. */
    window: WindowInfo;
    events: number;
    events_by_type: Counted[];
  };
  completeness: {
    store: {
      events: number;
      sources: number;
      lines: number;
      stored: number;
      rejected: number;
      duplicates: number;
      skipped: number;
      /** lines = stored + rejected + duplicates + skipped for every source, and stored = events. */
      balanced: boolean;
    };
    sources: SourceLine[];
    rejects: {
      total: number;
      /** The most frequent reasons, word for word, with their lines. */
      by_reason: Counted[];
      /** Distinct reasons. */
      reasons: number;
      /** The most frequent kinds of reason (reasons alike but for quoted values and numbers). */
      by_kind: RejectKind[];
      /** Distinct kinds. */
      kinds: number;
      examples: { path: string; line: number; reason: string }[];
    };
    gaps: { threshold_hours: number; count: number; longest_hours: number | null; list: Gap[] };
    basis: Record<string, string>;
  };
  scheduling: {
    decisions: number;
    throughput_per_hour: number | null;
    latency_ms: SchedulingResult['latency_ms'];
    outcomes: Record<string, number>;
    success_rate: number | null;
    cheapest_choice_rate: number | null;
    not_cheapest: number;
    regret_usd_per_hour: number;
    avg_cost_usd_per_hour: number | null;
    by_cluster: {
      cluster: string | null;
      decisions: number;
      share: number | null;
      p95_ms: number | null;
      success_rate: number | null;
    }[];
    latency_histogram: LatencyBin[];
    basis: Record<string, string>;
  };
  relocations: {
    count: number;
    estimated_savings_usd_per_hour: number;
    realized_savings_usd: number;
    downtime_seconds: number;
    avg_migration_seconds: number | null;
    by_trigger: CostResult['relocations']['by_trigger'];
    recent: {
      ts: string;
      workload_id: string | null;
      from: string | null;
      to: string | null;
      trigger: string | null;
      saving_usd_per_hour: number | null;
      downtime_seconds: number | null;
    }[];
    basis: Record<string, string>;
  };
  reconfigurations: {
    count: number;
    by_action: CostResult['reconfigurations']['by_action'];
    added_usd_per_hour: number;
    removed_usd_per_hour: number;
    net_usd_per_hour: number;
    recent: {
      ts: string;
      action: string | null;
      cluster_id: string | null;
      node_count: number | null;
      cost_usd_per_hour: number | null;
      queue_length: number | null;
    }[];
    basis: Record<string, string>;
  };
  policy_changes: {
    count: number;
    list: {
      ts: string;
      seq: number;
      policy_id: string | null;
      name: string | null;
      version: string | null;
      action: string | null;
      actor: string | null;
      reason: string | null;
      /** The policy before, as logged (JSON text of `previous`). */
      previous: string | null;
      /** The policy after, as logged (JSON text of `policy`). */
      after: string | null;
      /** The fields that differ between previous and policy. */
      changes: PolicyFieldChange[];
    }[];
    basis: string;
  };
  inefficiencies: {
    count: number;
    wasted_usd: number;
    idle_hours: number;
    by_severity: CostResult['waste']['by_severity'];
    by_recommended_action: CostResult['waste']['by_recommended_action'];
    actions: CostResult['waste']['by_action'];
    top: {
      ts: string;
      severity: string | null;
      cluster_id: string | null;
      type: string | null;
      wasted_usd: number | null;
      recommended_action: string | null;
      auto_action_taken: boolean | null;
    }[];
    basis: Record<string, string>;
  };
  sla: SlaResult;
  cost: {
    estimated_savings_usd_per_hour: number;
    realized_savings_usd: number;
    /** The savings rate in force at the window's end, USD/h (as `analyze cost`). */
    run_rate_usd_per_hour: number;
    monthly_projection_usd: number;
    energy_saved_kwh: number;
    wasted_usd: number;
    /** realized savings - waste, USD. */
    net_usd: number;
    reconfiguration_net_usd_per_hour: number;
    basis: Record<string, string>;
  };
  alerts: {
    rules_source: string;
    rules: RuleSummary[];
    at: string | null;
    counts: { firing: number; pending: number; resolved: number };
    active: AlertInstance[];
    errors: RuleError[];
    basis: string;
  };
  timeline: { interval: string; points: TimelinePoint[]; basis: Record<string, string> };
  integrity: {
    chain_head: { seq: number; chain: string };
    events_in_store: number;
    verification: Verification;
    signature: { algorithm: 'Ed25519'; key_id: string; covers: string } | null;
    basis: string;
  };
}

type Row = Record<string, unknown>;

async function rows(store: Store, sql: string, params: (string | number)[] = []): Promise<Row[]> {
  return (await store.conn.runAndReadAll(sql, params as never)).getRowObjectsJS() as Row[];
}

const nn = (v: unknown): number | null => (v === null || v === undefined ? null : Number(v));
const n0 = (v: unknown): number => (v === null || v === undefined ? 0 : Number(v));
const sn = (v: unknown): string | null => (v === null || v === undefined ? null : String(v));

/** Round a bin width up to 1, 2 or 5 x 10^k. */
function niceStep(raw: number): number {
  if (!(raw > 0)) return 1;
  const p = 10 ** Math.floor(Math.log10(raw));
  for (const m of [1, 2, 5, 10]) if (raw <= m * p) return m * p;
  return 10 * p;
}

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

export async function buildAuditReport(store: Store, o: AuditOptions): Promise<AuditReport> {
  const limit = o.listLimit ?? DEFAULT_LIST_LIMIT;
  const gapMs = o.gapMs ?? DEFAULT_GAP_MS;
  const filter: EventFilter = { since: o.since, until: o.until };
  const w = buildWhere(filter);
  const section = (name: ReportProgress['section'], verify?: VerifyProgress) =>
    o.onProgress?.({
      section: name,
      step: REPORT_SECTIONS.indexOf(name),
      steps: REPORT_SECTIONS.length,
      verify,
    });

  // Scope.
  section('scope');
  const byType = await rows(
    store,
    `SELECT event_type, count(*) AS n, epoch_us(min(ts)) AS f, epoch_us(max(ts)) AS l FROM events WHERE ${w.sql} GROUP BY event_type ORDER BY n DESC, event_type`,
    w.params,
  );
  const events = byType.reduce((s, r) => s + n0(r.n), 0);
  const firstUs = byType.length ? Math.min(...byType.map((r) => n0(r.f))) : null;
  const lastUs = byType.length ? Math.max(...byType.map((r) => n0(r.l))) : null;

  section('completeness');
  // Completeness (whole store).
  const head = await chainHead(store);
  const sources = await listSources(store);
  const srcLines: SourceLine[] = sources.map((s) => ({
    id: s.id,
    path: s.path,
    kind: s.kind,
    status: s.status,
    lines: s.lines,
    stored: s.stored,
    rejected: s.rejected,
    duplicates: s.duplicates,
    skipped: s.skipped,
    balanced: s.lines === s.stored + s.rejected + s.duplicates + s.skipped,
    first_seen: s.first_seen,
    last_read: s.last_read,
  }));
  const sum = (k: 'lines' | 'stored' | 'rejected' | 'duplicates' | 'skipped') =>
    srcLines.reduce((a, s) => a + s[k], 0);
  const rej = await rejectReasons(store, limit);
  const rejExamples = await rows(
    store,
    `SELECT path, line, reason FROM rejects ORDER BY source_id, line LIMIT ${Math.min(limit, 20)}`,
  );

  section('quiet gaps');
  // Quiet gaps: with buckets as wide as the threshold, a gap >= threshold lies between two
  // consecutive non-empty buckets (two events in one bucket are closer than its width), so
  // the newest event of one and the oldest of the next bound every such gap, exactly.
  const gapUs = gapMs * 1000;
  const gapRows = await rows(
    store,
    `SELECT epoch_us(ts) // ${gapUs} AS b, epoch_us(min(ts)) AS lo, epoch_us(max(ts)) AS hi FROM events WHERE ${w.sql} GROUP BY b ORDER BY b`,
    w.params,
  );
  const gaps: Gap[] = [];
  const gap = (a: number, b: number, where: Gap['where']) => {
    if (b - a >= gapUs)
      gaps.push({ from: microsToIso(a), until: microsToIso(b), hours: (b - a) / 3600e6, where });
  };
  if (o.since !== undefined && gapRows.length) gap(o.since, n0(gapRows[0]!.lo), 'start');
  for (let i = 1; i < gapRows.length; i++) gap(n0(gapRows[i - 1]!.hi), n0(gapRows[i]!.lo), 'between');
  if (o.until !== undefined && gapRows.length) gap(n0(gapRows[gapRows.length - 1]!.hi), o.until, 'end');
  if (!gapRows.length && o.since !== undefined && o.until !== undefined) gap(o.since, o.until, 'between');

  // The analysis window (the analyses' rule) and the timeline's buckets over it.
  const win = resolveWindow(filter, await dataExtent(store));
  const intervalMs = win.empty ? 3_600_000 : autoInterval(win.endUs! - win.startUs!);

  section('scheduling, cost and SLAs');
  // Analyses (the same code as `analyze scheduling`, `analyze cost`, `analyze sla`), each on its
  // own connection so DuckDB runs them side by side (one connection runs one query at a time).
  // The cost trend has the timeline's buckets: its realised savings per bucket are the timeline's.
  const [sched, cost, sla] = await onConnections(store, [
    (s) => analyzeScheduling(s, { filter, by: 'cluster' }),
    (s) => analyzeCost(s, { filter, intervalMs }),
    (s) => analyzeSla(s, o.slos, { since: o.since, until: o.until }),
  ] as const);

  section('latency distribution');
  // Latency histogram: bins of a round width up to the p99, the rest in one open bin.
  const hist: LatencyBin[] = [];
  if (sched.latency_ms.samples > 0) {
    const lo = 0;
    const top = sched.latency_ms.p99 ?? sched.latency_ms.max ?? 1;
    const step = niceStep((top - lo) / 24 || 1);
    const nb = Math.max(1, Math.ceil((top - lo) / step));
    const hw = buildWhere(filter, '', 2);
    const hr = await rows(
      store,
      `SELECT least(greatest(floor(exec_ms / ${step}), 0), ${nb})::BIGINT AS b, count(*) AS n FROM events
       WHERE event_type = $1 AND exec_ms IS NOT NULL AND ${hw.sql} GROUP BY b`,
      ['scheduling_decision', ...hw.params],
    );
    const m = new Map(hr.map((r) => [n0(r.b), n0(r.n)]));
    for (let b = 0; b <= nb; b++) {
      const c = m.get(b) ?? 0;
      if (b === nb && c === 0) break;
      hist.push({ from_ms: b * step, to_ms: b === nb ? null : (b + 1) * step, count: c });
    }
  }

  section('timeline');
  // Timeline over the analysis window: decisions, their mean cost, realised savings and waste per bucket.
  const points: TimelinePoint[] = [];
  if (!win.empty && events > 0) {
    const spanStart = win.startUs!;
    const spanEnd = win.endUs!;
    const B = intervalMs * 1000;
    const tw = buildWhere(filter, '', 1);
    const tr = await rows(
      store,
      `SELECT epoch_us(ts) // ${B} AS b,
              sum((event_type = 'scheduling_decision')::BIGINT) AS d,
              avg(CASE WHEN event_type = 'scheduling_decision' THEN est_cost_per_hour END) AS c,
              coalesce(sum(wasted_cost), 0) AS waste
       FROM events WHERE event_type IN ('scheduling_decision', 'inefficiency_detected') AND ${tw.sql} GROUP BY b`,
      tw.params,
    );
    const saved = new Map(cost.trend.map((t) => [t.start, t.realized_savings_usd]));
    const tm = new Map(tr.map((r) => [n0(r.b), r]));
    for (let b = Math.floor(spanStart / B); b <= Math.floor((spanEnd - 1) / B); b++) {
      const r = tm.get(b);
      points.push({
        start: microsToIso(b * B),
        decisions: n0(r?.d),
        avg_decision_cost_usd_per_hour: nn(r?.c),
        realized_savings_usd: saved.get(microsToIso(b * B)) ?? 0,
        wasted_usd: n0(r?.waste),
      });
    }
  }

  section('listings');
  // Lists.
  const lw = buildWhere(filter, '', 2);
  const recentRel = await rows(
    store,
    `SELECT epoch_us(ts) AS t, workload_id, from_cluster, cluster_id, "trigger", cost_saving_per_hour, downtime_seconds
     FROM events WHERE event_type = $1 AND ${lw.sql} ORDER BY ts DESC, seq DESC LIMIT ${limit}`,
    ['workload_relocation', ...lw.params],
  );
  const recentRec = await rows(
    store,
    `SELECT epoch_us(ts) AS t, action, cluster_id, node_count, cluster_cost_per_hour, queue_length
     FROM events WHERE event_type = $1 AND ${lw.sql} ORDER BY ts DESC, seq DESC LIMIT ${limit}`,
    ['cluster_reconfiguration', ...lw.params],
  );
  const policyLimit = Math.max(limit, 1000);
  const policies = await rows(
    store,
    `SELECT epoch_us(ts) AS t, seq, policy_id, policy_name, policy_version, action, actor, reason, previous_policy,
            json_extract(raw, '$.policy')::VARCHAR AS after_policy, count(*) OVER () AS total
     FROM events WHERE event_type = $1 AND ${lw.sql} ORDER BY ts, seq LIMIT ${policyLimit}`,
    ['policy_change', ...lw.params],
  );
  const topIneff = await rows(
    store,
    `SELECT epoch_us(ts) AS t, severity, cluster_id, inefficiency_type, wasted_cost, recommended_action, auto_action
     FROM events WHERE event_type = $1 AND ${lw.sql}
     ORDER BY ${"(CASE severity WHEN 'critical' THEN 4 WHEN 'high' THEN 3 WHEN 'medium' THEN 2 WHEN 'low' THEN 1 ELSE 0 END)"} DESC, wasted_cost DESC NULLS LAST, ts, seq
     LIMIT ${limit}`,
    ['inefficiency_detected', ...lw.params],
  );

  section('alerts');
  // Alerts at the end of the analysis window (the newest event, or just before --until).
  const alertFrom = win.startUs ?? undefined;
  const alertAt = win.endUs !== null ? Math.max(win.endUs - 1, win.startUs!) : undefined;
  const alerts = await evaluateAlerts(
    store,
    o.rules,
    o.slos,
    { at: alertAt, from: alertFrom, limit: 1000 },
    o.ruleErrors ?? [],
  );

  // Integrity.
  section('integrity');
  const verification = await integrity(store, head, o, (v) => section('integrity', v));

  const realized = cost.relocations.realized_savings_usd;
  const report: AuditReport = {
    report: REPORT_TITLE,
    format_version: 1,
    generated_at: new Date().toISOString(),
    tool: { name: 'kcloud-log', version: o.toolVersion },
    database: o.dbPath,
    scope: {
      since: o.since !== undefined ? microsToIso(o.since) : firstUs === null ? null : microsToIso(firstUs),
      until: o.until !== undefined ? microsToIso(o.until) : lastUs === null ? null : microsToIso(lastUs),
      basis: `${o.since !== undefined ? '--since (inclusive)' : 'the first stored event'} to ${o.until !== undefined ? '--until (exclusive)' : 'the newest stored event (inclusive)'}; events are selected by their own timestamp (UTC)`,
      first_event: firstUs === null ? null : microsToIso(firstUs),
      last_event: lastUs === null ? null : microsToIso(lastUs),
      window: win.info,
      events,
      events_by_type: byType.map((r) => ({ key: String(r.event_type), count: n0(r.n) })),
    },
    completeness: {
      store: {
        events: head.events,
        sources: srcLines.length,
        lines: sum('lines'),
        stored: sum('stored'),
        rejected: sum('rejected'),
        duplicates: sum('duplicates'),
        skipped: sum('skipped'),
        balanced: srcLines.every((s) => s.balanced) && sum('stored') === head.events,
      },
      sources: srcLines.slice(0, Math.max(limit, 200)),
      rejects: {
        ...rej,
        examples: rejExamples.map((r) => ({
          path: String(r.path),
          line: n0(r.line),
          reason: String(r.reason),
        })),
      },
      gaps: {
        threshold_hours: gapMs / 3_600_000,
        count: gaps.length,
        longest_hours: gaps.length ? Math.max(...gaps.map((g) => g.hours)) : null,
        list: gaps.slice(0, Math.max(limit, 100)),
      },
      basis: {
        store:
          'the whole store, every source ever read: lines read = stored + rejected + duplicates + skipped per source (the ingest accounting); events = rows of the events table',
        rejects: `rows of the rejects table; reasons alike but for their quoted values and numbers (a timestamp's value, a position in a line) are one kind, shown by its most frequent reason word for word, with the lines of exactly that reason and of the similar ones; the ${limit} most frequent kinds`,
        gaps: `periods of at least ${formatInterval(gapMs)} without any stored event in the scope (between consecutive events, and from --since / to --until when given)`,
      },
    },
    scheduling: {
      decisions: sched.decisions,
      throughput_per_hour: sched.throughput_per_hour,
      latency_ms: sched.latency_ms,
      outcomes: sched.outcomes,
      success_rate: sched.success_rate,
      cheapest_choice_rate: sched.cheapest_choice_rate,
      not_cheapest: sched.not_cheapest,
      regret_usd_per_hour: sched.regret_usd_per_hour,
      avg_cost_usd_per_hour: sched.avg_cost_usd_per_hour,
      by_cluster: sched.groups.map((g) => ({
        cluster: g.key,
        decisions: g.decisions,
        share: g.share,
        p95_ms: g.latency_ms.p95,
        success_rate: g.success_rate,
      })),
      latency_histogram: hist,
      basis: {
        ...sched.basis,
        latency_histogram: `decisions per execution_time_ms bin of equal round width up to the p99, the rest in the last (open) bin; percentiles are ${QUANTILE_BASIS}`,
      },
    },
    relocations: {
      count: cost.relocations.count,
      estimated_savings_usd_per_hour: cost.relocations.estimated_savings_usd_per_hour,
      realized_savings_usd: realized,
      downtime_seconds: cost.relocations.downtime_seconds,
      avg_migration_seconds: cost.relocations.avg_migration_seconds,
      by_trigger: cost.relocations.by_trigger,
      recent: recentRel.map((r) => ({
        ts: microsToIso(n0(r.t)),
        workload_id: sn(r.workload_id),
        from: sn(r.from_cluster),
        to: sn(r.cluster_id),
        trigger: sn(r.trigger),
        saving_usd_per_hour: nn(r.cost_saving_per_hour),
        downtime_seconds: nn(r.downtime_seconds),
      })),
      basis: {
        estimated_savings_usd_per_hour: cost.basis.estimated_savings_usd_per_hour!,
        realized_savings_usd: cost.basis.realized_savings_usd!,
        downtime_seconds: 'sum of downtime_seconds of the relocations',
        recent: `the ${limit} most recent relocations in the scope`,
      },
    },
    reconfigurations: {
      count: cost.reconfigurations.count,
      by_action: cost.reconfigurations.by_action,
      added_usd_per_hour: cost.reconfigurations.added_usd_per_hour,
      removed_usd_per_hour: cost.reconfigurations.removed_usd_per_hour,
      net_usd_per_hour: cost.reconfigurations.net_usd_per_hour,
      recent: recentRec.map((r) => ({
        ts: microsToIso(n0(r.t)),
        action: sn(r.action),
        cluster_id: sn(r.cluster_id),
        node_count: nn(r.node_count),
        cost_usd_per_hour: nn(r.cluster_cost_per_hour),
        queue_length: nn(r.queue_length),
      })),
      basis: {
        cost: cost.basis.reconfigurations!,
        recent: `the ${limit} most recent cluster_reconfiguration events in the scope`,
      },
    },
    policy_changes: {
      count: policies.length ? n0(policies[0]!.total) : 0,
      list: policies.map((r) => ({
        ts: microsToIso(n0(r.t)),
        seq: n0(r.seq),
        policy_id: sn(r.policy_id),
        name: sn(r.policy_name),
        version: sn(r.policy_version),
        action: sn(r.action),
        actor: sn(r.actor),
        reason: sn(r.reason),
        previous: sn(r.previous_policy),
        after: sn(r.after_policy),
        changes: policyChanges(sn(r.previous_policy), sn(r.after_policy)),
      })),
      basis: `every policy_change event in the scope in time order${policies.length && n0(policies[0]!.total) > policyLimit ? ` (first ${policyLimit} listed)` : ''}: who = actor, what = policy id/name/version and action, before = previous, after = the policy as logged; changes = the fields whose values differ (nested fields by their dotted path; – = not logged on that side)`,
    },
    inefficiencies: {
      count: cost.waste.count,
      wasted_usd: cost.waste.total_usd,
      idle_hours: cost.waste.idle_hours,
      by_severity: cost.waste.by_severity,
      by_recommended_action: cost.waste.by_recommended_action,
      actions: cost.waste.by_action,
      top: topIneff.map((r) => ({
        ts: microsToIso(n0(r.t)),
        severity: sn(r.severity),
        cluster_id: sn(r.cluster_id),
        type: sn(r.inefficiency_type),
        wasted_usd: nn(r.wasted_cost),
        recommended_action: sn(r.recommended_action),
        auto_action_taken:
          r.auto_action === null || r.auto_action === undefined ? null : Boolean(r.auto_action),
      })),
      basis: {
        waste: cost.basis.waste!,
        top: `the ${limit} most severe inefficiencies (then by wasted cost)`,
      },
    },
    sla,
    cost: {
      estimated_savings_usd_per_hour: cost.relocations.estimated_savings_usd_per_hour,
      realized_savings_usd: realized,
      run_rate_usd_per_hour: cost.run_rate_usd_per_hour,
      monthly_projection_usd: cost.monthly_projection_usd,
      energy_saved_kwh: cost.energy_saved_kwh,
      wasted_usd: cost.waste.total_usd,
      net_usd: realized - cost.waste.total_usd,
      reconfiguration_net_usd_per_hour: cost.reconfigurations.net_usd_per_hour,
      basis: {
        ...cost.basis,
        net_usd: 'realized_savings_usd - wasted_usd (sum of wasted_cost_estimate)',
      },
    },
    alerts: {
      rules_source: o.rulesSource,
      rules: alerts.rules,
      at: alerts.at,
      counts: alerts.counts,
      active: alerts.alerts.filter((a) => a.state !== 'resolved'),
      errors: alerts.errors,
      basis: `rules evaluated as by \`kcloud-log alerts\` from the scope start to its end (${alerts.at ?? '-'}); active = firing or pending then; resolved ones are counted per rule`,
    },
    timeline: {
      interval: formatInterval(intervalMs),
      points,
      basis: {
        buckets: `${formatInterval(intervalMs)} buckets aligned to UTC epoch multiples`,
        avg_decision_cost_usd_per_hour: 'mean estimated_cost_per_hour of the decisions in the bucket',
        realized_savings_usd: `the savings in effect during the bucket, as \`analyze cost\` computes them (${IN_EFFECT}); they add up to relocations.realized_savings_usd`,
        wasted_usd: 'sum of wasted_cost_estimate of the inefficiencies logged in the bucket',
      },
    },
    integrity: {
      chain_head: { seq: head.seq, chain: head.chain },
      events_in_store: head.events,
      verification,
      signature: o.signingKeyId
        ? {
            algorithm: 'Ed25519',
            key_id: o.signingKeyId,
            covers:
              'sha256 of this report as written without its signature block; the block is appended after the report (the last line in md/html, the last member "signature" in json); check with: kcloud-log verify --report FILE --pub KEY.pub',
          }
        : null,
      basis:
        'chain = sha256(prev_chain || event_hash) over every stored row in seq order; the head (newest seq and its chain value) pins the whole store: any change, deletion or reordering of an earlier row changes every later chain value. Recompute with: kcloud-log verify',
    },
  };
  return report;
}

/**
 * Reject reasons as logged: the most frequent, and the most frequent kinds. Reasons alike but for
 * their quoted values and numbers are one kind; the key that finds them is never shown, each kind
 * is shown by its most frequent reason.
 */
async function rejectReasons(
  store: Store,
  limit: number,
): Promise<
  Pick<AuditReport['completeness']['rejects'], 'total' | 'by_reason' | 'reasons' | 'by_kind' | 'kinds'>
> {
  const kindKey = `regexp_replace(regexp_replace(regexp_replace(reason, '"[^"]*"', '""', 'g'), '''[^''\\s]{1,4}''', '''''', 'g'), '[0-9]+', '0', 'g')`;
  const exact = await rows(
    store,
    `SELECT reason, count(*) AS n, count(*) OVER () AS reasons, sum(count(*)) OVER () AS total
     FROM rejects GROUP BY reason ORDER BY n DESC, reason LIMIT ${limit}`,
  );
  const kinds = await rows(
    store,
    `WITH r AS (SELECT ${kindKey} AS k, reason, count(*) AS n FROM rejects GROUP BY k, reason),
     g AS (SELECT k, reason, n, row_number() OVER (PARTITION BY k ORDER BY n DESC, reason) AS i,
                  sum(n) OVER (PARTITION BY k) AS total, count(*) OVER (PARTITION BY k) AS variants FROM r)
     SELECT reason, n, total, variants, count(*) OVER () AS kinds FROM g WHERE i = 1
     ORDER BY total DESC, reason LIMIT ${limit}`,
  );
  return {
    total: n0(exact[0]?.total),
    by_reason: exact.map((r) => ({ key: String(r.reason), count: n0(r.n) })),
    reasons: n0(exact[0]?.reasons),
    by_kind: kinds.map((r) => ({
      example: String(r.reason),
      count: n0(r.total),
      example_count: n0(r.n),
      variants: n0(r.variants),
    })),
    kinds: n0(kinds[0]?.kinds),
  };
}

/** A logged value as text: strings as they are, lists as their items, anything else as JSON. */
function fieldText(v: unknown): string {
  if (typeof v === 'string') return v;
  if (Array.isArray(v))
    return v.length ? v.map((x) => (typeof x === 'string' ? x : JSON.stringify(x))).join(', ') : '(none)';
  return JSON.stringify(v);
}

/**
 * A policy as logged (JSON text) as its fields: nested objects by dotted path, in the logged
 * order; text that is not a JSON object is one field, `(as logged)`.
 */
export function policyFields(json: string | null): [string, string][] {
  if (json === null) return [];
  let v: unknown;
  try {
    v = JSON.parse(json);
  } catch {
    return [['(as logged)', json]];
  }
  if (v === null) return [];
  const out: [string, string][] = [];
  const walk = (x: unknown, at: string) => {
    const entries = x !== null && typeof x === 'object' && !Array.isArray(x) ? Object.entries(x) : null;
    if (entries === null || (!entries.length && at)) out.push([at || '(as logged)', fieldText(x)]);
    else for (const [k, y] of entries) walk(y, at ? `${at}.${k}` : k);
  };
  walk(v, '');
  return out;
}

/** The fields that differ between two policies as logged (JSON text): the after fields first, then the dropped ones. */
export function policyChanges(before: string | null, after: string | null): PolicyFieldChange[] {
  const b = new Map(policyFields(before));
  const a = new Map(policyFields(after));
  const out: PolicyFieldChange[] = [];
  for (const [field, v] of a)
    if (b.get(field) !== v) out.push({ field, before: b.get(field) ?? null, after: v });
  for (const [field, v] of b) if (!a.has(field)) out.push({ field, before: v, after: null });
  return out;
}

async function integrity(
  store: Store,
  head: { seq: number; chain: string; events: number },
  o: AuditOptions,
  onProgress: (p: VerifyProgress) => void,
): Promise<Verification> {
  const max = o.autoVerifyMaxRows ?? AUTO_VERIFY_MAX_ROWS;
  const runNow = o.verify === true || (o.verify === undefined && head.events < max);
  if (runNow) {
    const v = await verifyStore(store, { anchors: o.anchors, onProgress });
    return {
      mode: 'run',
      ok: v.ok,
      verified_at: new Date().toISOString(),
      rows: v.rows,
      head_seq: v.head.seq,
      head_chain: v.head.chain,
      covers_head: v.ok ? v.head.seq === head.seq && v.head.chain === head.chain : false,
      events_after: v.ok ? head.seq - v.head.seq : null,
      verified_head_unchanged: v.ok ? true : null,
      first_bad: v.first_bad,
      checks: v.checks,
      seconds: v.seconds,
      anchors: v.anchors,
      anchors_basis: ANCHORS_BASIS,
      basis:
        o.verify === true
          ? 'full verification run for this report (--verify)'
          : `full verification run for this report (the store has fewer than ${max.toLocaleString('en-US')} events)`,
    };
  }
  const rec = await latestVerification(store);
  const anchors = await checkAnchors(store, o.anchors);
  const why =
    o.verify === false
      ? '--no-verify'
      : `the store has ${head.events.toLocaleString('en-US')} events (>= ${max.toLocaleString('en-US')}); pass --verify for a full verification`;
  if (!rec)
    return {
      mode: 'none',
      ok: null,
      verified_at: null,
      rows: null,
      head_seq: null,
      head_chain: null,
      covers_head: null,
      events_after: null,
      verified_head_unchanged: null,
      first_bad: null,
      checks: [],
      seconds: null,
      anchors,
      anchors_basis: ANCHORS_BASIS,
      basis: `not verified for this report (${why}) and no \`kcloud-log verify\` run is recorded in the store`,
    };
  const at = (
    await store.conn.runAndReadAll('SELECT chain FROM events WHERE seq = $1', [rec.head_seq])
  ).getRows()[0];
  const unchanged = rec.head_seq === 0 ? true : at ? String(at[0]) === rec.head_chain : false;
  return {
    mode: 'recorded',
    ok: rec.ok,
    verified_at: rec.verified_at,
    rows: rec.rows,
    head_seq: rec.head_seq,
    head_chain: rec.head_chain,
    covers_head: rec.ok && unchanged && rec.head_seq === head.seq && rec.head_chain === head.chain,
    events_after: rec.ok ? head.seq - rec.head_seq : null,
    verified_head_unchanged: unchanged,
    first_bad: rec.ok
      ? null
      : {
          check: 'recorded verification',
          seq: rec.first_bad_seq,
          event_id: rec.first_bad_event_id,
          reason: rec.reason ?? '',
        },
    checks: rec.checks,
    seconds: rec.seconds,
    anchors,
    anchors_basis: ANCHORS_BASIS,
    basis: `the latest \`kcloud-log verify\` run recorded in the store (${why}); the record itself is not part of the hash chain: re-run verify to confirm`,
  };
}
