/**
 * Rendering the audit report: JSON (the report object), Markdown and one
 * self-contained HTML file (inline CSS and SVG, no script, nothing fetched:
 * a Content-Security-Policy of `default-src 'none'` says so to the browser).
 *
 * Markdown and HTML are rendered from the same list of sections, so they say
 * the same things; every figure sits next to how it was computed.
 */
import { integrityFailure, policyFields, type AuditReport } from './audit.js';
import { barLineSvg, esc, FONT_STACK, groupedBarsSvg, histogramSvg } from './charts.js';
import { escapeControls } from '../text.js';

/** A table cell: text, or lines of text (one item per line in HTML, `; `-separated in Markdown). */
type Cell = string | number | null | undefined | string[];

type Block =
  | { kind: 'p'; text: string }
  | { kind: 'kv'; rows: [string, string, string?][] }
  | {
      kind: 'table';
      title?: string;
      head: string[];
      rows: Cell[][];
      note?: string;
      numeric?: number[];
      /** What the rows leave out ("and 12 more …"), after the table. */
      more?: string;
    }
  | { kind: 'chart'; svg: string; title: string; caption: string }
  | { kind: 'status'; level: 'ok' | 'bad' | 'warn' | 'info'; text: string };

interface Section {
  id: string;
  title: string;
  blocks: Block[];
}

/* ----------------------------------------------------------------------------------------------
 * Formatting
 * -------------------------------------------------------------------------------------------- */

const num = (v: number | null | undefined, digits = 2): string =>
  v === null || v === undefined || !Number.isFinite(v)
    ? '–'
    : v.toLocaleString('en-US', { maximumFractionDigits: digits, minimumFractionDigits: 0 });
const int = (v: number | null | undefined) => num(v, 0);
const usd = (v: number | null | undefined) => (v === null || v === undefined ? '–' : `${num(v, 2)} USD`);
const usdh = (v: number | null | undefined) => (v === null || v === undefined ? '–' : `${num(v, 4)} USD/h`);
const pct = (v: number | null | undefined, digits = 2) =>
  v === null || v === undefined ? '–' : `${num(v * 100, digits)}%`;
const ms = (v: number | null | undefined) => (v === null || v === undefined ? '–' : `${num(v, 1)} ms`);
const ratioPct = (v: number | null | undefined) => pct(v, 3);
const yes = (b: boolean | null | undefined) => (b === null || b === undefined ? '–' : b ? 'yes' : 'no');
const shortTime = (iso: string) => iso.replace(/^\d{4}-(\d\d-\d\d)T(\d\d:\d\d).*$/, '$1 $2');

/* ----------------------------------------------------------------------------------------------
 * Sections
 * -------------------------------------------------------------------------------------------- */

/** A policy as logged (JSON text) as `field: value` lines. */
const fieldLines = (json: string | null, none: string): string[] | string => {
  const f = policyFields(json);
  return f.length ? f.map(([k, v]) => `${k}: ${v}`) : none;
};

/** Rejects by kind of reason, each shown by its most frequent reason word for word. */
function rejectsTable(rj: AuditReport['completeness']['rejects'], basis: string): Block {
  const listed = rj.by_kind.reduce((a, k) => a + k.count, 0);
  const left = rj.kinds - rj.by_kind.length;
  return {
    kind: 'table',
    title: `Rejected lines by reason (${int(rj.total)} in all, ${int(rj.reasons)} distinct reason${rj.reasons === 1 ? '' : 's'})`,
    head: ['reason', 'lines', 'exactly this reason', 'a similar reason'],
    rows: rj.by_kind.map((k) => [
      k.example,
      int(k.count),
      int(k.example_count),
      int(k.count - k.example_count),
    ]),
    note: basis,
    numeric: [1, 2, 3],
    more:
      left > 0
        ? `and ${int(left)} more kind${left === 1 ? '' : 's'} of reason (${int(rj.total - listed)} lines): kcloud-log rejects lists every line`
        : undefined,
  };
}

