/**
 * Signed reports: a signed report verifies; any one-byte change (in the body
 * or in the signature block) does not; the signed bytes are exactly the
 * unsigned report; another key is refused.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { createHash, createPublicKey } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  generateKeyPair,
  keyId,
  loadPrivateKey,
  loadPublicKey,
  signReport,
  splitSigned,
  verifyReport,
  type ReportFormat,
} from '../../src/lib/integrity/sign.js';
import { UsageError } from '../../src/lib/errors.js';

let dir: string;
let keyFile: string;
let pubFile: string;

beforeAll(() => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'kcloud-sign-'));
  const k = generateKeyPair(path.join(dir, 'keys'));
  keyFile = k.private_key;
  pubFile = k.public_key;
});
afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));

const BODIES: Record<ReportFormat, string> = {
  md: '# kcloud-log audit report\n\n| figure | value |\n| --- | --- |\n| events | 1,006 |\n\n결정 이유: 최적 전력 효율성\n',
  html: '<!doctype html>\n<html lang="en"><head><meta charset="utf-8"><title>r</title></head><body><p>events 1006</p></body></html>\n',
  json:
    JSON.stringify({ report: 'kcloud-log audit report', scope: { events: 1006 }, note: '최적' }, null, 2) +
    '\n',
};

describe('report signatures', () => {
  it('keygen writes a 0600 PKCS#8 private key and an SPKI public key; key id = sha256 of the DER public key', () => {
    expect(fs.statSync(keyFile).mode & 0o777).toBe(0o600);
    expect(fs.readFileSync(keyFile, 'utf8')).toMatch(/^-----BEGIN PRIVATE KEY-----/);
    expect(fs.readFileSync(pubFile, 'utf8')).toMatch(/^-----BEGIN PUBLIC KEY-----/);
    const der = createPublicKey(fs.readFileSync(pubFile, 'utf8')).export({ type: 'spki', format: 'der' });
    expect(keyId(loadPublicKey(pubFile))).toBe(createHash('sha256').update(der).digest('hex'));
    expect(keyId(loadPrivateKey(keyFile))).toBe(keyId(loadPublicKey(pubFile)));
    expect(() => generateKeyPair(path.join(dir, 'keys'))).toThrow(/exists; use --force/);
  });

  for (const format of ['md', 'html', 'json'] as const) {
    describe(format, () => {
      const body = Buffer.from(BODIES[format]);
      let signed: Buffer;
      let file: string;
      beforeAll(() => {
        signed = signReport(body, format, loadPrivateKey(keyFile)).signed;
        file = path.join(dir, `r.${format}`);
        fs.writeFileSync(file, signed);
      });

      it('verifies, and the signed bytes are exactly the unsigned report', () => {
        const r = verifyReport(file, loadPublicKey(pubFile));
        expect(r).toMatchObject({ ok: true, signed: true, key_id: keyId(loadPublicKey(pubFile)) });
        expect(r.digest).toBe(`sha256:${createHash('sha256').update(body).digest('hex')}`);
        const parts = splitSigned(signed);
        expect(parts && 'body' in parts && parts.body.equals(body)).toBe(true);
        if (format === 'json') expect(JSON.parse(signed.toString()).signature.algorithm).toBe('Ed25519');
        else expect(signed.toString().split('\n').at(-2)).toMatch(/^<!-- kcloud-log-signature \{.*\} -->$/);
      });

      it('fails after a one-byte change anywhere', () => {
        const positions = [
          0,
          Math.floor(body.length / 2),
          body.length - 2,
          body.length + 20,
          signed.length - 30,
          signed.length - 1,
        ];
        for (const pos of positions) {
          const bad = Buffer.from(signed);
          bad[pos] = bad[pos] === 0x41 ? 0x42 : 0x41;
          const f = path.join(dir, `bad.${format}`);
          fs.writeFileSync(f, bad);
          const r = verifyReport(f, loadPublicKey(pubFile));
          expect(r.ok, `byte ${pos}: ${r.reason}`).toBe(false);
        }
        // every byte of the signature value (Node's base64 decoder ignores some of them)
        const text = signed.toString('latin1');
        const m = /"signature":\s*"([^"]+)"/.exec(text)!;
        const start = m.index + m[0].indexOf(m[1]!);
        for (let pos = start; pos < start + m[1]!.length; pos++) {
          const bad = Buffer.from(signed);
          bad[pos] = bad[pos] === 0x41 ? 0x42 : 0x41;
          const f = path.join(dir, `sig.${format}`);
          fs.writeFileSync(f, bad);
          expect(verifyReport(f, loadPublicKey(pubFile)).ok, `signature byte ${pos - start}`).toBe(false);
        }
        // a change that keeps the file well-formed: a digit of the body
        const bad = Buffer.from(signed.toString().replace('1006', '1007').replace('1,006', '1,007'));
        const f = path.join(dir, `digit.${format}`);
        fs.writeFileSync(f, bad);
        expect(verifyReport(f, loadPublicKey(pubFile)).reason).toMatch(/changed after signing/);
      });

      it('is refused with another key, and an unsigned report is not "verified"', () => {
        const other = generateKeyPair(path.join(dir, `other-${format}`));
        const r = verifyReport(file, loadPublicKey(other.public_key));
        expect(r.ok).toBe(false);
        expect(r.reason).toMatch(/not the --pub key/);
        const u = path.join(dir, `unsigned.${format}`);
        fs.writeFileSync(u, body);
        expect(verifyReport(u, loadPublicKey(pubFile))).toMatchObject({ ok: false, signed: false });
      });
    });
  }

  it('refuses non-Ed25519 and non-key files', () => {
    const f = path.join(dir, 'junk.pem');
    fs.writeFileSync(f, 'not a key');
    expect(() => loadPrivateKey(f)).toThrow(UsageError);
    expect(() => loadPublicKey(f)).toThrow(UsageError);
  });
});
