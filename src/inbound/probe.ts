/**
 * `dfsp-sidecar doctor` probes: the `HEAD /` a doctor sends after its TLS handshake to prove the
 * peer accepted its client certificate. When that peer is one of our inbound listeners (the dev
 * loop, a hub that runs this sidecar, a DFSP testing its own listener) the probe must not look like
 * traffic: it is answered here, after the allowlist, mTLS and peer-identity gates, and never
 * reaches the core, the request counters or the request log. It is counted on its own series.
 *
 * Only `HEAD /` or `GET /` with the probe header is a probe, so no FSPIOP resource can be hidden
 * behind it, and the answer (204, no body) tells the sender nothing beyond "TLS and identity passed".
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import { Counter, type Registry } from 'prom-client';
import { METRIC_PREFIX } from '../metrics/registry.js';

/** Request header a doctor probe carries, and its value. */
export const PROBE_HEADER = 'x-dfsp-sidecar-probe';
export const DOCTOR_PROBE = 'doctor';
/** Response header that tells the doctor a dfsp-sidecar answered the probe itself. */
export const PROBE_ANSWERED = 'answered';

const byRegistry = new WeakMap<Registry, Counter<'probe'>>();

export function createProbeCounter(registry: Registry): Counter<'probe'> {
  let counter = byRegistry.get(registry);
  if (counter === undefined) {
    counter = new Counter({
      name: `${METRIC_PREFIX}inbound_probes_total`,
      help: "Connectivity probes answered by the inbound listener itself (dfsp-sidecar doctor's HEAD /), by probe; never forwarded to the core nor counted as requests.",
      labelNames: ['probe'],
      registers: [registry],
    });
    byRegistry.set(registry, counter);
  }
  return counter;
}

export function isDoctorProbe(req: IncomingMessage): boolean {
  return req.headers[PROBE_HEADER] === DOCTOR_PROBE && (req.method === 'HEAD' || req.method === 'GET') && req.url === '/';
}

export function answerProbe(res: ServerResponse, requestId: string, counter: Counter<'probe'>): void {
  counter.inc({ probe: DOCTOR_PROBE });
  // 204 carries no body and, per RFC 9110 §8.6, no Content-Length.
  res.writeHead(204, { [PROBE_HEADER]: PROBE_ANSWERED, 'x-request-id': requestId });
  res.end();
}
