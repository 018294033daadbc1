/**
 * Signed audit reports (Ed25519, node:crypto).
 *
 * What is signed: the SHA-256 digest (32 raw bytes) of the report exactly as
 * `report audit` writes it without a key: the unsigned report's bytes. The
 * signature is then appended to the file so that it travels with it:
 *
 * - Markdown and HTML: one last line
 *   `<!-- kcloud-log-signature {"algorithm":"Ed25519",...} -->` + "\n";
 *   the signed bytes are the file without that line.
 * - JSON: one last member `"signature": {...}` of the top-level object,
 *   written as `,\n  "signature": {...}\n}\n` in place of the closing `\n}\n`;
 *   the signed bytes are the file with that member removed (the closing
 *   `\n}\n` restored).
 *
 * The block holds `algorithm` (Ed25519), `digest` (`sha256:` + hex of the
 * signed bytes), `key_id` (hex SHA-256 of the public key's DER SubjectPublicKeyInfo)
 * and `signature` (base64). Verifying recomputes the digest from the file,
 * so any change to any byte of the report, or of the block, fails.
 *
 * Without kcloud-log: strip the block as above, then
 *   openssl dgst -sha256 -binary body > digest.bin
 *   openssl pkeyutl -verify -pubin -inkey KEY.pub -rawin -in digest.bin -sigfile sig.bin
 */
import fs from 'node:fs';
import path from 'node:path';
import {
  createHash,
  createPrivateKey,
  createPublicKey,
  generateKeyPairSync,
  sign,
  verify,
  type KeyObject,
} from 'node:crypto';
import { InputError, UsageError } from '../errors.js';
import { writeFailure } from '../store/failure.js';

export const SIGNATURE_MARK = 'kcloud-log-signature';
export const KEY_FILE = 'kcloud-log-report.key';
export const PUB_FILE = 'kcloud-log-report.pub';

export interface SignatureBlock {
  algorithm: 'Ed25519';
  digest: string;
  key_id: string;
  signature: string;
}

export type ReportFormat = 'md' | 'html' | 'json';

/** Hex SHA-256 of the DER SubjectPublicKeyInfo of the key (a private key's public half). */
export function keyId(key: KeyObject): string {
  const pub = key.type === 'private' ? createPublicKey(key) : key;
  return createHash('sha256')
    .update(pub.export({ type: 'spki', format: 'der' }))
    .digest('hex');
}

function readKeyText(file: string): string {
  try {
    return fs.readFileSync(file, 'utf8');
  } catch (e) {
    throw new InputError(
      `cannot read key ${file}: ${(e as NodeJS.ErrnoException).code ?? (e as Error).message}`,
    );
  }
}

export function loadPrivateKey(file: string): KeyObject {
  const text = readKeyText(file);
  let key: KeyObject;
  try {
    key = createPrivateKey(text);
  } catch (e) {
    throw new UsageError(
      `--key ${file}: not a PEM private key (${(e as Error).message.split('\n')[0]}); create one with \`kcloud-log report keygen\``,
    );
  }
  if (key.asymmetricKeyType !== 'ed25519')
    throw new UsageError(`--key ${file}: an Ed25519 key is needed, this is ${key.asymmetricKeyType}`);
  return key;
}

/** A public key from a PEM public key (or a private key file, whose public half is used). */
export function loadPublicKey(file: string): KeyObject {
  const text = readKeyText(file);
  let key: KeyObject;
  try {
    key = createPublicKey(text);
  } catch (e) {
    throw new UsageError(`--pub ${file}: not a PEM public key (${(e as Error).message.split('\n')[0]})`);
  }
  if (key.asymmetricKeyType !== 'ed25519')
    throw new UsageError(`--pub ${file}: an Ed25519 key is needed, this is ${key.asymmetricKeyType}`);
  return key;
}

export interface KeygenResult {
  private_key: string;
  public_key: string;
  key_id: string;
}

/** Write a new Ed25519 key pair into `dir` (private key mode 0600); refuses to overwrite unless `force`. */
export function generateKeyPair(dir: string, force = false): KeygenResult {
  const priv = path.resolve(dir, KEY_FILE);
  const pub = path.resolve(dir, PUB_FILE);
  if (!force)
    for (const f of [priv, pub])
      if (fs.existsSync(f)) throw new UsageError(`${f} exists; use --force to replace it`);
  const { privateKey, publicKey } = generateKeyPairSync('ed25519');
  let file = dir;
  try {
    fs.mkdirSync(dir, { recursive: true });
    file = priv;
    fs.writeFileSync(priv, privateKey.export({ type: 'pkcs8', format: 'pem' }), { mode: 0o600 });
    fs.chmodSync(priv, 0o600);
    file = pub;
    fs.writeFileSync(pub, publicKey.export({ type: 'spki', format: 'pem' }));
  } catch (e) {
    throw writeFailure(file, e);
  }
  return { private_key: priv, public_key: pub, key_id: keyId(publicKey) };
}

const sha256 = (b: Buffer) => createHash('sha256').update(b).digest();

