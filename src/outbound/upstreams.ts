/**
 * One undici Pool per hub upstream: keep-alive, TLS session reuse (undici caches sessions per
 * server name), and a SecureContext built once at compile time and handed to every connection via
 * `connect.secureContext`. Without that, undici passes ca/cert/key to each tls.connect and OpenSSL
 * builds a fresh context per connection, about 2 ms of CPU each (perf-baseline.md §3, §5).
 *
 * Pools are shared between runtime generations while their inputs are unchanged (a reload of an
 * unrelated file keeps the warm connections), and reference-counted: a pool is closed, gracefully,
 * only when no generation uses it any more and the last request through it has finished.
 */
import type { SecureContext } from 'node:tls';
import { Pool } from 'undici';
import type { OutboundMetrics } from './metrics.js';
import type { UpstreamSpec } from './routes.js';

/** How to reach the hub: the TLS material every upstream of one snapshot shares. */
export interface HubConnect {
  /** Built from the hub CA bundle and our client certificate; undefined for plain http:// or public-root TLS. */
  readonly secureContext: SecureContext | undefined;
  /** Digest of the TLS inputs: pools built from equal keys are interchangeable. */
  readonly key: string;
}

export interface PoolLimits {
  readonly connections: number;
  readonly timeoutMs: number;
}

export interface SharedPool {
  readonly key: string;
  readonly origin: string;
  readonly pool: Pool;
  /** Generations holding this pool. */
  refs: number;
}

export function upstreamKey(spec: UpstreamSpec, connect: HubConnect, limits: PoolLimits): string {
  return `${spec.origin}|${spec.servername ?? ''}|${connect.key}|${limits.connections}|${limits.timeoutMs}`;
}

export function createSharedPool(spec: UpstreamSpec, connect: HubConnect, limits: PoolLimits, metrics: OutboundMetrics): SharedPool {
  const tls =
    spec.protocol === 'https:'
      ? {
          ...(connect.secureContext ? { secureContext: connect.secureContext } : {}),
          ...(spec.servername ? { servername: spec.servername } : {}),
          rejectUnauthorized: true,
        }
      : {};
  const pool = new Pool(spec.origin, {
    connections: limits.connections,
    pipelining: 1,
    headersTimeout: limits.timeoutMs,
    bodyTimeout: limits.timeoutMs,
    connect: { ...tls, timeout: Math.min(limits.timeoutMs, 10_000) },
  });
  const label = { upstream: spec.origin };
  pool.on('connect', () => {
    metrics.upstreamConnections.inc(label);
    metrics.upstreamConnects.inc({ ...label, result: 'connected' });
  });
  pool.on('disconnect', () => metrics.upstreamConnections.dec(label));
  pool.on('connectionError', () => metrics.upstreamConnects.inc({ ...label, result: 'failed' }));
  return { key: upstreamKey(spec, connect, limits), origin: spec.origin, pool, refs: 0 };
}
