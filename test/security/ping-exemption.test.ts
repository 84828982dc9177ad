/**
 * Attack: borrow the /ping policy. Under the default `ping: record`, a /ping whose signature fails
 * is let through so the core can answer PUT /ping/{id}/error with 3100 as the SDK does; its body
 * was never verified, so the core gets the request line and the verdict but no body. The SDK's own
 * PUT /ping, which signs `//host:port/ping/{id}`, verifies with the request line bound.
 */
import { createPrivateKey, sign } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { checkCoreHit, harnessPeerKeys, httpRequest, rawExchange } from '../helpers/attack.js';
import { startInboundHarness, type InboundHarness } from '../helpers/inbound-harness.js';

let h: InboundHarness;
beforeAll(async () => {
  h = await startInboundHarness();
});
afterAll(async () => {
  await h?.close();
});

describe('/ping under the default record policy', () => {
  it('an unsigned PUT /ping/{id} with a body reaches the core without the body, marked with the failure', async () => {
    const r = await rawExchange(h, httpRequest('PUT', '/ping/abc', [['content-type', 'application/json'], ['fspiop-source', 'payerfsp']], '{"transferState":"COMMITTED"}'));
    expect(r.status).toBe(200);
    const hit = h.core.hits.at(-1)!;
    expect(hit.url).toBe('/ping/abc');
    expect(hit.headers['x-dfsp-sidecar-jws']).toBe('exempt:ping; failure=missing_signature');
    expect(hit.body.length).toBe(0);
    expect(checkCoreHit(hit, harnessPeerKeys(h))).toBeUndefined();
  });

  it("the SDK's signed PUT /ping (FSPIOP-URI //host:port/ping/{id}) verifies, body and all", async () => {
    const body = Buffer.from('{"requestId":"abc"}');
    const uri = '//127.0.0.1:4000/ping/abc';
    const date = new Date().toUTCString();
    const ph = Buffer.from(JSON.stringify({ alg: 'RS256', 'FSPIOP-URI': uri, 'FSPIOP-HTTP-Method': 'PUT', 'FSPIOP-Source': 'payerfsp', Date: date })).toString('base64url');
    const signature = sign('sha256', Buffer.from(`${ph}.${body.toString('base64url')}`), createPrivateKey(h.pki.payerJws.privatePem)).toString('base64url');
    const headers: Array<[string, string]> = [
      ['content-type', 'application/json'],
      ['date', date],
      ['fspiop-source', 'payerfsp'],
      ['fspiop-uri', uri],
      ['fspiop-http-method', 'PUT'],
      ['fspiop-signature', JSON.stringify({ signature, protectedHeader: ph })],
    ];
    const r = await rawExchange(h, httpRequest('PUT', '/ping/abc', headers, body));
    expect(r.status).toBe(200);
    const hit = h.core.hits.at(-1)!;
    expect(hit.headers['x-dfsp-sidecar-jws']).toBe('verified; matched=raw');
    expect(hit.body.equals(body)).toBe(true);
    // The same signature on another ping id is a mismatch: let through under record, without the body.
    const replay = await rawExchange(h, httpRequest('PUT', '/ping/other', headers, body));
    expect(replay.status).toBe(200);
    expect(h.core.hits.at(-1)!.headers['x-dfsp-sidecar-jws']).toBe('exempt:ping; failure=request_mismatch');
    expect(h.core.hits.at(-1)!.body.length).toBe(0);
  });
});
