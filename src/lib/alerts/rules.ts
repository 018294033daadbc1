/**
 * Alert rules: their file/DB schema (zod), validation with reasons, and the
 * compiled form the evaluator runs.
 *
 * Two kinds:
 *
 * - `event`: every stored event that matches (`match.type` and the
 *   `match.where` conditions on typed columns) is one alert, firing from the
 *   event's time for `keep_firing_for` (default 1h), then resolved.
 * - `threshold`: a figure (`metric`) computed over a sliding `window` at each
 *   evaluation step (`every`, default 1m), compared with `threshold`; true
 *   for at least `for` (default 0) = firing (pending before), false again =
 *   resolved.
 */
import { z } from '../zod.js';
import { UsageError } from '../errors.js';
import { flagName, type OptionName } from '../option-name.js';
import {
  durationMs,
  keyPath,
  listed,
  parseRatio,
  readSpecFile,
  describeSpecIssues,
  DurationText,
  SpecName,
  ZeroOrDurationText,
  zeroOrDurationMs,
} from '../specfile.js';
import { clip, excerpt } from '../text.js';
import type { SloSet } from '../analyze/sla.js';
import { EVENT_TYPES, SEVERITIES, knownFieldNames, resolveField, type FieldDef } from './fields.js';

export const COND_OPS = ['=', '!=', '>', '>=', '<', '<=', '~'] as const;
export type CondOp = (typeof COND_OPS)[number];
export const CMP_OPS = ['>', '>=', '<', '<='] as const;
export type CmpOp = (typeof CMP_OPS)[number];

export const METRICS = [
  'latency_p50_ms',
  'latency_p90_ms',
  'latency_p95_ms',
  'latency_p99_ms',
  'latency_avg_ms',
  'failure_rate',
  'success_rate',
  'waste_usd_per_day',
  'slo_burn_rate',
  'event_count',
] as const;
export type Metric = (typeof METRICS)[number];

/** What each metric is, for help texts and reports. */
export const METRIC_METHOD: Record<Metric, string> = {
  latency_p50_ms: 'median execution_time_ms of the decisions in the window (quantile_cont)',
  latency_p90_ms: 'p90 execution_time_ms of the decisions in the window (quantile_cont)',
  latency_p95_ms: 'p95 execution_time_ms of the decisions in the window (quantile_cont)',
  latency_p99_ms: 'p99 execution_time_ms of the decisions in the window (quantile_cont)',
  latency_avg_ms: 'mean execution_time_ms of the decisions in the window',
  failure_rate: "decisions with outcome 'failed' / decisions in the window (0..1)",
  success_rate: "decisions with outcome 'scheduled' / decisions in the window (0..1)",
  waste_usd_per_day:
    'sum of wasted_cost_estimate of the inefficiency_detected events in the window x (1 day / window)',
  slo_burn_rate: "the named SLO's burn rate over the window: (1 - SLI) / (1 - objective)",
  event_count: 'events matching `match` in the window',
};

/** The event type a metric reads (event_count: from `match`). */
const METRIC_TYPE: Record<Metric, string | null> = {
  latency_p50_ms: 'scheduling_decision',
  latency_p90_ms: 'scheduling_decision',
  latency_p95_ms: 'scheduling_decision',
  latency_p99_ms: 'scheduling_decision',
  latency_avg_ms: 'scheduling_decision',
  failure_rate: 'scheduling_decision',
  success_rate: 'scheduling_decision',
  waste_usd_per_day: 'inefficiency_detected',
  slo_burn_rate: null,
  event_count: null,
};

export const DEFAULT_KEEP_FIRING_MS = 3_600_000;
export const DEFAULT_EVERY_MS = 60_000;

/* ----------------------------------------------------------------------------------------------
 * Schema (what users write)
 * -------------------------------------------------------------------------------------------- */

const CondObject = z.strictObject({
  field: z.string().min(1),
  op: z.enum(COND_OPS),
  value: z.union([z.string(), z.number(), z.boolean()]),
});
const Cond = z.union([z.string(), CondObject]);
export type CondInput = z.infer<typeof Cond>;

const Match = z.strictObject({
  type: z.union([z.string().min(1), z.array(z.string().min(1)).min(1)]).optional(),
  where: z.array(Cond).optional(),
});

