/**
 * Every out-of-range flag value is a usage error (exit 2) when the command line is parsed: one
 * line naming the flag and the valid range, with --json too, before any database is opened (the
 * database given does not exist: reaching it would be exit 4). Rule and SLO files: the same
 * ranges, exit 2 naming the key.
 */
import fs from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import Events from '../../src/commands/events.js';
import Rejects from '../../src/commands/rejects.js';
import Sql from '../../src/commands/sql.js';
import Trace from '../../src/commands/trace.js';
import Ingest from '../../src/commands/ingest.js';
import Tail from '../../src/commands/tail.js';
import Verify from '../../src/commands/verify.js';
import AnalyzeScheduling from '../../src/commands/analyze/scheduling.js';
import AnalyzeCost from '../../src/commands/analyze/cost.js';
import AnalyzeSla from '../../src/commands/analyze/sla.js';
import Alerts from '../../src/commands/alerts/index.js';
import RulesAdd from '../../src/commands/alerts/rules/add.js';
import ReportAudit from '../../src/commands/report/audit.js';
import { oneLine } from '../../src/cli/base.js';
import { readCount, readNumber } from '../../src/cli/flags.js';
import { readSize } from '../../src/lib/size.js';
import { readDuration } from '../../src/lib/time.js';
import { FIXTURES, tmpDir } from '../helpers.js';
import { runCmd } from '../run-command.js';

let dir: string;
let missing: string;
beforeAll(() => {
  dir = tmpDir('kcl-ranges-');
  missing = path.join(dir, 'none.duckdb');
});
afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));

type Cmd = Parameters<typeof runCmd>[0];
const THRESHOLD_RULE = ['r', '--metric', 'event_count', '--type', 'policy_change', '--threshold', '1'];

