/**
 * TLS session resumption never bypasses the checks. A session resumed after the peer-identity
 * rules changed is refused by the new rules (the gate checks the peer certificate, which Node
 * keeps in a resumed session, on every secure connection). After the CA bundle changes, the old
 * session cannot be resumed at all: a new server context comes with new ticket keys, so the
 * client goes through a full handshake against the new bundle.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { writeFileSync } from 'node:fs';
import { send, type ClientCreds } from '../helpers/inbound-client.js';
import { startInboundHarness, type InboundHarness } from '../helpers/inbound-harness.js';

let h: InboundHarness;
let creds: ClientCreds;
beforeAll(async () => {
  h = await startInboundHarness();
  creds = { cert: h.pki.client.chainPem, key: h.pki.client.keyPem };
});
afterAll(async () => {
  await h?.close();
});

const get = (session?: Buffer) => send({ port: h.port, ca: h.pki.dfspCa.certPem, creds, path: '/parties/MSISDN/1', ...(session ? { session } : {}) });

describe('resumed TLS sessions', () => {
  it('resume while the rules allow them', async () => {
    const first = await get();
    expect(first.ok && first.status).toBe(200);
    const session = first.ok ? first.session : undefined;
    expect(session).toBeDefined();
    const again = await get(session);
    expect(again.ok && again.status).toBe(200);
    expect(again.ok && again.reused).toBe(true);
  });

  it('are refused once the identity rules exclude the peer', async () => {
    const first = await get();
    const session = first.ok ? first.session : undefined;
    const outcome = await h.reload((raw) => {
      raw.inbound.tls.peerIdentity = { subjectCn: ['someone-else'] };
    });
    expect(outcome.ok).toBe(true);
    const hits = h.core.hits.length;
    const resumed = await get(session);
    expect(resumed.ok).toBe(false);
    expect(h.core.hits.length).toBe(hits);
    const refusal = h.logs.filter((l) => l.msg === 'TLS connection refused').at(-1);
    expect(refusal).toMatchObject({ reason: 'identity', resumed: true });
  });

  it('cannot be resumed after the CA bundle changed', async () => {
    await h.reload((raw) => {
      raw.inbound.tls.peerIdentity = { subjectCn: [] };
    });
    const first = await get();
    const session = first.ok ? first.session : undefined;
    expect(first.ok && first.status).toBe(200);
    // The bundle now trusts only the second hub CA.
    writeFileSync(h.files.hubCa, h.pki.hubCa2.certPem);
    expect((await h.reload()).ok).toBe(true);
    const old = await get(session);
    expect(old.ok).toBe(false);
    const refusal = h.logs.filter((l) => l.msg === 'TLS connection refused').at(-1);
    expect(refusal).toMatchObject({ reason: 'unknown_ca', resumed: false });
    const fresh = await send({ port: h.port, ca: h.pki.dfspCa.certPem, creds: { cert: h.pki.client2.chainPem, key: h.pki.client2.keyPem }, path: '/parties/MSISDN/1', ...(session ? { session } : {}) });
    expect(fresh.ok && fresh.status).toBe(200);
    expect(fresh.ok && fresh.reused).toBe(false);
  });
});
