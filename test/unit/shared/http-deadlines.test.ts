/**
 * The one way both listeners enforce header and request deadlines, on a real loopback HTTP server:
 * the check interval follows the deadlines, a connection that sends nothing (or stalls in its
 * headers) gets the raw FSPIOP 408 from the 'clientError' hook and is reported, and a stalled body
 * is handed to the pipeline through interruptBodyRead.
 */
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { connect, type AddressInfo, type Socket } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { answerClientErrors, checkingIntervalMs, deadlineServerOptions, interruptBodyRead, rawErrorResponse } from '../../../src/shared/http-deadlines.js';

describe('checkingIntervalMs', () => {
  it('is a quarter of the shorter deadline, between 50 ms and 1 s', () => {
    expect(checkingIntervalMs({ headersTimeoutMs: 400, requestTimeoutMs: 800 })).toBe(100);
    expect(checkingIntervalMs({ headersTimeoutMs: 30_000, requestTimeoutMs: 30_000 })).toBe(1_000);
    expect(checkingIntervalMs({ headersTimeoutMs: 100, requestTimeoutMs: 100 })).toBe(50);
  });
});

describe('answerClientErrors + interruptBodyRead', () => {
  let server: Server;
  let port = 0;
  const reported: string[] = [];
  const latest = new WeakMap<Socket, { req: IncomingMessage; res: ServerResponse; timedOut: boolean }>();

  beforeAll(async () => {
    server = createServer(deadlineServerOptions({ headersTimeoutMs: 300, requestTimeoutMs: 300, keepAliveTimeoutMs: 5_000 }), (req, res) => {
      const x = { req, res, timedOut: false };
      latest.set(req.socket, x);
      // A pipeline's body read: on an interrupted read it answers 408 itself.
      req.on('error', () => {
        res.writeHead(x.timedOut ? 408 : 400, { 'content-type': 'application/json' }).end('{"read":"interrupted"}');
      });
      req.on('data', () => {});
      req.on('end', () => res.end('ok'));
    });
    answerClientErrors(server, {
      onRequestTimeout: (socket) => {
        const x = latest.get(socket);
        return x !== undefined && interruptBodyRead(x.req, x.res, () => (x.timedOut = true));
      },
      responseOn: (socket) => latest.get(socket)?.res,
      onClientError: (code) => void reported.push(code),
    });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', () => r()));
    port = (server.address() as AddressInfo).port;
  });
  afterAll(() => new Promise<void>((r) => server.close(() => r())));

  function stall(text: string): Promise<string> {
    return new Promise((resolve, reject) => {
      const s = connect(port, '127.0.0.1');
      let got = '';
      const bound = setTimeout(() => reject(new Error('not cut within 5 s')), 5_000);
      s.on('data', (c: Buffer) => (got += c.toString('utf8')));
      s.on('close', () => {
        clearTimeout(bound);
        resolve(got);
      });
      if (text) s.write(text);
    });
  }

  it('answers a silent connection with the raw FSPIOP 408 and reports it', async () => {
    expect(await stall('')).toBe(rawErrorResponse('REQUEST_TIMEOUT', 'request_timeout'));
    expect(reported).toContain('REQUEST_TIMEOUT');
  });

  it('hands a stalled body to the pipeline, which answers 408 itself', async () => {
    const got = await stall('POST /x HTTP/1.1\r\nhost: x\r\ncontent-length: 10\r\n\r\nabc');
    expect(got).toMatch(/^HTTP\/1\.1 408 /);
    expect(got.toLowerCase()).toContain('connection: close');
    expect(got).toContain('{"read":"interrupted"}');
  });
});
