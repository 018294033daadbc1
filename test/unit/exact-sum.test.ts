/**
 * Figures summed from DOUBLE columns must not depend on the order DuckDB's threads add rows in:
 * the same store gave other last digits in each run of `analyze scheduling --json` and
 * `report audit` (71 values differed between two runs on a 10M-event store).
 */
import { describe, expect, it } from 'vitest';
import { DuckDBInstance } from '@duckdb/node-api';
import { EXACT_SCALE, exactAvg, exactSum } from '../../src/lib/store/sql.js';

describe('exactSum / exactAvg', () => {
  it('give the same sum whatever the threads, equal to the integer sum of the rounded values', async () => {
    const inst = await DuckDBInstance.create(':memory:');
    const c = await inst.connect();
    try {
      // Amounts as logged (two decimals) and awkward ones, positive and negative, up to 1e12.
      await c.run(`CREATE TABLE t AS SELECT i, CASE i % 4
          WHEN 0 THEN round(random() * 1000, 2) WHEN 1 THEN random() * 1e12
          WHEN 2 THEN -random() * 37.123456789 ELSE 1 / (i + 1) END AS x
        FROM (SELECT setseed(0.42)) , range(400000) r(i)`);
      const values = (await c.runAndReadAll('SELECT x FROM t')).getRows().map((r) => Number(r[0]));
      const units = values.reduce((a, v) => a + BigInt(Math.round(v * EXACT_SCALE)), 0n);
      const expected = Number(units) / EXACT_SCALE;
      const plain = new Set<number>();
      for (const threads of [1, 2, 4, 8, 1, 4]) {
        await c.run(`SET threads = ${threads}`);
        const [s, a, p] = (await c.runAndReadAll(`SELECT ${exactSum('x')}, ${exactAvg('x')}, sum(x) FROM t`))
          .getRows()[0]!
          .map(Number);
        expect(s).toBe(expected);
        expect(a).toBe(expected / values.length);
        plain.add(p!);
      }
      // the failure this replaces: a plain DOUBLE sum of the same rows is not one number
      expect(plain.size).toBeGreaterThan(1);
      const [none, noneAvg, filtered] = (
        await c.runAndReadAll(
          `SELECT ${exactSum('x', 'i < 0')}, ${exactAvg('x', 'i < 0')}, ${exactSum('x', 'i < 4')} FROM t`,
        )
      ).getRows()[0]!;
      expect([none, noneAvg]).toEqual([null, null]);
      expect(Number(filtered)).toBe(
        Number(values.slice(0, 4).reduce((a, v) => a + BigInt(Math.round(v * EXACT_SCALE)), 0n)) /
          EXACT_SCALE,
      );
    } finally {
      c.closeSync();
      inst.closeSync();
    }
  }, 60_000);
});
