import { X509Certificate, createPrivateKey, createPublicKey } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import {
  PkiInputError,
  PkiVerificationError,
  createCa,
  createClientCert,
  createServerCert,
  parseCertificates,
} from '../../../../src/crypto/pki/index.js';
import { makeTestPki } from '../../../helpers/pki.js';
import { openssl, verify, x509Text } from './openssl.js';

const DAY = 86_400_000;

/** The hex of an `X509v3 <name>` block of `openssl x509 -text`, colons kept. */
function extValue(text: string, name: string): string {
  const m = new RegExp(`X509v3 ${name}:[^\\n]*\\n\\s+(?:keyid:)?([0-9A-F:]+)`).exec(text);
  if (!m?.[1]) throw new Error(`no ${name} in:\n${text}`);
  return m[1];
}

describe('createCa', () => {
  it('makes a self-signed root with critical CA constraints and key identifiers that OpenSSL accepts', async () => {
    const { hubCa } = await makeTestPki();
    const text = x509Text(hubCa.certPem);
    expect(text).toContain('Subject: C = ZZ, O = Test Hub, CN = Test Hub CA');
    expect(text).toContain('Issuer: C = ZZ, O = Test Hub, CN = Test Hub CA');
    expect(text).toMatch(/X509v3 Basic Constraints: critical\n\s+CA:TRUE\n/);
    expect(text).toMatch(/X509v3 Key Usage: critical\n\s+Certificate Sign, CRL Sign\n/);
    expect(text).toContain('Signature Algorithm: sha256WithRSAEncryption');
    expect(text).toContain('Public-Key: (2048 bit)');
    // A root's AKI names its own key.
    expect(extValue(text, 'Authority Key Identifier')).toBe(extValue(text, 'Subject Key Identifier'));
    expect(verify(hubCa.certPem, hubCa.certPem).code).toBe(0);
    // The key is PKCS#8 and belongs to the certificate.
    expect(hubCa.keyPem).toMatch(/^-----BEGIN PRIVATE KEY-----\n/);
    const cert = new X509Certificate(hubCa.certPem);
    expect(cert.checkPrivateKey(createPrivateKey(hubCa.keyPem))).toBe(true);
  });

  it('honours days, pathLength and an EC key', async () => {
    const ca = await createCa({ cn: 'EC CA', o: 'Org', c: 'ke', keyType: 'ec', days: 10, pathLength: 0 });
    const text = x509Text(ca.certPem);
    expect(text).toContain('Subject: C = KE, O = Org, CN = EC CA');
    expect(text).toMatch(/CA:TRUE, pathlen:0/);
    expect(text).toContain('Signature Algorithm: ecdsa-with-SHA256');
    expect(text).toContain('NIST CURVE: P-256');
    const cert = new X509Certificate(ca.certPem);
    const lifetime = (Date.parse(cert.validTo) - Date.parse(cert.validFrom)) / DAY;
    expect(lifetime).toBeGreaterThan(10);
    expect(lifetime).toBeLessThan(10.01);
    expect(verify(ca.certPem, ca.certPem).code).toBe(0);
  });

  it('refuses bad subjects, key sizes and validity with input errors', async () => {
    await expect(createCa({ cn: 'x', o: 'y', c: 'KEN' })).rejects.toThrow(/two-letter ISO 3166/);
    await expect(createCa({ cn: '', o: 'y', c: 'KE' })).rejects.toThrow(/CN must not be empty/);
    await expect(createCa({ cn: 'x\u0000y', o: 'y', c: 'KE' })).rejects.toThrow(/control characters/);
    await expect(createCa({ cn: 'x'.repeat(65), o: 'y', c: 'KE' })).rejects.toThrow(/longer than 64/);
    await expect(createCa({ cn: 'x', o: 'y', c: 'KE', keySize: 1024 })).rejects.toThrow(PkiInputError);
    await expect(createCa({ cn: 'x', o: 'y', c: 'KE', days: 0 })).rejects.toThrow(/between 1 and 36500/);
    await expect(createCa({ cn: 'x', o: 'y', c: 'KE', notBefore: new Date(), notAfter: new Date(Date.now() - DAY) })).rejects.toThrow(/later than notBefore/);
  });

  it('encodes names as UTF8String (C as PrintableString), so non-ASCII and _ survive', async () => {
    const ca = await createCa({ cn: 'Caisse_Épargne CA', o: 'Société Générale', c: 'SN', keyType: 'ec' });
    const r = openssl(['x509', '-noout', '-subject', '-nameopt', 'utf8,sep_comma_plus,show_type'], ca.certPem);
    expect(r.stdout).toContain('C=PRINTABLESTRING:SN');
    expect(r.stdout).toContain('O=UTF8STRING:Société Générale');
    expect(r.stdout).toContain('CN=UTF8STRING:Caisse_Épargne CA');
    expect(parseCertificates(ca.certPem)[0]?.subjectText).toBe('C=SN, O=Société Générale, CN=Caisse_Épargne CA');
  });
});

