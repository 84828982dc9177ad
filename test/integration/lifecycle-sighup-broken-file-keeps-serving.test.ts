/**
 * SIGHUP with a broken certificate file: the reload fails, is logged and counted, and the sidecar
 * keeps serving new connections on the old snapshot; a good file then reloads.
 */
import { writeFileSync } from 'node:fs';
import { afterAll, describe, expect, it } from 'vitest';
import { mtlsRequest } from '../helpers/mtls-client.js';
import { parsePrometheusText, sampleValue } from '../helpers/prometheus-text.js';
import { boundAddresses, inboundOnlyConfig, makeFixture, portOf, startCore, type CoreStandIn } from '../helpers/sidecar-fixture.js';
import { startSidecarProcess, type SidecarProcess } from '../helpers/sidecar-process.js';

let core: CoreStandIn | undefined;
let sidecar: SidecarProcess | undefined;
afterAll(async () => {
  await sidecar?.kill();
  await core?.close();
});

describe('SIGHUP with a broken file', () => {
  it('keeps the old snapshot and keeps serving; a fixed file then reloads', async () => {
    core = await startCore((_req, res) => res.end('core-ok'));
    const fx = await makeFixture((f) => inboundOnlyConfig(f), core.port);
    sidecar = startSidecarProcess(['run', '--config', fx.files.config]);
    await sidecar.waitFor((out) => out.includes('dfsp-sidecar started'));
    const addr = boundAddresses(sidecar.logs());
    const port = portOf(addr.inbound);
    const admin = portOf(addr.admin);
    const call = () => mtlsRequest({ port, path: '/parties/MSISDN/123', ca: fx.dfspCaPem, cert: fx.client.chainPem, key: fx.client.keyPem });

    const before = await call();
    expect(before.status).toBe(200);
    expect(before.body).toBe('core-ok');

    writeFileSync(fx.files.dfspServerCert, '-----BEGIN CERTIFICATE-----\nbroken\n-----END CERTIFICATE-----\n');
    sidecar.signal('SIGHUP');
    await sidecar.waitFor((out) => out.includes('reload failed; still serving the previous snapshot'));
    const failed = sidecar.logs().find((l) => l.msg === 'reload failed; still serving the previous snapshot');
    expect(String(failed?.reason)).toContain('inbound.tls.certFile');

    const during = await call();
    expect(during.status).toBe(200);
    expect(during.peerFingerprint256).toBe(before.peerFingerprint256);

    const metrics = parsePrometheusText(await (await fetch(`http://127.0.0.1:${admin}/metrics`)).text());
    expect(sampleValue(metrics.samples, 'dfsp_sidecar_reloads_total', { result: 'failure', trigger: 'sighup' })).toBe(1);
    expect(sampleValue(metrics.samples, 'dfsp_sidecar_snapshot_version')).toBe(1);

    const renewed = await fx.newServerCert();
    writeFileSync(fx.files.dfspServerCert, renewed.chainPem);
    writeFileSync(fx.files.dfspServerKey, renewed.keyPem);
    sidecar.signal('SIGHUP');
    await sidecar.waitFor((out) => out.includes('reloaded runtime snapshot'));
    const after = await call();
    expect(after.status).toBe(200);
    expect(after.peerFingerprint256).not.toBe(before.peerFingerprint256);
    expect(core.hits.length).toBe(3);
  });
});
