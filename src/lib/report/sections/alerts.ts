/** Alerts: the rules evaluated as by `kcloud-log alerts` at the end of the analysis window. */
import type { Store } from '../../store/open.js';
import { evaluateAlerts, type AlertInstance, type AlertsResult } from '../../alerts/evaluate.js';
import { int, num, type Section } from '../blocks.js';
import type { AuditContext, AuditReport, ReportSection } from '../types.js';

export interface AlertsPart extends Pick<AlertsResult, 'rules' | 'at' | 'counts' | 'errors'> {
  rules_source: string;
  /** Firing or pending at the end of the window. */
  active: AlertInstance[];
  basis: string;
}

/** Alerts at the end of the analysis window (the newest event, or just before --until). */
async function compute(store: Store, { options: o, window: win }: AuditContext): Promise<AlertsPart> {
  const alertFrom = win.startUs ?? undefined;
  const alertAt = win.endUs !== null ? Math.max(win.endUs - 1, win.startUs!) : undefined;
  const alerts = await evaluateAlerts(
    store,
    o.rules,
    o.slos,
    { at: alertAt, from: alertFrom, limit: 1000 },
    o.ruleErrors ?? [],
  );
  return {
    rules_source: o.rulesSource,
    rules: alerts.rules,
    at: alerts.at,
    counts: alerts.counts,
    active: alerts.alerts.filter((a) => a.state !== 'resolved'),
    errors: alerts.errors,
    basis: `rules evaluated as by \`kcloud-log alerts\` from the scope start to its end (${alerts.at ?? '-'}); active = firing or pending then; resolved ones are counted per rule`,
  };
}

function render(r: AuditReport): Section {
  const al = r.alerts;
  return {
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
  };
}

export const alerts: ReportSection<'alerts'> = { key: 'alerts', name: 'alerts', compute, render };
