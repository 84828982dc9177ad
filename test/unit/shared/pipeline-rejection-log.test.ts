/**
 * 'request rejected' log lines: below debug level at most one per (code, reason) per second per
 * pipeline, carrying the number suppressed since the last line (a token-endpoint outage answered
 * 549,404 requests in 5 minutes with one error line each); at debug level every one.
 */
import { Writable } from 'node:stream';
import type { DestinationStream } from 'pino';
import { describe, expect, it } from 'vitest';
import { SidecarError } from '../../../src/shared/errors.js';
import { createLogger } from '../../../src/shared/log.js';
import { runPipeline, type BaseExchange, type Stage } from '../../../src/shared/pipeline.js';

function capture(level: 'info' | 'debug') {
  const lines: Array<Record<string, unknown>> = [];
  const log = createLogger({
    level,
    destination: new Writable({
      write(chunk: Buffer, _e, cb) {
        for (const l of chunk.toString('utf8').split('\n')) if (l) lines.push(JSON.parse(l) as Record<string, unknown>);
        cb();
      },
    }) as unknown as DestinationStream,
  });
  return { log, lines };
}

const fakeRes = () => ({ headersSent: false, writeHead() { return this; }, end() {}, destroy() {} });

async function reject(stages: readonly Stage<BaseExchange>[], log: ReturnType<typeof capture>['log'], n: number): Promise<void> {
  for (let i = 0; i < n; i++) {
    await runPipeline(stages, { requestId: `r${i}`, startedAt: 0n, req: {} as never, res: fakeRes() as never, log, upstreamNs: 0n });
  }
}

const failing = (code: 'TOKEN_UNAVAILABLE' | 'NO_ROUTE', reason: string): Stage<BaseExchange>[] => [{ name: 'token', run: () => { throw new SidecarError(code, reason); } }];

describe('rejection log throttling', () => {
  it('writes one line per (code, reason) per second, then one with the count suppressed', async () => {
    const { log, lines } = capture('info');
    const started = Date.now();
    const tokenDown = failing('TOKEN_UNAVAILABLE', 'token_endpoint_failing');
    const noRoute = failing('NO_ROUTE', 'no_route');
    await reject(tokenDown, log, 200);
    await reject(noRoute, log, 50);
    const elapsedSeconds = Math.ceil((Date.now() - started) / 1000);
    const token = lines.filter((l) => l.code === 'TOKEN_UNAVAILABLE');
    const route = lines.filter((l) => l.code === 'NO_ROUTE');
    expect(token.length).toBeGreaterThanOrEqual(1);
    expect(token.length).toBeLessThanOrEqual(elapsedSeconds + 1);
    expect(route.length).toBeGreaterThanOrEqual(1); // another (code, reason): its own line
    expect(token[0]).toMatchObject({ level: 'error', msg: 'request rejected', reason: 'token_endpoint_failing', suppressed: 0 });
    // Once the second has passed, the next line says how many were left out.
    await new Promise((r) => setTimeout(r, 1_050));
    await reject(tokenDown, log, 1);
    const last = lines.filter((l) => l.code === 'TOKEN_UNAVAILABLE').at(-1)!;
    const written = lines.filter((l) => l.code === 'TOKEN_UNAVAILABLE').length;
    expect(last.suppressed).toBeGreaterThan(0);
    expect(lines.filter((l) => l.code === 'TOKEN_UNAVAILABLE').reduce((n, l) => n + 1 + Number(l.suppressed), 0)).toBe(201);
    expect(written).toBeLessThan(201);
  });

  it('logs every rejection at debug level', async () => {
    const { log, lines } = capture('debug');
    await reject(failing('TOKEN_UNAVAILABLE', 'token_endpoint_failing'), log, 30);
    expect(lines.filter((l) => l.msg === 'request rejected')).toHaveLength(30);
  });
});