const common = {
  name: SpecName,
  description: z.string().optional(),
  labels: z.record(z.string().regex(/^[A-Za-z_]\w*$/, 'label names are identifiers'), z.string()).optional(),
  message: z.string().optional(),
};

export const EventRuleSchema = z.strictObject({
  ...common,
  kind: z.literal('event'),
  match: Match,
  keep_firing_for: ZeroOrDurationText.optional(),
});

export const ThresholdRuleSchema = z.strictObject({
  ...common,
  kind: z.literal('threshold'),
  metric: z.enum(METRICS),
  op: z.enum(CMP_OPS).default('>'),
  threshold: z.union([z.number(), z.nan(), z.string()]), // NaN too, to be refused by name (compileRule)
  window: DurationText,
  for: ZeroOrDurationText.optional(),
  every: DurationText.optional(),
  slo: z.string().optional(),
  match: Match.optional(),
});

/** `kind` may be left out: a rule with `metric` is a threshold rule, else an event rule. */
export const RuleSchema = z.preprocess(
  (v) =>
    v && typeof v === 'object' && !Array.isArray(v) && !('kind' in v)
      ? { kind: 'metric' in v ? 'threshold' : 'event', ...v }
      : v,
  z.discriminatedUnion('kind', [EventRuleSchema, ThresholdRuleSchema]),
);
export type RuleInput = z.infer<typeof RuleSchema>;

export const RuleFileSchema = z.preprocess(
  (v) => (Array.isArray(v) ? { rules: v } : v),
  z.strictObject({ rules: z.array(z.unknown()) }),
);

/* ----------------------------------------------------------------------------------------------
 * Compiled form
 * -------------------------------------------------------------------------------------------- */

export interface Condition {
  /** As written, for messages. */
  text: string;
  field: FieldDef;
  op: CondOp;
  value: string | number | boolean;
}

interface RuleBase {
  name: string;
  description: string | null;
  labels: Record<string, string>;
  message: string;
  /** The rule as stored (validated input, `kind` filled in). */
  spec: RuleInput;
}

export interface EventRule extends RuleBase {
  kind: 'event';
  types: string[];
  conditions: Condition[];
  keepFiringMs: number;
}

export interface ThresholdRule extends RuleBase {
  kind: 'threshold';
  metric: Metric;
  op: CmpOp;
  threshold: number;
  windowMs: number;
  forMs: number;
  everyMs: number;
  /** Event types read (from the metric, the SLO or match.type). */
  types: string[];
  conditions: Condition[];
  slo: string | null;
}

export type Rule = EventRule | ThresholdRule;

/** Metrics that are shares of the decisions, from 0 to 1. */
const RATIO_METRICS: ReadonlySet<Metric> = new Set(['failure_rate', 'success_rate']);

/** A threshold as written (a number, `"0.05"`, `"5%"`) as a finite number, or undefined. */
export function readThreshold(t: number | string): number | undefined {
  const v =
    typeof t === 'number'
      ? t
      : /%\s*$/.test(t)
        ? parseRatio(t)
        : t.trim() !== '' && Number.isFinite(Number(t))
          ? Number(t)
          : undefined;
  return v !== undefined && Number.isFinite(v) ? v : undefined;
}

const COND_RE = /^\s*([A-Za-z_][\w]*)\s*(!=|>=|<=|=|>|<|~)\s*(.*?)\s*$/s;

type Bad = (key: string, msg: string) => never;

