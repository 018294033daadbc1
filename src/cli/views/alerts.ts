/** Human output of `kcloud-log alerts` (the command hands its result here). */
import chalk from 'chalk';
import { cut, fmtAbout, fmtNum, table } from '../render.js';
import { type AlertInstance, type AlertsResult, type BacktestResult } from '../../lib/alerts/evaluate.js';

/** Labels as `k=v k=v`. */
export const labelsText = (labels: Record<string, string>) =>
  Object.entries(labels)
    .map(([k, v]) => `${k}=${v}`)
    .join(' ');

const stateText = (a: AlertInstance) =>
  a.state === 'firing'
    ? chalk.red.bold('firing')
    : a.state === 'pending'
      ? chalk.yellow('pending')
      : chalk.green('resolved');

export function renderAlerts(r: AlertsResult, all: boolean, source: string): string {
  const out: string[] = [];
  if (!r.rules.length && !r.errors.length)
    return `no alert rules (${source}): add some with \`kcloud-log alerts rules add\` or pass --rules FILE`;
  out.push(
    `${chalk.bold('alerts')} at ${r.at ?? '-'} ${chalk.dim(`(${r.at_basis}; evaluated from ${r.from ?? '-'}, ${source})`)}`,
    `  ${chalk.red(`${r.counts.firing} firing`)} · ${chalk.yellow(`${r.counts.pending} pending`)} · ${chalk.green(`${r.counts.resolved} resolved`)}`,
    '',
  );
  const shown = r.alerts.filter((a) => all || a.state !== 'resolved');
  if (shown.length) {
    out.push(
      table(
        ['state', 'rule', 'since', 'resolved', 'value', 'message', 'labels'],
        shown.map((a) => [
          stateText(a),
          a.rule,
          a.since,
          a.resolved_at ?? '',
          a.value === null ? '' : fmtAbout(a.value, 4),
          cut(a.message, 70),
          labelsText(a.labels),
        ]),
      ),
      '',
    );
  } else out.push(chalk.dim('nothing firing or pending'), '');
  out.push(
    table(
      ['rule', 'condition', 'firing', 'pending', 'resolved', 'value now'],
      r.rules.map((s) => [
        s.rule,
        cut(s.condition, 70),
        s.firing,
        s.pending,
        s.resolved,
        s.value === null ? '' : fmtAbout(s.value, 4),
      ]),
    ),
  );
  if (!all && r.counts.resolved)
    out.push(chalk.dim(`(${r.counts.resolved} resolved alerts not listed: --all)`));
  return out.join('\n');
}

export function renderBacktest(r: BacktestResult): string {
  const out: string[] = [
    `${chalk.bold('backtest')} ${r.from ?? '-'} → ${r.until ?? '-'}  ${chalk.dim(r.basis)}`,
    '',
  ];
  for (const rule of r.rules) {
    out.push(
      `${chalk.bold(rule.rule)}  ${rule.condition}  ${chalk.dim(`fired ${rule.fired} time(s), ${fmtNum(rule.firing_seconds / 3600, 2)} h firing`)}`,
    );
    if (rule.firings.length)
      out.push(
        table(
          ['firing since', 'resolved', 'peak', 'message'],
          rule.firings
            .slice(0, 50)
            .map((f) => [
              f.firing_since,
              f.resolved_at ?? chalk.red('still firing'),
              f.peak_value === null ? '' : fmtAbout(f.peak_value, 4),
              cut(f.message, 80),
            ]),
        ),
      );
    if (rule.firings.length > 50 || rule.truncated)
      out.push(chalk.dim(`  … ${rule.fired - Math.min(50, rule.firings.length)} more (--json for all)`));
    out.push('');
  }
  return out.join('\n');
}
