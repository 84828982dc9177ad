import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createAdminServer } from '../../../src/admin/server.js';
import { createMetrics } from '../../../src/metrics/registry.js';
import { parsePrometheusText, sampleValue } from '../../helpers/prometheus-text.js';

let ready = true;
const metrics = createMetrics();
const admin = createAdminServer({
  host: '127.0.0.1',
  port: 0,
  registry: metrics.registry,
  readiness: () => [{ name: 'inbound', ready: true }, ready ? { name: 'outbound', ready: true } : { name: 'outbound', ready: false, reason: 'no valid OAuth token' }],
  info: () => ({ snapshotVersion: 3 }),
});
let base = '';
beforeAll(async () => {
  base = `http://127.0.0.1:${(await admin.listen()).port}`;
});
afterAll(() => admin.close());

describe('admin listener', () => {
  it('serves every series as valid Prometheus text, ours and the process ones prefixed', async () => {
    metrics.reloads.inc({ result: 'success', trigger: 'sighup' });
    const res = await fetch(`${base}/metrics`);
    expect(res.headers.get('content-type')).toContain('text/plain');
    const { samples, types } = parsePrometheusText(await res.text());
    expect(samples.every((s) => s.name.startsWith('dfsp_sidecar_'))).toBe(true);
    expect(types.get('dfsp_sidecar_reloads_total')).toBe('counter');
    expect(sampleValue(samples, 'dfsp_sidecar_reloads_total', { result: 'success', trigger: 'sighup' })).toBe(1);
    expect(samples.some((s) => s.name === 'dfsp_sidecar_process_cpu_seconds_total')).toBe(true);
    expect(sampleValue(samples, 'dfsp_sidecar_build_info')).toBe(1);
  });

  it('answers /healthz with the snapshot facts', async () => {
    const res = await fetch(`${base}/healthz`);
    expect(res.status).toBe(200);
    expect(await res.json()).toEqual({ status: 'ok', snapshotVersion: 3 });
  });

  it('flips /readyz with the conditions and says which failed', async () => {
    ready = true;
    expect((await fetch(`${base}/readyz`)).status).toBe(200);
    ready = false;
    const res = await fetch(`${base}/readyz`);
    expect(res.status).toBe(503);
    expect(await res.json()).toEqual({ ready: false, checks: [{ name: 'inbound', ready: true }, { name: 'outbound', ready: false, reason: 'no valid OAuth token' }] });
  });

  it('refuses other methods and paths', async () => {
    expect((await fetch(`${base}/metrics`, { method: 'POST' })).status).toBe(405);
    expect((await fetch(`${base}/nope`)).status).toBe(404);
  });
});
