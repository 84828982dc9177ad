/**
 * Prometheus metrics. Every series is named dfsp_sidecar_* (Prometheus conventions: base units,
 * _total for counters, _seconds for durations). Label values come from closed sets only
 * (catalogue codes, reason tokens, FSPIOP resources, configured peer ids), so cardinality is bounded.
 *
 * This module owns the registry and the process-wide series (build, reloads, snapshot, artefact
 * expiry); each gateway registers its own series on the same registry (src/inbound/metrics.ts,
 * src/outbound/metrics.ts). The README metrics table is checked against the registry by
 * test/contract/metrics-names.test.ts.
 */
import { Counter, Gauge, Registry, collectDefaultMetrics } from 'prom-client';
import { VERSION } from '../version.js';

export const METRIC_PREFIX = 'dfsp_sidecar_';

/** Latency buckets in seconds: the sidecar's own time is sub-millisecond, the upstream's can be seconds. */
export const LATENCY_BUCKETS = [0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30];

const DEFAULT_GAUGES_NAMED_TOTAL = ['nodejs_active_handles_total', 'nodejs_active_requests_total', 'nodejs_active_resources_total'];

export interface CommonMetrics {
  readonly registry: Registry;
  readonly reloads: Counter<'result' | 'trigger'>;
  readonly snapshotVersion: Gauge;
  readonly lastReloadSuccess: Gauge;
  /** notAfter (unix seconds) of every certificate and JWS key with an expiry, by artefact name. */
  readonly artefactExpiry: Gauge<'artefact' | 'fingerprint'>;
  readonly listenerUp: Gauge<'listener'>;
}

export function createMetrics(opts: { defaultMetrics?: boolean } = {}): CommonMetrics {
  const registry = new Registry();
  if (opts.defaultMetrics !== false) {
    collectDefaultMetrics({ register: registry, prefix: METRIC_PREFIX });
    // prom-client also exports these three as gauges named *_total, which breaks the naming
    // conventions (`promtool check metrics` rejects them); the same counts stay exported without
    // the suffix (nodejs_active_handles, _requests, _resources).
    for (const name of DEFAULT_GAUGES_NAMED_TOTAL) registry.removeSingleMetric(`${METRIC_PREFIX}${name}`);
  }
  const build = new Gauge({ name: `${METRIC_PREFIX}build_info`, help: 'Always 1; the version label says which build runs.', labelNames: ['version', 'node'], registers: [registry] });
  build.set({ version: VERSION, node: process.version }, 1);
  return {
    registry,
    reloads: new Counter({
      name: `${METRIC_PREFIX}reloads_total`,
      help: 'Snapshot reloads by result (success, failure) and trigger (sighup, file_change, mcm).',
      labelNames: ['result', 'trigger'],
      registers: [registry],
    }),
    snapshotVersion: new Gauge({ name: `${METRIC_PREFIX}snapshot_version`, help: 'Version of the runtime snapshot in use; increases on every successful reload.', registers: [registry] }),
    lastReloadSuccess: new Gauge({
      name: `${METRIC_PREFIX}last_reload_success_timestamp_seconds`,
      help: 'Unix time of the last successful (re)load of the runtime snapshot.',
      registers: [registry],
    }),
    artefactExpiry: new Gauge({
      name: `${METRIC_PREFIX}certificate_expiry_timestamp_seconds`,
      help: 'notAfter of each loaded certificate (server, client, CA, peer JWS certificates), unix seconds.',
      labelNames: ['artefact', 'fingerprint'],
      registers: [registry],
    }),
    listenerUp: new Gauge({ name: `${METRIC_PREFIX}listener_up`, help: '1 while a listener (inbound, outbound, admin) is accepting connections.', labelNames: ['listener'], registers: [registry] }),
  };
}