/** [command, its arguments, the flag the message must name] */
const BAD: [string, string[], Cmd, string][] = [
  ['events', ['--limit', '-1'], Events, '--limit'],
  ['events', ['--limit', 'abc'], Events, '--limit'],
  ['events', ['--limit', '1.5'], Events, '--limit'],
  ['events', ['--limit', '99999999999999999999'], Events, '--limit'],
  ['events', ['--since', 'garbage'], Events, '--since'],
  ['events', ['--since', '3000-01-01'], Events, '--since'],
  ['events', ['--until', '100000000d'], Events, '--until'],
  ['events', ['--lock-timeout', '-1'], Events, '--lock-timeout'],
  ['events', ['--lock-timeout', '100000000'], Events, '--lock-timeout'],
  ['rejects', ['--limit', '-3'], Rejects, '--limit'],
  ['sql', ['SELECT 1', '--limit', 'x'], Sql, '--limit'],
  ['trace', ['w', '--limit', '-1'], Trace, '--limit'],
  ['trace', ['w', '--inefficiencies', '2.5'], Trace, '--limit'], // the old name, a deprecated alias
  ['trace', ['w', '--since', 'yesterday'], Trace, '--since'],
  ['ingest', ['x', '--batch-size', '0'], Ingest, '--batch-size'],
  ['ingest', ['x', '--batch-size', '100000000'], Ingest, '--batch-size'],
  ['ingest', ['x', '--max-line-bytes', '10'], Ingest, '--max-line-bytes'],
  ['ingest', ['x', '--max-line-bytes', '1TB'], Ingest, '--max-line-bytes'],
  ['ingest', ['x', '--memory-limit', 'abc'], Ingest, '--memory-limit'],
  ['ingest', ['x', '--memory-limit', '0'], Ingest, '--memory-limit'],
  ['ingest', ['x', '--memory-limit', '-5MB'], Ingest, '--memory-limit'],
  ['ingest', ['x', '--memory-limit', '1K'], Ingest, '--memory-limit'],
  ['ingest', ['x', '--memory-limit', '5TB'], Ingest, '--memory-limit'],
  ['ingest', ['x', '--memory-limit', '128'], Ingest, '--memory-limit'],
  ['ingest', ['x', '--follow', '--flush-interval', '0'], Ingest, '--flush-interval'],
  ['ingest', ['x', '--follow', '--flush-interval', '5h'], Ingest, '--flush-interval'],
  ['ingest', ['x', '--follow', '--drain-grace', '-1s'], Ingest, '--drain-grace'],
  ['ingest', ['x', '--follow', '--drain-grace', '2d'], Ingest, '--drain-grace'],
  ['tail', ['--interval', '10ms'], Tail, '--interval'],
  ['tail', ['--interval', '100'], Tail, '--interval'], // a unit is required, as for every duration
  ['tail', ['--interval', '2h'], Tail, '--interval'],
  ['tail', ['--last', '-1'], Tail, '--last'],
  ['tail', ['--limit', '0'], Tail, '--limit'],
  ['tail', ['--max', '0'], Tail, '--limit'],
  ['analyze scheduling', ['--interval', '500ms'], AnalyzeScheduling, '--interval'],
  ['analyze scheduling', ['--interval', '100000d'], AnalyzeScheduling, '--interval'],
  ['analyze scheduling', ['--fail-under-reduction', '150'], AnalyzeScheduling, '--fail-under-reduction'],
  ['analyze scheduling', ['--fail-under-reduction', '-5%'], AnalyzeScheduling, '--fail-under-reduction'],
  ['analyze scheduling', ['--fail-if-p95-over', '-1'], AnalyzeScheduling, '--fail-if-p95-over'],
  ['analyze scheduling', ['--fail-if-p95-over', 'NaN'], AnalyzeScheduling, '--fail-if-p95-over'],
  ['analyze scheduling', ['--fail-if-p95-over', '1e12'], AnalyzeScheduling, '--fail-if-p95-over'],
  ['analyze scheduling', ['--min-sample', '0'], AnalyzeScheduling, '--min-sample'],
  ['analyze scheduling', ['--baseline-since', 'garbage'], AnalyzeScheduling, '--baseline-since'],
  ['analyze cost', ['--interval', '0s'], AnalyzeCost, '--interval'],
  ['analyze cost', ['--policy-window', '100000d'], AnalyzeCost, '--policy-window'],
  ['analyze cost', ['--limit', '0'], AnalyzeCost, '--limit'],
  ['analyze cost', ['--top', '0'], AnalyzeCost, '--limit'],
  ['analyze sla', ['--until', '9999-01-01'], AnalyzeSla, '--until'],
  ['alerts', ['--backtest', '0s'], Alerts, '--backtest'],
  ['alerts', ['--backtest', '100000d'], Alerts, '--backtest'],
  ['alerts', ['--at', 'garbage'], Alerts, '--at'],
  ['alerts', ['--limit', '-1'], Alerts, '--limit'],
  ['alerts rules add', [...THRESHOLD_RULE, '--window', '0s'], RulesAdd, '--window'],
  ['alerts rules add', [...THRESHOLD_RULE, '--window', '100000d'], RulesAdd, '--window'],
  ['alerts rules add', [...THRESHOLD_RULE, '--window', 'NaN'], RulesAdd, '--window'],
  ['alerts rules add', [...THRESHOLD_RULE, '--window', '1h', '--for', '-1m'], RulesAdd, '--for'],
  ['alerts rules add', [...THRESHOLD_RULE, '--window', '1h', '--for', '100000d'], RulesAdd, '--for'],
  ['alerts rules add', [...THRESHOLD_RULE, '--window', '1h', '--every', '0s'], RulesAdd, '--every'],
  [
    'alerts rules add',
    ['r', '--type', 'policy_change', '--keep-firing-for', '100000d'],
    RulesAdd,
    '--keep-firing-for',
  ],
  [
    'alerts rules add',
    ['r', '--metric', 'event_count', '--window', '1h', '--threshold', '-1'],
    RulesAdd,
    '--threshold',
  ],
  [
    'alerts rules add',
    ['r', '--metric', 'event_count', '--window', '1h', '--threshold', 'NaN'],
    RulesAdd,
    '--threshold',
  ],
  [
    'alerts rules add',
    ['r', '--metric', 'event_count', '--window', '1h', '--threshold', 'Infinity'],
    RulesAdd,
    '--threshold',
  ],
  ['report audit', ['--gap', '0s'], ReportAudit, '--gap'],
  ['report audit', ['--gap', '100000d'], ReportAudit, '--gap'],
  ['report audit', ['--limit', '0'], ReportAudit, '--limit'],
  ['report audit', ['--since', 'garbage'], ReportAudit, '--since'],
  ['verify', ['--lock-timeout', 'soon'], Verify, '--lock-timeout'],
];

