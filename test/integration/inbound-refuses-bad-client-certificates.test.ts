/**
 * mTLS: only a client certificate that chains to the configured CA bundle, is in its validity
 * period and matches the peer-identity allowlist gets to HTTP. A certificate from an unknown CA,
 * an expired one, none at all, and one outside the identity allowlist are each refused before
 * any request is read, counted by reason, and the core receives nothing.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { send, type ClientCreds } from '../helpers/inbound-client.js';
import { startInboundHarness, type InboundHarness } from '../helpers/inbound-harness.js';

let h: InboundHarness;
beforeAll(async () => {
  h = await startInboundHarness({
    configure: (raw) => {
      raw.inbound.tls.peerIdentity = { subjectCn: ['hub-client'] };
    },
  });
});
afterAll(async () => {
  await h?.close();
});

const attempt = (creds: ClientCreds | undefined) => send({ port: h.port, ca: h.pki.dfspCa.certPem, creds, method: 'GET', path: '/parties/MSISDN/1' });

describe('client certificates', () => {
  it('accepts the hub certificate', async () => {
    const r = await attempt({ cert: h.pki.client.chainPem, key: h.pki.client.keyPem });
    expect(r.ok && r.status).toBe(200);
    expect(h.core.hits.length).toBe(1);
  });

  for (const [reason, pick] of [
    ['unknown_ca', (p: InboundHarness['pki']) => p.foreignClient],
    ['expired', (p: InboundHarness['pki']) => p.expiredClient],
    ['identity', (p: InboundHarness['pki']) => p.outsiderClient],
  ] as const) {
    it(`refuses ${reason}`, async () => {
      const c = pick(h.pki);
      const r = await attempt({ cert: c.chainPem, key: c.keyPem });
      expect(r.ok).toBe(false);
      expect(h.core.hits.length).toBe(1);
      expect(await h.metric('dfsp_sidecar_inbound_tls_handshake_failures_total', { reason })).toBe(1);
    });
  }

  it('refuses a client without a certificate', async () => {
    const r = await attempt(undefined);
    expect(r.ok).toBe(false);
    expect(h.core.hits.length).toBe(1);
    expect(await h.metric('dfsp_sidecar_inbound_tls_handshake_failures_total', { reason: 'no_certificate' })).toBe(1);
  });

  it('logs each refusal with its reason and never lets one reach HTTP', async () => {
    const reasons = h.logs.filter((l) => l.msg === 'TLS connection refused').map((l) => l.reason);
    expect(reasons.sort()).toEqual(['expired', 'identity', 'no_certificate', 'unknown_ca']);
    expect(await h.metric('dfsp_sidecar_inbound_requests_total')).toBe(1);
  });
});
