import { describe, expect, it } from 'vitest';
import { hubHeaders, signerHeaders } from '../../../src/outbound/hub-headers.js';

describe('hubHeaders', () => {
  const core = {
    host: '127.0.0.1:4001',
    connection: 'keep-alive, x-hop',
    'x-hop': 'dropped because Connection names it',
    'keep-alive': 'timeout=5',
    'transfer-encoding': 'chunked',
    'content-length': '999',
    authorization: 'Bearer core-supplied',
    'fspiop-signature': '{"signature":"forged","protectedHeader":"x"}',
    'fspiop-source': 'dfspa',
    'fspiop-destination': 'dfspz',
    date: 'Tue, 01 Jan 2030 00:00:00 GMT',
    'content-type': 'application/vnd.interoperability.quotes+json;version=1.1',
    accept: 'application/vnd.interoperability.quotes+json;version=1',
    traceparent: '00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01',
  };
  const signed = { date: 'Wed, 02 Jan 2030 00:00:00 GMT', 'fspiop-uri': '/quotes', 'fspiop-http-method': 'POST', 'fspiop-source': 'dfspa', 'fspiop-signature': '{"ours":true}', 'content-length': '42' };

  it('replaces the core credentials with ours and the signed headers with the signer values', () => {
    const out = hubHeaders(core, signed, 'tok-1', 'req-1');
    expect(out.authorization).toBe('Bearer tok-1');
    expect(out['fspiop-signature']).toBe('{"ours":true}');
    expect(out.date).toBe(signed.date);
    expect(out['fspiop-uri']).toBe('/quotes');
  });

  it('sends the request id this request is logged under', () => {
    expect(hubHeaders(core, signed, undefined, 'req-42')['x-request-id']).toBe('req-42');
    expect(hubHeaders({ ...core, 'x-request-id': 'from-core' }, signed, undefined, 'from-core')['x-request-id']).toBe('from-core');
  });

  it('drops hop-by-hop headers and leaves Content-Length to the client that sends the bytes', () => {
    const out = hubHeaders(core, signed, undefined, 'req-1');
    for (const h of ['host', 'connection', 'x-hop', 'keep-alive', 'transfer-encoding', 'content-length']) expect(out).not.toHaveProperty(h);
  });

  it('keeps end-to-end headers, and sends no Authorization at all without a token', () => {
    const out = hubHeaders(core, signed, undefined, 'req-1');
    expect(out).not.toHaveProperty('authorization');
    expect(out.accept).toBe(core.accept);
    expect(out['content-type']).toBe(core['content-type']);
    expect(out.traceparent).toBe(core.traceparent);
    expect(out['fspiop-destination']).toBe('dfspz');
  });
});

describe('signerHeaders', () => {
  it('passes single values, joining duplicates as a validator would see them', () => {
    expect(signerHeaders({ date: 'd', 'fspiop-destination': ['a', 'b'] })).toMatchObject({ date: 'd', 'fspiop-destination': 'a, b' });
  });
});