describe('out-of-range flag values: exit 2 at parse time, one line naming the flag', () => {
  it.each(BAD)('%s %j', async (_name, args, cmd, flag) => {
    for (const json of [true, false]) {
      const r = await runCmd(cmd, [...args, '--db', missing], { json });
      const what = `${args.join(' ')} (json: ${json}): exit ${r.code} ${r.message} ${r.stderr}`;
      expect(r.code, what).toBe(2);
      const message = json ? r.message : r.stderr.trim();
      expect(message.split('\n'), what).toHaveLength(1);
      expect(message, what).toContain(flag);
      expect(message, what).toMatch(/expected|cannot read|outside the supported range|out of range/);
      expect(message, what).not.toMatch(/Parsing --|See more help/);
    }
    expect(fs.existsSync(missing)).toBe(false);
  });

  it('valid values in DuckDB size syntax and durations are accepted', async () => {
    const db = path.join(dir, 'ok.duckdb');
    for (const size of ['512MiB', '1GB', '128MB', '0.5GB']) {
      const r = await runCmd(Ingest, [
        path.join(FIXTURES, 'spec-events.jsonl'),
        '--memory-limit',
        size,
        '--max-line-bytes',
        '4KiB',
        '--batch-size',
        '2',
        '--db',
        db,
      ]);
      expect(r.code, `${size}: ${r.message}`).toBe(0);
    }
    const t = await runCmd(AnalyzeScheduling, ['--interval', '1h', '--fail-if-p95-over', '5000', '--db', db]);
    expect(t.code, t.message).toBe(0);
  });
});

describe('the range readers', () => {
  it('durations: units, ranges, 0 where allowed, bare milliseconds where allowed', () => {
    expect(readDuration('90s', { min: 1000 })).toEqual({ ok: true, ms: 90_000 });
    expect(readDuration('0', { min: 1, zero: true })).toEqual({ ok: true, ms: 0 });
    expect(readDuration('0', { min: 1 }).ok).toBe(false);
    expect(readDuration('250', { min: 50, bare: 'ms' })).toEqual({ ok: true, ms: 250 });
    expect(readDuration('250', { min: 50 }).ok).toBe(false);
    expect(readDuration('3650d', { min: 1000 }).ok).toBe(true);
    for (const bad of ['3651d', '100000d', '-5m', 'NaN', 'Infinityd', '1e3s', '', '5 parsecs']) {
      const r = readDuration(bad, { min: 1000 });
      expect(r.ok, bad).toBe(false);
      if (!r.ok) expect(r.reason).toMatch(/from 1s to 3650d/);
    }
  });

  it('sizes: decimal and binary units as DuckDB reads them, bare bytes only where allowed', () => {
    const r = { min: 16e6, max: 1e12 };
    expect(readSize('128MB', r)).toEqual({ ok: true, bytes: 128e6 });
    expect(readSize('512MiB', r)).toEqual({ ok: true, bytes: 512 * 2 ** 20 });
    expect(readSize('1.5 GB', r)).toEqual({ ok: true, bytes: 1.5e9 });
    expect(readSize('2048', { min: 64, max: 2 ** 26, bare: true })).toEqual({ ok: true, bytes: 2048 });
    for (const bad of ['128', 'abc', '0', '-5MB', '15MB', '2TB', '1e3MB', 'MB']) {
      const x = readSize(bad, r);
      expect(x.ok, bad).toBe(false);
      if (!x.ok) expect(x.reason).toMatch(/from 16MB to 1TB/);
    }
  });

  it('counts and numbers name the flag and the range', () => {
    expect(readCount('42', '--limit', 0)).toBe(42);
    expect(() => readCount('1e3', '--limit', 0)).toThrow(
      /--limit: expected a whole number from 0 to 1,000,000,000/,
    );
    expect(readNumber('20%', '--pct', { min: 0, max: 100, percent: true })).toBe(20);
    expect(() => readNumber('20%', '--ms', { min: 0, max: 100 })).toThrow(
      /--ms: expected a number from 0 to 100/,
    );
  });

  it("oneLine undoes oclif's three-line flag error and joins other lines", () => {
    expect(oneLine('Parsing --limit \n\t--limit: expected a whole number\nSee more help with --help')).toBe(
      '--limit: expected a whole number',
    );
    expect(
      oneLine('Parsing --limit \n\tExpected an integer but received: x\nSee more help with --help'),
    ).toBe('--limit: Expected an integer but received: x');
    expect(oneLine('rules.yaml: 2 rules refused:\n  a: bad\n  b: worse')).toBe(
      'rules.yaml: 2 rules refused: a: bad; b: worse',
    );
  });
});