/** The event types a rule reads (from match.type, its metric or its SLO) and the SLO it names. */
function ruleTypes(
  spec: RuleInput,
  slos: SloSet | undefined,
  bad: Bad,
): { types: string[]; slo: string | null } {
  const matchTypes = spec.match?.type === undefined ? [] : [spec.match.type].flat();
  for (const [i, t] of matchTypes.entries()) {
    if (!(EVENT_TYPES as readonly string[]).includes(t))
      bad(
        `match.type${Array.isArray(spec.match?.type) ? `[${i}]` : ''}`,
        `${excerpt(t)} is not an event type (${EVENT_TYPES.join(', ')})`,
      );
  }
  const hasWhere = !!spec.match?.where?.length;
  if (spec.kind === 'event') {
    if (!matchTypes.length && !hasWhere) bad('match', 'an event rule needs match.type and/or match.where');
    return { types: matchTypes, slo: null };
  }
  if (spec.metric === 'slo_burn_rate') {
    if (!spec.slo) bad('slo', 'slo_burn_rate needs the name of an SLO (`slo: decision-latency`)');
    const found = slos?.slos.find((s) => s.name === spec.slo);
    if (slos && !found)
      bad(
        'slo',
        `no SLO named ${excerpt(spec.slo)} in ${slos.source === 'defaults' ? 'the default SLOs' : slos.source} (${slos.slos.map((s) => s.name).join(', ')})`,
      );
    if (spec.match) bad('match', 'slo_burn_rate takes the events from its SLO; remove match');
    const types = found
      ? [found.sli === 'relocation_availability' ? 'workload_relocation' : 'scheduling_decision']
      : [];
    return { types, slo: spec.slo! };
  }
  if (spec.slo) bad('slo', `only slo_burn_rate uses an SLO, not ${spec.metric}`);
  const mt = METRIC_TYPE[spec.metric];
  if (mt) {
    if (matchTypes.length && (matchTypes.length > 1 || matchTypes[0] !== mt))
      bad('match.type', `${spec.metric} reads ${mt} events; match.type cannot change that`);
    return { types: [mt], slo: null };
  }
  if (!spec.match || (!matchTypes.length && !hasWhere))
    bad('match', 'event_count needs match.type and/or match.where to say which events to count');
  return { types: matchTypes, slo: null };
}

type ThresholdInput = Extract<RuleInput, { kind: 'threshold' }>;

function ruleThreshold(spec: ThresholdInput, bad: Bad): number {
  const t = readThreshold(spec.threshold);
  if (t === undefined)
    bad('threshold', `expected a number (or a percentage like 5%), got ${excerpt(spec.threshold)}`);
  if (t! < 0)
    bad(
      'threshold',
      `must not be negative (${spec.metric} is never below 0), got ${excerpt(spec.threshold)}`,
    );
  if (RATIO_METRICS.has(spec.metric) && t! > 1)
    bad('threshold', `${spec.metric} is a share from 0 to 1 (0% to 100%), got ${excerpt(spec.threshold)}`);
  return t!;
}

/** window, for and every in ms: whole seconds, every a whole divisor of window (default: gcd(window, 1m)). */
function ruleSteps(spec: ThresholdInput, bad: Bad): { windowMs: number; forMs: number; everyMs: number } {
  const windowMs = durationMs(spec.window)!;
  const forMs = zeroOrDurationMs(spec.for) ?? 0;
  const gcd = (x: number, y: number): number => (y ? gcd(y, x % y) : x);
  const everyMs = spec.every ? durationMs(spec.every)! : gcd(Math.round(windowMs), DEFAULT_EVERY_MS);
  if (windowMs < 1000 || windowMs % 1000) bad('window', 'must be a whole number of seconds, at least 1s');
  if (everyMs < 1000 || everyMs % 1000) bad('every', 'must be a whole number of seconds, at least 1s');
  if (everyMs > windowMs) bad('every', `must not be longer than window (${clip(spec.window)})`);
  if (windowMs % everyMs)
    bad(
      'every',
      `window (${clip(spec.window)}) must be a whole number of steps of every (${clip(spec.every ?? '')})`,
    );
  return { windowMs, forMs, everyMs };
}

const DEFAULT_MESSAGE: Record<Rule['kind'], string> = {
  event:
    '{{event_type}} matched {{rule}}: workload {{workload_id}}, cluster {{cluster_id}}, severity {{severity}}',
  threshold: '{{metric}} over {{window}} is {{value}} ({{op}} {{threshold}})',
};

