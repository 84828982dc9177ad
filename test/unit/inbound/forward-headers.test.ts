import { describe, expect, it } from 'vitest';
import { clientResponseHeaders, coreRequestHeaders, JWS_HEADER, PEER_CN_HEADER } from '../../../src/inbound/forward-headers.js';

const opts = { forwardAuthorization: false, clientAddress: '10.1.2.3', proto: 'https' as const, requestId: 'req-1', jws: 'verified', peerCn: 'hub' };

function pairs(flat: string[]): Array<[string, string]> {
  const out: Array<[string, string]> = [];
  for (let i = 0; i < flat.length; i += 2) out.push([flat[i] as string, flat[i + 1] as string]);
  return out;
}

describe('coreRequestHeaders', () => {
  it('keeps end-to-end headers in order and case, duplicates included', () => {
    const raw = ['FSPIOP-Source', 'payerfsp', 'Content-Type', 'application/vnd.interoperability.transfers+json;version=1.1', 'traceparent', '00-abc-def-01', 'X-Dup', 'a', 'X-Dup', 'b', 'FSPIOP-Signature', '{"sig":1}'];
    const out = pairs(coreRequestHeaders(raw, opts));
    expect(out.slice(5)).toEqual([
      ['FSPIOP-Source', 'payerfsp'],
      ['Content-Type', 'application/vnd.interoperability.transfers+json;version=1.1'],
      ['traceparent', '00-abc-def-01'],
      ['X-Dup', 'a'],
      ['X-Dup', 'b'],
      ['FSPIOP-Signature', '{"sig":1}'],
    ]);
  });

  it('drops hop-by-hop headers, framing, and headers named in Connection', () => {
    const raw = ['Host', 'dfsp', 'Connection', 'keep-alive, X-Secret-Hop', 'Keep-Alive', 'timeout=5', 'Content-Length', '12', 'Transfer-Encoding', 'chunked', 'TE', 'trailers', 'Upgrade', 'h2c', 'Expect', '100-continue', 'X-Secret-Hop', '1', 'Proxy-Authorization', 'Basic x', 'Accept', '*/*'];
    const names = pairs(coreRequestHeaders(raw, opts)).map(([n]) => n.toLowerCase());
    for (const gone of ['host', 'connection', 'keep-alive', 'content-length', 'transfer-encoding', 'te', 'upgrade', 'expect', 'x-secret-hop', 'proxy-authorization']) expect(names).not.toContain(gone);
    expect(names).toContain('accept');
  });

  it('drops the echoed Authorization unless configured to forward it', () => {
    const raw = ['Authorization', 'Bearer hub-echo', 'Accept', '*/*'];
    expect(pairs(coreRequestHeaders(raw, opts)).map(([n]) => n)).not.toContain('Authorization');
    expect(pairs(coreRequestHeaders(raw, { ...opts, forwardAuthorization: true }))).toContainEqual(['Authorization', 'Bearer hub-echo']);
  });

  it('replaces what the client claims about itself with what the sidecar knows', () => {
    const raw = ['X-Forwarded-For', '6.6.6.6', 'x-forwarded-proto', 'http', 'X-Request-Id', 'theirs', 'X-DFSP-Sidecar-JWS', 'verified', 'x-dfsp-sidecar-peer-cn', 'forged', 'x-dfsp-sidecar-anything', 'x'];
    const out = pairs(coreRequestHeaders(raw, opts));
    expect(out).toEqual([
      [JWS_HEADER, 'verified'],
      ['x-request-id', 'req-1'],
      ['x-forwarded-for', '10.1.2.3'],
      ['x-forwarded-proto', 'https'],
      [PEER_CN_HEADER, 'hub'],
    ]);
  });

  it("puts the sidecar's own headers first, ahead of any number of client headers", () => {
    const raw: string[] = [];
    for (let i = 0; i < 1_200; i++) raw.push(`x-pad-${i}`, 'v');
    const out = pairs(coreRequestHeaders(raw, opts));
    expect(out.slice(0, 5).map(([n]) => n)).toEqual([JWS_HEADER, 'x-request-id', 'x-forwarded-for', 'x-forwarded-proto', PEER_CN_HEADER]);
    expect(out.filter(([n]) => n.toLowerCase() === JWS_HEADER)).toHaveLength(1);
  });

  it('drops client-address and routing headers, and any name with an underscore', () => {
    const raw = [
      'Forwarded', 'for=6.6.6.6', 'X-Real-IP', '6.6.6.6', 'X-Forwarded-Host', 'evil', 'X-Forwarded-Port', '1', 'X-Forwarded-Prefix', '/admin',
      'True-Client-IP', '6.6.6.6', 'CF-Connecting-IP', '6.6.6.6', 'Via', '1.1 evil', 'X-Original-URL', '/admin', 'X-Rewrite-URL', '/admin',
      'x_forwarded_for', '6.6.6.6', 'fspiop_source', 'evil', 'X_DFSP_SIDECAR_JWS', 'verified', 'FSPIOP-Source', 'payerfsp',
    ];
    const out = pairs(coreRequestHeaders(raw, opts));
    expect(out.slice(5)).toEqual([['FSPIOP-Source', 'payerfsp']]);
  });

  it('omits the peer headers without a client certificate', () => {
    const out = pairs(coreRequestHeaders([], { ...opts, proto: 'http', jws: 'exempt:get', peerCn: undefined }));
    expect(out).toEqual([
      [JWS_HEADER, 'exempt:get'],
      ['x-request-id', 'req-1'],
      ['x-forwarded-for', '10.1.2.3'],
      ['x-forwarded-proto', 'http'],
    ]);
  });
});

