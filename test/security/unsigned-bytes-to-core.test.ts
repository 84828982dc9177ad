/**
 * Attack: get bytes past the signature. A peer signs the sorted, compact form of a body (what SDK
 * 19.18.9+ and the hub's validators do); the attacker sends received bytes that re-serialise to
 * that form but read differently: a duplicate key whose first occurrence is the attacker's value,
 * an integer beyond 2^53 that rounds to the signed one, an invalid UTF-8 byte where U+FFFD was
 * signed. Each one verifies (the re-serialisation matches), so the core must receive the bytes
 * the signature covers, never the received ones.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { checkCoreHit, harnessPeerKeys, httpRequest, rawExchange, signedOver } from '../helpers/attack.js';
import { startInboundHarness, type InboundHarness } from '../helpers/inbound-harness.js';

let h: InboundHarness;
beforeAll(async () => {
  h = await startInboundHarness();
});
afterAll(async () => {
  await h?.close();
});

const cases: Array<[string, Buffer, Buffer]> = [
  ['a duplicate key whose first value is the attacker\'s', Buffer.from('{"amount":{"amount":"9000","amount":"1","currency":"USD"}}'), Buffer.from('{"amount":{"amount":"1","currency":"USD"}}')],
  ['an integer beyond 2^53 that rounds to the signed one', Buffer.from('{"n":9007199254740993}'), Buffer.from('{"n":9007199254740992}')],
  ['an invalid UTF-8 byte where U+FFFD was signed', Buffer.concat([Buffer.from('{"note":"a'), Buffer.from([0xff]), Buffer.from('b"}')]), Buffer.from('{"note":"a\uFFFDb"}', 'utf8')],
  ['whitespace and key order a hub re-serialised away', Buffer.from('{ "b": 1,\n  "a": [1, 2] }'), Buffer.from('{"a":[1,2],"b":1}')],
];

describe('a body that only verifies once re-serialised', () => {
  for (const [label, received, signed] of cases) {
    it(`reaches the core as the signed bytes: ${label}`, async () => {
      const headers = signedOver(h.pki.payerJws.privatePem, 'payerfsp', 'PUT', '/transfers/1', signed);
      const r = await rawExchange(h, httpRequest('PUT', '/transfers/1', headers, received));
      expect(r.status).toBe(200);
      const hit = h.core.hits.at(-1)!;
      expect(hit.body.equals(signed)).toBe(true);
      expect(hit.body.equals(received)).toBe(false);
      expect(hit.headers['content-length']).toBe(String(signed.length));
      expect(hit.headers['x-dfsp-sidecar-jws']).toBe('verified; matched=sorted');
      expect(checkCoreHit(hit, harnessPeerKeys(h))).toBeUndefined();
    });
  }

  it('is refused when nothing the signature covers can be derived from the received bytes', async () => {
    const before = h.core.hits.length;
    const headers = signedOver(h.pki.payerJws.privatePem, 'payerfsp', 'PUT', '/transfers/1', Buffer.from('{"amount":"1"}'));
    const r = await rawExchange(h, httpRequest('PUT', '/transfers/1', headers, '{"amount":"9000"}'));
    expect(r.status).toBe(400);
    expect(JSON.parse(r.body).errorInformation.errorCode).toBe('3105');
    expect(h.core.hits.length).toBe(before);
  });
});
