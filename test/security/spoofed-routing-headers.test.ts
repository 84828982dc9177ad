/**
 * Attack: tell the core something false about the request through headers the core trusts:
 * the client address (`Forwarded`, `X-Real-IP`, `True-Client-IP`, underscore twins that CGI-style
 * servers read as the dashed header), the host or path a framework routes on (`X-Forwarded-Host`,
 * `X-Original-URL`), the sidecar's own verdict, or a `Connection` header that would make a proxy
 * strip the verified FSPIOP headers. The routing headers never reach the core (the sidecar's own
 * take their place); a Connection header naming an end-to-end header is refused.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { checkCoreHit, harnessPeerKeys, httpRequest, rawExchange, signedFor } from '../helpers/attack.js';
import { startInboundHarness, type InboundHarness } from '../helpers/inbound-harness.js';

let h: InboundHarness;
beforeAll(async () => {
  h = await startInboundHarness();
});
afterAll(async () => {
  await h?.close();
});

const spoofed: Array<[string, string]> = [
  ['Forwarded', 'for=6.6.6.6;host=evil'],
  ['X-Real-IP', '6.6.6.6'],
  ['True-Client-IP', '6.6.6.6'],
  ['X-Client-IP', '6.6.6.6'],
  ['X-Forwarded-Host', 'evil.example'],
  ['X-Forwarded-Prefix', '/admin'],
  ['X-Original-URL', '/admin/transfers'],
  ['X-Rewrite-URL', '/admin/transfers'],
  ['Via', '1.1 evil'],
  ['x_forwarded_for', '6.6.6.6'],
  ['fspiop_source', 'hubfsp'],
  ['X-Forwarded-For', '6.6.6.6'],
  ['X-DFSP-Sidecar-Peer-CN', 'the-hub'],
  ['x-dfsp-sidecar-jws', 'verified'],
];

describe('client-address and routing headers', () => {
  it('never reach the core; the sidecar states the address and verdict itself', async () => {
    const body = '{"transferState":"COMMITTED"}';
    const signed = signedFor(h.pki.payerJws.privatePem, 'payerfsp', 'PUT', '/transfers/1', body);
    const r = await rawExchange(h, httpRequest('PUT', '/transfers/1', [...signed.headers, ...spoofed], signed.body));
    expect(r.status).toBe(200);
    const hit = h.core.hits.at(-1)!;
    const names = hit.rawHeaders.filter((_, i) => i % 2 === 0).map((n) => n.toLowerCase());
    for (const [name] of spoofed) {
      const lower = name.toLowerCase();
      if (lower === 'x-forwarded-for' || lower.startsWith('x-dfsp-sidecar-')) expect(names.filter((n) => n === lower), lower).toHaveLength(1);
      else expect(names, lower).not.toContain(lower);
    }
    expect(hit.headers['x-forwarded-for']).toBe('127.0.0.1');
    expect(hit.headers['x-dfsp-sidecar-peer-cn']).toBe('hub-client');
    expect(hit.headers['x-dfsp-sidecar-jws']).toBe('verified; matched=raw');
    expect(checkCoreHit(hit, harnessPeerKeys(h))).toBeUndefined();
  });
});

describe('a Connection header naming an end-to-end header', () => {
  for (const named of ['fspiop-signature', 'FSPIOP-Destination', 'date', 'content-type', 'x-dfsp-sidecar-jws']) {
    it(`Connection: ${named} is refused with 400/3101 and nothing reaches the core`, async () => {
      const body = '{"transferState":"COMMITTED"}';
      const signed = signedFor(h.pki.payerJws.privatePem, 'payerfsp', 'PUT', '/transfers/1', body);
      const before = h.core.hits.length;
      const r = await rawExchange(h, httpRequest('PUT', '/transfers/1', [...signed.headers, ['Connection', `keep-alive, ${named}`]], signed.body));
      expect(r.status).toBe(400);
      const info = JSON.parse(r.body).errorInformation;
      expect(info.errorCode).toBe('3101');
      expect(info.extensionList.extension).toContainEqual({ key: 'sidecarReason', value: 'connection_names_end_to_end' });
      expect(h.core.hits.length).toBe(before);
    });
  }
});

describe('Content-Encoding', () => {
  it('a body the core would decompress is refused', async () => {
    const before = h.core.hits.length;
    const r = await rawExchange(h, httpRequest('PUT', '/transfers/1', [['content-encoding', 'gzip']], 'xxxx'));
    expect(r.status).toBe(400);
    expect(h.core.hits.length).toBe(before);
  });
});