describe('clientResponseHeaders', () => {
  const b = (...s: string[]) => s.map((x) => Buffer.from(x, 'latin1'));

  it('keeps end-to-end headers, duplicates and Content-Length; drops hop-by-hop ones', () => {
    const raw = b('Content-Type', 'application/json', 'Content-Length', '60', 'Set-Cookie', 'a=1', 'Set-Cookie', 'b=2', 'Connection', 'keep-alive', 'Keep-Alive', 'timeout=5', 'Transfer-Encoding', 'chunked', 'Date', 'x');
    expect(pairs(clientResponseHeaders(raw))).toEqual([
      ['Content-Type', 'application/json'],
      ['Content-Length', '60'],
      ['Set-Cookie', 'a=1'],
      ['Set-Cookie', 'b=2'],
      ['Date', 'x'],
    ]);
  });

  it('drops headers the core named in Connection, whatever their position', () => {
    const raw = b('X-Internal', '1', 'Connection', 'X-Internal', 'X-Public', '2');
    expect(pairs(clientResponseHeaders(raw))).toEqual([['X-Public', '2']]);
  });

  it('gives the same verdicts from the name cache as on first sight, whatever the spelling', () => {
    for (let round = 0; round < 3; round++) {
      const raw = b('CONTENT-TYPE', 'a', 'Keep-Alive', 'x', 'KEEP-ALIVE', 'y', 'content-length', '1');
      expect(pairs(clientResponseHeaders(raw))).toEqual([['CONTENT-TYPE', 'a'], ['content-length', '1']]);
      const req = coreRequestHeaders(['AUTHORIZATION', 'x', 'Te', 'y', 'X-A', 'z'], opts);
      expect(pairs(req).slice(5)).toEqual([['X-A', 'z']]);
    }
  });

  it('keeps deciding correctly once the name cache is full', () => {
    const many: string[] = [];
    for (let i = 0; i < 600; i++) many.push(`X-Name-${i}`, 'v');
    expect(coreRequestHeaders(many, opts).length).toBe(many.length + 10);
    expect(pairs(coreRequestHeaders(['Transfer-Encoding', 'chunked', 'X-After-Fill', '1'], opts)).slice(5)).toEqual([['X-After-Fill', '1']]);
  });

  it('passes latin1 header bytes through unchanged', () => {
    const raw = [Buffer.from('X-Name'), Buffer.from([0x63, 0x61, 0x66, 0xe9])];
    const [, value] = clientResponseHeaders(raw);
    expect(Buffer.from(value as string, 'latin1')).toEqual(Buffer.from([0x63, 0x61, 0x66, 0xe9]));
  });
});
