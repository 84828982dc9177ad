import { createServer, request } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { SidecarError } from '../../../src/shared/errors.js';
import { createSilentLogger } from '../../../src/shared/log.js';
import { requestIdFrom, runPipeline, type BaseExchange, type Stage } from '../../../src/shared/pipeline.js';

interface X extends BaseExchange {
  trail: string[];
}
const events: Array<{ stage: string; error?: string }> = [];
let stages: Stage<X>[] = [];
const server = createServer((req, res) => {
  const x: X = { requestId: requestIdFrom(req), startedAt: process.hrtime.bigint(), req, res, log: createSilentLogger(), upstreamNs: 0n, trail: [] };
  void runPipeline(stages, x, { onStage: (_x, stage, _ns, error) => events.push(error ? { stage, error: error.code } : { stage }) });
});
let port = 0;
beforeAll(async () => {
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', () => r()));
  port = (server.address() as AddressInfo).port;
});
afterAll(() => new Promise<void>((r) => server.close(() => r())));

function get(headers: Record<string, string> = {}): Promise<{ status: number; headers: Record<string, unknown>; body: string }> {
  return new Promise((resolve, reject) => {
    request({ host: '127.0.0.1', port, path: '/x', headers }, (res) => {
      let body = '';
      res.on('data', (c) => (body += c));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body }));
    })
      .on('error', reject)
      .end();
  });
}

const step = (name: string): Stage<X> => ({ name, run: (x) => void x.trail.push(name) });
const respond: Stage<X> = { name: 'respond', run: (x) => void x.res.end(x.trail.join(',')) };

describe('runPipeline', () => {
  it('runs stages in order, sync and async, and times each one', async () => {
    events.length = 0;
    stages = [step('a'), { name: 'b', run: async (x) => void x.trail.push(await Promise.resolve('b')) }, respond];
    expect((await get()).body).toBe('a,b');
    expect(events).toEqual([{ stage: 'a' }, { stage: 'b' }, { stage: 'respond' }]);
  });

  it('stops at the first SidecarError and answers with the catalogue body and the request id', async () => {
    events.length = 0;
    let reached = false;
    stages = [step('a'), { name: 'verify', run: () => { throw new SidecarError('INVALID_SIGNATURE', 'signature_mismatch', 'detail for the log only'); } }, { name: 'never', run: () => void (reached = true) }, respond];
    const res = await get({ 'x-request-id': 'req-123' });
    expect(res.status).toBe(400);
    expect(res.headers['x-request-id']).toBe('req-123');
    expect(JSON.parse(res.body)).toEqual({
      errorInformation: { errorCode: '3105', errorDescription: 'Invalid signature', extensionList: { extension: [{ key: 'sidecarReason', value: 'signature_mismatch' }] } },
    });
    expect(res.body).not.toContain('detail for the log only');
    expect(reached).toBe(false);
    expect(events).toEqual([{ stage: 'a' }, { stage: 'verify', error: 'INVALID_SIGNATURE' }]);
  });

  it('turns an unexpected exception into 500/2001 without leaking its message', async () => {
    stages = [{ name: 'boom', run: () => { throw new TypeError('secret internals'); } }];
    const res = await get();
    expect(res.status).toBe(500);
    expect(JSON.parse(res.body).errorInformation).toMatchObject({ errorCode: '2001', errorDescription: 'Internal server error' });
    expect(res.body).not.toContain('secret internals');
  });
});

describe('requestIdFrom', () => {
  it('reuses a sane x-request-id and mints one otherwise', async () => {
    stages = [{ name: 'echo', run: (x) => void x.res.end(x.requestId) }];
    expect((await get({ 'x-request-id': 'abc-1' })).body).toBe('abc-1');
    expect((await get({ 'x-request-id': 'x'.repeat(200) })).body).toMatch(/^[0-9a-f-]{36}$/);
    expect((await get()).body).toMatch(/^[0-9a-f-]{36}$/);
  });
});

describe('the rejection log line', () => {
  it('carries method and path (never the query) besides request id, stage, code and reason', async () => {
    const { createLogger } = await import('../../../src/shared/log.js');
    const lines: Array<Record<string, unknown>> = [];
    const log = createLogger({ level: 'info', destination: { write: (l: string) => void lines.push(JSON.parse(l) as Record<string, unknown>) } });
    const rejecting = createServer((req, res) => {
      const requestId = requestIdFrom(req);
      const x: X = { requestId, startedAt: process.hrtime.bigint(), req, res, log: log.child({ requestId }), upstreamNs: 0n, trail: [] };
      void runPipeline([{ name: 'verify', run: () => { throw new SidecarError('INVALID_SIGNATURE', 'signature_mismatch'); } }], x);
    });
    await new Promise<void>((r) => rejecting.listen(0, '127.0.0.1', () => r()));
    const p = (rejecting.address() as AddressInfo).port;
    await new Promise<void>((resolve, reject) => {
      request({ host: '127.0.0.1', port: p, method: 'PUT', path: '/transfers/abc?token=s3cret', headers: { 'x-request-id': 'req-log' } }, (res) => {
        res.resume();
        res.on('end', resolve);
      })
        .on('error', reject)
        .end('{}');
    });
    await new Promise<void>((r) => rejecting.close(() => r()));
    const line = lines.find((l) => l.msg === 'request rejected');
    expect(line).toMatchObject({ requestId: 'req-log', method: 'PUT', path: '/transfers/abc', stage: 'verify', code: 'INVALID_SIGNATURE', reason: 'signature_mismatch' });
    expect(JSON.stringify(line)).not.toContain('s3cret');
  });
});
