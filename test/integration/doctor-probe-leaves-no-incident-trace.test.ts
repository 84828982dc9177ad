/**
 * `dfsp-sidecar doctor` pointed at one of our inbound listeners (the dev loop, a hub testing a DFSP,
 * a DFSP testing its own listener) leaves no trace that looks like an incident: its probe never
 * reaches the core, is not an inbound request, adds no aborted TLS handshake, and is counted on its
 * own series, inbound_probes_total{probe="doctor"}.
 */
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { doctorCommand, type Check } from '../../src/cli/doctor.js';
import { startInboundHarness, type InboundHarness } from '../helpers/inbound-harness.js';

let h: InboundHarness;
beforeAll(async () => {
  h = await startInboundHarness();
});
afterAll(async () => {
  await h.close();
});

describe('doctor against an inbound listener of ours', () => {
  it('is answered by the listener itself and counted only as a probe', async () => {
    const clientCert = join(h.dir, 'hub-client.pem');
    const clientKey = join(h.dir, 'hub-client.key');
    const dfspCa = join(h.dir, 'dfsp-ca.pem');
    writeFileSync(clientCert, h.pki.client.chainPem);
    writeFileSync(clientKey, h.pki.client.keyPem, { mode: 0o600 });
    writeFileSync(dfspCa, h.pki.dfspCa.certPem);
    const config = join(h.dir, 'doctor.yaml');
    // The caller's side: its "hub" is our inbound listener, reached with a client certificate it trusts.
    writeFileSync(
      config,
      `dfspId: hubtester
jws: { sign: false, verify: false }
inbound: { enabled: false }
outbound:
  tls: { caFiles: [${dfspCa}], certFile: ${clientCert}, keyFile: ${clientKey} }
  hub: { default: "https://localhost:${h.port}" }
`,
    );
    let out = '';
    const code = await doctorCommand(['--config', config, '--json', '--timeout', '5000'], { stdout: (t) => (out += t), stderr: (t) => (out += t), env: {}, cwd: h.dir });
    const checks = (JSON.parse(out) as { checks: Check[] }).checks;
    expect(checks.filter((c) => !c.ok)).toEqual([]);
    expect(code).toBe(0);
    expect(checks.find((c) => c.layer === 'http')?.detail).toContain('a dfsp-sidecar inbound listener answered the doctor probe');

    // Wait for the server side to see the connection close, then read its counters.
    const deadline = Date.now() + 5_000;
    while ((await h.metric('dfsp_sidecar_inbound_connections_open')) > 0 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 20));
    expect(await h.metric('dfsp_sidecar_inbound_connections_open')).toBe(0);
    expect(h.core.arrivals).toBe(0);
    expect(await h.metric('dfsp_sidecar_inbound_requests_total')).toBe(0);
    expect(await h.metric('dfsp_sidecar_inbound_tls_handshake_failures_total')).toBe(0);
    expect(await h.metric('dfsp_sidecar_inbound_connections_accepted_total')).toBe(1);
    expect(await h.metric('dfsp_sidecar_inbound_probes_total', { probe: 'doctor' })).toBe(1);
    expect(h.logs.filter((l) => l.msg === 'request rejected' || l.msg === 'TLS handshake failed' || l.msg === 'TLS connection refused')).toEqual([]);
  });

  it('the probe header on anything but HEAD or GET / is an ordinary request', async () => {
    const { send } = await import('../helpers/inbound-client.js');
    const before = await h.metric('dfsp_sidecar_inbound_probes_total');
    const r = await send({ port: h.port, ca: h.pki.dfspCa.certPem, creds: { cert: h.pki.client.chainPem, key: h.pki.client.keyPem }, path: '/parties/MSISDN/1', headers: { 'x-dfsp-sidecar-probe': 'doctor' } });
    expect(r.ok && r.status).toBe(200);
    expect(h.core.arrivals).toBe(1);
    expect(await h.metric('dfsp_sidecar_inbound_probes_total')).toBe(before);
    expect(await h.metric('dfsp_sidecar_inbound_requests_total')).toBe(1);
  });
});
