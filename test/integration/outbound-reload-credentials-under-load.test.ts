/**
 * Behaviour: every outbound credential is replaced by a reload while requests keep flowing, and not
 * one request fails: the client certificate, the hub CA bundle (rotating to a hub certificate from a
 * new CA), the signing key, and the OAuth client credentials. New requests use the new material;
 * requests already in flight finish on the pools and token they started with, and the old pools
 * are closed gracefully once drained.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startOutboundHub, type OutboundHub } from '../helpers/outbound-hub.js';
import { outboundPki, rotationPki, type OutboundPki, type RotationPki } from '../helpers/outbound-pki.js';
import { oauthFor, quoteBody, startOutboundSidecar, total, waitFor, type OutboundSidecar } from '../helpers/outbound-sidecar.js';
import { startTokenServer, type TokenServer } from '../helpers/outbound-token-server.js';

let pki: OutboundPki;
let next: RotationPki;
let hub: OutboundHub;
let tokens: TokenServer;
let sidecar: OutboundSidecar;

beforeAll(async () => {
  [pki, next] = await Promise.all([outboundPki(), rotationPki()]);
  // The hub accepts client certificates from the hub CA; its own certificate changes CA mid-test.
  hub = await startOutboundHub({ cert: pki.hubServer, clientCaPem: pki.hubCa.certPem, keys: { dfspa: pki.jwsRsa.publicPem } });
  tokens = await startTokenServer({ cert: pki.hubServer, clientKey: 'dfspa-client', clientSecret: 'secret-A', expiresIn: 300 });
  sidecar = await startOutboundSidecar({ pki, hub: hub.url, oauth: oauthFor(tokens.url, { clientSecret: 'secret-A' }) });
  await waitFor(() => sidecar.gateway.readiness().ready, 'first token');
});
afterAll(async () => {
  await sidecar?.close();
  await tokens?.close();
  await hub?.close();
});

/** Concurrent closed-loop clients until stopped (bounded by a request cap). */
function startLoad(workers: number, cap = 5_000) {
  const statuses: number[] = [];
  const failures: string[] = [];
  let stop = false;
  const loops = Array.from({ length: workers }, async (_, w) => {
    for (let i = 0; !stop && statuses.length < cap; i++) {
      try {
        const r = await sidecar.send(i % 2 ? '/transfers' : '/quotes', { body: quoteBody(), headers: { 'fspiop-destination': 'dfspz' } });
        statuses.push(r.status);
        if (r.status !== 202) failures.push(`worker ${w}: ${r.status} ${r.text}`);
      } catch (err) {
        failures.push(`worker ${w}: ${String(err)}`);
      }
    }
  });
  return {
    statuses,
    failures,
    /** Wait for `n` more completed requests. */
    more: (n: number) => {
      const target = statuses.length + n;
      return waitFor(() => statuses.length >= target || failures.length > 0, `${n} more requests`);
    },
    async stop() {
      stop = true;
      await Promise.all(loops);
    },
  };
}

describe('reload under load', () => {
  it('swaps every credential with zero failed requests', async () => {
    const load = startLoad(6);
    try {
      await load.more(30);

      // 1. Client certificate.
      const cert2 = sidecar.write('client2.pem', next.client2.chainPem);
      const key2 = sidecar.write('client2.key', next.client2.keyPem);
      await sidecar.reload((raw) => {
        raw.outbound.tls.certFile = cert2;
        raw.outbound.tls.keyFile = key2;
      });
      const afterCert = hub.requests.length;
      await load.more(30);
      expect(hub.requests.slice(afterCert + 12).every((r) => r.clientCn === 'dfspa-rotated')).toBe(true);

      // 2. Signing key (the hub accepts both during the rotation, as a peer with overlapping keys would).
      hub.setKeys([{ dfspa: pki.jwsRsa.publicPem }, { dfspa: next.jwsRsa2.publicPem }]);
      const jws2 = sidecar.write('dfspa-2.key.pem', next.jwsRsa2.privatePem);
      await sidecar.reload((raw) => {
        raw.jws.signingKeyFile = jws2;
      });
      const afterKey = hub.requests.length;
      await load.more(30);
      expect(hub.requests.slice(afterKey + 12).every((r) => r.keySet === 1)).toBe(true);

      // 3. Hub CA bundle: trust old + new, the hub (and its token endpoint) move to certificates from
      //    the new CA, then trust only the new one.
      const ca2 = sidecar.write('hub-ca-2.pem', next.hubCa2.certPem);
      await sidecar.reload((raw) => {
        raw.outbound.tls.caFiles = [raw.outbound.tls.caFiles[0], ca2];
      });
      await load.more(20);
      hub.server.setSecureContext({ cert: next.hubServer2.chainPem, key: next.hubServer2.keyPem, ca: pki.hubCa.certPem });
      tokens.server.setSecureContext({ cert: next.hubServer2.chainPem, key: next.hubServer2.keyPem }); // the hub's token gateway too
      await sidecar.reload((raw) => {
        raw.outbound.tls.caFiles = [ca2];
      });
      await load.more(30);

      // 4. OAuth client credentials: the gateway rotates the secret, then the sidecar is reloaded with it.
      tokens.setCredentials('dfspa-client', 'secret-B');
      await sidecar.reload((raw) => {
        raw.outbound.oauth.clientSecret = 'secret-B';
      });
      const basicB = `Basic ${Buffer.from('dfspa-client:secret-B').toString('base64')}`;
      await waitFor(() => tokens.calls.some((c) => c.authorization === basicB && c.issued !== undefined), 'a token fetched with the new credentials');
      const tokenB = tokens.calls.find((c) => c.authorization === basicB && c.issued !== undefined)!.issued!;
      const afterOauth = hub.requests.length;
      await load.more(30);
      expect(hub.requests.slice(afterOauth + 12).every((r) => r.headers.authorization === `Bearer ${tokenB}`)).toBe(true);
    } finally {
      await load.stop();
    }

    expect(load.failures).toEqual([]);
    expect(load.statuses.length).toBeGreaterThanOrEqual(170);
    expect(hub.requests.every((r) => r.sdkLatest === 'valid' && r.sdkLegacy === 'valid')).toBe(true);
    // Old pools drained and closed: what is left open belongs to the current generation only.
    await waitFor(async () => total(await sidecar.samples('dfsp_sidecar_outbound_upstream_connections')) <= 6, 'old pools closed');
    expect(sidecar.store.current().version).toBe(6);
  });
});
