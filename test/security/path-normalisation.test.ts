/**
 * Attack: make the sidecar and the core read the path differently. Unsigned requests the policy
 * exempts (PUT /parties, /ping) or unsigned methods are aimed, through dot segments, encodings,
 * backslashes, path parameters or empty segments, at a path a core would resolve to another
 * resource. Every such target is refused with 400/3101 before any exemption is computed, counted,
 * and the core receives nothing.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { httpRequest, rawExchange } from '../helpers/attack.js';
import { startInboundHarness, type InboundHarness } from '../helpers/inbound-harness.js';

let h: InboundHarness;
beforeAll(async () => {
  h = await startInboundHarness({
    configure: (raw) => {
      // /ping unverified: the exemption an attacker would most like to borrow.
      raw.jws.verifyPutParties = 'if-signed';
    },
  });
});
afterAll(async () => {
  await h?.close();
});

const body = '{"transferState":"COMMITTED"}';
const attacks: Array<[string, string, string]> = [
  ['PUT', '/parties/../transfers/1', 'target_dot_segment'],
  ['PUT', '/parties/%2e%2e/transfers/1', 'target_encoded_dot'],
  ['PUT', '/parties/%2E%2E/transfers/1', 'target_encoded_dot'],
  ['PUT', '/parties/.%2e/transfers/1', 'target_encoded_dot'],
  ['POST', '/ping/../transfers', 'target_dot_segment'],
  ['PUT', '/parties/MSISDN/..%2ftransfers/1', 'target_encoded_slash'],
  ['PUT', '/parties/MSISDN%2f..%2f..%2ftransfers/1', 'target_encoded_slash'],
  ['PUT', '/parties\\..\\transfers\\1', 'target_backslash'],
  ['PUT', '/parties/%5c../transfers/1', 'target_encoded_backslash'],
  ['PUT', '/parties/..;/transfers/1', 'target_path_parameter'],
  ['PUT', '/parties;x/MSISDN/1', 'target_path_parameter'],
  ['PUT', '/parties/%252e%252e/transfers/1', 'target_encoded_percent'],
  ['PUT', '//parties/MSISDN/1', 'target_empty_segment'],
  ['PUT', '/parties/MSISDN//1', 'target_empty_segment'],
  ['PUT', '/parties/MSISDN/1/', 'target_empty_segment'],
  ['GET', '/parties/MSISDN/1%00', 'target_encoded_control'],
  ['GET', 'http://core.internal/transfers/1', 'target_not_origin_form'],
];

describe('a request target a core could read as another path', () => {
  for (const [method, target, reason] of attacks) {
    it(`${method} ${target}: 400/3101 ${reason}, the core receives nothing`, async () => {
      const before = h.core.hits.length;
      const r = await rawExchange(h, httpRequest(method, target, [['content-type', 'application/json'], ['fspiop-source', 'payerfsp']], method === 'GET' ? undefined : body));
      expect(r.status).toBe(400);
      const info = JSON.parse(r.body).errorInformation;
      expect(info.errorCode).toBe('3101');
      expect(info.extensionList.extension).toContainEqual({ key: 'sidecarReason', value: reason });
      expect(h.core.hits.length).toBe(before);
    });
  }

  it('CONNECT host:port (authority-form): 400/3101 target_not_origin_form, not a silent close', async () => {
    const before = h.core.hits.length;
    const r = await rawExchange(h, 'CONNECT 127.0.0.1:3000 HTTP/1.1\r\nhost: 127.0.0.1:3000\r\n\r\n');
    expect(r.status).toBe(400);
    expect(JSON.parse(r.body).errorInformation.extensionList.extension).toContainEqual({ key: 'sidecarReason', value: 'target_not_origin_form' });
    expect(h.core.hits.length).toBe(before);
  });

  it('counts every refusal under MALFORMED_REQUEST', async () => {
    expect(await h.metric('dfsp_sidecar_inbound_requests_total', { status: '400', outcome: 'MALFORMED_REQUEST' })).toBe(attacks.length + 1);
  });

  it('still lets the canonical exempt request through (an unsigned PUT /parties)', async () => {
    const r = await rawExchange(h, httpRequest('PUT', '/parties/MSISDN/27713803912', [['content-type', 'application/json'], ['fspiop-source', 'payerfsp']], '{"party":{}}'));
    expect(r.status).toBe(200);
    expect(h.core.hits.at(-1)!.url).toBe('/parties/MSISDN/27713803912');
    expect(h.core.hits.at(-1)!.headers['x-dfsp-sidecar-jws']).toBe('exempt:put-parties-unsigned');
  });

  it('never exempts a resource that is not the first segment', async () => {
    const before = h.core.hits.length;
    const r = await rawExchange(h, httpRequest('PUT', '/x/parties/MSISDN/1', [['content-type', 'application/json'], ['fspiop-source', 'payerfsp']], body));
    expect(r.status).toBe(400);
    expect(JSON.parse(r.body).errorInformation.errorCode).toBe('3105');
    expect(h.core.hits.length).toBe(before);
  });
});
