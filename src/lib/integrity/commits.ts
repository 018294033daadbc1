/**
 * Checking the commit log (table `commits`, written by store/commit-log.ts):
 * one record per write transaction, with the seq range and chain head it
 * ended at, the lines it accounted for and a digest of its rejects. `verify` checks the
 * events, rejects and sources against it: deleting the newest rows, editing
 * a reject or a source's counts contradicts what the commits recorded.
 *
 * Each reject's hash is kept in `reject_hashes` with the commit that wrote
 * it. Record #0 is the baseline: what the store held when it was upgraded
 * to schema 5 (nothing, for a store created since).
 */
import type { Store } from '../store/open.js';
import { microsToIso } from '../time.js';
import { COMMIT_DIGEST_SQL } from '../store/digests.js';
import { COUNTS, type Counts } from '../store/commit-log.js';
import { shortChain } from '../store/chain.js';
import type { VerifyProblem } from './verify.js';

export { COUNTS, type Counts };

export interface CommitRecord {
  id: number;
  committed_at: string;
  last_seq: number;
  head_chain: string;
}

/** The newest commit record, or null when the commit log is empty. */
export async function newestCommit(store: Store): Promise<CommitRecord | null> {
  const r = await store.conn.runAndReadAll(
    'SELECT id, epoch_us(committed_at), last_seq, head_chain FROM commits ORDER BY id DESC LIMIT 1',
  );
  const row = r.getRows()[0];
  if (!row) return null;
  return {
    id: Number(row[0]),
    committed_at: microsToIso(Number(row[1])),
    last_seq: Number(row[2]),
    head_chain: String(row[3]),
  };
}

export interface CommitLogSummary {
  /** Commit records after the baseline (#0). */
  commits: number;
  /** The baseline holds nothing: the log covers the store since it was created. */
  complete: boolean;
  /** The baseline (record #0): the store when it was upgraded to the commit log. */
  baseline: { seq: number; rejects: number; at: string } | null;
  basis: string;
}

export interface CommitLogCheck {
  summary: CommitLogSummary;
  /** Totals over every commit record. */
  totals: Counts;
  problem: VerifyProblem | null;
}

const problem = (reason: string, seq: number | null = null): VerifyProblem => ({
  check: 'commit log',
  seq,
  event_id: null,
  reason,
});

/**
 * Check the commit log: each record matches its digest; ids are 0..N; each
 * commit starts where the previous one ended and counts the rows of its
 * range; the row at each commit's last seq carries the chain it recorded;
 * no stored row is newer than the newest commit. (That the newest commit's
 * head is still stored is its anchor check: anchors.ts.)
 */
export async function checkCommitLog(store: Store, maxSeq: number): Promise<CommitLogCheck> {
  const totals: Counts = { lines: 0, stored: 0, rejected: 0, duplicates: 0, skipped: 0 };
  const result = await store.conn.stream(
    `SELECT c.id, epoch_us(c.committed_at) AS at, c.first_seq, c.last_seq, c.head_chain, ${COUNTS.map((k) => `c.${k}`).join(', ')},
            c.sealed, e.chain
     FROM (SELECT *, digest IS NOT DISTINCT FROM ${COMMIT_DIGEST_SQL} AS sealed FROM commits) AS c
     LEFT JOIN (SELECT seq, chain FROM events) AS e ON e.seq = c.last_seq
     ORDER BY c.id`,
  );
  let found: VerifyProblem | null = null;
  let prev: { id: number; last: number } | null = null;
  let baseline: CommitLogSummary['baseline'] = null;
  let baselineEmpty = true;
  let records = 0;
  for await (const chunk of result.yieldRowsJs()) {
    for (const r of chunk) {
      const [id, at, first, last] = [Number(r[0]), Number(r[1]), Number(r[2]), Number(r[3])];
      const head = String(r[4]);
      const counts = COUNTS.map((_, i) => Number(r[5 + i]));
      COUNTS.forEach((k, i) => (totals[k] += counts[i]!));
      const [sealed, stored] = [r[10] === true, r[11] === null ? null : String(r[11])];
      records++;
      if (id === 0) {
        baseline = { seq: last, rejects: counts[2]!, at: microsToIso(at) };
        baselineEmpty = counts.every((x) => x === 0);
      }
      if (!found) {
        const expectFirst = prev ? prev.last + 1 : 1;
        if (!sealed) found = problem(`commit record #${id} was edited (its fields do not match its digest)`);
        else if (!prev && id !== 0) found = problem(`commit record #0 (the baseline) is missing`);
        else if (prev && id !== prev.id + 1)
          found = problem(`commit record #${prev.id + 1} is missing (#${prev.id} is followed by #${id})`);
        else if (first !== expectFirst)
          found = problem(`commit record #${id} starts at seq ${first}, expected ${expectFirst}`);
        else if (counts[1] !== last - first + 1)
          found = problem(`commit record #${id} covers seq ${first}..${last} but counts ${counts[1]} events`);
        else if (last > 0 && last <= maxSeq && stored !== head)
          found = problem(
            stored === null
              ? `commit record #${id} ends at seq ${last}, which is not stored`
              : `commit record #${id} ends at seq ${last} with chain ${shortChain(head)}, the row there has ${shortChain(stored)}`,
            last,
          );
      }
      prev = { id, last };
    }
  }
  if (!found && !prev) found = problem('the commit log is empty: commit record #0 (the baseline) is missing');
  if (!found && prev && prev.last < maxSeq)
    found = problem(
      `rows ${prev.last + 1}..${maxSeq} are in no commit (added behind the tool's back?)`,
      prev.last + 1,
    );
  const complete = baseline !== null && baselineEmpty;
  return {
    totals,
    problem: found,
    summary: {
      commits: Math.max(0, records - (baseline ? 1 : 0)),
      complete,
      baseline,
      basis: complete
        ? 'the commit log covers every commit since the store was created'
        : baseline
          ? `the commit log starts at the upgrade to schema 5 (seq ${baseline.seq}, ${baseline.rejects} rejects, ${baseline.at}): what was stored before is checked as one baseline record`
          : 'the commit log has no baseline record',
    },
  };
}