describe('createServerCert / createClientCert', () => {
  it('issues a server certificate with serverAuth and IP + DNS SANs, chained to its CA', async () => {
    const { dfspCa, dfspServer } = await makeTestPki();
    expect(verify(dfspCa.certPem, dfspServer.certPem, 'sslserver')).toMatchObject({ code: 0 });
    // Not usable as a client certificate: EKU is serverAuth only.
    expect(verify(dfspCa.certPem, dfspServer.certPem, 'sslclient').code).not.toBe(0);
    const text = x509Text(dfspServer.certPem);
    expect(text).toMatch(/X509v3 Basic Constraints: critical\n\s+CA:FALSE\n/);
    expect(text).toMatch(/X509v3 Key Usage: critical\n\s+Digital Signature, Key Encipherment\n/);
    expect(text).toMatch(/X509v3 Extended Key Usage: \n\s+TLS Web Server Authentication\n/);
    expect(text).toMatch(/DNS:localhost, IP Address:127\.0\.0\.1, IP Address:0:0:0:0:0:0:0:1/);
    // Subject inherits O and C from the CA: CN, O and C as the scheme requires.
    expect(text).toContain('Subject: C = ZZ, O = Test DFSP, CN = localhost');
    // AKI of the leaf = SKI of the CA.
    expect(extValue(text, 'Authority Key Identifier')).toBe(extValue(x509Text(dfspCa.certPem), 'Subject Key Identifier'));
    // The chain is leaf then CA.
    expect(parseCertificates(dfspServer.chainPem).map((c) => c.subjectText)).toEqual([
      'C=ZZ, O=Test DFSP, CN=localhost',
      'C=ZZ, O=Test DFSP, CN=Test DFSP CA',
    ]);
    const cert = new X509Certificate(dfspServer.certPem);
    expect(cert.checkHost('localhost')).toBe('localhost');
    expect(cert.checkIP('127.0.0.1')).toBe('127.0.0.1');
    expect(cert.checkIP('::1')).toBe('::1');
    expect(cert.checkPrivateKey(createPrivateKey(dfspServer.keyPem))).toBe(true);
  });

  it('issues client certificates with clientAuth that only their own CA verifies', async () => {
    const pki = await makeTestPki();
    expect(verify(pki.hubCa.certPem, pki.dfspClient.certPem, 'sslclient').code).toBe(0);
    expect(verify(pki.dfspCa.certPem, pki.hubClient.certPem, 'sslclient').code).toBe(0);
    expect(verify(pki.hubCa.certPem, pki.foreignClient.certPem, 'sslclient').stderr).toMatch(/unable to get local issuer certificate/);
    expect(x509Text(pki.dfspClient.certPem)).toMatch(/X509v3 Extended Key Usage: \n\s+TLS Web Client Authentication\n/);
    expect(x509Text(pki.dfspClient.certPem)).toContain('Subject: C = ZZ, O = Test Hub, CN = payerfsp');
  });

  it('makes expired certificates for tests when asked', async () => {
    const { hubCa, expiredDfspClient } = await makeTestPki();
    const r = verify(hubCa.certPem, expiredDfspClient.certPem, 'sslclient');
    expect(r.code).not.toBe(0);
    expect(r.stdout + r.stderr).toMatch(/certificate has expired/);
  });

  it('issues EC P-256 leaves under an RSA CA', async () => {
    const { dfspCa, ec } = await makeTestPki();
    expect(verify(dfspCa.certPem, ec.dfspServer.certPem, 'sslserver').code).toBe(0);
    const text = x509Text(ec.dfspServer.certPem);
    expect(text).toContain('NIST CURVE: P-256');
    // keyEncipherment is RSA key transport; an EC key must not claim it.
    expect(text).toMatch(/X509v3 Key Usage: critical\n\s+Digital Signature\n/);
    expect(text).toContain('Signature Algorithm: sha256WithRSAEncryption');
  });

  it('reuses a given key instead of generating one', async () => {
    const { dfspServer, dfspCa } = await makeTestPki();
    const again = await createServerCert({ ca: dfspCa, cn: 'localhost', dns: ['localhost'], key: dfspServer.keyPem, days: 1 });
    const a = createPublicKey(dfspServer.keyPem).export({ type: 'spki', format: 'der' });
    const b = new X509Certificate(again.certPem).publicKey.export({ type: 'spki', format: 'der' });
    expect(b.equals(a)).toBe(true);
  });

  it('refuses a CA that cannot sign, a wrong key, an expired CA and a lifetime beyond the CA', async () => {
    const pki = await makeTestPki();
    await expect(createClientCert({ ca: { keyPem: pki.dfspServer.keyPem, certPem: pki.dfspServer.certPem }, cn: 'x' })).rejects.toThrow(
      /is not a CA/,
    );
    await expect(createClientCert({ ca: { keyPem: pki.dfspCa.keyPem, certPem: pki.hubCa.certPem }, cn: 'x' })).rejects.toThrow(
      /key does not belong to the CA certificate/,
    );
    const old = await createCa({ cn: 'Old', o: 'O', c: 'ZZ', keyType: 'ec', notBefore: new Date(Date.now() - 3 * DAY), notAfter: new Date(Date.now() - DAY) });
    await expect(createClientCert({ ca: old, cn: 'x', keyType: 'ec' })).rejects.toThrow(PkiVerificationError);
    await expect(createClientCert({ ca: pki.hubCa, cn: 'x', days: 4000, keyType: 'ec' })).rejects.toThrow(/would outlive its CA/);
    await expect(createServerCert({ ca: pki.hubCa, cn: 'x', dns: ['bad_name!'], keyType: 'ec', days: 1 })).rejects.toThrow(/not a valid DNS name/);
    await expect(createServerCert({ ca: pki.hubCa, cn: 'x', ip: ['127.1'], keyType: 'ec', days: 1 })).rejects.toThrow(/not an IP address/);
    await expect(createServerCert({ ca: { keyPem: 'garbage', certPem: pki.hubCa.certPem }, cn: 'x' })).rejects.toThrow(PkiInputError);
    await expect(createServerCert({ ca: { keyPem: pki.hubCa.keyPem, certPem: 'garbage' }, cn: 'x' })).rejects.toThrow(/no CERTIFICATE block/);
  });

  it('gives every certificate a fresh positive 128-bit serial', async () => {
    const { hubCa } = await makeTestPki();
    const serials = await Promise.all(
      [1, 2, 3].map(async () => new X509Certificate((await createClientCert({ ca: hubCa, cn: 'x', keyType: 'ec', days: 1 })).certPem).serialNumber),
    );
    expect(new Set(serials).size).toBe(3);
    for (const s of serials) {
      expect(s).toMatch(/^[0-9A-F]{32}$/);
      expect(Number.parseInt(s.slice(0, 1), 16)).toBeLessThan(8);
    }
  });
});
