/**
 * The usual first-run failure: a port of the dev profile is taken. It says which one and how to
 * choose others, exits 2, prints no stack trace, and starts or writes nothing.
 */
import { existsSync, mkdtempSync } from 'node:fs';
import { createServer, type Server } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { startSidecarProcess } from '../helpers/sidecar-process.js';

let blocker: Server | undefined;
afterAll(() => new Promise<void>((r) => (blocker ? blocker.close(() => r()) : r())));

describe('dev profile with a port in use', () => {
  it('names the port, suggests --port-base, exits 2', async () => {
    blocker = createServer();
    const port = await new Promise<number>((resolve) => blocker?.listen(0, '127.0.0.1', () => resolve((blocker?.address() as { port: number }).port)));
    // The blocked port is the inbound listener's (base + 0).
    const cwd = mkdtempSync(join(tmpdir(), 'sidecar-dev-busy-'));
    const proc = startSidecarProcess(['run', '--port-base', String(port)], { cwd });
    const exit = await proc.exited();
    expect(exit.code).toBe(2);
    expect(proc.stderr()).toContain(`cannot listen on 127.0.0.1:${port} (inbound: already in use); nothing was started; choose other ports with --port-base N`);
    // All or none: the check comes before anything is written or bound.
    expect(existsSync(join(cwd, '.dev'))).toBe(false);
    expect(proc.stderr()).not.toMatch(/\n\s+at /);
  });
});
