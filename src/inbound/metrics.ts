/**
 * The inbound gateway's Prometheus series, registered on the shared registry. Every label comes
 * from a closed set: FSPIOP resources (plus `other`), a fixed method list, HTTP status codes,
 * catalogue codes, the verifier's reason tokens, payload encodings, peer FSP ids that verified
 * against a configured key (bounded by the key directory), and the connection/handshake reasons
 * declared here.
 *
 * The sidecar's own time is reported apart from the core's: `core_duration` runs from handing
 * the request to the core connection to the end of the core's response; `sidecar_duration` is
 * the rest of the request's time, so a slow core never hides (or is blamed for) a slow sidecar.
 *
 * Series updated on every request use the lean implementations of request-series.ts; the
 * connection-level ones (updated once per connection) are ordinary prom-client series.
 */
import { Counter, Gauge, type Registry } from 'prom-client';
import { LATENCY_BUCKETS, METRIC_PREFIX } from '../metrics/registry.js';
import type { HandshakeFailureReason } from './peer-identity.js';
import { counterSeries, gaugeSeries, histogramSeries, type CounterSeries, type GaugeSeries, type HistogramSeries } from './request-series.js';

const P = `${METRIC_PREFIX}inbound_`;


/** Why a TCP connection was closed before any TLS byte was exchanged. */
export type ConnectionDenyReason =
  | 'ip_not_allowed'
  | 'max_connections'
  | 'max_connections_per_source'
  | 'proxy_header_invalid'
  | 'proxy_header_timeout'
  | 'proxy_header_too_large'
  | 'not_ready'
  | 'shutting_down';

export const CONNECTION_DENY_REASONS: readonly ConnectionDenyReason[] = [
  'ip_not_allowed',
  'max_connections',
  'max_connections_per_source',
  'proxy_header_invalid',
  'proxy_header_timeout',
  'proxy_header_too_large',
  'not_ready',
  'shutting_down',
];

/** verified: the signature checked out; exempt: policy let it through unsigned; rejected: 3101/3102/3105. */
export type JwsOutcome = 'verified' | 'exempt' | 'rejected';

export interface InboundMetrics {
  /** Label values in order: resource, method, status, outcome. */
  readonly requests: CounterSeries;
  /** Label values: resource, outcome. */
  readonly requestDuration: HistogramSeries;
  /** Label values: resource. */
  readonly sidecarDuration: HistogramSeries;
  /** Label values: resource. */
  readonly coreDuration: HistogramSeries;
  readonly inFlight: GaugeSeries;
  /** Label values: outcome, reason. */
  readonly jws: CounterSeries;
  /** Label values: source, encoding. */
  readonly jwsMatched: CounterSeries;
  readonly connectionsOpen: Gauge;
  readonly connectionsAccepted: Counter;
  readonly connectionsDenied: Counter<'reason'>;
  readonly handshakeFailures: Counter<'reason'>;
  /** Verified requests forwarded although their request line differs from the signed one (jws.requestLine: record). */
  readonly requestLineRecorded: Counter;
  /** Connections destroyed because they lingered past inbound.closeGraceMs after the sidecar ended them. */
  readonly lingerDestroyed: Counter;
}

/** One set of series per registry: a second gateway on the same registry shares them. */
const byRegistry = new WeakMap<Registry, InboundMetrics>();

export function createInboundMetrics(registry: Registry): InboundMetrics {
  const existing = byRegistry.get(registry);
  if (existing) return existing;
  const m: InboundMetrics = {
    requests: counterSeries(registry, {
      name: `${P}requests_total`,
      help: 'Requests from the hub, by FSPIOP resource, method, status the client received, and outcome (ok = the core answer was relayed; otherwise the catalogue code, also when a relayed answer was cut after its status line).',
      labelNames: ['resource', 'method', 'status', 'outcome'],
    }),
    requestDuration: histogramSeries(registry, {
      name: `${P}request_duration_seconds`,
      help: 'Time from the hub request arriving to the last byte answered, by resource and outcome (the same labels as outbound).',
      labelNames: ['resource', 'outcome'],
      buckets: LATENCY_BUCKETS,
    }),
    sidecarDuration: histogramSeries(registry, {
      name: `${P}sidecar_duration_seconds`,
      help: 'Time each request spent in the sidecar itself (reading, verifying, forwarding), excluding the time waiting on the core.',
      labelNames: ['resource'],
      buckets: LATENCY_BUCKETS,
    }),
    coreDuration: histogramSeries(registry, {
      name: `${P}core_duration_seconds`,
      help: 'Time from handing a request to the core connection until the end of the core response.',
      labelNames: ['resource'],
      buckets: LATENCY_BUCKETS,
    }),
    inFlight: gaugeSeries(registry, { name: `${P}requests_in_flight`, help: 'Requests being processed right now.' }),
    jws: counterSeries(registry, {
      name: `${P}jws_verifications_total`,
      help: 'FSPIOP signature checks by outcome (verified, exempt, rejected) and reason (ok, the exemption, or the failure reason).',
      labelNames: ['outcome', 'reason'],
    }),
    jwsMatched: counterSeries(registry, {
      name: `${P}jws_matched_encoding_total`,
      help: 'Verified signatures by FSPIOP-Source and by the payload encoding that matched (raw, sorted, insertion): which peer SDK versions are out there.',
      labelNames: ['source', 'encoding'],
    }),
    connectionsOpen: new Gauge({ name: `${P}connections_open`, help: 'TCP connections accepted past the allowlist and not yet closed.', registers: [registry] }),
    connectionsAccepted: new Counter({ name: `${P}connections_accepted_total`, help: 'TCP connections accepted past the allowlist (and PROXY header, when used).', registers: [registry] }),
    connectionsDenied: new Counter({
      name: `${P}connections_denied_total`,
      help: 'TCP connections closed before the TLS handshake, by reason (ip_not_allowed, max_connections, max_connections_per_source, proxy_header_*, not_ready, shutting_down).',
      labelNames: ['reason'],
      registers: [registry],
    }),
    handshakeFailures: new Counter({
      name: `${P}tls_handshake_failures_total`,
      help: 'TLS connections refused, by reason (no_certificate, unknown_ca, expired, revoked, identity, protocol, renegotiation, ...).',
      labelNames: ['reason'],
      registers: [registry],
    }),
    requestLineRecorded: new Counter({
      name: `${P}jws_request_line_mismatches_recorded_total`,
      help: 'Verified requests forwarded although their method or path differs from the signed FSPIOP-HTTP-Method/FSPIOP-URI (jws.requestLine: record; under enforce they are rejected as request_mismatch).',
      registers: [registry],
    }),
    lingerDestroyed: new Counter({
      name: `${P}connections_linger_destroyed_total`,
      help: 'Connections the sidecar had ended (answered and half-closed) that the peer kept open past inbound.closeGraceMs, destroyed.',
      registers: [registry],
    }),
  };
  byRegistry.set(registry, m);
  return m;
}

export function countHandshakeFailure(m: InboundMetrics, reason: HandshakeFailureReason): void {
  m.handshakeFailures.inc({ reason });
}
