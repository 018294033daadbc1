/** Human output of `kcloud-log trace` (the command hands its result here). */
import chalk from 'chalk';
import { displayable, fmtAbout, fmtNum, table } from '../render.js';
import {
  type Placement,
  type Relocation,
  type TraceEvent,
  type TraceInefficiency,
  type TraceResult,
} from '../../lib/query/trace.js';

const usd = (v: number | null | undefined, digits = 2) =>
  v === null || v === undefined ? '-' : `${fmtNum(v, digits)} USD`;
const usdh = (v: number | null | undefined) =>
  v === null || v === undefined ? '-' : `${fmtAbout(v, 4)} USD/h`;

function bytes(v: number | null): string {
  if (v === null) return '-';
  const units = ['B', 'KiB', 'MiB', 'GiB', 'TiB', 'PiB'];
  let x = v;
  let i = 0;
  while (x >= 1024 && i < units.length - 1) {
    x /= 1024;
    i++;
  }
  return `${fmtNum(x, 1)} ${units[i]}`;
}

function placementLines(p: Placement): string[] {
  const outcome = p.outcome && p.outcome !== 'scheduled' ? chalk.red(` [${p.outcome}]`) : '';
  const out = [
    `${chalk.dim(p.ts)}  ${chalk.bold.cyan('PLACED')} on ${chalk.bold(p.selected_cluster ?? '?')}${outcome}` +
      chalk.dim(
        `  by ${p.scheduler ?? '?'}${p.execution_time_ms !== null ? `, decided in ${fmtAbout(p.execution_time_ms)} ms` : ''}`,
      ),
  ];
  const r = p.requirements;
  const req = [
    r.cpu !== null ? `cpu ${fmtAbout(r.cpu)}` : '',
    r.memory_bytes !== null ? `memory ${bytes(r.memory_bytes)}` : '',
    r.gpu !== null ? `gpu ${fmtAbout(r.gpu)}` : '',
    r.power_budget_watts !== null ? `power budget ${fmtAbout(r.power_budget_watts)} W` : '',
  ].filter(Boolean);
  if (p.workload_type || req.length)
    out.push(`    requirements  ${[p.workload_type, ...req].filter(Boolean).join(' · ')}`);
  if (p.reason) out.push(`    reason        ${p.reason}`);
  const power = p.estimated_power_watts !== null ? `, ${fmtAbout(p.estimated_power_watts)} W` : '';
  const eff = p.efficiency_score !== null ? `, efficiency ${fmtNum(p.efficiency_score, 3)}` : '';
  out.push(`    cost          ${usdh(p.estimated_cost_usd_per_hour)}${power}${eff}`);
  if (p.cheapest_alternative && p.cost_diff_to_cheapest_usd_per_hour !== null) {
    const d = p.cost_diff_to_cheapest_usd_per_hour;
    const vs = `cheapest alternative ${p.cheapest_alternative.cluster} at ${usdh(p.cheapest_alternative.cost_usd_per_hour)}`;
    out.push(
      `    vs cheapest   ${d > 0 ? chalk.yellow(`${fmtAbout(d, 4)} USD/h dearer than the ${vs}`) : chalk.green(`${fmtAbout(-d, 4)} USD/h cheaper than the ${vs}`)}`,
    );
  } else out.push(`    vs cheapest   ${chalk.dim('no alternatives logged')}`);
  if (p.alternatives.length) {
    const t = table(
      ['alternative', 'USD/h', 'vs chosen'],
      p.alternatives.map((a) => [
        a.cluster,
        fmtNum(a.cost_usd_per_hour, 4),
        a.diff_usd_per_hour === null
          ? '-'
          : `${a.diff_usd_per_hour >= 0 ? '+' : ''}${fmtNum(a.diff_usd_per_hour, 4)}`,
      ]),
    );
    out.push(...t.split('\n').map((l) => '      ' + l));
  }
  return out;
}

