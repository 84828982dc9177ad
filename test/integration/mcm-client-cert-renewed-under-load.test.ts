/**
 * Our client certificate comes within renewBeforeDays of notAfter while the core keeps calling the
 * hub: the running sidecar's MCM loop enrols a new key, the old certificate keeps serving while the
 * hub has not signed, and once it has, the new pair is checked, installed and reloaded. The hub
 * sees the new certificate on new connections, and not one of the core's requests fails.
 */
import { X509Certificate } from 'node:crypto';
import type { TLSSocket } from 'node:tls';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Sidecar } from '../../src/main.js';
import { parsePrometheusText } from '../helpers/prometheus-text.js';
import { waitFor } from '../helpers/outbound-sidecar.js';
import { DFSP_ID, quoteThroughOutbound, startMcmWorld, type McmWorld } from '../helpers/mcm-world.js';

let world: McmWorld;
let sidecar: Sidecar;
const seenByHub = new Set<string>();

beforeAll(async () => {
  // Certificates signed for 1 day, renewed 2 days ahead: the first one is due for renewal at once.
  world = await startMcmWorld({ pollIntervalSeconds: 1, mcmExtra: '  renewBeforeDays: 2' });
  await world.onboard();
  await world.mcm.signInbound(DFSP_ID, undefined, { days: 1 });
  expect((await world.onboard()).steps.find((s) => s.step === 'client-cert')?.detail).toMatch(/^installed/);
  world.hub.server.on('secureConnection', (s: TLSSocket) => {
    const peer = s.getPeerCertificate();
    if (peer?.fingerprint256) seenByHub.add(peer.fingerprint256);
  });
  sidecar = await world.start();
  world.hub.setKeys({ [DFSP_ID]: world.mcm.state(DFSP_ID).jws!.publicKey });
});
afterAll(async () => {
  await world?.close();
});

const fingerprint = (pem: string) => new X509Certificate(pem).fingerprint256;

describe('our client certificate renewed under load', () => {
  it('switches with zero failed requests', async () => {
    const first = fingerprint(world.read(world.files.clientCert));
    let running = true;
    const statuses: number[] = [];
    const worker = async () => {
      while (running) statuses.push((await quoteThroughOutbound(sidecar).catch(() => ({ status: 0 }))).status);
    };
    const load = Promise.all([worker(), worker(), worker(), worker()]);
    try {
      await waitFor(() => seenByHub.has(first) && statuses.length > 20, 'traffic on the first certificate', 20_000);
      await waitFor(() => world.mcm.state(DFSP_ID).inbound.some((e) => e.state === 'CSR_LOADED'), 'the renewal enrollment', 20_000);
      const renewal = world.mcm.state(DFSP_ID).inbound.find((e) => e.state === 'CSR_LOADED')!;
      // The hub takes its time; the first certificate serves meanwhile.
      const whileWaiting = statuses.length;
      await waitFor(() => statuses.length > whileWaiting + 20, 'traffic while the renewal waits', 20_000);
      expect(fingerprint(world.read(world.files.clientCert))).toBe(first);

      await world.mcm.signInbound(DFSP_ID, renewal.id, { days: 365 });
      await waitFor(() => fingerprint(world.read(world.files.clientCert)) !== first, 'the new certificate installed', 20_000);
      const second = fingerprint(world.read(world.files.clientCert));
      await waitFor(() => seenByHub.has(second), 'the hub seeing the new certificate', 20_000);
      const after = statuses.length;
      await waitFor(() => statuses.length > after + 20, 'traffic on the new certificate', 20_000);
    } finally {
      running = false;
      await load;
    }
    expect(statuses.filter((s) => s !== 202)).toEqual([]);
    const renewal = parsePrometheusText(await sidecar.metrics.registry.metrics()).samples.find((s) => s.name === 'dfsp_sidecar_mcm_renewal_timestamp_seconds' && s.labels.certificate === 'client');
    // 365 days minus the 2-day threshold, from now.
    expect(renewal!.value).toBeGreaterThan(Date.now() / 1000 + 360 * 86_400);
  });
});
