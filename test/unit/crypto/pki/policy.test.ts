import { generateKeyPairSync } from 'node:crypto';
import forge from 'node-forge';
import { describe, expect, it } from 'vitest';
import {
  PkiPolicyError,
  SCHEME_POLICY,
  checkCertificatePolicy,
  checkCsrPolicy,
  createCsr,
  parseCertificates,
  parseCsrPem,
  planCsrSigning,
  signCsr,
  withEc,
  type Violation,
} from '../../../../src/crypto/pki/index.js';
import { makeTestPki } from '../../../helpers/pki.js';
import { files, openssl, verify, x509Text } from './openssl.js';

const rsa2048 = generateKeyPairSync('rsa', { modulusLength: 2048 }).privateKey.export({ type: 'pkcs8', format: 'pem' }) as string;
const keyFile = files({ 'k.pem': rsa2048 })['k.pem'] as string;

/** A CSR made by OpenSSL with our 2048-bit key unless `newkey` says otherwise. */
function opensslCsr(subj: string, extra: string[] = []): string {
  const r = openssl(['req', '-new', '-key', keyFile, '-subj', subj, ...extra]);
  if (r.code !== 0) throw new Error(r.stderr);
  return r.stdout;
}

const rules = (v: Violation[]): string[] => v.map((x) => x.rule);