function relocationLines(r: Relocation): string[] {
  const out = [
    `${chalk.dim(r.ts)}  ${chalk.bold.magenta('RELOCATED')} ${r.from_cluster ?? '?'} → ${chalk.bold(r.to_cluster ?? '?')}` +
      chalk.dim(r.trigger ? `  (${r.trigger})` : ''),
  ];
  if (r.inconsistent) out.push(chalk.red(`    ! inconsistent: ${r.inconsistent}`));
  if (r.reason) out.push(`    reason        ${r.reason}`);
  out.push(
    `    saving        ${usdh(r.estimated_saving_usd_per_hour)}${r.power_saving_watts !== null ? `, ${fmtAbout(r.power_saving_watts)} W` : ''} (estimated, as logged)`,
  );
  out.push(
    `    migration     ${fmtAbout(r.migration_seconds)} s, downtime ${fmtAbout(r.downtime_seconds)} s`,
  );
  return out;
}

function inefficiencyLine(i: TraceInefficiency): string {
  const sev = i.severity ?? '?';
  const col = sev === 'critical' || sev === 'high' ? chalk.red : chalk.yellow;
  const action = i.recommended_action
    ? ` → ${i.recommended_action}${i.auto_action === null ? '' : i.auto_action ? ' (auto)' : ' (manual)'}`
    : '';
  return (
    `${chalk.dim(i.ts)}  ${col('! INEFFICIENCY')} on ${i.cluster ?? '?'} (${sev}): ${i.type ?? '?'}` +
    `${i.utilization_pct !== null ? `, ${fmtNum(i.utilization_pct, 1)}% utilised` : ''}` +
    `${i.idle_hours !== null ? `, ${fmtAbout(i.idle_hours)} h idle` : ''}` +
    `${i.wasted_usd !== null ? `, ${usd(i.wasted_usd)} wasted` : ''}${action}`
  );
}

function otherLine(e: TraceEvent): string {
  return `${chalk.dim(e.ts)}  ${chalk.bold(e.event_type)}${e.cluster_id ? ` on ${e.cluster_id}` : ''}`;
}

/** Stays drawn in the human output (all are in --json), then totals per cluster. */
const STAYS_SHOWN = 50;

/** Timeline entries drawn in the human output by default: the latest (--timeline; all are in --json). */
export const TIMELINE_SHOWN = 200;

export interface TraceView {
  /** How many of the latest timeline entries to draw (Infinity: all). */
  timeline?: number;
}

/**
 * The human output. Every text from the data is escaped (displayable) as it is drawn; only what
 * is drawn is rendered, so a workload of 20,000 events costs the 200 entries shown, not a 7 MB
 * text nobody reads in a terminal.
 */
