/**
 * Integrity: the hash-chain head, a verification of the chain (run for the report, or the latest
 * recorded one), the anchors checked, and the signature the report will carry.
 */
import type { Store } from '../../store/open.js';
import { queryValue } from '../../store/sql.js';
import { anchorProblem, describeProblem, verifyStore, type VerifyProblem } from '../../integrity/verify.js';
import { chainHead, latestVerification, type VerificationRecord } from '../../integrity/verifications.js';
import { checkAnchors, type AnchorCheck } from '../../integrity/anchors.js';
import { int, num, type Section } from '../blocks.js';
import {
  AUTO_VERIFY_MAX_ROWS,
  type AuditContext,
  type AuditOptions,
  type AuditReport,
  type ReportSection,
} from '../types.js';

export type ChainHead = Awaited<ReturnType<typeof chainHead>>;

export interface Verification {
  /** `run`: verified for this report; `recorded`: the latest `kcloud-log verify` run; `none`: never verified. */
  mode: 'run' | 'recorded' | 'none';
  ok: boolean | null;
  verified_at: string | null;
  rows: number | null;
  head_seq: number | null;
  head_chain: string | null;
  /** Whether the verification reached the current chain head. */
  covers_head: boolean | null;
  /** Events stored after the verified head. */
  events_after: number | null;
  /** Recorded verifications: whether the row at the verified head still carries the verified chain value. */
  verified_head_unchanged: boolean | null;
  first_bad: VerifyProblem | null;
  checks: string[];
  seconds: number | null;
  /** The anchors checked, whichever the mode: the newest commit record, the newest recorded verification, --anchor values. */
  anchors: AnchorCheck[];
  anchors_basis: string;
  basis: string;
}

export interface IntegrityPart {
  chain_head: { seq: number; chain: string };
  events_in_store: number;
  verification: Verification;
  signature: { algorithm: 'Ed25519'; key_id: string; covers: string } | null;
  basis: string;
}

export const ANCHORS_BASIS =
  "each anchor is a chain head (seq and chain value) recorded earlier: the store's newest commit record (written with every commit), its newest recorded verification, and --anchor values kept outside the store (a head printed by verify --json or an earlier report); the row at that seq must still be stored with that chain value, else rows were deleted or rewritten";

/** What failed in the integrity section, in one line; null when nothing did. */
export function integrityFailure(r: AuditReport): string | null {
  const v = r.integrity.verification;
  if (v.ok === false && v.first_bad) return describeProblem(v.first_bad);
  const a = v.anchors.find((x) => !x.ok);
  if (a) return describeProblem(anchorProblem(a, r.integrity.chain_head.seq));
  if (v.verified_head_unchanged === false)
    return 'the store changed since the recorded verification: the verified head row no longer carries the verified chain value';
  return null;
}

/** A full verification, now. */
async function verifyNow(store: Store, head: ChainHead, o: AuditOptions, max: number): Promise<Verification> {
  const v = await verifyStore(store, {
    anchors: o.anchors,
    // the orchestrator numbers the step (buildAuditReport); this says how far the verification is
    onProgress: (p) => o.onProgress?.({ section: 'integrity', step: 0, steps: 0, verify: p }),
  });
  return {
    mode: 'run',
    ok: v.ok,
    verified_at: new Date().toISOString(),
    rows: v.rows,
    head_seq: v.head.seq,
    head_chain: v.head.chain,
    covers_head: v.ok ? v.head.seq === head.seq && v.head.chain === head.chain : false,
    events_after: v.ok ? head.seq - v.head.seq : null,
    verified_head_unchanged: v.ok ? true : null,
    first_bad: v.first_bad,
    checks: v.checks,
    seconds: v.seconds,
    anchors: v.anchors,
    anchors_basis: ANCHORS_BASIS,
    basis:
      o.verify === true
        ? 'full verification run for this report (--verify)'
        : `full verification run for this report (the store has fewer than ${max.toLocaleString('en-US')} events)`,
  };
}

/** No verification now and none recorded: the anchors only. */
const notVerified = (anchors: AnchorCheck[], why: string): Verification => ({
  mode: 'none',
  ok: null,
  verified_at: null,
  rows: null,
  head_seq: null,
  head_chain: null,
  covers_head: null,
  events_after: null,
  verified_head_unchanged: null,
  first_bad: null,
  checks: [],
  seconds: null,
  anchors,
  anchors_basis: ANCHORS_BASIS,
  basis: `not verified for this report (${why}) and no \`kcloud-log verify\` run is recorded in the store`,
});

