/**
 * Attack: replay a genuinely signed message on another request line. A message signed for
 * `PUT /transfers/A/error` is sent unchanged as `PUT /transfers/B/error`; a signed `POST /quotes`
 * as `PUT /transfers/1` or `PATCH /transfers/1`; a signed path with a query appended. Under the
 * default `jws.requestLine: enforce` each is refused with 400/3105 `request_mismatch` and the core
 * receives nothing; under `record` the request is forwarded, marked and counted.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { checkCoreHit, harnessPeerKeys, httpRequest, rawExchange, signedFor } from '../helpers/attack.js';
import { startInboundHarness, type InboundHarness } from '../helpers/inbound-harness.js';
import { quoteRequest } from '../helpers/inbound-signing.js';

let h: InboundHarness;
beforeAll(async () => {
  h = await startInboundHarness();
});
afterAll(async () => {
  await h?.close();
});

const errorBody = JSON.stringify({ errorInformation: { errorCode: '5100', errorDescription: 'Payee rejected' } });

describe('a signed message replayed on another request line', () => {
  const replays: Array<[string, () => { signedMethod: string; signedPath: string; body: string }, string, string]> = [
    ['another transfer id', () => ({ signedMethod: 'PUT', signedPath: '/transfers/A/error', body: errorBody }), 'PUT', '/transfers/B/error'],
    ['POST /quotes as PUT /transfers/1', () => ({ signedMethod: 'POST', signedPath: '/quotes', body: JSON.stringify(quoteRequest()) }), 'PUT', '/transfers/1'],
    ['POST /quotes as PATCH /transfers/1', () => ({ signedMethod: 'POST', signedPath: '/quotes', body: JSON.stringify(quoteRequest()) }), 'PATCH', '/transfers/1'],
    ['the same path with a query the signer did not sign', () => ({ signedMethod: 'PUT', signedPath: '/transfers/A/error', body: errorBody }), 'PUT', '/transfers/A/error?state=COMMITTED'],
    ['the same path in another case', () => ({ signedMethod: 'PUT', signedPath: '/transfers/A/error', body: errorBody }), 'PUT', '/Transfers/A/error'],
  ];
  for (const [label, make, method, target] of replays) {
    it(`is refused with 400/3105 request_mismatch: ${label}`, async () => {
      const { signedMethod, signedPath, body } = make();
      const signed = signedFor(h.pki.payerJws.privatePem, 'payerfsp', signedMethod, signedPath, body);
      const before = h.core.hits.length;
      const r = await rawExchange(h, httpRequest(method, target, signed.headers, signed.body));
      expect(r.status).toBe(400);
      const info = JSON.parse(r.body).errorInformation;
      expect(info.errorCode).toBe('3105');
      expect(info.extensionList.extension).toContainEqual({ key: 'sidecarReason', value: 'request_mismatch' });
      expect(h.core.hits.length).toBe(before);
    });
  }

  it('is forwarded on the request line it was signed for', async () => {
    const signed = signedFor(h.pki.payerJws.privatePem, 'payerfsp', 'PUT', '/transfers/A/error', errorBody);
    const r = await rawExchange(h, httpRequest('PUT', '/transfers/A/error', signed.headers, signed.body));
    expect(r.status).toBe(200);
    const hit = h.core.hits.at(-1)!;
    expect(hit.url).toBe('/transfers/A/error');
    expect(checkCoreHit(hit, harnessPeerKeys(h))).toBeUndefined();
  });

  it('counts the refusals by reason', async () => {
    expect(await h.metric('dfsp_sidecar_inbound_jws_verifications_total', { outcome: 'rejected', reason: 'request_mismatch' })).toBe(replays.length);
  });
});

describe('jws.requestLine: record', () => {
  it('forwards the mismatch, tells the core and counts it', async () => {
    const outcome = await h.reload((raw) => {
      raw.jws.requestLine = 'record';
    });
    expect(outcome.ok).toBe(true);
    try {
      const signed = signedFor(h.pki.payerJws.privatePem, 'payerfsp', 'PUT', '/transfers/A/error', errorBody);
      const r = await rawExchange(h, httpRequest('PUT', '/transfers/B/error', signed.headers, signed.body));
      expect(r.status).toBe(200);
      const hit = h.core.hits.at(-1)!;
      expect(hit.url).toBe('/transfers/B/error');
      expect(hit.headers['x-dfsp-sidecar-jws']).toBe('verified; matched=raw; request-line=mismatch');
      expect(await h.metric('dfsp_sidecar_inbound_jws_request_line_mismatches_recorded_total')).toBe(1);
      expect(h.logs.some((l) => l.msg === 'request line differs from the signed one; forwarded (jws.requestLine: record)')).toBe(true);
    } finally {
      await h.reload((raw) => {
        raw.jws.requestLine = 'enforce';
      });
    }
  });
});
