import { request, createServer, type IncomingMessage } from 'node:http';
import type { AddressInfo } from 'node:net';
import { connect } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { readBody } from '../../../src/shared/body.js';
import { SidecarError } from '../../../src/shared/errors.js';

// A real HTTP server: the reader is exercised on real sockets and both framings.
let port = 0;
const LIMIT = 64;
let last: Promise<Buffer> | undefined;
const server = createServer((req: IncomingMessage, res) => {
  last = readBody(req, LIMIT);
  last.then(
    (b) => res.end(JSON.stringify({ ok: true, len: b.length, hex: b.toString('hex') })),
    (e: SidecarError) => res.end(JSON.stringify({ ok: false, code: e.code, reason: e.reason })),
  );
});
beforeAll(async () => {
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', () => r()));
  port = (server.address() as AddressInfo).port;
});
afterAll(() => new Promise<void>((r) => server.close(() => r())));

function post(body: Buffer | string[], headers: Record<string, string> = {}): Promise<Record<string, unknown>> {
  return new Promise((resolve, reject) => {
    const req = request({ host: '127.0.0.1', port, method: 'POST', path: '/', headers }, (res) => {
      let text = '';
      res.on('data', (c) => (text += c));
      res.on('end', () => resolve(JSON.parse(text) as Record<string, unknown>));
    });
    req.on('error', reject);
    if (Array.isArray(body)) for (const chunk of body) req.write(chunk);
    else req.write(body);
    req.end();
  });
}

describe('readBody', () => {
  it('returns the exact bytes received, with Content-Length', async () => {
    const bytes = Buffer.from([0x7b, 0x20, 0xc3, 0xa9, 0x0a, 0x7d]);
    expect(await post(bytes, { 'content-length': String(bytes.length) })).toEqual({ ok: true, len: 6, hex: bytes.toString('hex') });
  });

  it('returns the exact bytes of a chunked body', async () => {
    expect(await post(['{"a":', '1}'])).toMatchObject({ ok: true, len: 7 });
  });

  it('rejects a declared Content-Length over the limit before reading', async () => {
    expect(await post(Buffer.alloc(LIMIT + 1, 0x20), { 'content-length': String(LIMIT + 1) })).toEqual({ ok: false, code: 'BODY_TOO_LARGE', reason: 'declared_too_large' });
  });

  it('rejects a chunked body once it passes the limit', async () => {
    expect(await post([Buffer.alloc(40, 0x20).toString(), Buffer.alloc(40, 0x20).toString()])).toEqual({ ok: false, code: 'BODY_TOO_LARGE', reason: 'streamed_too_large' });
  });

  it('accepts a body of exactly the limit', async () => {
    expect(await post(Buffer.alloc(LIMIT, 0x20), { 'content-length': String(LIMIT) })).toMatchObject({ ok: true, len: LIMIT });
  });

  it('rejects a body shorter than its Content-Length when the client gives up', async () => {
    const s = connect(port, '127.0.0.1');
    await new Promise((r) => s.once('connect', r));
    s.write('POST / HTTP/1.1\r\nHost: x\r\nContent-Length: 50\r\n\r\n{"short":');
    await new Promise((r) => setTimeout(r, 50));
    s.destroy();
    await expect(last).rejects.toMatchObject({ code: 'BODY_MALFORMED', reason: 'client_aborted' });
  });
});
