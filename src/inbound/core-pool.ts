/**
 * The keep-alive connection pool to the DFSP core. The pool is long-lived state owned by the
 * gateway (a snapshot is plain data and may be compiled by `check-config` that never serves), so
 * it lives here, keyed by the compiled core target: when a reload changes the core URL or pool
 * size, new requests get a new pool and the old one is closed gracefully (undici's `close()`
 * lets its in-flight requests finish), so no request fails because of the swap.
 */
import { Pool } from 'undici';
import { SidecarError } from '../shared/errors.js';
import type { CoreTarget } from './compile.js';

export interface CorePools {
  /** The pool for this target; creates it (and retires the previous one) when the target changed. */
  get(target: CoreTarget): Pool;
  /** Graceful until `deadline` (epoch ms), then destroyed. */
  close(deadline: number): Promise<void>;
}

export function createCorePools(): CorePools {
  let currentTarget: CoreTarget | undefined;
  let currentPool: Pool | undefined;
  /** Pools replaced by a reload that may still be finishing requests. */
  const retiring = new Set<Pool>();
  let closed = false;

  const build = (t: CoreTarget): Pool =>
    new Pool(t.origin, {
      connections: t.connections,
      pipelining: 1,
      headersTimeout: t.timeoutMs,
      bodyTimeout: t.timeoutMs,
      keepAliveTimeout: 30_000,
      connect: t.secureContext ? { timeout: Math.min(t.timeoutMs, 10_000), secureContext: t.secureContext } : { timeout: Math.min(t.timeoutMs, 10_000) },
    });

  return {
    get(target) {
      if (target === currentTarget && currentPool) return currentPool;
      if (closed) throw new SidecarError('SHUTTING_DOWN', 'core_pool_closed');
      if (currentPool && currentTarget && currentTarget.key === target.key) {
        currentTarget = target;
        return currentPool;
      }
      const old = currentPool;
      currentTarget = target;
      currentPool = build(target);
      if (old) {
        retiring.add(old);
        void old.close().catch(() => undefined).finally(() => retiring.delete(old));
      }
      return currentPool;
    },
    async close(deadline) {
      closed = true;
      const pools = [...retiring, ...(currentPool ? [currentPool] : [])];
      currentPool = undefined;
      currentTarget = undefined;
      // close() on a pool that is already closing resolves when that close completes.
      const graceful = Promise.all(pools.map((p) => p.close().catch(() => undefined)));
      const remaining = deadline - Date.now();
      let timer: NodeJS.Timeout | undefined;
      const expired = new Promise<'expired'>((resolve) => {
        timer = setTimeout(() => resolve('expired'), Math.max(0, remaining));
      });
      const r = await Promise.race([graceful.then(() => 'done' as const), expired]);
      clearTimeout(timer);
      if (r === 'expired') await Promise.all(pools.map((p) => p.destroy().catch(() => undefined)));
    },
  };
}

