/**
 * Records of `verify` runs (table `verifications`), so an audit report over
 * a large store can cite the latest full verification instead of re-hashing
 * every row inside its time budget.
 */
import type { Store } from '../store/open.js';
import { microsToIso } from '../time.js';
import { HEAD_ROW } from './chain.js';
import type { VerifyResult } from './verify.js';

export interface VerificationRecord {
  id: number;
  verified_at: string;
  ok: boolean;
  rows: number;
  head_seq: number;
  head_chain: string;
  first_bad_seq: number | null;
  first_bad_event_id: string | null;
  reason: string | null;
  checks: string[];
  seconds: number;
  tool_version: string | null;
}

export async function recordVerification(
  store: Store,
  res: VerifyResult,
  toolVersion?: string,
): Promise<number> {
  const r = await store.conn.runAndReadAll('SELECT coalesce(max(id), 0) + 1 FROM verifications');
  const id = Number(r.getRows()[0]![0]);
  await store.conn.run(
    `INSERT INTO verifications VALUES ($1, now()::TIMESTAMP, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11)`,
    [
      id,
      res.ok,
      res.rows,
      res.head.seq,
      res.head.chain,
      res.first_bad?.seq ?? null,
      res.first_bad?.event_id ?? null,
      res.first_bad?.reason ?? null,
      JSON.stringify(res.checks),
      res.seconds,
      toolVersion ?? null,
    ] as never,
  );
  return id;
}

export async function latestVerification(store: Store): Promise<VerificationRecord | null> {
  const r = await store.conn.runAndReadAll(
    `SELECT id, epoch_us(verified_at) AS at, ok, rows_checked, head_seq, head_chain, first_bad_seq, first_bad_event_id,
            reason, checks, seconds, tool_version
     FROM verifications ORDER BY id DESC LIMIT 1`,
  );
  const o = r.getRowObjectsJS()[0];
  if (!o) return null;
  return {
    id: Number(o.id),
    verified_at: microsToIso(Number(o.at)),
    ok: Boolean(o.ok),
    rows: Number(o.rows_checked),
    head_seq: Number(o.head_seq),
    head_chain: String(o.head_chain),
    first_bad_seq: o.first_bad_seq === null ? null : Number(o.first_bad_seq),
    first_bad_event_id: o.first_bad_event_id === null ? null : String(o.first_bad_event_id),
    reason: o.reason === null ? null : String(o.reason),
    checks: JSON.parse(String(o.checks)) as string[],
    seconds: Number(o.seconds),
    tool_version: o.tool_version === null ? null : String(o.tool_version),
  };
}

/** The newest row of the chain: what a report cites. */
export async function chainHead(store: Store): Promise<{ seq: number; chain: string; events: number }> {
  const r = await store.conn.runAndReadAll(
    `SELECT (SELECT count(*) FROM events) AS n, seq, chain FROM events WHERE ${HEAD_ROW}`,
  );
  const o = r.getRowObjectsJS()[0];
  if (!o) return { seq: 0, chain: '0'.repeat(64), events: 0 };
  return { seq: Number(o.seq), chain: String(o.chain), events: Number(o.n) };
}
