import { describe, expect, it } from 'vitest';
import { headerProblem } from '../../../../src/inbound/stages/check-headers.js';

const reason = (raw: string[], method = 'POST', max = 64): string | undefined => headerProblem(raw, method, max)?.reason;

describe('headerProblem', () => {
  it('passes an ordinary FSPIOP request', () => {
    const raw = ['Content-Type', 'application/vnd.interoperability.transfers+json;version=1.1', 'Content-Length', '120', 'Date', 'x', 'FSPIOP-Source', 'payerfsp', 'Connection', 'keep-alive', 'Content-Encoding', 'identity'];
    expect(reason(raw, 'PUT')).toBeUndefined();
    expect(reason(['Content-Length', '0', 'Accept', '*/*'], 'GET')).toBeUndefined();
  });

  it('refuses more header lines than the cap with 431/3103', () => {
    const raw: string[] = [];
    for (let i = 0; i < 65; i++) raw.push(`x-h${i}`, 'v');
    const p = headerProblem(raw, 'PUT', 64);
    expect(p?.code).toBe('HEADERS_TOO_LARGE');
    expect(p?.reason).toBe('too_many_headers');
    expect(reason(raw.slice(0, 128), 'PUT', 64)).toBeUndefined();
  });

  it('refuses a body on GET, HEAD, OPTIONS and DELETE, by length or by chunking', () => {
    for (const m of ['GET', 'HEAD', 'OPTIONS', 'DELETE']) {
      expect(reason(['Content-Length', '2'], m), m).toBe('body_on_unsigned_method');
      expect(reason(['Transfer-Encoding', 'chunked'], m), m).toBe('body_on_unsigned_method');
    }
    expect(reason(['Content-Length', '2'], 'PUT')).toBeUndefined();
  });

  it('refuses method overrides', () => {
    for (const h of ['X-HTTP-Method-Override', 'x-http-method', 'X-Method-Override']) expect(reason([h, 'PUT'], 'POST'), h).toBe('method_override');
  });

  it('refuses a Connection header naming an end-to-end header the signature or the core relies on', () => {
    for (const t of ['fspiop-signature', 'FSPIOP-Destination', 'date', 'content-type', 'x-dfsp-sidecar-jws', 'x-forwarded-for', 'accept']) {
      expect(reason(['Connection', `keep-alive, ${t}`]), t).toBe('connection_names_end_to_end');
    }
    expect(reason(['Connection', 'close, x-custom-hop'])).toBeUndefined();
  });

  it('refuses a Content-Encoding the core would decode', () => {
    expect(reason(['Content-Encoding', 'gzip'])).toBe('content_encoding');
  });
});