describe('rule and SLO files: out-of-range values refused with exit 2, naming the key', () => {
  const rule = (extra: string) =>
    `rules:\n  - name: r\n    metric: event_count\n    match: { type: policy_change }\n    window: 1h\n    threshold: 1\n${extra}`;
  const cases: [string, string, RegExp][] = [
    ['window', rule('').replace('window: 1h', 'window: 100000d'), /window: expected a duration up to 3650d/],
    ['window NaN', rule('').replace('window: 1h', 'window: NaN'), /window: expected a duration/],
    ['for', rule('    for: 100000d\n'), /\bfor: expected 0 or a duration up to 3650d/],
    ['every', rule('    every: -1m\n'), /every: expected a duration/],
    [
      'threshold negative',
      rule('').replace('threshold: 1', 'threshold: -1'),
      /threshold: must not be negative/,
    ],
    ['threshold NaN', rule('').replace('threshold: 1', 'threshold: .nan'), /threshold: expected a number/],
    [
      'threshold share',
      'rules:\n  - { name: r, metric: failure_rate, window: 1h, threshold: 5 }\n',
      /threshold: failure_rate is a share from 0 to 1/,
    ],
    [
      'keep_firing_for',
      'rules:\n  - { name: r, match: { type: policy_change }, keep_firing_for: 100000d }\n',
      /keep_firing_for: expected 0 or a duration up to 3650d/,
    ],
  ];
  it.each(cases)('rules file: %s', async (_name, text, re) => {
    const file = path.join(dir, 'rules.yaml');
    fs.writeFileSync(file, text);
    const r = await runCmd(Alerts, ['--rules', file, '--db', missing]);
    expect(r.code, r.message).toBe(2);
    expect(r.message).toMatch(re);
    expect(r.message).not.toContain('\n');
  });

  const slo = (objective: string, extra = '') =>
    `slos:\n  - { name: s, sli: decision_success, objective: ${objective}${extra} }\n`;
  const sloCases: [string, string, RegExp][] = [
    ['objective 0', slo('0'), /objective: expected a target above 0 and below 100%/],
    ['objective 100%', slo('"100%"'), /objective: expected a target above 0/],
    ['objective 150 (percent)', slo('150'), /objective: expected a target above 0/],
    ['objective -0.5', slo('-0.5'), /objective: expected a target above 0/],
    ['period', slo('0.99', ', period: 100000d'), /period: expected a duration up to 3650d/],
    ['period 0', slo('0.99', ', period: 0s'), /period: expected a duration/],
    ['file period', `period: 100000d\n${slo('0.99')}`, /period: expected a duration up to 3650d/],
    [
      'threshold_ms',
      'slos:\n  - { name: s, sli: decision_latency, objective: 0.99, threshold_ms: 1e12 }\n',
      /threshold_ms: expected at most 86400000/,
    ],
  ];
  it.each(sloCases)('SLO file: %s', async (_name, text, re) => {
    const file = path.join(dir, 'slo.yaml');
    fs.writeFileSync(file, text);
    const r = await runCmd(AnalyzeSla, ['--slo', file, '--db', missing]);
    expect(r.code, r.message).toBe(2);
    expect(r.message).toMatch(re);
    expect(r.message).not.toContain('\n');
  });
});
