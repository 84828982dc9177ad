import { execFileSync } from 'node:child_process';
import { createHash, X509Certificate } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  checkIdentity,
  classifyHandshakeError,
  classifyVerifyError,
  compileIdentityRules,
  identityFromCertificate,
  normalisePin,
  parseSubjectAltName,
  type PeerIdentity,
} from '../../../src/inbound/peer-identity.js';

let dir: string;
let cert: X509Certificate;
let twoCn: X509Certificate;

/** Self-signed P-256 certificates made by the openssl CLI, independent of our own PKI code. */
function opensslCert(name: string, subj: string, san: string[]): X509Certificate {
  const ext = join(dir, `${name}.ext`);
  writeFileSync(ext, `[req]\ndistinguished_name=dn\n[dn]\n[v3]\nsubjectAltName=@alt\n[alt]\n${san.join('\n')}\n`);
  execFileSync('openssl', ['req', '-x509', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:P-256', '-nodes', '-keyout', join(dir, `${name}.key`), '-out', join(dir, `${name}.crt`), '-days', '2', '-subj', subj, '-multivalue-rdn', '-config', ext, '-extensions', 'v3'], { stdio: 'pipe' });
  return new X509Certificate(readFileSync(join(dir, `${name}.crt`)));
}

beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'inbound-identity-'));
  cert = opensslCert('hub', '/C=ZA/O=Hub Ops/CN=hub.example', ['DNS.1=Hub.Example', 'DNS.2=alt.example', 'URI.1=spiffe://hub/callbacks', 'URI.2=spiffe://x, DNS:evil.example']);
  twoCn = opensslCert('two', '/CN=first/CN=second', ['DNS.1=two.example']);
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('identityFromCertificate', () => {
  it('reads CN, DNS and URI SANs, and cannot be fooled by a separator inside a SAN value', () => {
    const id = identityFromCertificate(cert, true);
    expect(id.subjectCn).toBe('hub.example');
    expect(id.sanDns).toEqual(['Hub.Example', 'alt.example']);
    expect(id.sanUri).toEqual(['spiffe://hub/callbacks', 'spiffe://x, DNS:evil.example']);
    expect(id.fingerprint256).toBe(cert.fingerprint256);
    const spki = createHash('sha256').update(cert.publicKey.export({ type: 'spki', format: 'der' })).digest('hex');
    expect(id.spkiSha256).toBe(spki);
    expect(identityFromCertificate(cert, false).spkiSha256).toBeUndefined();
  });

  it('leaves the CN undefined when the subject has several', () => {
    expect(identityFromCertificate(twoCn, false).subjectCn).toBeUndefined();
  });
});

describe('checkIdentity', () => {
  const id: PeerIdentity = { subjectCn: 'hub.example', sanDns: ['Hub.Example'], sanUri: ['spiffe://hub/callbacks'], fingerprint256: 'AA', spkiSha256: 'ab'.repeat(32) };
  const rules = (over: Partial<Record<'subjectCn' | 'sanDns' | 'sanUri' | 'spkiSha256', string[]>>) =>
    compileIdentityRules({ subjectCn: [], sanDns: [], sanUri: [], spkiSha256: [], ...over });

  it('accepts any certificate when no list is configured', () => {
    expect(checkIdentity(id, rules({}))).toBe(true);
  });

  it('accepts a match in any one list (disjunctive)', () => {
    expect(checkIdentity(id, rules({ subjectCn: ['hub.example'] }))).toBe(true);
    expect(checkIdentity(id, rules({ sanDns: ['hub.EXAMPLE'] }))).toBe(true);
    expect(checkIdentity(id, rules({ sanUri: ['spiffe://hub/callbacks'] }))).toBe(true);
    expect(checkIdentity(id, rules({ spkiSha256: ['AB'.repeat(32)] }))).toBe(true);
    expect(checkIdentity(id, rules({ subjectCn: ['nope'], sanUri: ['spiffe://hub/callbacks'] }))).toBe(true);
  });

  it('refuses when nothing matches, with exact CN and URI comparison', () => {
    expect(checkIdentity(id, rules({ subjectCn: ['Hub.example'] }))).toBe(false);
    expect(checkIdentity(id, rules({ sanUri: ['SPIFFE://hub/callbacks'] }))).toBe(false);
    expect(checkIdentity(id, rules({ sanDns: ['*.example'] }))).toBe(false);
    expect(checkIdentity({ ...id, spkiSha256: undefined }, rules({ spkiSha256: ['ab'.repeat(32)] }))).toBe(false);
  });

  it('fails closed when every configured pin was invalid', () => {
    const bad: string[] = [];
    const r = compileIdentityRules({ subjectCn: [], sanDns: [], sanUri: [], spkiSha256: ['zz'] }, (e) => bad.push(e));
    expect(bad).toEqual(['zz']);
    expect(r.acceptAny).toBe(false);
    expect(checkIdentity(id, r)).toBe(false);
  });
});

