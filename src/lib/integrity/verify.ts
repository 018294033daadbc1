/**
 * Verify the store: recompute every event's hash and the chain in seq order,
 * and re-derive the typed columns from `raw`. The first row that does not
 * match is named.
 */
import type { Store } from '../store/open.js';
import { GENESIS, ROW_HASH_SQL, nextChain } from './chain.js';
import { DERIVED_COLUMNS, deriveSelect } from '../store/derive.js';

export interface VerifyProblem {
  seq: number;
  event_id: string | null;
  reason: string;
}

export interface VerifyResult {
  ok: boolean;
  rows: number;
  head: { seq: number; chain: string };
  first_bad: VerifyProblem | null;
  checks: string[];
  seconds: number;
}

export async function verifyStore(store: Store): Promise<VerifyResult> {
  const started = performance.now();
  const checks = [
    'sequence numbers are 1..N without gaps or repeats',
    'sha256 chain over each row (seq, event_id, ts, event_type, source, line, tags, raw)',
    'typed columns equal their derivation from raw, id_hash equals hash(event_id)',
  ];
  let prev = GENESIS;
  let expected = 1;
  let rows = 0;
  let bad: VerifyProblem | null = null;
  const result = await store.conn.stream(
    `SELECT seq, event_id, ${ROW_HASH_SQL} AS h, chain FROM events ORDER BY seq`,
  );
  outer: for await (const chunk of result.yieldRowsJs()) {
    for (const r of chunk) {
      const seq = Number(r[0]);
      const id = String(r[1]);
      if (seq !== expected) {
        bad = {
          seq,
          event_id: id,
          reason:
            seq > expected
              ? `row ${expected}${seq - expected > 1 ? `..${seq - 1}` : ''} missing (deleted?) before seq ${seq}`
              : `seq ${seq} appears out of order or twice (expected ${expected})`,
        };
        break outer;
      }
      const chain = nextChain(prev, String(r[2]));
      if (chain !== r[3]) {
        bad = {
          seq,
          event_id: id,
          reason: `row content does not match its hash chain entry (changed, reordered or chain edited)`,
        };
        break outer;
      }
      prev = chain;
      expected++;
      rows++;
    }
  }
  if (!bad) {
    const cols = [...DERIVED_COLUMNS.map((c) => c.name), 'id_hash'];
    const diff = cols.map((c) => `e.${c} IS DISTINCT FROM d.${c}`).join(' OR ');
    const which = cols.map((c) => `CASE WHEN e.${c} IS DISTINCT FROM d.${c} THEN '${c}' END`).join(', ');
    const r = await store.conn.runAndReadAll(
      `WITH d AS (${deriveSelect('events', ['seq', 'hash(event_id) AS id_hash'])})
       SELECT e.seq, e.event_id, concat_ws(', ', ${which}) AS cols FROM events e JOIN d USING (seq) WHERE ${diff} ORDER BY e.seq LIMIT 1`,
    );
    const row = r.getRows()[0];
    if (row) {
      bad = {
        seq: Number(row[0]),
        event_id: String(row[1]),
        reason: `typed column(s) ${String(row[2])} differ from the raw event (edited behind the tool's back)`,
      };
    }
  }
  return {
    ok: bad === null,
    rows,
    head: { seq: expected - 1, chain: prev },
    first_bad: bad,
    checks,
    seconds: Math.round(performance.now() - started) / 1000,
  };
}
