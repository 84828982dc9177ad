/**
 * SIGTERM with a request in flight: the listener stops accepting at once, /readyz turns 503, the
 * in-flight request still completes, and the process exits 0.
 */
import { afterAll, describe, expect, it } from 'vitest';
import { mtlsRequest } from '../helpers/mtls-client.js';
import { boundAddresses, inboundOnlyConfig, makeFixture, portOf, startCore, type CoreStandIn } from '../helpers/sidecar-fixture.js';
import { startSidecarProcess, type SidecarProcess } from '../helpers/sidecar-process.js';
import { canConnect } from '../helpers/net.js';

let core: CoreStandIn | undefined;
let sidecar: SidecarProcess | undefined;
afterAll(async () => {
  await sidecar?.kill();
  await core?.close();
});

describe('SIGTERM with a request in flight', () => {
  it('lets it finish, refuses new connections, reports not ready, exits 0', async () => {
    let arrived!: () => void;
    const coreHit = new Promise<void>((r) => (arrived = r));
    core = await startCore((_req, res) => {
      arrived();
      setTimeout(() => res.end('slow-but-complete'), 1500);
    });
    const fx = await makeFixture((f) => inboundOnlyConfig(f), core.port);
    sidecar = startSidecarProcess(['run', '--config', fx.files.config]);
    await sidecar.waitFor((out) => out.includes('dfsp-sidecar started'));
    const addr = boundAddresses(sidecar.logs());
    const port = portOf(addr.inbound);
    const admin = portOf(addr.admin);
    expect((await fetch(`http://127.0.0.1:${admin}/readyz`)).status).toBe(200);

    const inFlight = mtlsRequest({ port, path: '/transfers/abc', ca: fx.dfspCaPem, cert: fx.client.chainPem, key: fx.client.keyPem });
    await coreHit;
    sidecar.signal('SIGTERM');
    await sidecar.waitFor((out) => out.includes('draining'));

    expect(await canConnect(port)).toBe(false);
    const ready = await fetch(`http://127.0.0.1:${admin}/readyz`);
    expect(ready.status).toBe(503);
    expect(JSON.stringify(await ready.json())).toContain('draining');

    const res = await inFlight;
    expect(res.status).toBe(200);
    expect(res.body).toBe('slow-but-complete');
    expect(await sidecar.exited()).toEqual({ code: 0, signal: null });
  });
});
