/**
 * Behaviour: a "hub" whose certificate does not chain to the configured hub CA bundle gets nothing:
 * the TLS handshake fails on our side before a byte of the request is written, and the core gets
 * 502 / 1001 with a reason that points at the trust problem.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startOutboundHub, type OutboundHub } from '../helpers/outbound-hub.js';
import { foreignPki, outboundPki } from '../helpers/outbound-pki.js';
import { quoteBody, startOutboundSidecar, type OutboundSidecar } from '../helpers/outbound-sidecar.js';

let impostor: OutboundHub;
let sidecar: OutboundSidecar;

beforeAll(async () => {
  const [pki, foreign] = await Promise.all([outboundPki(), foreignPki()]);
  // It would even accept our client certificate: the point is that we must not talk to it.
  impostor = await startOutboundHub({ cert: foreign.foreignServer, clientCaPem: pki.hubCa.certPem, keys: { dfspa: pki.jwsRsa.publicPem } });
  sidecar = await startOutboundSidecar({ pki, hub: impostor.url });
});
afterAll(async () => {
  await sidecar?.close();
  await impostor?.close();
});

describe('hub with a certificate from another CA', () => {
  it('is refused at the handshake: 502 / 1001, reason tls_untrusted_hub, nothing received', async () => {
    const res = await sidecar.send('/quotes', { body: quoteBody() });
    expect(res.status).toBe(502);
    expect(res.json().errorInformation.errorCode).toBe('1001');
    expect(res.json().errorInformation.extensionList.extension[0]).toEqual({ key: 'sidecarReason', value: 'tls_untrusted_hub' });
    expect(impostor.requests).toHaveLength(0);
  });
});
