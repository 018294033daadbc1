/** Policy changes: every policy_change event in the scope, who, what, before and after, field by field. */
import type { Store } from '../../store/open.js';
import { numOrZero, queryRows, str } from '../../store/sql.js';
import { buildWhere } from '../../query/filters.js';
import { microsToIso } from '../../time.js';
import { int, type Section } from '../blocks.js';
import type { AuditContext, AuditReport, ReportSection } from '../types.js';

/** One field of a policy that differs between before and after (null: not logged on that side). */
export interface PolicyFieldChange {
  /** Dotted path of the field in the policy object. */
  field: string;
  before: string | null;
  after: string | null;
}

export interface PolicyChangesPart {
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

async function compute(store: Store, { filter, limit }: AuditContext): Promise<PolicyChangesPart> {
  const lw = buildWhere(filter, '', 2);
  const policyLimit = Math.max(limit, 1000);
  const policies = await queryRows(
    store,
    `SELECT epoch_us(ts) AS t, seq, policy_id, policy_name, policy_version, action, actor, reason, previous_policy,
            json_extract(raw, '$.policy')::VARCHAR AS after_policy, count(*) OVER () AS total
     FROM events WHERE event_type = $1 AND ${lw.sql} ORDER BY ts, seq LIMIT ${policyLimit}`,
    ['policy_change', ...lw.params],
  );
  const total = policies.length ? numOrZero(policies[0]!.total) : 0;
  return {
    count: total,
    list: policies.map((r) => ({
      ts: microsToIso(numOrZero(r.t)),
      seq: numOrZero(r.seq),
      policy_id: str(r.policy_id),
      name: str(r.policy_name),
      version: str(r.policy_version),
      action: str(r.action),
      actor: str(r.actor),
      reason: str(r.reason),
      previous: str(r.previous_policy),
      after: str(r.after_policy),
      changes: policyChanges(str(r.previous_policy), str(r.after_policy)),
    })),
    basis: `every policy_change event in the scope in time order${total > policyLimit ? ` (first ${policyLimit} listed)` : ''}: who = actor, what = policy id/name/version and action, before = previous, after = the policy as logged; changes = the fields whose values differ (nested fields by their dotted path; – = not logged on that side)`,
  };
}

/** A policy as logged (JSON text) as `field: value` lines. */
const fieldLines = (json: string | null, none: string): string[] | string => {
  const f = policyFields(json);
  return f.length ? f.map(([k, v]) => `${k}: ${v}`) : none;
};

function render(r: AuditReport): Section {
  const pc = r.policy_changes;
  return {
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
  };
}

export const policies: ReportSection<'policy_changes'> = {
  key: 'policy_changes',
  name: 'policies',
  compute,
  render,
};
