/**
 * Nothing that fails verification reaches the core. A tampered body, a signature by the wrong
 * key, a missing signature, a missing FSPIOP-Source, an unknown source and a body that is neither
 * signed nor JSON each get the catalogue's FSPIOP error (400 with 3105, 3102 or 3101), are logged
 * with the reason and counted; the core receives nothing. What the policy exempts (GET, unsigned
 * PUT /parties) passes, and the core is told why.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { send } from '../helpers/inbound-client.js';
import { startInboundHarness, type InboundHarness } from '../helpers/inbound-harness.js';
import { quoteRequest, sdkSign, type SignedRequest } from '../helpers/inbound-signing.js';

let h: InboundHarness;
let good: SignedRequest;
beforeAll(async () => {
  h = await startInboundHarness();
  good = sdkSign('latest', { privatePem: h.pki.payerJws.privatePem, method: 'POST', path: '/quotes', source: 'payerfsp', destination: 'dfspa', body: quoteRequest() });
});
afterAll(async () => {
  await h?.close();
});

async function post(headers: Record<string, string>, body: string, path = '/quotes', method = 'POST') {
  const r = await send({ port: h.port, ca: h.pki.dfspCa.certPem, creds: { cert: h.pki.client.chainPem, key: h.pki.client.keyPem }, method, path, headers, body });
  if (!r.ok) throw new Error(`request failed: ${r.error}`);
  return r;
}

function without(headers: Record<string, string>, name: string): Record<string, string> {
  const { [name]: _gone, ...rest } = headers;
  return rest;
}

describe('requests that fail verification', () => {
  const cases: Array<[string, () => { headers: Record<string, string>; body: string }, number, string, string]> = [
    ['a tampered body', () => ({ headers: good.headers, body: good.body.replace('123.45', '923.45') }), 400, '3105', 'signature_mismatch'],
    [
      'a signature by the wrong key',
      () => {
        const forged = sdkSign('latest', { privatePem: h.pki.strangerJws.privatePem, method: 'POST', path: '/quotes', source: 'payerfsp', destination: 'dfspa', body: quoteRequest() });
        return { headers: forged.headers, body: forged.body };
      },
      400,
      '3105',
      'signature_mismatch',
    ],
    ['a missing signature', () => ({ headers: without(good.headers, 'fspiop-signature'), body: good.body }), 400, '3105', 'missing_signature'],
    ['a missing FSPIOP-Source', () => ({ headers: without(good.headers, 'fspiop-source'), body: good.body }), 400, '3102', 'missing_source'],
    ['an unknown FSPIOP-Source', () => ({ headers: { ...good.headers, 'fspiop-source': 'nobodyfsp' }, body: good.body }), 400, '3105', 'unknown_source'],
    ['a body that is not JSON and not what was signed', () => ({ headers: good.headers, body: '{"quoteId": ' }), 400, '3101', 'malformed_json'],
  ];
  for (const [label, make, status, fspiopCode, reason] of cases) {
    it(`answers ${status}/${fspiopCode} for ${label}, and the core receives nothing`, async () => {
      const { headers, body } = make();
      const r = await post(headers, body);
      expect(r.status).toBe(status);
      expect(r.headers['content-type']).toBe('application/json');
      expect(r.headers['x-request-id']).toBeTruthy();
      const info = JSON.parse(r.body).errorInformation;
      expect(info.errorCode).toBe(fspiopCode);
      expect(info.extensionList.extension).toEqual([{ key: 'sidecarReason', value: reason }]);
      expect(h.core.hits.length).toBe(0);
      expect(await h.metric('dfsp_sidecar_inbound_jws_verifications_total', { outcome: 'rejected', reason })).toBeGreaterThanOrEqual(1);
      const line = h.logs.filter((l) => l.msg === 'request rejected').at(-1);
      expect(line).toMatchObject({ stage: 'verify-jws', reason, requestId: r.headers['x-request-id'] });
    });
  }

  it('counts every rejection', async () => {
    expect(await h.metric('dfsp_sidecar_inbound_requests_total', { resource: 'quotes', method: 'POST', status: '400' })).toBe(cases.length);
  });
});

describe('requests the policy exempts', () => {
  it('forwards a GET, marked exempt:get', async () => {
    const r = await post({ 'fspiop-source': 'payerfsp' }, '', '/parties/MSISDN/123', 'GET');
    expect(r.status).toBe(200);
    expect(h.core.hits.at(-1)?.headers['x-dfsp-sidecar-jws']).toBe('exempt:get');
  });

  it('forwards an unsigned PUT /parties, marked exempt:put-parties-unsigned', async () => {
    const body = JSON.stringify({ party: { partyIdInfo: { partyIdType: 'MSISDN', partyIdentifier: '123', fspId: 'payerfsp' } } });
    const r = await post({ 'fspiop-source': 'payerfsp', 'content-type': 'application/vnd.interoperability.parties+json;version=1.1' }, body, '/parties/MSISDN/123', 'PUT');
    expect(r.status).toBe(200);
    const hit = h.core.hits.at(-1)!;
    expect(hit.headers['x-dfsp-sidecar-jws']).toBe('exempt:put-parties-unsigned');
    expect(hit.body.toString()).toBe(body);
    expect(await h.metric('dfsp_sidecar_inbound_jws_verifications_total', { outcome: 'exempt', reason: 'put-parties-unsigned' })).toBe(1);
  });
});
