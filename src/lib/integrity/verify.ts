/**
 * Verify the store: recompute every event's hash and the chain in seq order,
 * re-derive the typed columns from `raw`, and cross-check everything else
 * the store knows against the rows: the commit log (commits.ts), each
 * reject's hash and its commit's digest, the sources' counts, the recorded
 * verifications, and the anchors (anchors.ts). Each check names the first
 * thing that does not match.
 */
import type { Store } from '../store/open.js';
import { EVENT_TYPES } from '../schema/columns.js';
import { COMMIT_CHAIN_FROM_KEY, GENESIS, ROW_HASH_SQL, ROW_HASH_V2_SQL, nextChain } from '../store/chain.js';
import { DERIVED_COLUMNS, deriveSelect } from '../store/derive.js';
import { COUNTS, checkCommitLog, type CommitLogSummary, type Counts } from './commits.js';
import { REJECTS_DIGEST_AGG, REJECT_HASH_SQL } from '../store/digests.js';
import { checkAnchors, type Anchor, type AnchorCheck } from './anchors.js';
import { checkVerifications } from './verifications.js';

export interface VerifyProblem {
  /** The check that failed: sequence, chain, typed columns, commit log, rejects, sources, verifications, anchor. */
  check: string;
  /** The first row concerned, when it is about a row. */
  seq: number | null;
  event_id: string | null;
  reason: string;
}

export interface VerifyResult {
  ok: boolean;
  /** Rows whose chain was recomputed. */
  rows: number;
  /** The chain head reached (the last good row when the chain breaks). */
  head: { seq: number; chain: string };
  /** The first problem (of `problems`). */
  first_bad: VerifyProblem | null;
  /** What was checked. */
  checks: string[];
  seconds: number;
  /** The first problem of each check that failed, in the order of `checks`. */
  problems: VerifyProblem[];
  /** The anchors checked: the store's newest commit and verification records, then --anchor values. */
  anchors: AnchorCheck[];
  commit_log: CommitLogSummary;
}

export interface VerifyOptions {
  /** External anchors (--anchor). */
  anchors?: readonly Anchor[];
  /** Called as rows are checked (every chunk of the chain walk) and as each further check starts. */
  onProgress?: (p: VerifyProgress) => void;
}

export interface VerifyProgress {
  /** The check running: chain, typed columns, commit log, ... */
  check: string;
  /** Rows whose chain has been recomputed. */
  rows: number;
  /** Rows in the store (its newest seq). */
  total: number;
}

/** The first seq chained per commit (chain.ts); rows before it are chained row by row. */
export async function commitChainFrom(store: Store): Promise<number> {
  const r = await store.conn.runAndReadAll(`SELECT value FROM meta WHERE key = '${COMMIT_CHAIN_FROM_KEY}'`);
  const v = Number(r.getRows()[0]?.[0] ?? 1);
  return Number.isSafeInteger(v) && v >= 1 ? v : 1;
}

/**
 * Walk the rows in seq order: the first gap or repeat, and for rows chained row by row (before
 * `from`), the first hash mismatch; the rows from `from` on are checked per commit by
 * `checkCommitChain`.
 */
async function walkChain(
  store: Store,
  from: number,
  onRows: (rows: number) => void = () => undefined,
): Promise<{ rows: number; head: { seq: number; chain: string }; problem: VerifyProblem | null }> {
  let prev = GENESIS;
  let expected = 1;
  let problem: VerifyProblem | null = null;
  const result = await store.conn.stream(
    `SELECT seq, event_id, CASE WHEN seq < ${from} THEN ${ROW_HASH_SQL} END AS h, chain FROM events ORDER BY seq`,
  );
  outer: for await (const chunk of result.yieldRowsJs()) {
    for (const r of chunk) {
      const seq = Number(r[0]);
      const id = String(r[1]);
      if (seq !== expected) {
        problem = {
          check: 'sequence',
          seq,
          event_id: id,
          reason:
            seq > expected
              ? `row ${expected}${seq - expected > 1 ? `..${seq - 1}` : ''} missing (deleted?) before seq ${seq}`
              : `seq ${seq} appears out of order or twice (expected ${expected})`,
        };
        break outer;
      }
      const chain = seq < from ? nextChain(prev, String(r[2])) : String(r[3]);
      if (chain !== r[3]) {
        problem = {
          check: 'chain',
          seq,
          event_id: id,
          reason: `row content does not match its hash chain entry (changed, reordered or chain edited)`,
        };
        break outer;
      }
      prev = chain;
      expected++;
    }
    onRows(expected - 1);
  }
  return { rows: expected - 1, head: { seq: expected - 1, chain: prev }, problem };
}

