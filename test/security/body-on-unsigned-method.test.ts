/**
 * Attack: carry an unverified body on a method that is never signed (GET, HEAD, OPTIONS, DELETE:
 * trap T11), or turn a method into another with an override header that frameworks honour. Each
 * is refused with 400/3101 before the body is read, and the core receives nothing.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { httpRequest, rawExchange, signedFor } from '../helpers/attack.js';
import { startInboundHarness, type InboundHarness } from '../helpers/inbound-harness.js';

let h: InboundHarness;
beforeAll(async () => {
  h = await startInboundHarness();
});
afterAll(async () => {
  await h?.close();
});

const json = '{"transferState":"COMMITTED"}';

async function refused(bytes: Buffer, reason: string): Promise<void> {
  const before = h.core.hits.length;
  const head = bytes.subarray(0, 5).toString() === 'HEAD ';
  const r = await rawExchange(h, bytes, { head });
  expect(r.status).toBe(400);
  expect(h.core.hits.length).toBe(before);
  if (head) return; // a HEAD answer has no body to read the reason from
  const info = JSON.parse(r.body).errorInformation;
  expect(info.errorCode).toBe('3101');
  expect(info.extensionList.extension).toContainEqual({ key: 'sidecarReason', value: reason });
  expect(h.core.hits.length).toBe(before);
}

describe('a body on a method that is never signed', () => {
  for (const method of ['GET', 'HEAD', 'OPTIONS', 'DELETE']) {
    it(`${method} with a Content-Length body is refused`, async () => {
      await refused(httpRequest(method, '/transfers/1', [['content-type', 'application/json']], json), 'body_on_unsigned_method');
    });
    it(`${method} with a chunked body is refused`, async () => {
      const chunked = Buffer.from(`${method} /transfers/1 HTTP/1.1\r\nhost: x\r\ntransfer-encoding: chunked\r\n\r\n${json.length.toString(16)}\r\n${json}\r\n0\r\n\r\n`);
      await refused(chunked, 'body_on_unsigned_method');
    });
  }

  it('a GET without a body still passes, with no body to the core', async () => {
    const r = await rawExchange(h, httpRequest('GET', '/parties/MSISDN/1', [['accept', 'application/json']]));
    expect(r.status).toBe(200);
    const hit = h.core.hits.at(-1)!;
    expect(hit.method).toBe('GET');
    expect(hit.body.length).toBe(0);
  });
});

describe('method overrides', () => {
  for (const name of ['X-HTTP-Method-Override', 'X-HTTP-Method', 'X-Method-Override']) {
    it(`${name} on an unsigned GET is refused`, async () => {
      await refused(httpRequest('GET', '/transfers/1', [[name, 'POST']]), 'method_override');
    });
  }
  it('X-HTTP-Method-Override on a genuinely signed POST is refused', async () => {
    const signed = signedFor(h.pki.payerJws.privatePem, 'payerfsp', 'POST', '/transfers', json);
    await refused(httpRequest('POST', '/transfers', [...signed.headers, ['x-http-method-override', 'PUT']], signed.body), 'method_override');
  });
});
