/**
 * A hub presenting leaf + intermediate + root (what real hubs send), with only the root in the
 * CA bundle: the chain verifies through the intermediate the client sent, the identity rules apply
 * to the leaf (never to a chain certificate), and the core is told the leaf's CN. The identity is
 * read from the leaf alone (getPeerCertificate(false)), not getPeerX509Certificate(), which leaks
 * every chain certificate in native memory (issue 11; the memory figure is bench/mtls-churn.mjs's).
 */
import { generateKeyPairSync } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createClientCert, issueCertificate, loadCa, type IssuedCert } from '../../src/crypto/pki/certificate.js';
import { privateKeyPem } from '../../src/crypto/pki/keys.js';
import { normaliseSubject, subjectToAsn1 } from '../../src/crypto/pki/names.js';
import { PEER_CN_HEADER } from '../../src/inbound/forward-headers.js';
import { send } from '../helpers/inbound-client.js';
import { startInboundHarness, type InboundHarness } from '../helpers/inbound-harness.js';

let h: InboundHarness;
let viaIntermediate: IssuedCert;
let intermediateNamedLikeAllowed: IssuedCert;

/** An intermediate CA under the harness's hub root; its certPem carries the root after it. */
function intermediate(cn: string) {
  const key = generateKeyPairSync('ec', { namedCurve: 'P-256' }).privateKey;
  const now = Date.now();
  const cert = issueCertificate({
    profile: 'ca',
    subjectName: subjectToAsn1(normaliseSubject({ cn, o: 'Hub', c: 'ZZ' })),
    subjectKey: key,
    issuer: loadCa(h.pki.hubCa),
    notBefore: new Date(now - 60_000),
    notAfter: new Date(now + 86_400_000),
  });
  return { keyPem: privateKeyPem(key, 'pkcs8'), certPem: cert.pem + h.pki.hubCa.certPem };
}

beforeAll(async () => {
  h = await startInboundHarness({
    configure: (raw) => {
      raw.inbound.tls.peerIdentity = { subjectCn: ['hub-client'] };
    },
  });
  viaIntermediate = await createClientCert({ ca: intermediate('Hub Intermediate CA'), cn: 'hub-client', keyType: 'ec', keySize: 256, days: 1 });
  // The allowed CN on a chain certificate must not let an outsider leaf in.
  intermediateNamedLikeAllowed = await createClientCert({ ca: intermediate('hub-client'), cn: 'outsider', keyType: 'ec', keySize: 256, days: 1 });
});
afterAll(async () => {
  await h?.close();
});

describe('client certificate chain with an intermediate', () => {
  it('is accepted, and the core is told the leaf CN', async () => {
    expect(viaIntermediate.chainPem.match(/BEGIN CERTIFICATE/g)).toHaveLength(3);
    const r = await send({ port: h.port, ca: h.pki.dfspCa.certPem, creds: { cert: viaIntermediate.chainPem, key: viaIntermediate.keyPem }, path: '/parties/MSISDN/1' });
    expect(r.ok && r.status).toBe(200);
    expect(h.core.hits.at(-1)?.headers[PEER_CN_HEADER]).toBe('hub-client');
  });

  it('matches the identity rules against the leaf only', async () => {
    const r = await send({ port: h.port, ca: h.pki.dfspCa.certPem, creds: { cert: intermediateNamedLikeAllowed.chainPem, key: intermediateNamedLikeAllowed.keyPem }, path: '/parties/MSISDN/2' });
    expect(r.ok).toBe(false);
    expect(await h.metric('dfsp_sidecar_inbound_tls_handshake_failures_total', { reason: 'identity' })).toBe(1);
    expect(h.core.hits.length).toBe(1);
  });
});
