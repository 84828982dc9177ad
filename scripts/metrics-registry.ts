/** A registry with every series the sidecar can export, for the README metrics table and its contract test. */
import type { Registry } from 'prom-client';
import { createInboundMetrics } from '../src/inbound/metrics.js';
import { createProbeCounter } from '../src/inbound/probe.js';
import { createMcmMetrics } from '../src/mcm/metrics.js';
import { createMetrics } from '../src/metrics/registry.js';
import { createOutboundMetrics } from '../src/outbound/metrics.js';

export function allMetricsRegistry(): Registry {
  const common = createMetrics({ defaultMetrics: false });
  createInboundMetrics(common.registry);
  createProbeCounter(common.registry);
  createOutboundMetrics(common.registry);
  createMcmMetrics(common.registry);
  return common.registry;
}
