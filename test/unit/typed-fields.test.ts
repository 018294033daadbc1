/**
 * One description per event type: the typed fields each schema module
 * declares are what the store derives, what alert rules can test, and what
 * validation checks; nothing is listed twice by hand.
 */
import { describe, expect, it } from 'vitest';
import { EVENT_TYPES, TYPED_FIELDS, valueAt } from '../../src/lib/schema/columns.js';
import { DERIVED_COLUMNS } from '../../src/lib/store/derive.js';
import { FIELDS } from '../../src/lib/alerts/fields.js';

const SQL_TYPE = {
  text: 'VARCHAR',
  lower: 'VARCHAR',
  outcome: 'VARCHAR',
  double: 'DOUBLE',
  percent: 'DOUBLE',
  quantity: 'DOUBLE',
  int: 'BIGINT',
  bool: 'BOOLEAN',
} as const;

describe('typed fields', () => {
  it('every declared field is a derived column of the matching SQL type', () => {
    const cols = new Map(DERIVED_COLUMNS.map((c) => [c.name, c.type]));
    for (const t of EVENT_TYPES)
      for (const [name, f] of Object.entries(TYPED_FIELDS[t].columns)) {
        if (f.cast === 'json') continue; // alternatives: its own derived columns
        expect(cols.get(name), `${t}.${name}`).toBe(SQL_TYPE[f.cast]);
      }
  });
  it('every derived column comes from a declared field (or the alternatives, or the generic columns)', () => {
    const declared = new Set(EVENT_TYPES.flatMap((t) => Object.keys(TYPED_FIELDS[t].columns)));
    for (const c of DERIVED_COLUMNS)
      expect(declared.has(c.name) || c.name.startsWith('alt_'), c.name).toBe(true);
  });
  it('alert rules can test every declared field, on the event types that declare it', () => {
    const byCol = new Map(FIELDS.map((f) => [f.column, f]));
    for (const t of EVENT_TYPES)
      for (const [name, f] of Object.entries(TYPED_FIELDS[t].columns)) {
        if (f.cast === 'json') continue;
        const def = byCol.get(name)!;
        expect(def, name).toBeDefined();
        if (def.types.length) expect(def.types, name).toContain(t);
      }
  });
  it("the nested shape's probe is a path of that shape's own fields", () => {
    for (const t of EVENT_TYPES) {
      const f = TYPED_FIELDS[t];
      if (!f.nestedProbe) continue;
      expect(
        Object.values(f.columns).some((c) => c.nested === f.nestedProbe),
        t,
      ).toBe(true);
    }
    expect(valueAt({ a: { b: 1 } }, '$.a.b')).toBe(1);
    expect(valueAt({ a: [1] }, '$.a.b')).toBeUndefined();
  });
});
