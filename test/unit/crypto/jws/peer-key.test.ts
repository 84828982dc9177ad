import { execFileSync } from 'node:child_process';
import { generateKeyPairSync } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { keyFileName, parsePeerKeyFile } from '../../../../src/crypto/jws/peer-key.js';
import { keyPair } from './fixtures.js';

const dir = mkdtempSync(join(tmpdir(), 'jws-peer-key-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

function parse(file: string, content: string | Buffer) {
  return parsePeerKeyFile(file, keyFileName(file)!, Buffer.isBuffer(content) ? content : Buffer.from(content));
}

/** The BEGIN line, two lines of base64 and the END line: certainly not a whole key. */
function truncated(pem: string): string {
  const lines = pem.trim().split('\n');
  return [...lines.slice(0, 3), lines[lines.length - 1]].join('\n');
}

function certificateFor(privatePem: string, days: number): string {
  writeFileSync(join(dir, 'k.pem'), privatePem, { mode: 0o600 });
  execFileSync('openssl', ['req', '-x509', '-new', '-key', 'k.pem', '-subj', '/CN=payerfsp', '-days', String(days), '-out', 'c.pem'], { cwd: dir, stdio: 'pipe' });
  return readFileSync(join(dir, 'c.pem'), 'utf8');
}

describe('keyFileName', () => {
  it('maps <fspId>[.next].(pem|json) and ignores everything else', () => {
    expect(keyFileName('payerfsp.pem')).toEqual({ source: 'payerfsp', slot: 'current', format: 'pem' });
    expect(keyFileName('payerfsp.next.pem')).toEqual({ source: 'payerfsp', slot: 'next', format: 'pem' });
    expect(keyFileName('Hub.json')).toEqual({ source: 'Hub', slot: 'current', format: 'json' });
    expect(keyFileName('dfsp.a-1.next.json')).toEqual({ source: 'dfsp.a-1', slot: 'next', format: 'json' });
    for (const ignored of ['..data', '.hidden.pem', 'README.md', 'payerfsp.crt', 'payerfsp.pem.bak', '.pem', '.next.pem', 'next.pem.swp']) {
      expect(keyFileName(ignored)).toBeUndefined();
    }
    expect(keyFileName('next.pem')).toEqual({ source: 'next', slot: 'current', format: 'pem' });
  });
});

describe('parsePeerKeyFile', () => {
  it('reads SPKI and PKCS#1 public keys, with the same fingerprint as the signing key', () => {
    const kp = keyPair('RS256');
    const spki = parse('payerfsp.pem', kp.publicPem);
    const pkcs1 = parse('payerfsp.pem', kp.publicKey.export({ type: 'pkcs1', format: 'pem' }) as string);
    expect(spki).toHaveLength(1);
    expect(spki[0]!.fingerprint).toBe(kp.signingKey.fingerprint);
    expect(pkcs1[0]!.fingerprint).toBe(kp.signingKey.fingerprint);
    expect(spki[0]).toMatchObject({ source: 'payerfsp', slot: 'current', kind: 'rsa', file: 'payerfsp.pem', notAfter: undefined });
  });

  it('reads an X.509 certificate (first of a chain) and reports its notAfter', () => {
    const kp = keyPair('ES256');
    const cert = certificateFor(kp.privatePem, 30);
    const other = certificateFor(keyPair('RS256').privatePem, 5);
    const keys = parse('payerfsp.next.pem', cert + other);
    expect(keys).toHaveLength(1);
    expect(keys[0]).toMatchObject({ kind: 'ec', slot: 'next', fingerprint: kp.signingKey.fingerprint });
    const days = (keys[0]!.notAfter!.getTime() - Date.now()) / 86_400_000;
    expect(days).toBeGreaterThan(29);
    expect(days).toBeLessThan(31);
    expect(keys[0]!.verifyKey).toBe(keys[0]!.keyObject);
  });

  it('reads a public JWK and a JWK Set', () => {
    const rsa = keyPair('RS256');
    const ec = keyPair('ES256');
    const jwk = (k: typeof rsa) => k.publicKey.export({ format: 'jwk' });
    expect(parse('payerfsp.json', JSON.stringify(jwk(rsa)))[0]!.fingerprint).toBe(rsa.signingKey.fingerprint);
    const set = parse('payerfsp.json', JSON.stringify({ keys: [jwk(rsa), jwk(ec), jwk(rsa)] }));
    expect(set.map((k) => k.fingerprint)).toEqual([rsa.signingKey.fingerprint, ec.signingKey.fingerprint]);
  });

  const refusals: Array<[string, string, () => string, RegExp]> = [
    ['a private key', 'p.pem', () => keyPair('RS256').privatePem, /private key.*public keys only/],
    ['a private JWK', 'p.json', () => JSON.stringify(keyPair('RS256').privateKey.export({ format: 'jwk' })), /private JWK/],
    ['two public keys', 'p.pem', () => keyPair('RS256').publicPem + keyPair('ES256').publicPem, /more than one public key.*next\.pem/],
    ['a certificate and a key', 'p.pem', () => certificateFor(keyPair('RS256').privatePem, 1) + keyPair('ES256').publicPem, /both a certificate and a public key/],
    ['RSA 1024', 'p.pem', () => generateKeyPairSync('rsa', { modulusLength: 1024 }).publicKey.export({ type: 'spki', format: 'pem' }) as string, /1024 bits/],
    ['Ed25519', 'p.pem', () => generateKeyPairSync('ed25519').publicKey.export({ type: 'spki', format: 'pem' }) as string, /ed25519/],
    ['no PEM block', 'p.pem', () => 'not a key', /no PEM block/],
    ['a truncated key', 'p.pem', () => truncated(keyPair('RS256').publicPem), /cannot be parsed/],
    ['mismatched END', 'p.pem', () => keyPair('RS256').publicPem.replace('END PUBLIC KEY', 'END RSA PUBLIC KEY'), /ends with END/],
    ['not JSON', 'p.json', () => '{"kty":', /not valid JSON/],
    ['an oct JWK', 'p.json', () => '{"kty":"oct","k":"AAAA"}', /kty "oct"/],
    ['an empty JWK Set', 'p.json', () => '{"keys":[]}', /non-empty/],
  ];
  for (const [name, file, make, message] of refusals) {
    it(`refuses ${name}`, () => {
      expect(() => parse(file, make())).toThrow(message);
    });
  }
});
