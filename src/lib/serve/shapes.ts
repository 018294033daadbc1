/**
 * The JSON the endpoints answer with, as the OpenAPI document describes it (openapi.ts).
 *
 * Small results are zod schemas, checked by the compiler to be exactly the TypeScript types the
 * endpoints return (`same`); the large ones (the analyses, the trace, the report) are described
 * by their top-level members only, listed exactly (`members`: the compiler checks the lists hold
 * every member of the type and nothing else). Their full form is the CLI's `--json` output.
 */
import { z } from '../zod.js';
import type { ErrorBody } from './errors.js';
import type { ItemResult, PostResult } from './post.js';
import type { FileLag } from '../ingest/tail-file.js';
import type { SchedulingResult } from '../analyze/scheduling.js';
import type { CostResult } from '../analyze/cost.js';
import type { SlaResult } from '../analyze/sla.js';
import type { TraceResult } from '../query/trace.js';
import type { AlertsResult, DescribedRule } from '../alerts/evaluate.js';
import type { AddResult } from '../alerts/store.js';
import type { AuditReport } from '../report/types.js';

export type JsonSchema = { [k: string]: unknown };

/** True only when A and B are the same type. */
type Same<A, B> = [A] extends [B] ? ([B] extends [A] ? true : false) : false;
/** A compile-time check that a schema's type is the type it describes (no code at run time). */
const same = <A, B>(ok: Same<A, B>): Same<A, B> => ok;

export const errorShape = z.object({
  error: z.object({
    code: z.string().meta({ description: 'UsageError, NotFoundError, BodyTooLarge, ...' }),
    message: z.string().meta({ description: 'one line, as the CLI prints it' }),
  }),
});
same<z.infer<typeof errorShape>, ErrorBody>(true);

const itemShape = z.object({
  index: z.number().int().meta({ description: 'its position in the array, or its NDJSON line, from 0' }),
  status: z.enum(['stored', 'duplicate', 'rejected']),
  event_id: z.string().nullable(),
  seq: z.number().int().optional().meta({ description: "the stored event's sequence number" }),
  reason: z.string().optional().meta({ description: 'why it was rejected' }),
});
same<z.infer<typeof itemShape>, ItemResult>(true);

export const postResultShape = z.object({
  source: z.string().meta({ description: 'the endpoint as a source: http:POST /events/scheduling, ...' }),
  stored: z.number().int(),
  duplicates: z.number().int(),
  rejected: z.number().int(),
  events: z.array(itemShape),
});
same<z.infer<typeof postResultShape>, PostResult>(true);

/** A 422's body: every event was rejected (the rejects are kept all the same). */
export const rejectedShape = z.object({ ...errorShape.shape, ...postResultShape.shape });

/** An event as `events --json` lists it: its stored (normalised) JSON and where it came from. */
export const listedEventShape = z.looseObject({
  event_id: z.string(),
  event_type: z.string(),
  timestamp: z.string().meta({ description: 'ISO 8601, UTC' }),
  _seq: z.number().int(),
  _source: z.string().nullable(),
  _line: z.number().int(),
});

export const eventsPageShape = z.object({
  total: z.number().int().meta({ description: 'events matching the filters, in all (whatever the cursor)' }),
  events: z.array(listedEventShape).meta({ description: 'this page, in seq order' }),
  next: z.number().int().nullable().meta({ description: "the next page's `after`; null on the last page" }),
});

const fileLagShape = z.object({
  path: z.string(),
  source_id: z.number().int(),
  offset: z.number().int(),
  size: z.number().int(),
  lag_bytes: z.number().int(),
});
same<z.infer<typeof fileLagShape>, FileLag>(true);

export const healthShape = z.object({
  ok: z.boolean(),
  store_open: z.boolean(),
  db: z.string(),
  version: z.string(),
  follow: z
    .array(fileLagShape)
    .meta({ description: 'each followed file and its lag (empty without --follow)' }),
});

export const addedRulesShape = z.object({
  added: z.array(z.string()),
  replaced: z.array(z.string()),
  rules: z.array(
    z.object({
      name: z.string(),
      kind: z.string(),
      condition: z.string(),
      spec: z.looseObject({}).meta({ description: 'the rule as stored' }),
    }),
  ),
});
same<Omit<z.infer<typeof addedRulesShape>, 'rules'>, AddResult>(true);

export const removedRulesShape = z.object({ removed: z.array(z.string()) });

type OptionalKeys<T> = { [K in keyof T]-?: object extends Pick<T, K> ? K : never }[keyof T];
type RequiredKeys<T> = Exclude<keyof T, OptionalKeys<T>>;
/** `L` when it lists exactly the keys `U`, else never (so that the call does not compile). */
type Exactly<L extends readonly PropertyKey[], U> = [Exclude<U, L[number]>] extends [never]
  ? [Exclude<L[number], U>] extends [never]
    ? L
    : never
  : never;

/**
 * An object schema naming the top-level members of T, each only as present: `required` must
 * list every member T always has and `optional` every other, or the call does not compile.
 */
export const members =
  <T>() =>
  <const R extends readonly string[], const O extends readonly string[] = []>(
    description: string,
    required: Exactly<R, RequiredKeys<T>>,
    optional?: Exactly<O, OptionalKeys<T>>,
  ): JsonSchema => ({
    type: 'object',
    description,
    required: [...required],
    properties: Object.fromEntries([...required, ...(optional ?? [])].map((k) => [k, {}])),
  });

export const schedulingShape = members<SchedulingResult>()('as `analyze scheduling --json` prints it', [
  'decisions',
  'latency_ms',
  'outcomes',
  'success_rate',
  'cheapest_choice_rate',
  'not_cheapest',
  'regret_usd_per_hour',
  'avg_cost_usd_per_hour',
  'window',
  'throughput_per_min',
  'throughput_per_hour',
  'group_by',
  'groups',
  'interval',
  'trend',
  'baseline',
  'change',
  'verdict',
  'verdict_basis',
  'gates',
  'basis',
]);

export const costShape = members<CostResult>()('as `analyze cost --json` prints it', [
  'window',
  'relocations',
  'waste',
  'reconfigurations',
  'energy_saved_kwh',
  'run_rate_usd_per_hour',
  'monthly_projection_usd',
  'interval',
  'trend',
  'policy_comparison',
  'basis',
]);

export const slaShape = members<SlaResult>()('as `analyze sla --json` prints it', [
  'source',
  'until',
  'until_basis',
  'slos',
  'breached',
  'burning',
  'basis',
]);

export const traceShape = members<TraceResult>()('as `trace --json` prints it', [
  'workload_id',
  'events',
  'placements',
  'relocations',
  'stays',
  'inefficiencies',
  'summary',
]);

export const alertsShape = members<AlertsResult>()(
  'as `alerts --json` prints it, without the resolved alerts',
  ['at', 'at_basis', 'from', 'from_basis', 'rules', 'alerts', 'counts', 'errors', 'basis'],
);

export const ruleShape = members<DescribedRule>()('a stored rule, as `alerts rules list --json` prints it', [
  'name',
  'kind',
  'spec',
  'origin',
  'created_at',
  'updated_at',
  'condition',
  'error',
]);

export const auditShape = members<AuditReport>()('as `report audit --format json` writes it', [
  'report',
  'format_version',
  'generated_at',
  'tool',
  'database',
  'scope',
  'completeness',
  'scheduling',
  'relocations',
  'reconfigurations',
  'policy_changes',
  'inefficiencies',
  'sla',
  'cost',
  'alerts',
  'timeline',
  'integrity',
]);