/** The latest recorded verification, and whether the row at its head is unchanged since. */
async function recorded(
  store: Store,
  head: ChainHead,
  rec: VerificationRecord,
  anchors: AnchorCheck[],
  why: string,
): Promise<Verification> {
  const at = await queryValue(store, 'SELECT chain FROM events WHERE seq = $1', [rec.head_seq]);
  const unchanged = rec.head_seq === 0 ? true : at !== null && String(at) === rec.head_chain;
  return {
    mode: 'recorded',
    ok: rec.ok,
    verified_at: rec.verified_at,
    rows: rec.rows,
    head_seq: rec.head_seq,
    head_chain: rec.head_chain,
    covers_head: rec.ok && unchanged && rec.head_seq === head.seq && rec.head_chain === head.chain,
    events_after: rec.ok ? head.seq - rec.head_seq : null,
    verified_head_unchanged: unchanged,
    first_bad: rec.ok
      ? null
      : {
          check: 'recorded verification',
          seq: rec.first_bad_seq,
          event_id: rec.first_bad_event_id,
          reason: rec.reason ?? '',
        },
    checks: rec.checks,
    seconds: rec.seconds,
    anchors,
    anchors_basis: ANCHORS_BASIS,
    basis: `the latest \`kcloud-log verify\` run recorded in the store (${why}); the record itself is not part of the hash chain: re-run verify to confirm`,
  };
}

async function verification(store: Store, head: ChainHead, o: AuditOptions): Promise<Verification> {
  const max = o.autoVerifyMaxRows ?? AUTO_VERIFY_MAX_ROWS;
  if (o.verify === true || (o.verify === undefined && head.events < max))
    return verifyNow(store, head, o, max);
  const rec = await latestVerification(store);
  const anchors = await checkAnchors(store, o.anchors);
  const why =
    o.verify === false
      ? '--no-verify'
      : `the store has ${head.events.toLocaleString('en-US')} events (>= ${max.toLocaleString('en-US')}); pass --verify for a full verification`;
  return rec ? recorded(store, head, rec, anchors, why) : notVerified(anchors, why);
}

async function compute(store: Store, { head, options: o }: AuditContext): Promise<IntegrityPart> {
  return {
    chain_head: { seq: head.seq, chain: head.chain },
    events_in_store: head.events,
    verification: await verification(store, head, o),
    signature: o.signingKeyId
      ? {
          algorithm: 'Ed25519',
          key_id: o.signingKeyId,
          covers:
            'sha256 of this report as written without its signature block; the block is appended after the report (the last line in md/html, the last member "signature" in json); check with: kcloud-log verify --report FILE --pub KEY.pub',
        }
      : null,
    basis:
      'chain = sha256(prev_chain || event_hash) over every stored row in seq order; the head (newest seq and its chain value) pins the whole store: any change, deletion or reordering of an earlier row changes every later chain value. Recompute with: kcloud-log verify',
  };
}

function statusText(v: Verification, failure: string | null): string {
  if (failure) return `Check FAILED: ${failure}`;
  if (v.ok && v.covers_head) return 'The hash chain verifies up to the current head.';
  if (v.ok)
    return `The recorded verification covers the chain up to seq ${int(v.head_seq)}; ${int(v.events_after)} events were stored after it.`;
  return 'The chain was not verified for this report and no verification is recorded.';
}

function render(r: AuditReport): Section {
  const it = r.integrity;
  const v = it.verification;
  const vText =
    v.mode === 'none'
      ? 'not verified'
      : `${v.ok ? 'OK' : 'FAILED'}: ${int(v.rows)} rows up to seq ${int(v.head_seq)}${v.verified_at ? `, ${v.verified_at}` : ''}${v.seconds !== null ? ` (${num(v.seconds)} s)` : ''}`;
  const failure = integrityFailure(r);
  return {
    id: 'integrity',
    title: 'Integrity',
    blocks: [
      {
        kind: 'status',
        level: failure ? 'bad' : v.ok === true && v.covers_head ? 'ok' : 'warn',
        text: statusText(v, failure),
      },
      {
        kind: 'kv',
        rows: [
          ['chain head', `seq ${int(it.chain_head.seq)}: ${it.chain_head.chain}`, it.basis],
          ['events in store', int(it.events_in_store), 'rows of the events table (all time)'],
          ['verification', vText, v.basis],
          ['checks', v.checks.join('; ') || '–'],
          [
            'anchors checked',
            v.anchors
              .map((a) => `${a.source} (seq ${int(a.seq)}): ${a.ok ? 'ok' : `FAILED: ${a.reason}`}`)
              .join('; ') || 'none',
            v.anchors_basis,
          ],
          [
            'signature',
            it.signature ? `Ed25519, key ${it.signature.key_id}` : 'not signed',
            it.signature ? it.signature.covers : 'make the report with --key KEY to sign it',
          ],
        ],
      },
    ],
  };
}

export const integrity: ReportSection<'integrity'> = { key: 'integrity', name: 'integrity', compute, render };