export function reportSections(r: AuditReport): Section[] {
  const s: Section[] = [];
  const sc = r.scope;
  const c = r.completeness;

  s.push({
    id: 'scope',
    title: 'Scope',
    blocks: [
      {
        kind: 'kv',
        rows: [
          ['window', `${sc.since ?? '–'} → ${sc.until ?? '–'}`, sc.basis],
          ['events in scope', int(sc.events), 'rows of the events table whose timestamp is in the window'],
          ['first / newest event', `${sc.first_event ?? '–'} / ${sc.last_event ?? '–'}`, 'in the window'],
          ['database', r.database],
          [
            'generated',
            `${r.generated_at} by ${r.tool.name} ${r.tool.version}`,
            'the only figure that changes when the report is made again from the same store and window',
          ],
        ],
      },
      {
        kind: 'table',
        title: 'Events by type',
        head: ['event type', 'events'],
        rows: sc.events_by_type.map((t) => [t.key, int(t.count)]),
        numeric: [1],
      },
    ],
  });

  s.push({
    id: 'completeness',
    title: 'Completeness',
    blocks: [
      {
        kind: 'status',
        level: c.store.balanced ? 'ok' : 'bad',
        text: c.store.balanced
          ? 'Every line read is accounted for: lines = stored + rejected + duplicates + skipped for every source, and the stored events equal the rows of the store.'
          : 'The line accounting does NOT balance for every source, or stored events differ from the rows of the store: see the sources table.',
      },
      {
        kind: 'kv',
        rows: [
          ['sources read', int(c.store.sources), 'files and streams ever read (the whole store)'],
          ['lines read', int(c.store.lines), c.basis.store],
          ['stored', int(c.store.stored), 'valid events stored the first time they were seen'],
          ['rejected', int(c.store.rejected), 'lines that could not be stored; each kept with its reason'],
          ['duplicates', int(c.store.duplicates), 'valid events already stored (same event id or content)'],
          ['skipped', int(c.store.skipped), 'blank lines and ordinary log lines without event_type'],
          ['events in store', int(c.store.events), 'rows of the events table (all time)'],
        ],
      },
      {
        kind: 'table',
        title: 'Sources',
        head: [
          'source',
          'kind',
          'status',
          'lines',
          'stored',
          'rejected',
          'duplicates',
          'skipped',
          'balanced',
        ],
        rows: c.sources.map((x) => [
          x.path,
          x.kind,
          x.status,
          int(x.lines),
          int(x.stored),
          int(x.rejected),
          int(x.duplicates),
          int(x.skipped),
          yes(x.balanced),
        ]),
        numeric: [3, 4, 5, 6, 7],
      },
      rejectsTable(c.rejects, c.basis.rejects!),
      ...(c.rejects.examples.length
        ? [
            {
              kind: 'table' as const,
              title: 'First rejected lines',
              head: ['file', 'line', 'reason'],
              rows: c.rejects.examples.map((x) => [x.path, int(x.line), x.reason]),
            },
          ]
        : []),
      {
        kind: 'table',
        title: `Quiet gaps of ${num(c.gaps.threshold_hours)} h or more: ${int(c.gaps.count)}${c.gaps.longest_hours !== null ? `, longest ${num(c.gaps.longest_hours)} h` : ''}`,
        head: ['from', 'until', 'hours', 'where'],
        rows: c.gaps.list.map((g) => [g.from, g.until, num(g.hours), g.where]),
        note: c.basis.gaps,
        numeric: [2],
      },
    ],
  });

  const sd = r.scheduling;
  const lat = sd.latency_ms;
  const hist = sd.latency_histogram;
  s.push({
    id: 'scheduling',
    title: 'Scheduling decisions',
    blocks: [
      {
        kind: 'kv',
        rows: [
          ['decisions', int(sd.decisions), 'scheduling_decision events in the window'],
          ['throughput', `${num(sd.throughput_per_hour)} per hour`, sd.basis.throughput],
          ['success rate', pct(sd.success_rate), sd.basis.success_rate],
          [
            'outcomes',
            Object.entries(sd.outcomes)
              .map(([k, v]) => `${k} ${int(v)}`)
              .join(', '),
            'decision.outcome as logged; scheduled when absent',
          ],
          ['cheapest choice', pct(sd.cheapest_choice_rate), sd.basis.cheapest_choice_rate],
          [
            'dearer than cheapest',
            `${int(sd.not_cheapest)} decisions, regret ${usdh(sd.regret_usd_per_hour)}`,
            sd.basis.regret_usd_per_hour,
          ],
          [
            'mean selected cost',
            usdh(sd.avg_cost_usd_per_hour),
            'mean estimated_cost_per_hour of the decisions',
          ],
        ],
      },
      {
        kind: 'table',
        title: 'Decision latency',
        head: ['decisions with a latency', 'avg', 'p50', 'p90', 'p95', 'p99', 'max'],
        rows: [
          [int(lat.samples), ms(lat.avg), ms(lat.p50), ms(lat.p90), ms(lat.p95), ms(lat.p99), ms(lat.max)],
        ],
        note: sd.basis.latency_ms,
        numeric: [0, 1, 2, 3, 4, 5, 6],
      },
      {
        kind: 'chart',
        title: 'Latency distribution',
        caption: sd.basis.latency_histogram!,
        svg: histogramSvg(
          'chart-latency',
          'Decision latency distribution (execution_time_ms)',
          hist.map((b) => ({
            label: b.to_ms === null ? `≥${num(b.from_ms)}` : num(b.from_ms),
            count: b.count,
            from: b.from_ms,
            to: b.to_ms,
          })),
          [
            { label: `p50 ${num(lat.p50, 1)}`, value: lat.p50 },
            { label: `p95 ${num(lat.p95, 1)}`, value: lat.p95 },
            { label: `p99 ${num(lat.p99, 1)}`, value: lat.p99 },
          ],
          'execution_time_ms; the last bin holds everything above the p99',
        ),
      },
      {
        kind: 'chart',
        title: 'Decisions and cost over time',
        caption: `${r.timeline.basis.buckets}; bars: decisions per bucket; line: ${r.timeline.basis.avg_decision_cost_usd_per_hour} (USD/h)`,
        svg: barLineSvg(
          'chart-decisions',
          'Decisions and mean selected cost over time',
          r.timeline.points.map((p) => shortTime(p.start)),
          { name: 'decisions', color: '#1565c0', values: r.timeline.points.map((p) => p.decisions) },
          {
            name: 'mean cost USD/h',
            color: '#ef6c00',
            values: r.timeline.points.map((p) => p.avg_decision_cost_usd_per_hour),
          },
          `bucket start (UTC), ${r.timeline.interval} buckets`,
        ),
      },
      {
        kind: 'table',
        title: 'By cluster',
        head: ['cluster', 'decisions', 'share', 'p95', 'success'],
        rows: sd.by_cluster.map((g) => [
          g.cluster ?? '(none)',
          int(g.decisions),
          pct(g.share),
          ms(g.p95_ms),
          pct(g.success_rate),
        ]),
        numeric: [1, 2, 3, 4],
      },
    ],
  });

  const rl = r.relocations;
  s.push({
    id: 'relocations',
    title: 'Workload relocations',
    blocks: [
      {
        kind: 'kv',
        rows: [
          ['relocations', int(rl.count), 'workload_relocation events in the window'],
          [
            'logged savings (sum)',
            usdh(rl.estimated_savings_usd_per_hour),
            rl.basis.estimated_savings_usd_per_hour,
          ],
          ['realised savings', usd(rl.realized_savings_usd), rl.basis.realized_savings_usd],
          ['downtime', `${num(rl.downtime_seconds)} s`, rl.basis.downtime_seconds],
          [
            'mean migration time',
            rl.avg_migration_seconds === null ? '–' : `${num(rl.avg_migration_seconds)} s`,
            'mean migration_time_seconds',
          ],
        ],
      },
      {
        kind: 'table',
        title: 'By trigger',
        head: ['trigger', 'relocations', 'estimated USD/h', 'realised USD'],
        rows: rl.by_trigger.map((t) => [
          t.trigger ?? '(none)',
          int(t.count),
          num(t.estimated_savings_usd_per_hour, 4),
          num(t.realized_savings_usd),
        ]),
        numeric: [1, 2, 3],
      },
      {
        kind: 'table',
        title: 'Most recent relocations',
        head: ['time', 'workload', 'from', 'to', 'trigger', 'saving USD/h', 'downtime s'],
        rows: rl.recent.map((x) => [
          x.ts,
          x.workload_id,
          x.from,
          x.to,
          x.trigger,
          num(x.saving_usd_per_hour, 4),
          num(x.downtime_seconds),
        ]),
        note: rl.basis.recent,
        numeric: [5, 6],
      },
    ],
  });

  const rc = r.reconfigurations;
  s.push({
    id: 'reconfigurations',
    title: 'Cluster reconfigurations',
    blocks: [
      {
        kind: 'kv',
        rows: [
          ['reconfigurations', int(rc.count), 'cluster_reconfiguration events in the window'],
          ['capacity added', usdh(rc.added_usd_per_hour), 'cluster_created: sum of estimated_cost_per_hour'],
          [
            'capacity removed',
            usdh(rc.removed_usd_per_hour),
            'cluster_deleted: sum of estimated_cost_per_hour',
          ],
          ['net', usdh(rc.net_usd_per_hour), rc.basis.cost],
        ],
      },
      {
        kind: 'table',
        title: 'By action',
        head: ['action', 'events', 'clusters', 'nodes', 'USD/h'],
        rows: rc.by_action.map((a) => [
          a.action ?? '(none)',
          int(a.count),
          int(a.clusters),
          int(a.node_count),
          num(a.cost_usd_per_hour, 4),
        ]),
        numeric: [1, 2, 3, 4],
      },
      {
        kind: 'table',
        title: 'Most recent reconfigurations',
        head: ['time', 'action', 'cluster', 'nodes', 'USD/h', 'queue length'],
        rows: rc.recent.map((x) => [
          x.ts,
          x.action,
          x.cluster_id,
          int(x.node_count),
          num(x.cost_usd_per_hour, 4),
          int(x.queue_length),
        ]),
        note: rc.basis.recent,
        numeric: [3, 4, 5],
      },
    ],
  });

  const pc = r.policy_changes;
  s.push({
    id: 'policies',
    title: 'Policy changes',
    blocks: [
      {
        kind: 'p',
        text: `${int(pc.count)} policy change${pc.count === 1 ? '' : 's'} in the window. ${pc.basis}.`,
      },
      {
        kind: 'table',
        head: ['when', 'who', 'action', 'policy (after)', 'what changed: before → after', 'before', 'reason'],
        rows: pc.list.map((p) => [
          p.ts,
          p.actor ?? '(not logged)',
          p.action,
          `${p.policy_id ?? '?'}${p.version ? ` v${p.version}` : ''}${p.name ? ` (${p.name})` : ''}`,
          p.changes.length
            ? p.changes.map((x) => `${x.field}: ${x.before ?? '–'} → ${x.after ?? '–'}`)
            : 'no field changed',
          fieldLines(p.previous, 'no previous policy logged'),
          p.reason ?? '–',
        ]),
      },
    ],
  });

  const ie = r.inefficiencies;
  s.push({
    id: 'inefficiencies',
    title: 'Inefficiencies and actions taken',
    blocks: [
      {
        kind: 'kv',
        rows: [
          ['inefficiencies', int(ie.count), 'inefficiency_detected events in the window'],
          ['wasted', usd(ie.wasted_usd), ie.basis.waste],
          ['idle hours', num(ie.idle_hours), 'sum of idle_duration_hours'],
          [
            'acted on automatically',
            `${int(ie.actions.auto.count)} (${usd(ie.actions.auto.wasted_usd)})`,
            'auto_action_taken = true',
          ],
          [
            'left to operators',
            `${int(ie.actions.manual.count)} (${usd(ie.actions.manual.wasted_usd)})`,
            'auto_action_taken = false',
          ],
          [
            'action not logged',
            `${int(ie.actions.unknown.count)} (${usd(ie.actions.unknown.wasted_usd)})`,
            'no auto_action_taken field',
          ],
        ],
      },
      {
        kind: 'table',
        title: 'By severity',
        head: ['severity', 'events', 'wasted USD', 'idle h'],
        rows: ie.by_severity.map((b) => [
          b.key ?? '(none)',
          int(b.count),
          num(b.wasted_usd),
          num(b.idle_hours),
        ]),
        numeric: [1, 2, 3],
      },
      {
        kind: 'table',
        title: 'By recommended action',
        head: ['recommended action', 'events', 'wasted USD'],
        rows: ie.by_recommended_action.map((b) => [b.key ?? '(none)', int(b.count), num(b.wasted_usd)]),
        numeric: [1, 2],
      },
      {
        kind: 'table',
        title: 'Most severe',
        head: ['time', 'severity', 'cluster', 'type', 'wasted USD', 'recommended', 'auto action'],
        rows: ie.top.map((x) => [
          x.ts,
          x.severity,
          x.cluster_id,
          x.type,
          num(x.wasted_usd),
          x.recommended_action,
          yes(x.auto_action_taken),
        ]),
        note: ie.basis.top,
        numeric: [4],
      },
    ],
  });

  const sla = r.sla;
  const burnOf = (o: (typeof sla.slos)[number], w: string) =>
    o.burn_rates.find((b) => b.window === w)?.burn_rate ?? null;
  s.push({
    id: 'sla',
    title: 'SLA compliance',
    blocks: [
      {
        kind: 'status',
        level: sla.breached.length ? 'bad' : sla.slos.every((x) => x.status === 'no-data') ? 'warn' : 'ok',
        text: sla.breached.length
          ? `Breached: ${sla.breached.join(', ')}.`
          : sla.slos.every((x) => x.status === 'no-data')
            ? 'No SLO had data in the window.'
            : 'Every SLO with data was met.',
      },
      {
        kind: 'table',
        head: [
          'SLO',
          'objective',
          'SLI',
          'status',
          'budget remaining',
          'burn 1h',
          'burn 6h',
          'burn 3d',
          'burn alerts',
        ],
        rows: sla.slos.map((o) => [
          o.name,
          ratioPct(o.objective),
          ratioPct(o.sli),
          o.status,
          pct(o.error_budget.remaining, 1),
          num(burnOf(o, '1h')),
          num(burnOf(o, '6h')),
          num(burnOf(o, '3d')),
          o.burn_alerts
            .filter((a) => a.firing)
            .map((a) => a.name)
            .join(', ') || 'none',
        ]),
        numeric: [1, 2, 4, 5, 6, 7],
      },
      {
        kind: 'table',
        title: 'How each SLI was computed',
        head: ['SLO', 'what', 'window', 'counts', 'method'],
        rows: sla.slos.map((o) => [
          o.name,
          o.description,
          `${o.window.since} → ${o.window.until}`,
          o.sli_kind === 'relocation_availability'
            ? `${num(o.downtime_seconds)} s downtime over ${int(o.workloads)} workloads x ${num(o.window.seconds, 0)} s`
            : `${int(o.good)} good of ${int(o.valid)}`,
          o.method,
        ]),
      },
      {
        kind: 'p',
        text: `SLOs from ${sla.source}. Error budget: ${sla.basis.error_budget}. Burn rate: ${sla.basis.burn_rate}. Burn alerts: ${sla.basis.burn_alerts}.`,
      },
    ],
  });

  const co = r.cost;
  s.push({
    id: 'cost',
    title: 'Cost effects',
    blocks: [
      {
        kind: 'kv',
        rows: [
          ['window', `${r.scope.window.since ?? '–'} → ${r.scope.window.until ?? '–'}`, r.scope.window.basis],
          ['savings run-rate at the end', usdh(co.run_rate_usd_per_hour), co.basis.run_rate_usd_per_hour],
          ['monthly projection', usd(co.monthly_projection_usd), co.basis.monthly_projection_usd],
          [
            'logged savings (sum)',
            usdh(co.estimated_savings_usd_per_hour),
            co.basis.estimated_savings_usd_per_hour,
          ],
          ['realised savings', usd(co.realized_savings_usd), co.basis.realized_savings_usd],
          ['energy saved', `${num(co.energy_saved_kwh)} kWh`, co.basis.energy_saved_kwh],
          ['wasted by idle capacity', usd(co.wasted_usd), co.basis.waste],
          ['net (realised savings − waste)', usd(co.net_usd), co.basis.net_usd],
          ['capacity added − removed', usdh(co.reconfiguration_net_usd_per_hour), co.basis.reconfigurations],
        ],
      },
      {
        kind: 'chart',
        title: 'Savings vs waste',
        caption: `${r.timeline.basis.buckets}; green: ${r.timeline.basis.realized_savings_usd}; red: ${r.timeline.basis.wasted_usd}`,
        svg: groupedBarsSvg(
          'chart-savings',
          'Realised savings vs waste per bucket (USD)',
          r.timeline.points.map((p) => shortTime(p.start)),
          [
            {
              name: 'realised savings USD',
              color: '#2e7d32',
              values: r.timeline.points.map((p) => p.realized_savings_usd),
            },
            { name: 'wasted USD', color: '#c62828', values: r.timeline.points.map((p) => p.wasted_usd) },
          ],
          'USD',
          `bucket start (UTC), ${r.timeline.interval} buckets`,
        ),
      },
    ],
  });

  const al = r.alerts;
  s.push({
    id: 'alerts',
    title: 'Alerts',
    blocks: [
      {
        kind: 'status',
        level: al.counts.firing ? 'bad' : al.counts.pending ? 'warn' : al.rules.length ? 'ok' : 'info',
        text: al.rules.length
          ? `At ${al.at ?? '–'}: ${int(al.counts.firing)} firing, ${int(al.counts.pending)} pending; ${int(al.counts.resolved)} resolved in the window.`
          : `No alert rules (${al.rules_source}).`,
      },
      {
        kind: 'table',
        title: 'Active alerts',
        head: ['state', 'rule', 'since', 'value', 'message', 'labels'],
        rows: al.active.map((a) => [
          a.state,
          a.rule,
          a.since,
          a.value === null ? '–' : num(a.value, 4),
          a.message,
          Object.entries(a.labels)
            .map(([k, v]) => `${k}=${v}`)
            .join(' '),
        ]),
        note: al.basis,
      },
      {
        kind: 'table',
        title: `Rules (${al.rules_source})`,
        head: ['rule', 'condition', 'firing', 'pending', 'resolved', 'how'],
        rows: al.rules.map((x) => [
          x.rule,
          x.condition,
          int(x.firing),
          int(x.pending),
          int(x.resolved),
          x.method,
        ]),
        numeric: [2, 3, 4],
      },
      ...(al.errors.length
        ? [
            {
              kind: 'table' as const,
              title: 'Rules not evaluated',
              head: ['rule', 'reason'],
              rows: al.errors.map((e) => [e.rule, e.reason]),
            },
          ]
        : []),
    ],
  });

  const it = r.integrity;
  const v = it.verification;
  const vText =
    v.mode === 'none'
      ? 'not verified'
      : `${v.ok ? 'OK' : 'FAILED'}: ${int(v.rows)} rows up to seq ${int(v.head_seq)}${v.verified_at ? `, ${v.verified_at}` : ''}${v.seconds !== null ? ` (${num(v.seconds)} s)` : ''}`;
  const failure = integrityFailure(r);
  s.push({
    id: 'integrity',
    title: 'Integrity',
    blocks: [
      {
        kind: 'status',
        level: failure ? 'bad' : v.ok === true && v.covers_head ? 'ok' : 'warn',
        text: failure
          ? `Check FAILED: ${failure}`
          : v.ok && v.covers_head
            ? 'The hash chain verifies up to the current head.'
            : v.ok
              ? `The recorded verification covers the chain up to seq ${int(v.head_seq)}; ${int(v.events_after)} events were stored after it.`
              : 'The chain was not verified for this report and no verification is recorded.',
      },
      {
        kind: 'kv',
        rows: [
          ['chain head', `seq ${int(it.chain_head.seq)}: ${it.chain_head.chain}`, it.basis],
          ['events in store', int(it.events_in_store), 'rows of the events table (all time)'],
          ['verification', vText, v.basis],
          ['checks', v.checks.join('; ') || '–'],
          [
            'anchors checked',
            v.anchors
              .map((a) => `${a.source} (seq ${int(a.seq)}): ${a.ok ? 'ok' : `FAILED: ${a.reason}`}`)
              .join('; ') || 'none',
            v.anchors_basis,
          ],
          [
            'signature',
            it.signature ? `Ed25519, key ${it.signature.key_id}` : 'not signed',
            it.signature ? it.signature.covers : 'make the report with --key KEY to sign it',
          ],
        ],
      },
    ],
  });
  return s;
}