/** Validate one rule (raw object) into its compiled form; throws UsageError naming the rule and key. */
export function compileRule(raw: unknown, slos?: SloSet, where = 'rule'): Rule {
  const r = RuleSchema.safeParse(raw);
  const label =
    raw && typeof raw === 'object' && typeof (raw as { name?: unknown }).name === 'string'
      ? `${where} ${excerpt((raw as { name: string }).name)}`
      : where;
  if (!r.success) {
    const lines = listed(describeSpecIssues(r.error.issues, raw));
    throw new UsageError(`${label}: ${lines.join('; ')}`);
  }
  const spec = r.data;
  const bad: Bad = (key, msg) => {
    throw new UsageError(`${label}: ${key}: ${msg}`);
  };
  const { types, slo } = ruleTypes(spec, slos, bad);
  const conditions = (spec.match?.where ?? []).map((c, i) =>
    parseCondition(c, types, `match.where[${i}]`, bad),
  );
  const threshold = spec.kind === 'threshold' ? ruleThreshold(spec, bad) : 0;
  const steps = spec.kind === 'threshold' ? ruleSteps(spec, bad) : undefined;
  const message = spec.message ?? DEFAULT_MESSAGE[spec.kind];
  checkTemplate(message, spec.kind, types, (m) => bad('message', m));

  const baseRule = {
    name: spec.name,
    description: spec.description ?? null,
    labels: spec.labels ?? {},
    message,
    spec,
  };
  if (spec.kind === 'event')
    return {
      ...baseRule,
      kind: 'event',
      types,
      conditions,
      keepFiringMs: zeroOrDurationMs(spec.keep_firing_for) ?? DEFAULT_KEEP_FIRING_MS,
    };
  return {
    ...baseRule,
    kind: 'threshold',
    metric: spec.metric,
    op: spec.op,
    threshold,
    ...steps!,
    types,
    conditions,
    slo,
  };
}

function parseCondition(
  c: CondInput,
  types: readonly string[],
  key: string,
  bad: (key: string, msg: string) => never,
): Condition {
  let field: string, op: CondOp, value: string | number | boolean, text: string;
  if (typeof c === 'string') {
    const m = COND_RE.exec(c);
    if (!m)
      return bad(
        key,
        `${excerpt(c)}: expected FIELD OP VALUE, e.g. "severity >= high" or "wasted_cost_estimate > 100"`,
      );
    [, field, , value] = m as unknown as [string, string, CondOp, string];
    op = m[2] as CondOp;
    value = unquote(value);
    text = c.trim();
  } else {
    ({ field, op, value } = c);
    text = `${field} ${op} ${String(value)}`;
  }
  const f = resolveField(field, types);
  if (typeof f === 'string') return bad(key, f);
  const v = normaliseValue(f, op, value);
  if (typeof v === 'object') return bad(key, `${excerpt(text)}: ${v.error}`);
  return { text, field: f, op, value: v };
}