/**
 * The rows from `from` on, per commit (chain.ts): each row's chain value is recomputed from its
 * content and the head before its commit, the last row's from the digest of all the commit's
 * row hashes. The first row that does not match (rows no commit record covers are the commit
 * log's check).
 */
async function checkCommitChain(store: Store, from: number): Promise<VerifyProblem | null> {
  const r = await store.conn.runAndReadAll(
    `WITH c AS (SELECT DISTINCT first_seq, last_seq FROM commits WHERE last_seq >= first_seq AND first_seq >= ${from}),
       r AS (SELECT e.seq, e.event_id, e.chain, ${ROW_HASH_V2_SQL.replace(/\b(event_id|ts|event_type|source_id|line|tags|raw)\b/g, 'e.$1')} AS row_hash,
                    c.first_seq, c.last_seq
             FROM events e LEFT JOIN c ON e.seq BETWEEN c.first_seq AND c.last_seq WHERE e.seq >= ${from}),
       d AS (SELECT first_seq, sha256(string_agg(row_hash, '' ORDER BY seq)) AS digest FROM r
             WHERE first_seq IS NOT NULL GROUP BY first_seq),
       x AS (SELECT r.*, d.digest, coalesce(p.chain, '${GENESIS}') AS prev FROM r
             LEFT JOIN d USING (first_seq) LEFT JOIN events p ON p.seq = r.first_seq - 1)
     SELECT seq, event_id, seq = last_seq AND first_seq < last_seq AS is_head, first_seq, last_seq FROM x
     WHERE first_seq IS NOT NULL AND chain IS DISTINCT FROM
       CASE WHEN seq = last_seq THEN sha256(prev || digest) ELSE sha256(concat(prev, seq::VARCHAR, chr(31), row_hash)) END
     ORDER BY seq LIMIT 1`,
  );
  const row = r.getRows()[0];
  if (!row) return null;
  return {
    check: 'chain',
    seq: Number(row[0]),
    event_id: String(row[1]),
    reason:
      row[2] === true
        ? `the head of the commit of seq ${Number(row[3])}..${Number(row[4])} (this row's chain) does not match the digest of the commit's rows: this row, or another row of the commit with its chain value recomputed, was changed`
        : 'row content does not match its hash chain entry (changed, reordered or chain edited)',
  };
}

/** The first row whose typed columns, `known` or id_hash differ from their derivation. */
async function checkTypedColumns(store: Store): Promise<VerifyProblem | null> {
  const cols = [...DERIVED_COLUMNS.map((c) => c.name), 'known', 'id_hash'];
  const diff = cols.map((c) => `e.${c} IS DISTINCT FROM d.${c}`).join(' OR ');
  const which = cols.map((c) => `CASE WHEN e.${c} IS DISTINCT FROM d.${c} THEN '${c}' END`).join(', ');
  const known = `event_type IN (${EVENT_TYPES.map((t) => `'${t}'`).join(', ')}) AS known`;
  const r = await store.conn.runAndReadAll(
    `WITH d AS (${deriveSelect('events', ['seq', 'hash(event_id) AS id_hash', known])})
     SELECT e.seq, e.event_id, concat_ws(', ', ${which}) AS cols FROM events e JOIN d USING (seq) WHERE ${diff} ORDER BY e.seq LIMIT 1`,
  );
  const row = r.getRows()[0];
  if (!row) return null;
  return {
    check: 'typed columns',
    seq: Number(row[0]),
    event_id: String(row[1]),
    reason: `typed column(s) ${String(row[2])} differ from the raw event (edited behind the tool's back)`,
  };
}

/** One line: the check, the row when it is about one, and the reason. */
export function describeProblem(p: VerifyProblem): string {
  const row =
    p.seq !== null && p.event_id !== null ? `first bad row seq ${p.seq} (event ${p.event_id}): ` : '';
  return `${p.check}: ${row}${p.reason}`;
}

const ANCHOR_CHECK = { commit: 'commit log', verification: 'verifications', external: 'anchor' } as const;

/** A failed anchor as a problem of its check; a missing row names the first row deleted after `maxSeq`. */
export function anchorProblem(a: AnchorCheck, maxSeq: number): VerifyProblem {
  return {
    check: ANCHOR_CHECK[a.kind],
    seq: a.status === 'missing' ? maxSeq + 1 : a.seq,
    event_id: null,
    reason: `${a.source} (seq ${a.seq}): ${a.reason}`,
  };
}

