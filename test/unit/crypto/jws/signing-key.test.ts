import { execFileSync } from 'node:child_process';
import { createHash, generateKeyPairSync } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { loadSigningKey, spkiFingerprint } from '../../../../src/crypto/jws/signing-key.js';
import { keyPair } from './fixtures.js';

const dir = mkdtempSync(join(tmpdir(), 'jws-signing-key-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

/** The BEGIN line, three lines of base64 and the END line: certainly not a whole key. */
function truncated(pem: string): string {
  const lines = pem.trim().split('\n');
  return [...lines.slice(0, 4), lines[lines.length - 1]].join('\n');
}

function openssl(...args: string[]): void {
  execFileSync('openssl', args, { cwd: dir, stdio: 'pipe' });
}

describe('loadSigningKey', () => {
  it('imports PKCS#1 and PKCS#8 RSA keys as RS256, with the SPKI fingerprint openssl computes', () => {
    const kp = keyPair('RS256');
    for (const pem of [kp.privatePem, kp.pkcs8Pem, Buffer.from(kp.privatePem)]) {
      const key = loadSigningKey(pem);
      expect(key.alg).toBe('RS256');
      expect(key.keyObject.type).toBe('private');
      expect(key.publicKey.type).toBe('public');
    }
    writeFileSync(join(dir, 'rsa.pem'), kp.privatePem, { mode: 0o600 });
    openssl('pkey', '-in', 'rsa.pem', '-pubout', '-outform', 'DER', '-out', 'rsa.spki.der');
    const expected = createHash('sha256').update(readFileSync(join(dir, 'rsa.spki.der'))).digest('hex').toUpperCase().match(/../g)!.join(':');
    expect(loadSigningKey(kp.privatePem).fingerprint).toBe(expected);
    expect(spkiFingerprint(kp.publicKey)).toBe(expected);
  });

  it('imports SEC1 and PKCS#8 P-256 keys as ES256 (the SDK would sign PKCS#8 EC as RS256)', () => {
    const kp = keyPair('ES256');
    expect(loadSigningKey(kp.privatePem).alg).toBe('ES256');
    expect(loadSigningKey(kp.pkcs8Pem).alg).toBe('ES256');
    const key = loadSigningKey(kp.pkcs8Pem);
    // crypto signs DER (fast on every Node); sign.ts converts to the JOSE r||s form.
    expect(key.signKey).toBe(key.keyObject);
  });

  it('reads `openssl ecparam -genkey` output, which starts with an EC PARAMETERS block', () => {
    openssl('ecparam', '-name', 'prime256v1', '-genkey', '-out', 'ec-with-params.pem');
    const pem = readFileSync(join(dir, 'ec-with-params.pem'), 'utf8');
    expect(pem).toContain('BEGIN EC PARAMETERS');
    expect(loadSigningKey(pem).alg).toBe('ES256');
  });

  const refusals: Array<[string, () => string, RegExp]> = [
    ['a public key', () => keyPair('RS256').publicPem, /public key, not a private key/],
    ['a certificate', () => {
      writeFileSync(join(dir, 'rsa.pem'), keyPair('RS256').privatePem, { mode: 0o600 });
      openssl('req', '-x509', '-new', '-key', 'rsa.pem', '-subj', '/CN=payerfsp', '-days', '1', '-out', 'cert.pem');
      return readFileSync(join(dir, 'cert.pem'), 'utf8');
    }, /certificate, not a private key/],
    ['an encrypted key', () => keyPair('RS256').privateKey.export({ type: 'pkcs8', format: 'pem', cipher: 'aes-256-cbc', passphrase: 'secret' }) as string, /encrypted/],
    ['a legacy encrypted PKCS#1 key', () => keyPair('RS256').privateKey.export({ type: 'pkcs1', format: 'pem', cipher: 'aes-256-cbc', passphrase: 'secret' }) as string, /encrypted/],
    ['RSA 1024', () => generateKeyPairSync('rsa', { modulusLength: 1024 }).privateKey.export({ type: 'pkcs1', format: 'pem' }) as string, /1024 bits.*at least 2048/],
    ['P-384', () => generateKeyPairSync('ec', { namedCurve: 'secp384r1' }).privateKey.export({ type: 'sec1', format: 'pem' }) as string, /secp384r1.*P-256/],
    ['Ed25519', () => generateKeyPairSync('ed25519').privateKey.export({ type: 'pkcs8', format: 'pem' }) as string, /ed25519 keys cannot/],
    ['two keys in one file', () => keyPair('RS256').privatePem + keyPair('ES256').privatePem, /more than one private key/],
    ['not PEM', () => 'hello', /not a PEM file/],
    ['a truncated PEM', () => truncated(keyPair('RS256').privatePem), /cannot parse the private key/],
  ];
  for (const [name, make, message] of refusals) {
    it(`refuses ${name} with a clear message`, () => {
      const input = make();
      let error: Error | undefined;
      try {
        loadSigningKey(input);
      } catch (err) {
        error = err as Error;
      }
      expect(error?.message).toMatch(message);
      // Never echo key material.
      const body = input.split('\n').find((l) => l.length > 40 && !l.startsWith('-----'));
      if (body) expect(error?.message).not.toContain(body.slice(0, 20));
    });
  }
});