export function renderTrace(result: TraceResult, view: TraceView = {}): string {
  const limit = view.timeline ?? TIMELINE_SHOWN;
  const s = displayable(result.summary);
  const workloadId = displayable(result.workload_id);
  const out: string[] = [];
  out.push(
    `${chalk.bold('workload')} ${chalk.bold.cyan(workloadId)}  ${chalk.dim(
      `${s.events} event${s.events === 1 ? '' : 's'}, ${s.placements} placement${s.placements === 1 ? '' : 's'}, ${s.relocations} relocation${s.relocations === 1 ? '' : 's'} · ${s.first_seen} → ${s.last_seen}`,
    )}`,
    '',
  );
  // One timeline: the workload's own events and the inefficiencies on its clusters.
  type Item = { ts: string; seq: number; lines: () => string[] };
  const items: Item[] = [];
  const placementsBySeq = new Map(result.placements.map((p) => [p.seq, p]));
  const relocationsBySeq = new Map(result.relocations.map((x) => [x.seq, x]));
  const inefficienciesBySeq = new Map(result.inefficiencies.map((x) => [x.seq, x]));
  const seen = new Set<number>();
  for (const e of result.events) {
    seen.add(e.seq);
    const p = placementsBySeq.get(e.seq);
    const x = relocationsBySeq.get(e.seq);
    const i = inefficienciesBySeq.get(e.seq);
    items.push({
      ts: e.ts,
      seq: e.seq,
      lines: () =>
        p
          ? placementLines(displayable(p))
          : x
            ? relocationLines(displayable(x))
            : i
              ? [inefficiencyLine(displayable(i))]
              : [otherLine(displayable(e))],
    });
  }
  for (const i of result.inefficiencies)
    if (!seen.has(i.seq))
      items.push({ ts: i.ts, seq: i.seq, lines: () => [inefficiencyLine(displayable(i))] });
  items.sort((a, b) => (a.ts < b.ts ? -1 : a.ts > b.ts ? 1 : a.seq - b.seq));
  const shownItems = items.length > limit ? items.slice(items.length - limit) : items;
  if (shownItems.length < items.length)
    out.push(
      chalk.dim(
        `… ${items.length - shownItems.length} earlier timeline entries not drawn: the latest ${shownItems.length} of ${items.length} follow (--timeline N|all; --json holds every event)`,
      ),
    );
  for (const it of shownItems) out.push(...it.lines());
  if (s.inefficiencies > result.inefficiencies.length)
    out.push(
      chalk.dim(
        `… ${result.inefficiencies.length} of ${s.inefficiencies} inefficiencies on its clusters listed (--limit N|all)`,
      ),
    );

  const r = { stays: displayable(result.stays.slice(-STAYS_SHOWN)), total: result.stays.length };
  if (r.stays.length) {
    const shown = r.stays;
    out.push(
      '',
      chalk.bold('time on clusters') +
        chalk.dim(`  (until ${s.end}: ${s.end_basis}; cost = hourly cost x hours)`),
    );
    out.push(
      table(
        ['cluster', 'from', 'until', 'hours', 'USD/h', 'est. cost USD', 'rate from', 'inefficiencies'],
        shown.map((x) => [
          x.cluster,
          x.from,
          x.until,
          fmtNum(x.hours, 2),
          fmtNum(x.cost_usd_per_hour, 4),
          fmtNum(x.cost_usd, 2),
          x.cost_basis ?? '-',
          x.inefficiencies,
        ]),
      ),
    );
    if (shown.length < r.total)
      out.push(
        chalk.dim(`… the last ${shown.length} of ${r.total} stays; --json lists every stay`),
        table(
          ['cluster', 'hours', 'est. cost USD'],
          s.clusters.map((c) => [c.cluster, fmtNum(c.hours, 2), fmtNum(c.cost_usd, 2)]),
        ),
      );
  }
  out.push(
    '',
    `${chalk.bold('summary')}  on ${chalk.bold(s.current_cluster ?? '-')} now · ${fmtNum(s.total_hours, 2)} h placed · est. cost ${usd(s.estimated_cost_usd)}${s.hours_without_cost ? ` (+${fmtNum(s.hours_without_cost, 2)} h at an unknown rate)` : ''}` +
      ` · est. savings ${usdh(s.estimated_savings_usd_per_hour)} · downtime ${fmtAbout(s.downtime_seconds)} s` +
      (s.failed_placements
        ? chalk.red(` · ${s.failed_placements} failed placement${s.failed_placements === 1 ? '' : 's'}`)
        : '') +
      (s.inconsistent_relocations
        ? chalk.red(
            ` · ${s.inconsistent_relocations} inconsistent relocation${s.inconsistent_relocations === 1 ? '' : 's'} (from_cluster is not where the workload was)`,
          )
        : '') +
      (s.inefficiencies
        ? chalk.yellow(
            ` · ${s.inefficiencies} inefficienc${s.inefficiencies === 1 ? 'y' : 'ies'} on its clusters (${usd(s.wasted_usd_on_its_clusters)})`,
          )
        : ''),
  );
  return out.join('\n');
}