/** Append the signature block to an unsigned report. */
export function signReport(
  body: Buffer,
  format: ReportFormat,
  key: KeyObject,
): { signed: Buffer; block: SignatureBlock } {
  const digest = sha256(body);
  const block: SignatureBlock = {
    algorithm: 'Ed25519',
    digest: `sha256:${digest.toString('hex')}`,
    key_id: keyId(key),
    signature: sign(null, digest, key).toString('base64'),
  };
  if (format === 'json') {
    const close = Buffer.from('\n}\n');
    if (!body.subarray(body.length - 3).equals(close)) throw new Error('JSON report must end with "\\n}\\n"');
    return {
      signed: Buffer.concat([
        body.subarray(0, body.length - 3),
        Buffer.from(`,\n  "signature": ${JSON.stringify(block)}\n}\n`),
      ]),
      block,
    };
  }
  const nl = body.length && body[body.length - 1] === 0x0a ? '' : '\n';
  return {
    signed: Buffer.concat([body, Buffer.from(`${nl}<!-- ${SIGNATURE_MARK} ${JSON.stringify(block)} -->\n`)]),
    block,
  };
}

/** Split a signed report into the signed bytes and its block; null when it carries no signature. */
export function splitSigned(
  file: Buffer,
): { body: Buffer; block: unknown; format: 'json' | 'comment' } | { error: string } | null {
  const text = file.toString('utf8');
  if (/^\s*\{/.test(text)) {
    // JSON: the last member.
    let doc: unknown;
    try {
      doc = JSON.parse(text);
    } catch (e) {
      return { error: `not valid JSON: ${(e as Error).message}` };
    }
    const sig = (doc as { signature?: unknown }).signature;
    if (sig === undefined || sig === null) return null;
    const suffix = Buffer.from(`,\n  "signature": ${JSON.stringify(sig)}\n}\n`);
    if (file.length < suffix.length || !file.subarray(file.length - suffix.length).equals(suffix))
      return {
        error: 'the "signature" member is not the last member as written by kcloud-log (file changed)',
      };
    return {
      body: Buffer.concat([file.subarray(0, file.length - suffix.length), Buffer.from('\n}\n')]),
      block: sig,
      format: 'json',
    };
  }
  // Markdown / HTML: the last line.
  const prefix = `<!-- ${SIGNATURE_MARK} `;
  const end = file.length - 1;
  if (end > 0 && file[end] === 0x0a) {
    const start = file.lastIndexOf(0x0a, end - 1) + 1;
    const last = file.subarray(start, end).toString('utf8');
    if (last.startsWith(prefix)) {
      if (!last.endsWith(' -->')) return { error: 'the signature line is damaged' };
      try {
        return {
          body: file.subarray(0, start),
          block: JSON.parse(last.slice(prefix.length, -4)),
          format: 'comment',
        };
      } catch {
        return { error: 'the signature line is damaged (not JSON)' };
      }
    }
  }
  if (text.includes(prefix))
    return { error: 'a signature line is present but is not the last line (file changed)' };
  return null;
}

export interface ReportVerifyResult {
  report: string;
  signed: boolean;
  ok: boolean;
  /** sha256 of the signed bytes as recomputed now. */
  digest: string | null;
  /** The digest the block claims. */
  claimed_digest: string | null;
  key_id: string | null;
  /** The --pub key's id. */
  expected_key_id: string;
  signed_bytes: number | null;
  reason: string;
  method: string;
}

const METHOD =
  'sha256 of the report without its signature block (the bytes an unsigned report would have), Ed25519 signature over those 32 digest bytes checked with the --pub key';

export function verifyReport(file: string, pub: KeyObject): ReportVerifyResult {
  let bytes: Buffer;
  try {
    bytes = fs.readFileSync(file);
  } catch (e) {
    throw new InputError(`cannot read ${file}: ${(e as NodeJS.ErrnoException).code ?? (e as Error).message}`);
  }
  const expected = keyId(pub);
  const res: ReportVerifyResult = {
    report: file,
    signed: false,
    ok: false,
    digest: null,
    claimed_digest: null,
    key_id: null,
    expected_key_id: expected,
    signed_bytes: null,
    reason: '',
    method: METHOD,
  };
  const parts = splitSigned(bytes);
  if (parts === null) return { ...res, reason: 'the report carries no signature (made without --key?)' };
  if ('error' in parts) return { ...res, signed: true, reason: parts.error };
  const b = parts.block as Partial<SignatureBlock>;
  res.signed = true;
  if (
    !b ||
    typeof b !== 'object' ||
    b.algorithm !== 'Ed25519' ||
    typeof b.digest !== 'string' ||
    typeof b.signature !== 'string'
  )
    return { ...res, reason: 'the signature block is malformed' };
  const digest = sha256(parts.body);
  res.digest = `sha256:${digest.toString('hex')}`;
  res.claimed_digest = b.digest;
  res.key_id = typeof b.key_id === 'string' ? b.key_id : null;
  res.signed_bytes = parts.body.length;
  if (res.key_id !== expected)
    return { ...res, reason: `signed with key ${res.key_id ?? '?'}, not the --pub key ${expected}` };
  if (b.digest !== res.digest)
    return {
      ...res,
      reason: 'the report was changed after signing: its digest does not match the signed digest',
    };
  // Node decodes base64 leniently (a changed padding character or unused low bits decode to the
  // same bytes), so only the canonical encoding of a 64-byte signature is accepted: any change
  // to the block is then a failure.
  const sig = Buffer.from(b.signature, 'base64');
  if (sig.length !== 64 || sig.toString('base64') !== b.signature)
    return { ...res, reason: 'the signature is not a canonical base64 Ed25519 signature (changed?)' };
  let valid = false;
  try {
    valid = verify(null, digest, pub, sig);
  } catch {
    valid = false;
  }
  if (!valid) return { ...res, reason: 'the Ed25519 signature does not verify with the --pub key' };
  return {
    ...res,
    ok: true,
    reason: 'signature valid: the report is unchanged since it was signed with this key',
  };
}