const problem = (check: string, reason: string): VerifyProblem => ({
  check,
  seq: null,
  event_id: null,
  reason,
});

/**
 * Each reject matches the hash written with it (none added, none deleted);
 * each commit's reject hashes match its count and digest.
 */
async function checkRejects(store: Store): Promise<VerifyProblem | null> {
  const one = async (sql: string) => (await store.conn.runAndReadAll(sql)).getRows()[0];
  const bad = await one(
    `SELECT * FROM (
       SELECT coalesce(r.source_id, h.source_id) AS sid, coalesce(r.line, h.line) AS line,
              coalesce(r.path, s.path, 'source ' || coalesce(r.source_id, h.source_id)) AS path, h.commit_id,
              CASE WHEN h.source_id IS NULL THEN 'added' WHEN r.source_id IS NULL THEN 'deleted'
                   WHEN r.hash <> h.hash THEN 'edited' END AS what
       FROM (SELECT source_id, line, path, ${REJECT_HASH_SQL} AS hash FROM rejects) AS r
       FULL JOIN reject_hashes h ON h.source_id = r.source_id AND h.line = r.line
       LEFT JOIN sources s ON s.id = coalesce(r.source_id, h.source_id))
     WHERE what IS NOT NULL ORDER BY sid, line LIMIT 1`,
  );
  if (bad) {
    const of = `the reject of ${String(bad[2])} line ${Number(bad[1])}`;
    return problem(
      'rejects',
      bad[4] === 'added'
        ? `${of} is in no commit (added behind the tool's back?)`
        : bad[4] === 'deleted'
          ? `${of}, written by commit #${Number(bad[3])}, is missing (deleted, or its source or line edited?)`
          : `${of} was edited (it does not match its hash)`,
    );
  }
  const c = await one(
    `SELECT coalesce(c.id, g.commit_id), c.id IS NULL, c.rejected, coalesce(g.n, 0)
     FROM commits c FULL JOIN (SELECT commit_id, count(*) AS n, ${REJECTS_DIGEST_AGG} AS d FROM reject_hashes GROUP BY ALL) AS g
       ON g.commit_id = c.id
     WHERE c.id IS NULL OR c.rejected <> coalesce(g.n, 0) OR c.rejects_digest <> coalesce(g.d, sha256(''))
     ORDER BY 1 LIMIT 1`,
  );
  if (!c) return null;
  const [id, orphan, wrote, held] = [Number(c[0]), c[1] === true, Number(c[2]), Number(c[3])];
  if (orphan) return problem('rejects', `reject hashes name commit #${id}, which is not in the commit log`);
  if (wrote !== held)
    return problem(
      'rejects',
      `commit record #${id} wrote ${wrote} reject${wrote === 1 ? '' : 's'}, the reject hashes hold ${held} (${held < wrote ? 'deleted' : 'added'}?)`,
    );
  return problem('rejects', `the reject hashes of commit #${id} do not match the commit's digest (edited?)`);
}

/** Per source: events = stored, rejects = rejected, lines add up; and the totals equal the commit log's. */
async function checkSources(store: Store, commits: Counts): Promise<VerifyProblem | null> {
  const r = await store.conn.runAndReadAll(
    `WITH e AS (SELECT source_id AS id, count(*) AS n FROM events GROUP BY ALL),
          r AS (SELECT source_id AS id, count(*) AS n FROM rejects GROUP BY ALL),
          k AS (SELECT id FROM sources UNION SELECT id FROM e UNION SELECT id FROM r)
     SELECT k.id, s.id IS NULL, s.path, s.lines, s.stored, s.rejected, s.duplicates + s.skipped,
            coalesce(e.n, 0), coalesce(r.n, 0)
     FROM k LEFT JOIN sources s ON s.id = k.id LEFT JOIN e ON e.id = k.id LEFT JOIN r ON r.id = k.id
     WHERE s.id IS NULL OR s.stored <> coalesce(e.n, 0) OR s.rejected <> coalesce(r.n, 0)
        OR s.lines <> s.stored + s.rejected + s.duplicates + s.skipped
     ORDER BY k.id LIMIT 1`,
  );
  const row = r.getRows()[0];
  if (row) {
    const [id, missing, path] = [Number(row[0]), row[1] === true, String(row[2])];
    const [lines, stored, rejected, rest, events, rejects] = row.slice(3).map(Number) as number[];
    const src = `source ${id} (${path})`;
    if (missing)
      return problem(
        'sources',
        `source ${id} is not in sources, yet ${events} events and ${rejects} rejects name it (source deleted?)`,
      );
    if (stored !== events)
      return problem('sources', `${src}: sources.stored is ${stored} but ${events} of its events are stored`);
    if (rejected !== rejects)
      return problem(
        'sources',
        `${src}: sources.rejected is ${rejected} but the rejects table holds ${rejects} of its rejects`,
      );
    return problem(
      'sources',
      `${src}: lines ${lines} != stored + rejected + duplicates + skipped (${stored! + rejected! + rest!})`,
    );
  }
  const t = await store.conn.runAndReadAll(
    `SELECT ${COUNTS.map((k) => `coalesce(sum(${k}), 0)`).join(', ')} FROM sources`,
  );
  const sums = t.getRows()[0]!.map(Number);
  for (const [i, k] of COUNTS.entries())
    if (sums[i] !== commits[k])
      return problem(
        'sources',
        `the sources add up to ${sums[i]} ${k}, the commit log to ${commits[k]} (sources edited?)`,
      );
  return null;
}

