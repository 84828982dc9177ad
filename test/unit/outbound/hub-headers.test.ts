import { describe, expect, it } from 'vitest';
import type { IncomingHttpHeaders } from 'node:http';
import { compileHeaderPolicy, hubHeaders as build, signerHeaders } from '../../../src/outbound/hub-headers.js';

const policy = compileHeaderPolicy([]);
const hubHeaders = (core: IncomingHttpHeaders, set: Record<string, string>, token: string | undefined, requestId: string, added?: Record<string, string>) =>
  build(core, policy, added, set, token, requestId);

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

describe('the outbound header policy', () => {
  const hostile = {
    'fspiop-source': 'dfspa',
    'fspiop-destination': 'dfspz',
    'fspiop-encryption': 'e',
    'content-type': 'application/vnd.interoperability.quotes+json;version=1.1',
    'content-encoding': 'identity',
    traceparent: '00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01',
    tracestate: 'vendor=1',
    'x-request-id': 'from-core',
    'x-forwarded-for': '10.1.2.3',
    'x-forwarded-host': 'core.internal',
    'x-dfsp-sidecar-identity': 'dfspz',
    cookie: 'session=abc',
    'user-agent': 'core/1.0',
    'x-core-internal': 'secret-routing-hint',
    'x-partner-ref': 'p-1',
  };

  it('passes FSPIOP, content and trace headers and x-request-id; drops everything else the core sends', () => {
    const out = hubHeaders(hostile, {}, undefined, 'from-core');
    expect(Object.keys(out).sort()).toEqual(
      ['content-encoding', 'content-type', 'fspiop-destination', 'fspiop-encryption', 'fspiop-source', 'traceparent', 'tracestate', 'x-request-id'].sort(),
    );
  });

  it('passes what the operator allows, but never x-dfsp-sidecar-* or credentials whatever the allowlist says', () => {
    const allowing = compileHeaderPolicy(['x-partner-ref', 'x-dfsp-sidecar-identity', 'authorization', 'host']);
    const out = build({ ...hostile, authorization: 'Bearer core', host: 'h' }, allowing, undefined, {}, undefined, 'r');
    expect(out['x-partner-ref']).toBe('p-1');
    for (const h of ['x-dfsp-sidecar-identity', 'authorization', 'host', 'cookie', 'x-forwarded-for']) expect(out, h).not.toHaveProperty(h);
  });

  it('drops a passable header the core names in Connection (hop-by-hop for this message)', () => {
    const out = hubHeaders({ connection: 'close, traceparent', traceparent: 't', tracestate: 's' }, {}, undefined, 'r');
    expect(out).not.toHaveProperty('traceparent');
    expect(out.tracestate).toBe('s');
  });

  it('adds what conformance added, and the signer has the last word on the signed headers', () => {
    const out = hubHeaders({ 'fspiop-source': 'dfspa' }, { date: 'D', 'fspiop-source': 'dfspa' }, undefined, 'r', { accept: 'A', 'content-type': 'C' });
    expect(out).toMatchObject({ accept: 'A', 'content-type': 'C', date: 'D' });
  });
});

describe('signerHeaders', () => {
  it('joins duplicate destinations as a validator would see them, and takes the validated date', () => {
    expect(signerHeaders({ date: 'raw', 'fspiop-destination': ['a', 'b'] }, 'd')).toMatchObject({ date: 'd', 'fspiop-destination': 'a, b' });
  });
});
