/**
 * The outbound gateway's Prometheus series, registered on the shared registry. Every label comes
 * from a closed set: FSPIOP resources (src/metrics/labels.ts, plus `other`), a fixed method list, HTTP
 * status codes, catalogue codes, token outcome tokens, and upstream origins (bounded by config).
 *
 * The sidecar's own time is reported apart from the hub's: `sidecar_duration` is the request's
 * total time minus the time between handing the request to the hub connection and the end of the
 * hub's response, so a slow hub never hides (or is blamed for) a slow sidecar.
 */
import { Counter, Gauge, Histogram, type Registry } from 'prom-client';
import { LATENCY_BUCKETS, METRIC_PREFIX } from '../metrics/registry.js';

const P = `${METRIC_PREFIX}outbound_`;


/** `ok` when the hub's answer was relayed (whatever its status), otherwise the catalogue code. */
export type Outcome = 'ok' | string;

export type TokenRefreshOutcome = 'success' | 'http_error' | 'invalid_response' | 'network_error' | 'timeout' | 'expired_token';
export type UnauthorizedRetryResult = 'resent' | 'no_new_token' | 'refresh_throttled' | 'static_token' | 'no_token_source';

export interface OutboundMetrics {
  readonly requests: Counter<'resource' | 'method' | 'status' | 'outcome'>;
  readonly requestDuration: Histogram<'resource' | 'outcome'>;
  readonly sidecarDuration: Histogram<'resource'>;
  readonly hubDuration: Histogram<'resource'>;
  readonly signDuration: Histogram<'alg' | 'mode'>;
  readonly inFlight: Gauge;
  readonly tokenExpiry: Gauge;
  readonly tokenRefreshes: Counter<'outcome'>;
  readonly unauthorizedRetries: Counter<'result'>;
  readonly upstreamConnections: Gauge<'upstream'>;
  readonly upstreamConnects: Counter<'upstream' | 'result'>;
  readonly signWorkers: Gauge;
}

/** One set of series per registry: a second gateway on the same registry shares them. */
const byRegistry = new WeakMap<Registry, OutboundMetrics>();

export function createOutboundMetrics(registry: Registry): OutboundMetrics {
  const existing = byRegistry.get(registry);
  if (existing) return existing;
  const m: OutboundMetrics = {
    requests: new Counter({
      name: `${P}requests_total`,
      help: 'Requests from the core, by FSPIOP resource, method, status answered to the core, and outcome (ok = the hub answer was relayed; otherwise the catalogue code).',
      labelNames: ['resource', 'method', 'status', 'outcome'],
      registers: [registry],
    }),
    requestDuration: new Histogram({
      name: `${P}request_duration_seconds`,
      help: 'Time from the core request arriving to the last byte answered, by resource and outcome.',
      labelNames: ['resource', 'outcome'],
      buckets: LATENCY_BUCKETS,
      registers: [registry],
    }),
    sidecarDuration: new Histogram({
      name: `${P}sidecar_duration_seconds`,
      help: 'Time spent in the sidecar itself (total minus the time waiting on the hub), by resource.',
      labelNames: ['resource'],
      buckets: LATENCY_BUCKETS,
      registers: [registry],
    }),
    hubDuration: new Histogram({
      name: `${P}hub_duration_seconds`,
      help: 'Time from handing the request to the hub connection to the end of the hub response (both attempts on a 401 resend), by resource.',
      labelNames: ['resource'],
      buckets: LATENCY_BUCKETS,
      registers: [registry],
    }),
    signDuration: new Histogram({
      name: `${P}sign_duration_seconds`,
      help: 'Time to canonicalise and sign one request body, by algorithm and where it ran (event_loop or worker).',
      labelNames: ['alg', 'mode'],
      buckets: LATENCY_BUCKETS,
      registers: [registry],
    }),
    inFlight: new Gauge({ name: `${P}requests_in_flight`, help: 'Core requests currently being handled.', registers: [registry] }),
    tokenExpiry: new Gauge({
      name: `${P}token_expiry_timestamp_seconds`,
      help: 'Expiry of the most recent OAuth access token, unix seconds: in the past once it expired with no replacement, 0 before the first token or without OAuth, +Inf for a static token or one without a lifetime.',
      registers: [registry],
    }),
    tokenRefreshes: new Counter({
      name: `${P}token_refreshes_total`,
      help: 'OAuth token fetches by outcome (success, http_error, invalid_response, network_error, timeout, expired_token).',
      labelNames: ['outcome'],
      registers: [registry],
    }),
    unauthorizedRetries: new Counter({
      name: `${P}unauthorized_retries_total`,
      help: 'Hub 401 answers by what followed: resent (fresh token, byte-identical request sent once more) or the reason the 401 was relayed instead.',
      labelNames: ['result'],
      registers: [registry],
    }),
    upstreamConnections: new Gauge({
      name: `${P}upstream_connections`,
      help: 'Open connections to each hub upstream (origin).',
      labelNames: ['upstream'],
      registers: [registry],
    }),
    upstreamConnects: new Counter({
      name: `${P}upstream_connects_total`,
      help: 'Connection attempts to each hub upstream by result (connected, failed).',
      labelNames: ['upstream', 'result'],
      registers: [registry],
    }),
    signWorkers: new Gauge({ name: `${P}sign_workers`, help: 'Signing worker threads running (0: signing on the event loop).', registers: [registry] }),
  };
  byRegistry.set(registry, m);
  return m;
}