const unquote = (s: string) => (/^(['"]).*\1$/s.test(s) ? s.slice(1, -1) : s);

function normaliseValue(
  f: FieldDef,
  op: CondOp,
  value: string | number | boolean,
): string | number | boolean | { error: string } {
  switch (f.type) {
    case 'number': {
      if (op === '~') return { error: `~ (contains) is for text fields; ${f.column} is a number` };
      const n =
        typeof value === 'number'
          ? value
          : typeof value === 'string'
            ? Number(value.replace(/%$/, '').trim())
            : NaN;
      if (
        typeof value === 'boolean' ||
        (typeof value === 'string' && value.trim() === '') ||
        !Number.isFinite(n)
      )
        return { error: `${f.column} is a number; ${excerpt(String(value))} is not` };
      return n;
    }
    case 'severity': {
      const s = String(value).toLowerCase();
      if (op === '~') return s;
      if (!(SEVERITIES as readonly string[]).includes(s))
        return { error: `severity is one of ${SEVERITIES.join(', ')}; got ${excerpt(String(value))}` };
      return s;
    }
    case 'boolean': {
      if (op !== '=' && op !== '!=') return { error: `${f.column} is true or false; use = or !=` };
      const s = String(value).toLowerCase();
      if (s !== 'true' && s !== 'false')
        return { error: `${f.column} is true or false; got ${excerpt(String(value))}` };
      return s === 'true';
    }
    case 'text':
      if (op !== '=' && op !== '!=' && op !== '~')
        return { error: `${op} compares numbers or severities; ${f.column} is text (use =, != or ~)` };
      return String(value);
  }
}

const TEMPLATE_RE = /\{\{\s*([\w.]+)\s*\}\}/g;
const EVENT_VARS = ['rule', 'ts', 'seq', 'event_id', 'event_type'];
const THRESHOLD_VARS = ['rule', 'metric', 'value', 'threshold', 'op', 'window', 'for', 'slo', 'since', 'at'];

function checkTemplate(msg: string, kind: Rule['kind'], types: readonly string[], bad: (m: string) => never) {
  for (const m of msg.matchAll(TEMPLATE_RE)) {
    const v = m[1]!;
    if (v.startsWith('labels.')) continue;
    if (kind === 'threshold') {
      if (!THRESHOLD_VARS.includes(v))
        bad(
          `unknown placeholder {{${clip(v)}}}; threshold rules know ${THRESHOLD_VARS.join(', ')}, labels.NAME`,
        );
      continue;
    }
    if (EVENT_VARS.includes(v)) continue;
    const f = resolveField(v, types);
    if (typeof f === 'string') bad(`placeholder {{${clip(v)}}}: ${f.replace(/; known fields: .*/, '')}`);
  }
}

/** Columns a template reads, for an event rule. */
export function templateColumns(rule: EventRule): string[] {
  const cols = new Set<string>();
  for (const m of rule.message.matchAll(TEMPLATE_RE)) {
    const v = m[1]!;
    if (v.startsWith('labels.') || EVENT_VARS.includes(v)) continue;
    const f = resolveField(v, rule.types);
    if (typeof f !== 'string') cols.add(f.column);
  }
  return [...cols];
}

/** Fill `{{name}}` placeholders: `get(name)` for values; numbers rounded for reading. */
export function renderTemplate(msg: string, get: (name: string) => unknown): string {
  return msg.replace(TEMPLATE_RE, (_, name: string) => {
    const v = get(name);
    if (v === null || v === undefined) return '-';
    if (typeof v === 'number') return Number.isInteger(v) ? String(v) : String(Number(v.toFixed(4)));
    return String(v);
  });
}

/** Resolve an event-template variable to its column, when it names a field. */
export function templateField(name: string, types: readonly string[]): string | null {
  if (EVENT_VARS.includes(name) || name.startsWith('labels.')) return null;
  const f = resolveField(name, types);
  return typeof f === 'string' ? null : f.column;
}

export interface RuleError {
  rule: string;
  reason: string;
}

/** Parse a rules file: every rule compiled, or a UsageError listing every refused rule. */
export function loadRulesFile(file: string, slos?: SloSet): Rule[] {
  return parseRules(readSpecFile(file), file, slos);
}

/**
 * The rules of a rules document (`{rules: [...]}` or a list; read from a file, or a POST's body):
 * every rule compiled, or a UsageError naming `origin` and listing every refused rule.
 */
export function parseRules(data: unknown, origin: string, slos?: SloSet): Rule[] {
  const top = RuleFileSchema.safeParse(data);
  if (!top.success)
    throw new UsageError(`${origin}: ${listed(describeSpecIssues(top.error.issues, data)).join('; ')}`);
  const rules: Rule[] = [];
  const errors: string[] = [];
  const seen = new Set<string>();
  for (const [i, raw] of top.data.rules.entries()) {
    try {
      const r = compileRule(raw, slos, `rules[${i}]`);
      if (seen.has(r.name)) throw new UsageError(`rules[${i}] ${excerpt(r.name)}: name: duplicate rule name`);
      seen.add(r.name);
      rules.push(r);
    } catch (e) {
      if (!(e instanceof UsageError)) throw e;
      errors.push(e.message);
    }
  }
  if (errors.length)
    throw new UsageError(
      `${origin}: ${errors.length === 1 ? errors[0] : `${errors.length} rules refused:\n  ${listed(errors).join('\n  ')}`}`,
    );
  return rules;
}

/** A condition in the `FIELD OP VALUE` text form, for listings. */
export const conditionText = (c: Condition) => c.text;

export { keyPath, knownFieldNames };

/**
 * The rules named by --rule (all when none is named), with the errors of those rules; a name that
 * is neither a rule nor a rule that failed to load is a usage error.
 */
export function selectRules<T extends { rules: Rule[]; errors: RuleError[] }>(
  loaded: T,
  names: readonly string[] | undefined,
  name: OptionName = flagName,
): { rules: Rule[]; errors: RuleError[] } {
  if (!names?.length) return loaded;
  const want = new Set(names);
  const missing = [...want].filter(
    (n) => !loaded.rules.some((r) => r.name === n) && !loaded.errors.some((e) => e.rule === n),
  );
  if (missing.length) throw new UsageError(`${name('rule')}: no rule named ${missing.join(', ')}`);
  return {
    rules: loaded.rules.filter((r) => want.has(r.name)),
    errors: loaded.errors.filter((e) => want.has(e.rule)),
  };
}
