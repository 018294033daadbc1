/**
 * Anchors: (seq, chain) pairs recorded earlier, each of which must still be
 * in the chain: the row at that seq is stored and carries that chain value.
 * The store keeps two (the newest commit record and the newest recorded
 * verification); `--anchor` adds heads kept outside the store (printed by
 * `verify --json` or an audit report), the only ones that catch a
 * truncation done consistently across every table.
 */
import fs from 'node:fs';
import type { Store } from '../store/open.js';
import { InputError, UsageError } from '../errors.js';
import { GENESIS, shortChain } from '../store/chain.js';
import { newestCommit } from './commits.js';
import { latestVerification } from './verifications.js';

export interface Anchor {
  /** `commit`: the newest commit record; `verification`: the newest recorded verification; `external`: --anchor. */
  kind: 'commit' | 'verification' | 'external';
  /** What it is, e.g. `newest commit record #12` or `--anchor audit.json`. */
  source: string;
  seq: number;
  chain: string;
}

export interface AnchorCheck extends Anchor {
  ok: boolean;
  /** `missing`: no row at that seq (rows deleted); `differs`: the row carries another chain. */
  status: 'ok' | 'missing' | 'differs';
  /** `ok`, or what does not match. */
  reason: string;
}

const SEQ_CHAIN = /^(\d+):([0-9a-fA-F]{64})$/;

/** `o[k1][k2]...`, or undefined. */
const at = (o: unknown, ...keys: string[]): unknown =>
  keys.reduce<unknown>(
    (v, k) => (v !== null && typeof v === 'object' ? (v as Record<string, unknown>)[k] : undefined),
    o,
  );

/** A head `{seq, chain}` in a parsed JSON document: verify --json, an audit report, or report audit --json. */
function headInJson(doc: unknown): { seq: number; chain: string } | null {
  for (const h of [
    at(doc, 'head'),
    at(doc, 'integrity', 'chain_head'),
    at(doc, 'report', 'integrity', 'chain_head'),
  ]) {
    const seq = at(h, 'seq');
    const chain = at(h, 'chain');
    if (
      Number.isSafeInteger(seq) &&
      (seq as number) >= 0 &&
      typeof chain === 'string' &&
      /^[0-9a-f]{64}$/.test(chain)
    )
      return { seq: seq as number, chain };
  }
  return null;
}

/** The chain head printed in a markdown or HTML audit report ("chain head … seq 1,234 … <64 hex>"). */
const HEAD_IN_REPORT = /chain head(?:\s|\||<[^>]*>)*seq ([\d,]+)(?::|\s|<[^>]*>)*([0-9a-f]{64})/;
/** The chain head printed by `verify` ("chain head <64 hex> at seq 1234"). */
const HEAD_IN_VERIFY = /chain head ([0-9a-f]{64}) at seq (\d+)/;

/**
 * `--anchor VALUE`: `SEQ:CHAIN`, or a file holding a head: the output of
 * `verify` (or `verify --json`), or an audit report (json, md or html).
 */
export function parseAnchor(value: string): Anchor {
  const source = `--anchor ${value}`;
  const m = SEQ_CHAIN.exec(value);
  if (m) return { kind: 'external', source, seq: Number(m[1]), chain: m[2]!.toLowerCase() };
  let text: string;
  try {
    if (!fs.statSync(value).isFile()) throw new UsageError(`${source}: not a file`);
    text = fs.readFileSync(value, 'utf8');
  } catch (e) {
    if (e instanceof UsageError) throw e;
    const code = (e as NodeJS.ErrnoException).code;
    if (code === 'ENOENT')
      throw new UsageError(
        `${source}: expected SEQ:CHAIN (CHAIN = 64 hex digits) or a file of verify --json output or an audit report; no such file`,
      );
    throw new InputError(`${source}: cannot read it: ${code ?? (e as Error).message}`);
  }
  let head: { seq: number; chain: string } | null = null;
  try {
    head = headInJson(JSON.parse(text));
  } catch {
    const r = HEAD_IN_REPORT.exec(text);
    const v = HEAD_IN_VERIFY.exec(text);
    if (r) head = { seq: Number(r[1]!.replace(/,/g, '')), chain: r[2]! };
    else if (v) head = { seq: Number(v[2]), chain: v[1]! };
  }
  if (!head)
    throw new UsageError(
      `${source}: no chain head in it (expected the output of verify --json or an audit report)`,
    );
  return { kind: 'external', source, ...head };
}

/** The anchors the store keeps: its newest commit record and its newest recorded verification. */
export async function storedAnchors(store: Store): Promise<Anchor[]> {
  const out: Anchor[] = [];
  const c = await newestCommit(store);
  if (c)
    out.push({
      kind: 'commit',
      source: `newest commit record #${c.id}`,
      seq: c.last_seq,
      chain: c.head_chain,
    });
  const v = await latestVerification(store);
  if (v)
    out.push({
      kind: 'verification',
      source: `newest verification record #${v.id}`,
      seq: v.head_seq,
      chain: v.head_chain,
    });
  return out;
}

/** Check one anchor against the stored chain (`maxSeq`: the newest stored seq). */
export async function checkAnchor(store: Store, a: Anchor, maxSeq: number): Promise<AnchorCheck> {
  let stored: string | null = GENESIS;
  if (a.seq > 0) {
    const r = await store.conn.runAndReadAll('SELECT chain FROM events WHERE seq = $1', [a.seq]);
    const row = r.getRows()[0];
    stored = row ? String(row[0]) : null;
  }
  if (stored === null)
    return {
      ...a,
      ok: false,
      status: 'missing',
      reason: `seq ${a.seq} is not stored (the newest row is seq ${maxSeq}): rows deleted`,
    };
  if (stored !== a.chain)
    return {
      ...a,
      ok: false,
      status: 'differs',
      reason: `the row at seq ${a.seq} has chain ${shortChain(stored)}, the anchor says ${shortChain(a.chain)}`,
    };
  return { ...a, ok: true, status: 'ok', reason: 'ok' };
}

/** The store's own anchors, then `external` ones, each checked. */
export async function checkAnchors(store: Store, external: readonly Anchor[] = []): Promise<AnchorCheck[]> {
  const r = await store.conn.runAndReadAll('SELECT coalesce(max(seq), 0) FROM events');
  const maxSeq = Number(r.getRows()[0]![0]);
  const out: AnchorCheck[] = [];
  for (const a of [...(await storedAnchors(store)), ...external])
    out.push(await checkAnchor(store, a, maxSeq));
  return out;
}
