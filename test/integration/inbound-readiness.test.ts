/**
 * readiness(): true only once the listener is bound and the snapshot holds the inbound
 * credentials; with JWS verification on and no peer key loaded it says why it is not ready.
 */
import { afterAll, describe, expect, it } from 'vitest';
import { compileSnapshot, type RuntimeSnapshot } from '../../src/runtime/compile.js';
import { configSchema } from '../../src/config/schema.js';
import { createInboundGateway } from '../../src/inbound/gateway.js';
import { createMetrics } from '../../src/metrics/registry.js';
import { createSilentLogger } from '../../src/shared/log.js';
import { createSnapshotStore } from '../../src/shared/state.js';
import { startInboundHarness, type InboundHarness } from '../helpers/inbound-harness.js';

const harnesses: InboundHarness[] = [];
afterAll(async () => {
  await Promise.all(harnesses.map((h) => h.close()));
});

describe('inbound readiness', () => {
  it('is false before listen and true after', async () => {
    const h = await startInboundHarness();
    harnesses.push(h);
    const second = createInboundGateway({ store: h.store, metrics: createMetrics({ defaultMetrics: false }), log: createSilentLogger() });
    expect(second.readiness()).toEqual({ ready: false, reason: 'inbound listener not bound' });
    expect(h.gateway.readiness()).toEqual({ ready: true });
  });

  it('is false while no peer JWS key is loaded', async () => {
    const h = await startInboundHarness({ peers: {} });
    harnesses.push(h);
    expect(h.gateway.readiness()).toEqual({ ready: false, reason: 'no peer JWS keys loaded' });
  });

  it('refuses to listen without an inbound runtime', async () => {
    const h = harnesses[0]!;
    const raw = h.raw();
    raw.inbound.enabled = false;
    raw.outbound = { enabled: false };
    const compiled = await compileSnapshot(configSchema.parse(raw));
    if (!compiled.ok) throw new Error('config');
    const store = createSnapshotStore<RuntimeSnapshot>(compiled.snapshot);
    const g = createInboundGateway({ store, metrics: createMetrics({ defaultMetrics: false }), log: createSilentLogger() });
    await expect(g.listen()).rejects.toThrow(/no inbound section/);
  });
});