describe('normalisePin', () => {
  it('accepts hex with or without colons and base64', () => {
    const hex = 'ab'.repeat(32);
    expect(normalisePin(hex.toUpperCase())).toBe(hex);
    expect(normalisePin(hex.match(/../g)!.join(':'))).toBe(hex);
    expect(normalisePin(Buffer.from(hex, 'hex').toString('base64'))).toBe(hex);
    expect(normalisePin('abc')).toBeUndefined();
  });
});

describe('parseSubjectAltName', () => {
  it('splits plain and JSON-quoted entries', () => {
    expect(parseSubjectAltName('DNS:a.example, IP Address:127.0.0.1, URI:"x:y, DNS:z"')).toEqual([
      { type: 'DNS', value: 'a.example' },
      { type: 'IP Address', value: '127.0.0.1' },
      { type: 'URI', value: 'x:y, DNS:z' },
    ]);
    expect(parseSubjectAltName('')).toEqual([]);
    expect(parseSubjectAltName('DNS:"unterminated')).toEqual([]);
  });
});

describe('classify', () => {
  it('maps verification results to closed reasons', () => {
    expect(classifyVerifyError('UNABLE_TO_GET_ISSUER_CERT', false)).toBe('no_certificate');
    expect(classifyVerifyError('UNABLE_TO_VERIFY_LEAF_SIGNATURE', true)).toBe('unknown_ca');
    expect(classifyVerifyError('SELF_SIGNED_CERT_IN_CHAIN', true)).toBe('unknown_ca');
    expect(classifyVerifyError('CERT_HAS_EXPIRED', true)).toBe('expired');
    expect(classifyVerifyError('CERT_REVOKED', true)).toBe('revoked');
    expect(classifyVerifyError('UNABLE_TO_GET_CRL', true)).toBe('crl_unavailable');
    expect(classifyVerifyError('SOMETHING_NEW', true)).toBe('other');
  });
  it('maps handshake errors to closed reasons', () => {
    expect(classifyHandshakeError('ERR_SSL_PEER_DID_NOT_RETURN_A_CERTIFICATE')).toBe('no_certificate');
    expect(classifyHandshakeError('ERR_SSL_UNSUPPORTED_PROTOCOL')).toBe('protocol');
    expect(classifyHandshakeError('ERR_SSL_SSLV3_ALERT_BAD_CERTIFICATE')).toBe('peer_alert');
    expect(classifyHandshakeError('ERR_SSL_TLSV1_ALERT_UNKNOWN_CA')).toBe('peer_alert');
    expect(classifyHandshakeError('ECONNRESET')).toBe('aborted');
    expect(classifyHandshakeError('ERR_TLS_HANDSHAKE_TIMEOUT')).toBe('timeout');
    expect(classifyHandshakeError(undefined)).toBe('other');
  });
});