/* ----------------------------------------------------------------------------------------------
 * Markdown
 * -------------------------------------------------------------------------------------------- */

/**
 * Plain text (every block's text is plain: the HTML form escapes it whole) as Markdown text: HTML
 * and entities escaped, and the characters that open code, links and images (`![x](url)` would
 * make a viewer fetch), so text from events shows as written and does nothing.
 */
const mdText = (s: string): string =>
  escapeControls(
    s
      .replace(/\r?\n/g, ' ')
      .replace(/&/g, '&amp;')
      .replace(/</g, '&lt;')
      .replace(/>/g, '&gt;')
      .replace(/[\\`[\]|]/g, '\\$&'),
  );

/** A cell's text: lines of a list cell joined with `sep`, empty cells as –. */
const cellText = (v: Cell, sep: string): string =>
  v === null || v === undefined || v === '' ? '–' : Array.isArray(v) ? v.join(sep) || '–' : String(v);

const mdCell = (v: Cell): string => mdText(cellText(v, '; '));

function mdTable(head: string[], rows: Cell[][]): string {
  return [
    `| ${head.map(mdCell).join(' | ')} |`,
    `| ${head.map(() => '---').join(' | ')} |`,
    ...rows.map((r) => `| ${r.map(mdCell).join(' | ')} |`),
  ].join('\n');
}

export function renderMarkdown(r: AuditReport): string {
  const out: string[] = [
    `# ${r.report}`,
    '',
    mdText(
      `Window ${r.scope.since ?? '–'} → ${r.scope.until ?? '–'} · generated ${r.generated_at} · ${r.tool.name} ${r.tool.version}`,
    ),
    '',
    'Every figure states how it was computed. Charts are in the HTML form of this report (`--format html`).',
    '',
  ];
  reportSections(r).forEach((sec, i) => {
    out.push(`## ${i + 1}. ${mdText(sec.title)}`, '');
    for (const b of sec.blocks) {
      switch (b.kind) {
        case 'p':
          out.push(mdText(b.text), '');
          break;
        case 'status':
          out.push(
            `**${b.level === 'ok' ? 'OK' : b.level === 'bad' ? 'ATTENTION' : b.level === 'warn' ? 'NOTE' : 'INFO'}:** ${mdText(b.text)}`,
            '',
          );
          break;
        case 'kv':
          out.push(
            mdTable(
              ['figure', 'value', 'how it was computed'],
              b.rows.map(([k, v, h]) => [k, v, h ?? '']),
            ),
            '',
          );
          break;
        case 'table':
          if (b.title) out.push(`### ${mdText(b.title)}`, '');
          out.push(b.rows.length ? mdTable(b.head, b.rows) : '_none_', '');
          if (b.more) out.push(`_${mdText(b.more)}_`, '');
          if (b.note) out.push(`_${mdText(b.note)}_`, '');
          break;
        case 'chart':
          out.push(`_Chart "${mdText(b.title)}" (HTML report): ${mdText(b.caption)}_`, '');
          break;
      }
    }
  });
  return out.join('\n').replace(/\n+$/, '\n');
}

/* ----------------------------------------------------------------------------------------------
 * HTML
 * -------------------------------------------------------------------------------------------- */

const CSS = `
:root{--fg:#1d1d1f;--muted:#5f6368;--line:#dadce0;--ok:#1e7e34;--bad:#b3261e;--warn:#8a5a00;--bg:#fff}
*{box-sizing:border-box}
body{margin:0;font:14px/1.5 ${FONT_STACK};color:var(--fg);background:var(--bg);word-break:keep-all}
header{padding:24px 32px 12px;border-bottom:2px solid var(--fg)}
header h1{margin:0 0 8px;font-size:24px}
header dl{margin:0;display:grid;grid-template-columns:max-content minmax(0,1fr);gap:2px 12px;color:var(--muted)}
header dt{font-weight:600;color:var(--fg)}
header dd{margin:0;overflow-wrap:anywhere}
nav{padding:8px 32px;border-bottom:1px solid var(--line);font-size:13px;display:flex;flex-wrap:wrap;gap:4px 16px}
nav a{color:var(--fg);text-decoration:none;white-space:nowrap}
nav a:hover,nav a:focus{text-decoration:underline}
main{padding:0 32px 32px;max-width:1200px}
section{margin-top:28px;break-inside:auto;scroll-margin-top:12px}
h2{font-size:19px;border-bottom:1px solid var(--line);padding-bottom:4px;margin:0 0 12px;break-after:avoid}
h3{font-size:15px;margin:18px 0 6px;break-after:avoid;overflow-wrap:anywhere}
p,.status{overflow-wrap:anywhere}
.tw{overflow-x:auto;max-width:100%}
table{border-collapse:collapse;width:100%;margin:6px 0 4px;font-size:13px}
th,td{border:1px solid var(--line);padding:4px 6px;text-align:left;vertical-align:top;overflow-wrap:break-word}
td.w,table.kv td,code{overflow-wrap:anywhere}
td ul{margin:0;padding-left:1.1em}
th{background:#f3f4f6;font-weight:600}
td.n{text-align:right;white-space:nowrap;font-variant-numeric:tabular-nums}
table.kv td:first-child{width:22%;font-weight:600}
table.kv td:nth-child(2){width:30%}
table.kv td:nth-child(3),.note,.more,figcaption{color:var(--muted);font-size:12px}
.more{font-style:italic}
tr{break-inside:avoid}
.status{padding:8px 12px;border-left:5px solid;margin:8px 0;background:#f8f9fa}
.status.ok{border-color:var(--ok)}.status.bad{border-color:var(--bad)}.status.warn{border-color:var(--warn)}.status.info{border-color:var(--muted)}
figure{margin:12px 0;break-inside:avoid}
svg.chart{display:block;width:100%;max-width:720px;height:auto;border:1px solid var(--line)}
code{font-family:ui-monospace,"SFMono-Regular",Menlo,Consolas,"DejaVu Sans Mono","Liberation Mono","Noto Sans Mono CJK KR","NanumGothicCoding",monospace;font-size:12px}
.empty{color:var(--muted);font-style:italic}
footer{padding:16px 32px;color:var(--muted);font-size:12px;border-top:1px solid var(--line);overflow-wrap:anywhere}
@media print{
  @page{margin:14mm}
  body{font-size:10.5pt}
  nav{display:none}
  header,main,footer{padding-left:0;padding-right:0}
  section{break-before:auto}
  .tw{overflow:visible}
  *{-webkit-print-color-adjust:exact;print-color-adjust:exact}
  a{color:inherit;text-decoration:none}
}`;

/** A run this long without a place to break (a hash, an id) may break anywhere. */
const UNBROKEN = /[^\s/\-–—,;:._]{24,}/;

/**
 * Text with a break opportunity after `. _ / : , ;` before a letter (paths, field paths, snake_case
 * names; browsers break none of them there), copied as written.
 */
const breakable = (text: string): string => esc(text).replace(/([._/:,;])(?=[^\s\d])/g, '$1<wbr>');

/** One table cell: numbers right-aligned, list cells as lists, long names allowed to break. */
function hCell(v: Cell, numeric: boolean): string {
  const text = cellText(v, ' ');
  if (numeric) return `<td class="n">${esc(text)}</td>`;
  const cls = UNBROKEN.test(text) ? ' class="w"' : '';
  const body =
    Array.isArray(v) && v.length > 1
      ? `<ul>${v.map((x) => `<li>${breakable(x)}</li>`).join('')}</ul>`
      : breakable(text);
  return `<td${cls}>${body}</td>`;
}

/** Window, origin and chain head under the title, each with its label. */
function headerFacts(r: AuditReport): string {
  const head = r.integrity.chain_head;
  const facts: [string, string][] = [
    ['window', `${esc(`${r.scope.since ?? '–'} → ${r.scope.until ?? '–'}`)} (${esc(r.scope.basis)})`],
    ['generated', `${esc(r.generated_at)} by ${esc(`${r.tool.name} ${r.tool.version}`)}`],
    ['database', `<code>${esc(r.database)}</code>`],
    // `seq N: <code>hex</code>` right after the label: --anchor reads the head back from the report
    [
      'chain head',
      `seq ${int(head.seq)}: <code>${esc(head.chain)}</code> (sha256 hash chain; kcloud-log verify recomputes it)`,
    ],
  ];
  return `<dl>${facts.map(([k, v]) => `<dt>${k}</dt><dd>${v}</dd>`).join('')}</dl>`;
}

export function renderHtml(r: AuditReport): string {
  const secs = reportSections(r);
  const body: string[] = [];
  secs.forEach((sec, i) => {
    body.push(`<section id="${sec.id}"><h2>${i + 1}. ${esc(sec.title)}</h2>`);
    for (const b of sec.blocks) {
      switch (b.kind) {
        case 'p':
          body.push(`<p>${esc(b.text)}</p>`);
          break;
        case 'status':
          body.push(`<div class="status ${b.level}">${esc(b.text)}</div>`);
          break;
        case 'kv':
          body.push(
            `<div class="tw"><table class="kv"><thead><tr><th>figure</th><th>value</th><th>how it was computed</th></tr></thead><tbody>${b.rows
              .map(([k, v, h]) => `<tr><td>${esc(k)}</td><td>${esc(v)}</td><td>${esc(h ?? '')}</td></tr>`)
              .join('')}</tbody></table></div>`,
          );
          break;
        case 'table': {
          if (b.title) body.push(`<h3>${esc(b.title)}</h3>`);
          if (!b.rows.length) body.push('<p class="empty">none</p>');
          else {
            const numeric = new Set(b.numeric ?? []);
            body.push(
              `<div class="tw"><table><thead><tr>${b.head.map((h) => `<th>${esc(h)}</th>`).join('')}</tr></thead><tbody>${b.rows
                .map((row) => `<tr>${row.map((c, j) => hCell(c, numeric.has(j))).join('')}</tr>`)
                .join('')}</tbody></table></div>`,
            );
          }
          if (b.more) body.push(`<p class="more">${esc(b.more)}</p>`);
          if (b.note) body.push(`<p class="note">${esc(b.note)}</p>`);
          break;
        }
        case 'chart':
          body.push(
            `<figure><h3>${esc(b.title)}</h3>${b.svg}<figcaption>${esc(b.caption)}</figcaption></figure>`,
          );
          break;
      }
    }
    body.push('</section>');
  });
  return `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta http-equiv="Content-Security-Policy" content="default-src 'none'; style-src 'unsafe-inline'; img-src data:">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta name="generator" content="${esc(`${r.tool.name} ${r.tool.version}`)}">
<title>${esc(`${r.report} ${r.scope.since ?? ''} – ${r.scope.until ?? ''}`)}</title>
<style>${CSS}</style>
</head>
<body>
<header><h1>${esc(r.report)}</h1>${headerFacts(r)}</header>
<nav aria-label="sections">${secs.map((sec, i) => `<a href="#${sec.id}">${i + 1}. ${esc(sec.title)}</a>`).join('')}</nav>
<main>
${body.join('\n')}
</main>
<footer>Every figure states how it was computed. This file is self-contained: no scripts, nothing loaded from the network.${r.integrity.signature ? ` Signed with Ed25519 key ${esc(r.integrity.signature.key_id)}: the signature follows the closing html tag; check with <code>kcloud-log verify --report FILE --pub KEY.pub</code>.` : ''}</footer>
</body>
</html>
`;
}

export function renderJson(r: AuditReport): string {
  return JSON.stringify(r, null, 2) + '\n';
}
