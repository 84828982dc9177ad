/**
 * Behaviour: when the PKCS#11 token holding the signing key goes away (SoftHSM2's token directory
 * taken away), requests fail with SIGNING_FAILED (500, FSPIOP 2001, reason hsm_*) instead of
 * hanging or crashing, /readyz turns not-ready naming the token, the operator is told once in the
 * log; when the token is back the sidecar finds it by itself (no restart, no reload) and signs
 * again, on the event loop and on the signing workers alike.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { closeAllTokens } from '../../src/crypto/pkcs11/token.js';
import { startOutboundHub, type OutboundHub } from '../helpers/outbound-hub.js';
import { outboundPki, type OutboundPki } from '../helpers/outbound-pki.js';
import { quoteBody, startOutboundSidecar, waitFor, type OutboundSidecar } from '../helpers/outbound-sidecar.js';
import { createSoftToken, type SoftToken } from '../helpers/softhsm.js';

let pki: OutboundPki;
let token: SoftToken;
let hub: OutboundHub;

beforeAll(async () => {
  pki = await outboundPki();
  token = createSoftToken();
  const pub = token.generate('RS256', 'dfspa-jws').publicKey.export({ type: 'spki', format: 'pem' }) as string;
  hub = await startOutboundHub({ cert: pki.hubServer, clientCaPem: pki.hubCa.certPem, keys: { dfspa: pub } });
});
afterAll(async () => {
  await hub?.close();
  closeAllTokens();
});

const send = (s: OutboundSidecar) => s.send('/quotes', { headers: { 'fspiop-source': 'dfspa', 'fspiop-destination': 'dfspz', date: new Date().toUTCString() }, body: quoteBody() });
const reasonOf = (body: any): string | undefined => body?.errorInformation?.extensionList?.extension?.find((e: { key: string }) => e.key === 'sidecarReason')?.value;

describe.each([
  { mode: 'event loop', workers: 0 },
  { mode: 'signing workers', workers: 2 },
])('token lost and back, signing on the $mode', ({ workers }) => {
  let sidecar: OutboundSidecar;
  beforeAll(async () => {
    sidecar = await startOutboundSidecar({
      pki,
      hub: hub.url,
      workers,
      captureLogs: true,
      logLevel: 'info',
      tweak: (raw) => {
        raw.jws = { signingKeyPkcs11: token.uri('dfspa-jws') };
      },
    });
    await waitFor(() => sidecar.gateway.readiness().ready, 'the gateway to be ready');
  });
  afterAll(async () => {
    await sidecar?.close();
  });

  it('fails requests with SIGNING_FAILED and flips readiness while gone, recovers without a restart', async () => {
    expect((await send(sidecar)).status).toBe(202);

    token.remove();
    try {
      const failed = await send(sidecar);
      expect(failed.status).toBe(500);
      expect(failed.json().errorInformation).toMatchObject({ errorCode: '2001', errorDescription: 'Internal server error' });
      expect(reasonOf(failed.json())).toMatch(/^hsm_(error|unavailable)$/);

      const ready = sidecar.gateway.readiness();
      expect(ready.ready).toBe(false);
      expect(ready.reason).toContain(`the PKCS#11 token holding the signing key of 'dfspa' is unusable: `);
      expect(ready.reason).toContain(`token '${token.label}'`);

      // While it is down, requests are failed at once without touching the token.
      const fast = await send(sidecar);
      expect(fast.status).toBe(500);
      expect(reasonOf(fast.json())).toBe('hsm_unavailable');
    } finally {
      token.restore();
    }

    // The background probe (backoff from 250 ms up to 10 s) finds it again.
    await waitFor(() => sidecar.gateway.readiness().ready, 'readiness to come back once the token is back', 30_000);
    const before = hub.requests.length;
    for (let i = 0; i < 4; i++) expect((await send(sidecar)).status).toBe(202);
    expect(hub.requests.slice(before).map((r) => [r.sdkLatest, r.sdkLegacy])).toEqual(Array(4).fill(['valid', 'valid']));

    const events = sidecar.logs.filter((l) => typeof l.msg === 'string' && (l.msg as string).startsWith('PKCS#11 token'));
    expect(events.map((l) => [l.level, (l.msg as string).split(':')[0]])).toEqual([
      ['error', 'PKCS#11 token unusable'],
      ['warn', 'PKCS#11 token answers again'],
    ]);
    // Never the PIN in a log line.
    expect(sidecar.logText.join('\n')).not.toContain(token.pin);
  });
});
