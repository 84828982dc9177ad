/**
 * A client that half-closes its side right after sending a whole request (RFC 9112 §9.6 allows
 * it) still gets the answer; and a request followed on the wire by bytes that do not parse is
 * answered before the connection closes. Both used to end in a close without any answer (found by
 * `npm run fuzz`): Node treats a FIN as an abort, and a parse error as a reason to cut whatever is
 * in flight.
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

describe('a whole request, then', () => {
  it('a half-close: answered, and the core got it once', async () => {
    const signed = signedFor(h.pki.payerJws.privatePem, 'payerfsp', 'PUT', '/transfers/half-closed', '{"transferState":"COMMITTED"}');
    const before = h.core.hits.length;
    const r = await rawExchange(h, httpRequest('PUT', '/transfers/half-closed', signed.headers, signed.body), { end: true });
    expect(r.status).toBe(200);
    expect(h.core.hits.length).toBe(before + 1);
  });

  it('unparsable bytes: the request is answered (Connection: close), the garbage is never forwarded', async () => {
    const signed = signedFor(h.pki.payerJws.privatePem, 'payerfsp', 'PUT', '/transfers/then-garbage', '{"transferState":"COMMITTED"}');
    const before = h.core.hits.length;
    const bytes = Buffer.concat([httpRequest('PUT', '/transfers/then-garbage', signed.headers, signed.body), Buffer.from('NOT HTTP AT ALL\r\n\r\n')]);
    const r = await rawExchange(h, bytes, { end: true });
    expect(r.status).toBe(200);
    expect(r.headers.connection).toBe('close');
    expect(h.core.hits.length).toBe(before + 1);
  });
});
