import { describe, expect, it } from 'vitest';
import { createCa, createClientCert, parseCertificates, verifyChain, type CertificateInfo } from '../../../../src/crypto/pki/index.js';
import { issueCertificate, loadCa, resolveValidity } from '../../../../src/crypto/pki/certificate.js';
import { generateKeyPair, privateKeyPem } from '../../../../src/crypto/pki/keys.js';
import { normaliseSubject, subjectToAsn1 } from '../../../../src/crypto/pki/names.js';
import { makeTestPki } from '../../../helpers/pki.js';
import { verify } from './openssl.js';

const first = (pem: string): CertificateInfo => parseCertificates(pem)[0] as CertificateInfo;

describe('verifyChain', () => {
  it('accepts a leaf issued by a trusted root and names the path', async () => {
    const pki = await makeTestPki();
    const r = verifyChain(first(pki.dfspServer.certPem), { roots: [first(pki.dfspCa.certPem)], purpose: 'serverAuth' });
    expect(r).toEqual({ ok: true, path: ['C=ZZ, O=Test DFSP, CN=localhost', 'C=ZZ, O=Test DFSP, CN=Test DFSP CA'] });
  });

  it('refuses another CA, an expired leaf, the wrong purpose and an untrusted root', async () => {
    const pki = await makeTestPki();
    const hubRoots = [first(pki.hubCa.certPem)];
    expect(verifyChain(first(pki.foreignClient.certPem), { roots: hubRoots }).error).toMatch(/no issuer for 'C=ZZ, O=Elsewhere, CN=payerfsp'/);
    expect(verifyChain(first(pki.expiredDfspClient.certPem), { roots: hubRoots }).error).toMatch(/expired on/);
    expect(verifyChain(first(pki.dfspClient.certPem), { roots: hubRoots, purpose: 'serverAuth' }).error).toMatch(/not valid for serverAuth/);
    expect(verifyChain(first(pki.dfspCa.certPem), { roots: hubRoots }).error).toMatch(/is a root that is not among the trusted/);
    // A root is trusted as itself.
    expect(verifyChain(first(pki.hubCa.certPem), { roots: hubRoots }).ok).toBe(true);
  });

  it('detects an issuer with the right name but the wrong key', async () => {
    const pki = await makeTestPki();
    const impostor = await createCa({ cn: 'Test Hub CA', o: 'Test Hub', c: 'ZZ', keyType: 'ec', days: 2 });
    const r = verifyChain(first(pki.dfspClient.certPem), { roots: [first(impostor.certPem)] });
    expect(r.ok).toBe(false);
    expect(r.error).toMatch(/signature does not verify|no issuer/);
  });

  it('builds leaf -> intermediate -> root, as openssl verify -untrusted does', async () => {
    const pki = await makeTestPki();
    const root = loadCa(pki.hubCa);
    const interKey = (await generateKeyPair({ keyType: 'ec' })).privateKey;
    const inter = issueCertificate({
      profile: 'ca',
      subjectName: subjectToAsn1(normaliseSubject({ cn: 'Test Hub Issuing CA', o: 'Test Hub', c: 'ZZ' })),
      subjectKey: interKey,
      issuer: root,
      pathLength: 0,
      ...resolveValidity({ days: 5 }, 5),
    });
    const interCa = { keyPem: privateKeyPem(interKey), certPem: inter.pem + pki.hubCa.certPem };
    const leaf = await createClientCert({ ca: interCa, cn: 'payerfsp', keyType: 'ec', days: 2 });
    expect(verify(pki.hubCa.certPem, leaf.certPem, 'sslclient', inter.pem).code).toBe(0);
    const chain = parseCertificates(leaf.chainPem);
    expect(chain.map((c) => c.subjectText)).toEqual(['C=ZZ, O=Test Hub, CN=payerfsp', 'C=ZZ, O=Test Hub, CN=Test Hub Issuing CA', 'C=ZZ, O=Test Hub, CN=Test Hub CA']);
    const r = verifyChain(chain[0] as CertificateInfo, { roots: [first(pki.hubCa.certPem)], intermediates: chain.slice(1) });
    expect(r.ok).toBe(true);
    expect(r.path).toHaveLength(3);
    // Without the intermediate the path cannot be built.
    expect(verifyChain(chain[0] as CertificateInfo, { roots: [first(pki.hubCa.certPem)] }).ok).toBe(false);
  });
});