const CHECKS = [
  'sequence numbers are 1..N without gaps or repeats',
  'sha256 chain over each row (seq, event_id, ts, event_type, source, line, tags, raw), bound to the head before its commit; each commit head over the digest of its rows',
  'typed columns equal their derivation from raw, known its event type, id_hash equals hash(event_id)',
  "commit log: each record matches its digest; ids and seq ranges follow on; the row at each commit's last seq carries its chain; the newest commit's head is stored (no newest rows deleted) and no row is newer",
  "rejects: each matches the hash written with it by its commit (none added or deleted); each commit's reject hashes match its count and digest",
  'sources: per source, events = stored, rejects = rejected, lines = stored + rejected + duplicates + skipped; their totals equal the commit log totals',
  'verifications: each record matches the digest verify wrote with it (none added or deleted), ids are 1..N, each verified head is still in the chain',
];

export async function verifyStore(store: Store, opts: VerifyOptions = {}): Promise<VerifyResult> {
  const started = performance.now();
  const maxSeq = Number(
    (await store.conn.runAndReadAll('SELECT coalesce(max(seq), 0) FROM events')).getRows()[0]![0],
  );
  const progress = (check: string, rows: number) => opts.onProgress?.({ check, rows, total: maxSeq });
  progress('chain', 0);
  const from = await commitChainFrom(store);
  const walk = await walkChain(store, from, (rows) => progress('chain', rows));
  if (!walk.problem) {
    const bad = await checkCommitChain(store, from);
    if (bad) {
      walk.problem = bad;
      const before = await store.conn.runAndReadAll(
        'SELECT seq, chain FROM events WHERE seq < $1 ORDER BY seq DESC LIMIT 1',
        [bad.seq!],
      );
      const b = before.getRows()[0];
      walk.head = b ? { seq: Number(b[0]), chain: String(b[1]) } : { seq: 0, chain: GENESIS };
      walk.rows = walk.head.seq;
    }
  }
  const step = <T>(check: string, run: () => Promise<T>): Promise<T> => {
    progress(check, walk.rows);
    return run();
  };
  const anchors = await step('anchors', () => checkAnchors(store, opts.anchors));
  const failed = (kind: AnchorCheck['kind']): VerifyProblem[] =>
    anchors.filter((a) => a.kind === kind && !a.ok).map((a) => anchorProblem(a, maxSeq));
  const log = await step('commit log', () => checkCommitLog(store, maxSeq));
  const problems = [
    walk.problem,
    await step('typed columns', () => checkTypedColumns(store)),
    log.problem,
    ...failed('commit'),
    await step('rejects', () => checkRejects(store)),
    await step('sources', () => checkSources(store, log.totals)),
    await step('verifications', () => checkVerifications(store, maxSeq)),
    ...failed('verification'),
    ...failed('external'),
  ].filter((p): p is VerifyProblem => p !== null);
  const ext = opts.anchors?.length ?? 0;
  return {
    ok: problems.length === 0,
    rows: walk.rows,
    head: walk.head,
    first_bad: problems[0] ?? null,
    checks: [
      ...CHECKS,
      log.summary.basis,
      ...(ext
        ? [`external anchors (--anchor, ${ext}): the row at each anchor's seq is stored with its chain`]
        : []),
    ],
    seconds: Math.round(performance.now() - started) / 1000,
    problems,
    anchors,
    commit_log: log.summary,
  };
}
