/**
 * Reload of every credential while a bounded load runs over keep-alive mTLS connections: the
 * server certificate, the CA bundle, the CRL, the allowlist and the peer JWS keys (rotation with
 * overlap: add `<fsp>.next.pem`, move the signer over, retire the old key). Each change applies
 * to new connections and requests; the load sees zero failed requests and its connections are
 * never closed. Reloads go through store.reload(() => compileSnapshot(...)), as the reloader does.
 */
import { X509Certificate } from 'node:crypto';
import { renameSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { connect } from 'node:tls';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { mtlsPool, send, type ClientCreds } from '../helpers/inbound-client.js';
import { startInboundHarness, type InboundHarness } from '../helpers/inbound-harness.js';
import { sdkSign, transferFulfil, type SignedRequest } from '../helpers/inbound-signing.js';

let h: InboundHarness;
beforeAll(async () => {
  h = await startInboundHarness();
});
afterAll(async () => {
  await h?.close();
});

function serverFingerprint(): Promise<string> {
  return new Promise((resolve, reject) => {
    const s = connect({ host: '127.0.0.1', port: h.port, ca: h.pki.dfspCa.certPem, cert: h.pki.client.chainPem, key: h.pki.client.keyPem }, () => {
      resolve(s.getPeerX509Certificate()?.fingerprint256 ?? '');
      s.destroy();
    });
    s.on('error', reject);
  });
}

const fingerprintOf = (pem: string) => new X509Certificate(pem).fingerprint256;

describe('reload under load', () => {
  it('applies every credential change with zero failed requests and no dropped connection', async () => {
    const creds: ClientCreds = { cert: h.pki.client.chainPem, key: h.pki.client.keyPem };
    const signedBy = (privatePem: string, i: number): SignedRequest =>
      sdkSign('latest', { privatePem, method: 'PUT', path: `/transfers/t-${i}`, source: 'payerfsp', destination: 'dfspa', body: transferFulfil(`t-${i}`) });
    const oldKey = Array.from({ length: 8 }, (_, i) => signedBy(h.pki.payerJws.privatePem, i));
    const newKey = Array.from({ length: 8 }, (_, i) => signedBy(h.pki.payerJws2.privatePem, i));
    let signing = oldKey;

    const pool = mtlsPool(h.port, h.pki.dfspCa.certPem, creds, 4);
    let connects = 0;
    let disconnects = 0;
    pool.on('connect', () => connects++);
    pool.on('disconnect', () => disconnects++);
    const tally = { ok: 0, failed: 0, statuses: new Map<number, number>(), errors: [] as string[] };
    let stop = false;
    const MAX_REQUESTS = 20_000;
    let issued = 0;
    const loop = async () => {
      while (!stop && issued < MAX_REQUESTS) {
        const req = signing[issued++ % signing.length]!;
        try {
          const r = await pool.request({ method: 'PUT', path: req.path, headers: req.headers, body: req.body });
          await r.body.text();
          if (r.statusCode === 200) tally.ok++;
          else {
            tally.failed++;
            tally.statuses.set(r.statusCode, (tally.statuses.get(r.statusCode) ?? 0) + 1);
          }
        } catch (err) {
          tally.failed++;
          tally.errors.push((err as Error).message);
        }
      }
    };
    const load = Promise.all(Array.from({ length: 4 }, loop));
    const progress = async () => {
      const before = tally.ok;
      await expect.poll(() => tally.ok, { timeout: 5_000 }).toBeGreaterThan(before + 20);
    };
    await progress();

    // 1. Server certificate.
    writeFileSync(h.files.serverCert, h.pki.server2.chainPem);
    writeFileSync(h.files.serverKey, h.pki.server2.keyPem);
    expect((await h.reload()).ok).toBe(true);
    expect(await serverFingerprint()).toBe(fingerprintOf(h.pki.server2.certPem));
    await progress();

    // 2. CA bundle: the second hub CA is trusted too.
    writeFileSync(h.files.hubCa, h.pki.hubCa.certPem + h.pki.hubCa2.certPem);
    expect((await h.reload()).ok).toBe(true);
    const viaCa2 = await send({ port: h.port, ca: h.pki.dfspCa.certPem, creds: { cert: h.pki.client2.chainPem, key: h.pki.client2.keyPem }, path: '/parties/MSISDN/1' });
    expect(viaCa2.ok && viaCa2.status).toBe(200);
    await progress();

    // 3. CRL.
    const revokedBefore = await send({ port: h.port, ca: h.pki.dfspCa.certPem, creds: { cert: h.pki.revokedClient.chainPem, key: h.pki.revokedClient.keyPem }, path: '/parties/MSISDN/1' });
    expect(revokedBefore.ok && revokedBefore.status).toBe(200);
    expect((await h.reload((raw) => void (raw.inbound.tls.crlFiles = [h.files.crl]))).ok).toBe(true);
    const revokedAfter = await send({ port: h.port, ca: h.pki.dfspCa.certPem, creds: { cert: h.pki.revokedClient.chainPem, key: h.pki.revokedClient.keyPem }, path: '/parties/MSISDN/1' });
    expect(revokedAfter.ok).toBe(false);
    await progress();

    // 4. Allowlist.
    const from2 = () => send({ port: h.port, localAddress: '127.0.0.2', ca: h.pki.dfspCa.certPem, creds, path: '/parties/MSISDN/1' });
    expect((await from2()).ok).toBe(false);
    expect((await h.reload((raw) => void raw.inbound.allowlist.push('127.0.0.2/32'))).ok).toBe(true);
    const allowed = await from2();
    expect(allowed.ok && allowed.status).toBe(200);
    await progress();

    // 5. Peer keys: add the next key, move the signer, retire the old key.
    writeFileSync(join(h.files.peers, 'payerfsp.next.pem'), h.pki.payerJws2.publicPem);
    expect((await h.reload()).ok).toBe(true);
    signing = newKey;
    await progress();
    renameSync(join(h.files.peers, 'payerfsp.next.pem'), join(h.files.peers, 'payerfsp.pem'));
    expect((await h.reload()).ok).toBe(true);
    await progress();
    const oldSigned = oldKey[0]!;
    const stale = await send({ port: h.port, ca: h.pki.dfspCa.certPem, creds, method: 'PUT', path: oldSigned.path, headers: oldSigned.headers, body: oldSigned.body });
    expect(stale.ok && stale.status).toBe(400);

    stop = true;
    await load;
    const disconnectsDuringLoad = disconnects;
    await pool.close();
    expect(tally.errors).toEqual([]);
    expect(Object.fromEntries(tally.statuses)).toEqual({});
    expect(tally.failed).toBe(0);
    expect(tally.ok).toBeGreaterThan(150);
    expect(connects).toBe(4);
    expect(disconnectsDuringLoad).toBe(0);
    expect(await h.metric('dfsp_sidecar_inbound_jws_matched_encoding_total', { source: 'payerfsp', encoding: 'raw' })).toBe(tally.ok);
  });
});
