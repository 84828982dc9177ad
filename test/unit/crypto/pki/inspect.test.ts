import { createPrivateKey } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { PkiInputError, createJwsKeys, inspect, type InspectedItem } from '../../../../src/crypto/pki/index.js';
import { makeTestPki } from '../../../helpers/pki.js';
import { files, openssl } from './openssl.js';

const der = (pem: string): Buffer => Buffer.from(pem.replace(/-----[^-]+-----/g, '').replace(/\s/g, ''), 'base64');
const kinds = (items: InspectedItem[]): string[] => items.map((i) => i.kind);

describe('inspect', () => {
  it('describes every certificate of a PEM chain and verifies the path with --ca', async () => {
    const pki = await makeTestPki();
    const r = inspect(pki.dfspServer.chainPem, { caPem: pki.dfspCa.certPem });
    expect(r.format).toBe('pem');
    expect(kinds(r.items)).toEqual(['certificate', 'certificate']);
    const leaf = r.items[0];
    if (leaf?.kind !== 'certificate') throw new Error('expected a certificate');
    expect(leaf.certificate).toMatchObject({
      subject: 'C=ZZ, O=Test DFSP, CN=localhost',
      issuer: 'C=ZZ, O=Test DFSP, CN=Test DFSP CA',
      status: 'valid',
      isCa: false,
      key: { type: 'rsa', bits: 2048, text: 'RSA 2048' },
      signatureAlgorithm: 'sha256WithRSAEncryption',
      extKeyUsage: ['serverAuth'],
      keyUsage: ['digitalSignature', 'keyEncipherment'],
      san: { dns: ['localhost'], ip: ['127.0.0.1', '::1'] },
    });
    expect(leaf.certificate.daysLeft).toBe(6);
    expect(leaf.policy).toEqual([]);
    // Fingerprints match OpenSSL's.
    const fp = openssl(['x509', '-noout', '-fingerprint', '-sha256'], pki.dfspServer.certPem).stdout.trim();
    expect(fp).toBe(`sha256 Fingerprint=${leaf.certificate.fingerprints.sha256}`);
    const f = files({ 'pub.pem': openssl(['x509', '-noout', '-pubkey'], pki.dfspServer.certPem).stdout });
    expect(openssl(['pkey', '-pubin', '-in', f['pub.pem']!, '-outform', 'DER', '-out', `${f['pub.pem']}.der`]).code).toBe(0);
    const digest = openssl(['dgst', '-sha256', '-r', `${f['pub.pem']}.der`]).stdout.split(' ')[0]!;
    expect(leaf.certificate.fingerprints.spkiSha256.replace(/:/g, '').toLowerCase()).toBe(digest);
    expect(r.chain).toMatchObject({ ok: true, leaf: 'C=ZZ, O=Test DFSP, CN=localhost' });
    expect(inspect(pki.dfspServer.chainPem, { caPem: pki.hubCa.certPem }).chain?.ok).toBe(false);
  });

  it('reads DER certificates and CSRs, and lints them', async () => {
    const pki = await makeTestPki();
    const c = inspect(der(pki.expiredHubClient.certPem));
    expect(c.format).toBe('der');
    expect(c.items[0]).toMatchObject({ kind: 'certificate', certificate: { status: 'expired' } });
    const raw = openssl(['req', '-new', '-newkey', 'rsa:1024', '-nodes', '-keyout', '/dev/null', '-subj', '/CN=weak']).stdout;
    const r = inspect(der(raw));
    const item = r.items[0];
    if (item?.kind !== 'csr') throw new Error('expected a CSR');
    expect(item.csr).toMatchObject({ subject: 'CN=weak', signatureValid: true, key: { bits: 1024 } });
    expect(item.policy.map((v) => v.rule)).toEqual(['rsa-key-size', 'subject-o', 'subject-c']);
  });

  it('describes private keys without revealing them, and encrypted keys only with the passphrase', async () => {
    const pki = await makeTestPki();
    const plain = inspect(pki.jws.ec.privateKeyPem);
    expect(plain.items).toEqual([
      { kind: 'private-key', encoding: 'sec1', encrypted: false, key: { type: 'ec', bits: 256, curve: 'P-256', text: 'EC P-256' }, spkiSha256: pki.jws.ec.spkiSha256 },
    ]);
    expect(JSON.stringify(plain)).not.toMatch(/BEGIN|PRIVATE/);
    const encrypted = createPrivateKey(pki.jws.rsa.privateKeyPem).export({ type: 'pkcs8', format: 'pem', cipher: 'aes-256-cbc', passphrase: 's3cret' }) as string;
    expect(inspect(encrypted).items[0]).toMatchObject({ kind: 'private-key', encoding: 'encrypted-pkcs8', encrypted: true, note: expect.stringMatching(/passphrase/) });
    expect(inspect(encrypted, { passphrase: 's3cret' }).items[0]).toMatchObject({ key: { text: 'RSA 2048' }, spkiSha256: pki.jws.rsa.spkiSha256 });
    expect(() => inspect(encrypted, { passphrase: 'wrong' })).toThrow(/wrong passphrase/);
    // openssl ecparam -genkey writes EC PARAMETERS before the key: ignored, not an error.
    const withParams = openssl(['ecparam', '-name', 'prime256v1', '-genkey']).stdout;
    expect(kinds(inspect(withParams).items)).toEqual(['ignored', 'private-key']);
  });

  it('opens PKCS#12 files: ours (3DES) and OpenSSL 3 defaults (AES), RSA and EC', async () => {
    const pki = await makeTestPki();
    const ours = await createJwsKeys({ fspId: 'x', passphrase: 'pw', days: 2 });
    const r = inspect(ours.p12 as Buffer, { passphrase: 'pw', caPem: ours.certPem });
    expect(r.format).toBe('pkcs12');
    expect(kinds(r.items)).toEqual(['private-key', 'certificate']);
    expect(r.chain?.ok).toBe(true);
    const f = files({ 'k.pem': pki.ec.dfspClient.keyPem, 'c.pem': pki.ec.dfspClient.chainPem });
    // OpenSSL 3's default PKCS#12: PBES2/AES-256 with PBKDF2-SHA256, SHA-256 MAC, EC key.
    const exported = openssl(['pkcs12', '-export', '-inkey', f['k.pem']!, '-in', f['c.pem']!, '-passout', 'pass:pw', '-out', `${f['k.pem']}.p12`]);
    expect(exported.code).toBe(0);
    const ec = inspect(readFileSync(`${f['k.pem']}.p12`), { passphrase: 'pw', caPem: pki.hubCa.certPem });
    expect(kinds(ec.items)).toEqual(['private-key', 'certificate', 'certificate']);
    expect(ec.items[0]).toMatchObject({ key: { text: 'EC P-256' } });
    expect(ec.chain).toMatchObject({ ok: true, leaf: 'C=ZZ, O=Test Hub, CN=payerfsp' });
    expect(() => inspect(readFileSync(`${f['k.pem']}.p12`))).toThrow(/--passphrase-file/);
  });

  it('refuses garbage, truncation, emptiness and unknown PEM blocks with input errors', async () => {
    const pki = await makeTestPki();
    const cases: Array<[string | Buffer, RegExp]> = [
      ['', /is empty/],
      ['just some text', /neither PEM nor DER/],
      [Buffer.from([0x30, 0x82, 0x01, 0x00, 0x01]), /DER of an unknown structure/],
      [pki.hubCa.certPem.slice(0, 300), /no matching END line/],
      [pki.hubCa.certPem.replace(/^(-----BEGIN CERTIFICATE-----\n)(.)/, '$1!'), /not valid base64/],
      [pki.hubCa.certPem.replace(/\n[A-Za-z0-9+/]{64}\n/, '\n'), /not valid base64|not a valid X\.509/],
      ['-----BEGIN OPENSSH PRIVATE KEY-----\nAAAA\n-----END OPENSSH PRIVATE KEY-----\n', /unsupported PEM block 'OPENSSH PRIVATE KEY'/],
      ['-----BEGIN CERTIFICATE-----\nAAAA\n-----END CERTIFICATE-----\n', /not a valid X\.509 certificate/],
    ];
    for (const [input, message] of cases) {
      let err: unknown;
      try {
        inspect(input, { source: 'f.pem' });
      } catch (e) {
        err = e;
      }
      expect(err, String(message)).toBeInstanceOf(PkiInputError);
      expect((err as Error).message).toMatch(message);
    }
  });
});
