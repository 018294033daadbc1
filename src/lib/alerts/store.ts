/** Alert rules kept in the database (table `alert_rules`, schema version 2). */
import type { Store } from '../store/open.js';
import { queryRows, str } from '../store/sql.js';
import { NotFoundError, UsageError } from '../errors.js';
import { microsToIso } from '../time.js';
import { listed } from '../specfile.js';
import { excerpt } from '../text.js';
import type { SloSet } from '../analyze/sla.js';
import { compileRule, type Rule, type RuleError, type RuleInput } from './rules.js';

export interface StoredRule {
  name: string;
  kind: string;
  spec: RuleInput;
  origin: string | null;
  created_at: string;
  updated_at: string;
}

export async function listStoredRules(store: Store): Promise<StoredRule[]> {
  const rows = await queryRows(
    store,
    'SELECT name, kind, spec, origin, epoch_us(created_at) AS c, epoch_us(updated_at) AS u FROM alert_rules ORDER BY name',
  );
  return rows.map((o) => ({
    name: String(o.name),
    kind: String(o.kind),
    spec: JSON.parse(String(o.spec)) as RuleInput,
    origin: str(o.origin),
    created_at: microsToIso(Number(o.c)),
    updated_at: microsToIso(Number(o.u)),
  }));
}

/** Compile the stored rules; a rule that no longer validates (e.g. its SLO is gone) becomes an error, not a crash. */
export async function loadStoredRules(
  store: Store,
  slos?: SloSet,
): Promise<{ rules: Rule[]; errors: RuleError[] }> {
  const rules: Rule[] = [];
  const errors: RuleError[] = [];
  for (const s of await listStoredRules(store)) {
    try {
      rules.push(compileRule(s.spec, slos, 'stored rule'));
    } catch (e) {
      if (!(e instanceof UsageError)) throw e;
      errors.push({ rule: s.name, reason: e.message });
    }
  }
  return { rules, errors };
}

export interface AddResult {
  added: string[];
  replaced: string[];
}

/** Insert rules in one transaction; existing names are refused unless `replace`. */
export async function addRules(
  store: Store,
  rules: Rule[],
  origin: string,
  replace = false,
): Promise<AddResult> {
  const existing = new Set((await listStoredRules(store)).map((r) => r.name));
  const clash = rules.filter((r) => existing.has(r.name)).map((r) => r.name);
  if (clash.length && !replace)
    throw new UsageError(
      `rule${clash.length > 1 ? 's' : ''} ${listed(clash.map((n) => excerpt(n))).join(', ')} already exist${clash.length > 1 ? '' : 's'}; use --replace to overwrite, or \`alerts rules remove\``,
    );
  const { conn } = store;
  await conn.run('BEGIN TRANSACTION');
  try {
    for (const r of rules) {
      if (existing.has(r.name)) {
        await conn.run(
          'UPDATE alert_rules SET kind = $2, spec = $3, origin = $4, updated_at = now()::TIMESTAMP WHERE name = $1',
          [r.name, r.kind, JSON.stringify(r.spec), origin],
        );
      } else {
        await conn.run(
          'INSERT INTO alert_rules VALUES ($1, $2, $3, $4, now()::TIMESTAMP, now()::TIMESTAMP)',
          [r.name, r.kind, JSON.stringify(r.spec), origin],
        );
      }
    }
    await conn.run('COMMIT');
  } catch (e) {
    await conn.run('ROLLBACK').catch(() => undefined); // a failed COMMIT ended it: keep its error
    throw e;
  }
  return { added: rules.filter((r) => !existing.has(r.name)).map((r) => r.name), replaced: clash };
}

/** Remove rules by name; unknown names are refused (nothing removed). */
export async function removeRules(store: Store, names: string[]): Promise<string[]> {
  const existing = new Set((await listStoredRules(store)).map((r) => r.name));
  const missing = names.filter((n) => !existing.has(n));
  if (missing.length)
    throw new NotFoundError(
      `no alert rule named ${missing.map((n) => `"${n}"`).join(', ')}${existing.size ? ` (rules: ${[...existing].join(', ')})` : ' (no rules stored)'}`,
    );
  const { conn } = store;
  await conn.run('BEGIN TRANSACTION');
  try {
    for (const n of names) await conn.run('DELETE FROM alert_rules WHERE name = $1', [n]);
    await conn.run('COMMIT');
  } catch (e) {
    await conn.run('ROLLBACK').catch(() => undefined); // a failed COMMIT ended it: keep its error
    throw e;
  }
  return names;
}
