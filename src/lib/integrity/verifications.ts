/**
 * Records of `verify` runs (table `verifications`), so an audit report over
 * a large store can cite the latest full verification instead of re-hashing
 * every row inside its time budget.
 */
import type { Store } from '../store/open.js';
import { microsToIso } from '../time.js';
import { HEAD_ROW, shortChain } from '../store/chain.js';
import { VERIFICATION_COLUMNS, VERIFICATION_DIGEST_SQL } from '../store/digests.js';
import type { VerifyProblem, VerifyResult } from './verify.js';

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

/**
 * Record a verify run, and its digest in `verification_hashes`, so that
 * editing, deleting or adding a record behind the tool's back shows.
 */
export async function recordVerification(
  store: Store,
  res: VerifyResult,
  toolVersion?: string,
): Promise<number> {
  const { conn } = store;
  await conn.run('BEGIN TRANSACTION');
  try {
    const r = await conn.runAndReadAll('SELECT coalesce(max(id), 0) + 1 FROM verifications');
    const id = Number(r.getRows()[0]![0]);
    await conn.run(
      `INSERT INTO verifications (${VERIFICATION_COLUMNS.join(', ')})
       VALUES ($1, now()::TIMESTAMP, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11)`,
      [
        id,
        res.ok,
        res.rows,
        res.head.seq,
        res.head.chain,
        res.first_bad?.seq ?? null,
        res.first_bad?.event_id ?? null,
        res.first_bad ? `${res.first_bad.check}: ${res.first_bad.reason}` : null,
        JSON.stringify(res.checks),
        res.seconds,
        toolVersion ?? null,
      ] as never,
    );
    await conn.run(
      `INSERT INTO verification_hashes SELECT id, ${VERIFICATION_DIGEST_SQL} FROM verifications WHERE id = $1`,
      [id],
    );
    await conn.run('COMMIT');
    return id;
  } catch (e) {
    await conn.run('ROLLBACK').catch(() => undefined);
    throw e;
  }
}

const problem = (reason: string): VerifyProblem => ({
  check: 'verifications',
  seq: null,
  event_id: null,
  reason,
});

/**
 * Check the verification records: each matches the digest written with it
 * (none added or deleted), ids are 1..N, and the head each older record
 * verified is still in the chain (the newest one's head is its anchor
 * check: anchors.ts).
 */
export async function checkVerifications(store: Store, maxSeq: number): Promise<VerifyProblem | null> {
  const r = await store.conn.runAndReadAll(
    `SELECT coalesce(v.id, h.id) AS id, v.id IS NULL, h.id IS NULL, h.digest IS DISTINCT FROM v.digest,
            v.head_seq, v.head_chain, e.chain
     FROM (SELECT *, ${VERIFICATION_DIGEST_SQL} AS digest FROM verifications) AS v
     FULL JOIN verification_hashes h ON h.id = v.id
     LEFT JOIN (SELECT seq, chain FROM events) AS e ON e.seq = v.head_seq
     ORDER BY 1`,
  );
  const rows = r.getRows().map((x) => ({
    id: Number(x[0]),
    deleted: x[1] === true,
    added: x[2] === true,
    edited: x[3] === true,
    seq: Number(x[4]),
    chain: String(x[5]),
    stored: x[6] === null ? null : String(x[6]),
  }));
  for (const [i, v] of rows.entries()) {
    if (v.deleted) return problem(`verification record #${v.id} is missing (deleted?)`);
    if (v.added)
      return problem(
        `verification record #${v.id} was not written by verify (added behind the tool's back?)`,
      );
    if (v.edited)
      return problem(`verification record #${v.id} was edited (its fields do not match its digest)`);
    if (i && rows[i - 1]!.id === v.id) return problem(`verification record #${v.id} appears twice (added?)`);
    if (v.id !== i + 1)
      return problem(
        `verification record #${i + 1} is missing (${i ? `#${rows[i - 1]!.id} is followed by` : 'the first is'} #${v.id})`,
      );
  }
  for (const v of rows.slice(0, -1)) {
    if (v.seq === 0) continue;
    if (v.stored === null)
      return problem(
        `verification record #${v.id} verified seq ${v.seq}, which is not stored (the newest row is seq ${maxSeq}): rows deleted`,
      );
    if (v.stored !== v.chain)
      return problem(
        `verification record #${v.id} verified seq ${v.seq} with chain ${shortChain(v.chain)}, the row there has ${shortChain(v.stored)}`,
      );
  }
  return null;
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
