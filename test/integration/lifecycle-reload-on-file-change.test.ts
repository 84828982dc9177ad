/**
 * Reload without a signal: the poller notices changed content behind the configured paths, the way
 * Kubernetes updates a mounted secret (an atomic swap of a `..data` symlink, which fires no event
 * for the file names the sidecar opened). A broken swap is refused once and not retried until the
 * content changes again.
 */
import { mkdirSync, renameSync, symlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { loadConfig } from '../../src/config/load.js';
import { startSidecar, type Sidecar } from '../../src/main.js';
import { createMetrics } from '../../src/metrics/registry.js';
import { createSilentLogger } from '../../src/shared/log.js';
import { mtlsRequest } from '../helpers/mtls-client.js';
import { parsePrometheusText, sampleValue } from '../helpers/prometheus-text.js';
import { inboundOnlyConfig, makeFixture, startCore, type CoreStandIn } from '../helpers/sidecar-fixture.js';

let core: CoreStandIn | undefined;
let sidecar: Sidecar | undefined;
afterAll(async () => {
  await sidecar?.stop(1000);
  await core?.close();
});

/** A secret volume: <dir>/..data -> <dir>/..v<n>, and the files as links through ..data. */
function secretVolume(dir: string, files: Record<string, string>) {
  let generation = 0;
  const publish = (content: Record<string, string>) => {
    const version = join(dir, `..v${++generation}`);
    mkdirSync(version);
    for (const [name, text] of Object.entries(content)) writeFileSync(join(version, name), text);
    symlinkSync(`..v${generation}`, join(dir, '..data_tmp'));
    renameSync(join(dir, '..data_tmp'), join(dir, '..data'));
  };
  mkdirSync(dir);
  publish(files);
  for (const name of Object.keys(files)) symlinkSync(join('..data', name), join(dir, name));
  return { publish, path: (name: string) => join(dir, name) };
}

const until = async (fn: () => boolean | Promise<boolean>, ms = 10_000) => {
  const deadline = Date.now() + ms;
  while (!(await fn())) {
    if (Date.now() > deadline) throw new Error('condition not met in time');
    await new Promise((r) => setTimeout(r, 50));
  }
};

describe('reload on file change', () => {
  it('follows a symlink swap of the server certificate, and refuses a broken one only once', async () => {
    core = await startCore((_req, res) => res.end('core-ok'));
    const fx = await makeFixture((f) => inboundOnlyConfig(f), core.port);
    const first = await fx.newServerCert();
    const volume = secretVolume(join(fx.dir, 'tls-secret'), { 'tls.crt': first.chainPem, 'tls.key': first.keyPem });
    const config = join(fx.dir, 'volume.yaml');
    writeFileSync(
      config,
      inboundOnlyConfig({ ...fx.files, dfspServerCert: volume.path('tls.crt'), dfspServerKey: volume.path('tls.key'), corePort: core.port }).replace('pollIntervalMs: 0', 'pollIntervalMs: 100'),
    );
    const load = () => loadConfig({ file: config, env: {}, cwd: fx.dir });
    const loaded = await load();
    if (!loaded.ok) throw new Error(JSON.stringify(loaded.issues));
    const metrics = createMetrics({ defaultMetrics: false });
    sidecar = await startSidecar({ config: loaded.config, log: createSilentLogger(), loadConfig: load, configFile: config, metrics });
    const port = (sidecar.addresses.inbound as { port: number }).port;
    const call = () => mtlsRequest({ port, path: '/parties/MSISDN/1', ca: fx.dfspCaPem, cert: fx.client.chainPem, key: fx.client.keyPem });
    const reloads = async (result: string) =>
      sampleValue(parsePrometheusText(await metrics.registry.metrics()).samples, 'dfsp_sidecar_reloads_total', { result, trigger: 'file_change' }) ?? 0;

    const before = await call();
    expect(before.status).toBe(200);

    const second = await fx.newServerCert();
    volume.publish({ 'tls.crt': second.chainPem, 'tls.key': second.keyPem });
    await until(async () => (await reloads('success')) === 1);
    const after = await call();
    expect(after.status).toBe(200);
    expect(after.peerFingerprint256).not.toBe(before.peerFingerprint256);
    expect(sidecar.store.current().version).toBe(2);

    volume.publish({ 'tls.crt': 'not a certificate\n', 'tls.key': second.keyPem });
    await until(async () => (await reloads('failure')) === 1);
    // Several poll intervals later the same broken content has not been retried, and we still serve.
    await new Promise((r) => setTimeout(r, 600));
    expect(await reloads('failure')).toBe(1);
    const during = await call();
    expect(during.status).toBe(200);
    expect(during.peerFingerprint256).toBe(after.peerFingerprint256);

    const third = await fx.newServerCert();
    volume.publish({ 'tls.crt': third.chainPem, 'tls.key': third.keyPem });
    await until(async () => (await reloads('success')) === 2);
    expect((await call()).peerFingerprint256).not.toBe(after.peerFingerprint256);
    expect(core.hits.length).toBe(4);
  });
});
