/**
 * A request signed by the real Mojaloop SDK signer (19.19.x sorted keys, 19.18.8 insertion order;
 * RSA and P-256 keys) reaches the core byte for byte: method, path, body bytes, the
 * FSPIOP headers and trace headers; the hub's echoed Authorization does not; the sidecar's own
 * headers say who connected and that the signature verified. The core's answer comes back
 * unchanged.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { send } from '../helpers/inbound-client.js';
import { startInboundHarness, type InboundHarness } from '../helpers/inbound-harness.js';
import { quoteRequest, sdkSign, SDK_VERSIONS, transferFulfil } from '../helpers/inbound-signing.js';

let h: InboundHarness;
beforeAll(async () => {
  h = await startInboundHarness();
  h.core.setHandler((hit, res) => {
    res.setHeader('set-cookie', ['a=1', 'b=2']);
    res.writeHead(202, { 'content-type': 'application/json', 'x-core-seen': hit.url });
    res.end(JSON.stringify({ accepted: true, path: hit.url }));
  });
});
afterAll(async () => {
  await h?.close();
});

describe('an SDK-signed request', () => {
  for (const version of SDK_VERSIONS) {
    for (const [label, key, source, method, path, body] of [
      ['PUT /transfers, RSA', 'payerJws', 'payerfsp', 'PUT', '/transfers/b51ec534-ee48-4575-b6a9-ead2955b8069', transferFulfil()],
      ['POST /quotes, P-256', 'payeeJwsEc', 'payeefsp', 'POST', '/quotes', quoteRequest()],
    ] as const) {
      it(`reaches the core byte for byte (SDK ${version}, ${label})`, async () => {
        const signed = sdkSign(version, { privatePem: h.pki[key].privatePem, method, path, source, destination: 'dfspa', body });
        const before = h.core.hits.length;
        const r = await send({
          port: h.port,
          ca: h.pki.dfspCa.certPem,
          creds: { cert: h.pki.client.chainPem, key: h.pki.client.keyPem },
          method,
          path,
          headers: { ...signed.headers, authorization: 'Bearer hub-echoed-token', traceparent: '00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01', 'x-request-id': 'req-42', 'x-dfsp-sidecar-jws': 'verified' },
          body: signed.body,
        });
        expect(r.ok).toBe(true);
        if (!r.ok) return;
        expect(r.status).toBe(202);
        expect(r.headers['x-core-seen']).toBe(path);
        expect(r.headers['set-cookie']).toEqual(['a=1', 'b=2']);
        expect(JSON.parse(r.body)).toEqual({ accepted: true, path });

        expect(h.core.hits.length).toBe(before + 1);
        const hit = h.core.hits.at(-1)!;
        expect(hit.method).toBe(method);
        expect(hit.url).toBe(path);
        expect(hit.body.equals(Buffer.from(signed.body, 'utf8'))).toBe(true);
        for (const name of ['fspiop-source', 'fspiop-destination', 'fspiop-uri', 'fspiop-http-method', 'fspiop-signature', 'date', 'content-type', 'accept']) {
          expect(hit.headers[name], name).toBe(signed.headers[name]);
        }
        expect(hit.headers.traceparent).toBe('00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01');
        expect(hit.headers['x-request-id']).toBe('req-42');
        expect(hit.headers.authorization).toBeUndefined();
        expect(hit.headers['x-dfsp-sidecar-jws']).toBe('verified; matched=raw');
        expect(hit.headers['x-dfsp-sidecar-peer-cn']).toBe('hub-client');
        expect(hit.headers['x-forwarded-for']).toBe('127.0.0.1');
        expect(hit.headers['x-forwarded-proto']).toBe('https');
        expect(hit.headers['content-length']).toBe(String(Buffer.byteLength(signed.body)));
      });
    }
  }

  it('counts them as verified, by source and matched encoding', async () => {
    expect(await h.metric('dfsp_sidecar_inbound_jws_verifications_total', { outcome: 'verified' })).toBe(4);
    // Both SDKs sign the bytes they send, so every one matched the raw bytes.
    expect(await h.metric('dfsp_sidecar_inbound_jws_matched_encoding_total', { source: 'payerfsp', encoding: 'raw' })).toBe(2);
    expect(await h.metric('dfsp_sidecar_inbound_jws_matched_encoding_total', { source: 'payeefsp', encoding: 'raw' })).toBe(2);
    expect(await h.metric('dfsp_sidecar_inbound_requests_total', { resource: 'transfers', method: 'PUT', status: '202', outcome: 'ok' })).toBe(2);
    expect(await h.metric('dfsp_sidecar_inbound_requests_total', { resource: 'quotes', method: 'POST', status: '202', outcome: 'ok' })).toBe(2);
  });

  it('is accepted when the hub re-serialised the body in insertion order, and the core receives the sorted bytes that were signed (matched: sorted)', async () => {
    const signed = sdkSign('latest', { privatePem: h.pki.payerJws.privatePem, method: 'PUT', path: '/transfers/x1', source: 'payerfsp', destination: 'dfspa', body: transferFulfil('x1') });
    // Same JSON, insertion order: what an old hub or SDK forwards after parsing.
    const reordered = JSON.stringify(JSON.parse(signed.body), Object.keys(transferFulfil('x1')).concat(['extension', 'key', 'value']));
    expect(reordered).not.toBe(signed.body);
    const r = await send({ port: h.port, ca: h.pki.dfspCa.certPem, creds: { cert: h.pki.client.chainPem, key: h.pki.client.keyPem }, method: 'PUT', path: '/transfers/x1', headers: signed.headers, body: reordered });
    expect(r.ok && r.status).toBe(202);
    const hit = h.core.hits.at(-1)!;
    expect(hit.body.toString()).toBe(signed.body);
    expect(hit.headers['content-length']).toBe(String(Buffer.byteLength(signed.body)));
    expect(hit.headers['x-dfsp-sidecar-jws']).toBe('verified; matched=sorted');
    expect(await h.metric('dfsp_sidecar_inbound_jws_matched_encoding_total', { source: 'payerfsp', encoding: 'sorted' })).toBe(1);
  });
});