describe('checkCsrPolicy', () => {
  it('passes a compliant CSR', async () => {
    expect(checkCsrPolicy(opensslCsr('/C=KE/O=Hub/CN=hub.example'))).toEqual([]);
    expect(checkCsrPolicy((await createCsr({ cn: 'x', o: 'y', c: 'KE' })).csrPem)).toEqual([]);
  });

  it('names the rule for a 1024-bit key', () => {
    const r = openssl(['req', '-new', '-newkey', 'rsa:1024', '-nodes', '-keyout', '/dev/null', '-subj', '/C=KE/O=Hub/CN=h']);
    const v = checkCsrPolicy(r.stdout);
    expect(rules(v)).toEqual(['rsa-key-size']);
    expect(v[0]?.message).toBe('RSA key of 1024 bits; minimum 2048');
  });

  it('names the rule for a SHA-1 signature', () => {
    expect(rules(checkCsrPolicy(opensslCsr('/C=KE/O=Hub/CN=h', ['-sha1'])))).toEqual(['signature-algorithm']);
  });

  it('names the rule for each missing subject field', () => {
    expect(rules(checkCsrPolicy(opensslCsr('/C=KE/O=Hub')))).toEqual(['subject-cn']);
    expect(rules(checkCsrPolicy(opensslCsr('/C=KE/CN=h')))).toEqual(['subject-o']);
    expect(rules(checkCsrPolicy(opensslCsr('/O=Hub/CN=h')))).toEqual(['subject-c']);
    expect(rules(checkCsrPolicy(opensslCsr('/C=KE/O=A/O=B/CN=h')))).toEqual(['subject-o']);
  });

  it('refuses a CSR asking to be a CA (made with forge) or for CA key usages (made with openssl)', () => {
    const keys = forge.pki.rsa.generateKeyPair({ bits: 2048, e: 0x10001, workers: -1 });
    const csr = forge.pki.createCertificationRequest();
    csr.publicKey = keys.publicKey;
    csr.setSubject([
      { shortName: 'C', value: 'KE' },
      { shortName: 'O', value: 'Hub' },
      { shortName: 'CN', value: 'sneaky' },
    ]);
    csr.setAttributes([{ name: 'extensionRequest', extensions: [{ name: 'basicConstraints', cA: true, critical: true }] }]);
    csr.sign(keys.privateKey, forge.md.sha256.create());
    const v = checkCsrPolicy(forge.pki.certificationRequestToPem(csr));
    expect(rules(v)).toEqual(['ca-flag']);

    expect(rules(checkCsrPolicy(opensslCsr('/C=KE/O=Hub/CN=h', ['-addext', 'keyUsage=critical,keyCertSign'])))).toEqual(['ca-key-usage']);
  });

  it('checks the requested purpose against the profile being signed', () => {
    const server = opensslCsr('/C=KE/O=Hub/CN=h', ['-addext', 'extendedKeyUsage=serverAuth']);
    expect(rules(checkCsrPolicy(server, {}, { profile: 'client' }))).toEqual(['eku']);
    expect(checkCsrPolicy(server, {}, { profile: 'server' })).toEqual([]);
  });

  it('refuses SAN types other than DNS and IP, and invalid DNS names', () => {
    const v = checkCsrPolicy(opensslCsr('/C=KE/O=Hub/CN=h', ['-addext', 'subjectAltName=URI:spiffe://hub/x,DNS:bad_host,email:a@b.c']));
    expect(rules(v)).toEqual(['san-type', 'san-dns']);
    expect(v[0]?.message).toContain('URI:spiffe://hub/x');
  });

  it('refuses EC keys under the scheme policy and accepts them with withEc', () => {
    const r = openssl(['req', '-new', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:P-256', '-nodes', '-keyout', '/dev/null', '-subj', '/C=KE/O=Hub/CN=h']);
    expect(rules(checkCsrPolicy(r.stdout))).toEqual(['key-type', 'signature-algorithm']);
    expect(checkCsrPolicy(r.stdout, withEc())).toEqual([]);
  });

  it('reports a broken self-signature and a validity over the cap, and lists every rule at once', () => {
    const good = parseCsrPem(opensslCsr('/C=KE/O=Hub/CN=h'));
    const tampered = Buffer.from(good.der);
    tampered[tampered.length - 1] = (tampered[tampered.length - 1] ?? 0) ^ 0xff;
    expect(rules(checkCsrPolicy(tampered))).toEqual(['csr-signature']);
    expect(rules(checkCsrPolicy(good, {}, { days: SCHEME_POLICY.maxDays + 1 }))).toEqual(['validity']);
    const r = openssl(['req', '-new', '-newkey', 'rsa:1024', '-nodes', '-keyout', '/dev/null', '-sha1', '-subj', '/CN=x', '-addext', 'basicConstraints=critical,CA:TRUE']);
    expect(rules(checkCsrPolicy(r.stdout))).toEqual(['rsa-key-size', 'signature-algorithm', 'subject-o', 'subject-c', 'ca-flag']);
  });
});

describe('signCsr', () => {
  it('signs a compliant CSR: subject kept byte for byte, SANs copied, extensions from the profile', async () => {
    const { dfspCa } = await makeTestPki();
    const csrPem = opensslCsr('/C=KE/O=Hub Operator/CN=hub.example', ['-addext', 'subjectAltName=DNS:hub.example,IP:10.0.0.1']);
    const { certPem, chainPem, certificate } = signCsr({ ca: dfspCa, csrPem, days: 7 });
    expect(verify(dfspCa.certPem, certPem, 'sslclient').code).toBe(0);
    const text = x509Text(certPem);
    expect(text).toContain('Subject: C = KE, O = Hub Operator, CN = hub.example');
    expect(text).toContain('DNS:hub.example, IP Address:10.0.0.1');
    expect(text).toMatch(/TLS Web Client Authentication/);
    expect(text).toMatch(/CA:FALSE/);
    expect(certificate.spkiSha256).toBe(parseCsrPem(csrPem).spkiSha256);
    // Subject bytes equal the CSR's (read with forge's generic DER parser, not ours).
    const der = (pem: string): forge.asn1.Asn1 => forge.asn1.fromDer(forge.util.decode64(pem.replace(/-----[^-]+-----/g, '').replace(/\s/g, '')));
    const kids = (n: forge.asn1.Asn1 | undefined): forge.asn1.Asn1[] => n?.value as forge.asn1.Asn1[];
    const csrSubject = kids(kids(der(csrPem))[0])[1] as forge.asn1.Asn1;
    const certSubject = kids(kids(der(certPem))[0])[5] as forge.asn1.Asn1;
    expect(forge.asn1.toDer(certSubject).toHex()).toBe(forge.asn1.toDer(csrSubject).toHex());
    expect(parseCertificates(chainPem)).toHaveLength(2);
    expect(checkCertificatePolicy(certificate)).toEqual([]);
  });

  it('grants serverAuth for the server profile even if the CSR asks for nothing', async () => {
    const { dfspCa } = await makeTestPki();
    const { certPem } = signCsr({ ca: dfspCa, csrPem: opensslCsr('/C=KE/O=Hub/CN=hub.example'), days: 7, profile: 'server' });
    expect(verify(dfspCa.certPem, certPem, 'sslserver').code).toBe(0);
  });

  it('throws a PkiPolicyError listing every broken rule and issues nothing', async () => {
    const { dfspCa } = await makeTestPki();
    const csrPem = opensslCsr('/CN=x', ['-sha1']);
    let err: unknown;
    try {
      signCsr({ ca: dfspCa, csrPem, days: 7 });
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(PkiPolicyError);
    expect(rules([...(err as PkiPolicyError).violations])).toEqual(['signature-algorithm', 'subject-o', 'subject-c']);
    expect((err as Error).message).toMatch(/refused by policy: signature-algorithm/);
  });

  it('plans the validity and applies the cap from the policy', async () => {
    const { dfspCa } = await makeTestPki();
    const csrPem = opensslCsr('/C=KE/O=Hub/CN=h');
    const plan = planCsrSigning({ ca: dfspCa, csrPem, days: 20, policy: { maxDays: 10 } });
    expect(rules([...plan.violations])).toEqual(['validity']);
    expect(plan.days).toBe(20);
    expect(plan.notAfter.getTime() - Date.now()).toBeGreaterThan(19.9 * 86_400_000);
    expect(() => planCsrSigning({ ca: dfspCa, csrPem, days: 4000 })).toThrow(/would outlive its CA/);
  });
});

describe('checkCertificatePolicy', () => {
  it('lints TLS certificates and CAs, not the subject of a self-signed JWS certificate', async () => {
    const pki = await makeTestPki();
    expect(checkCertificatePolicy(parseCertificates(pki.dfspServer.certPem)[0]!)).toEqual([]);
    expect(checkCertificatePolicy(parseCertificates(pki.hubCa.certPem)[0]!)).toEqual([]);
    expect(checkCertificatePolicy(parseCertificates(pki.jws.rsa.certPem)[0]!)).toEqual([]);
    expect(rules(checkCertificatePolicy(parseCertificates(pki.ec.dfspServer.certPem)[0]!))).toEqual(['key-type']);
    // A 1000-day client certificate without O and C, issued by OpenSSL with our test CA.
    const f = files({ 'ca.pem': pki.hubCa.certPem, 'ca.key': pki.hubCa.keyPem, 'r.pem': opensslCsr('/CN=h'), 'ext': 'extendedKeyUsage=clientAuth\n' });
    const long = openssl(['x509', '-req', '-in', f['r.pem']!, '-CA', f['ca.pem']!, '-CAkey', f['ca.key']!, '-days', '1000', '-extfile', f.ext!]);
    expect(long.code).toBe(0);
    expect(rules(checkCertificatePolicy(parseCertificates(long.stdout)[0]!))).toEqual(['subject-o', 'subject-c', 'validity']);
  });
});
