/**
 * Runtime generations: the resources built from one snapshot (hub pools, token provider) and the
 * requests using them. A reload builds the next generation and retires the current one; a retired
 * generation is disposed once its last in-flight request finishes, so a reload never fails a
 * request that had already started (reload of the client certificate, CA bundle, signing key or
 * OAuth credentials under load: zero failures).
 *
 * Pools and token providers are shared across generations while their inputs are unchanged (keyed
 * by a digest of those inputs), and reference-counted: a reload of, say, the inbound peer keys keeps
 * every warm hub connection and the current token. When inputs change, the new generation gets a
 * new pool (new connections with the new TLS context) and the old pool is closed gracefully (never
 * destroyed) after its last request; a new token source starts fetching with the new credentials and
 * serves its predecessor's still-valid token until its own first fetch lands.
 */
import type { Pool } from 'undici';
import type { RuntimeSnapshot } from '../runtime/compile.js';
import type { Logger } from '../shared/log.js';
import type { OutboundRuntime } from './compile.js';
import type { Generation } from './exchange.js';
import type { OutboundMetrics } from './metrics.js';
import type { UpstreamSpec } from './routes.js';
import type { Signer } from './signer.js';
import { createTokenFetcher, type TokenFetcher, type TokenRuntime } from './token-client.js';
import { createStaticToken, OAuthTokenSource, type TokenProvider } from './token-source.js';
import { createSharedPool, upstreamKey, type SharedPool } from './upstreams.js';

interface SharedToken {
  readonly key: string;
  readonly provider: TokenProvider;
  readonly fetcher: TokenFetcher | undefined;
  refs: number;
}

export interface LiveGeneration extends Generation {
  inflight: number;
  retired: boolean;
  readonly pools: ReadonlyMap<UpstreamSpec, SharedPool>;
  readonly sharedToken: SharedToken | undefined;
}

export interface GenerationManager {
  current(): LiveGeneration;
  /** Take the current generation for one request. */
  acquire(): LiveGeneration;
  release(gen: LiveGeneration): void;
  /** Build the generation for a new snapshot and retire the current one. */
  swap(snapshot: RuntimeSnapshot): void;
  /** Retire everything; close pools gracefully, destroying whatever is still open at the deadline. */
  close(deadline: number): Promise<void>;
}

export function createGenerationManager(initial: RuntimeSnapshot, deps: { metrics: OutboundMetrics; log: Logger; signer: Signer }): GenerationManager {
  const pools = new Map<string, SharedPool>();
  const tokens = new Map<string, SharedToken>();
  const live = new Set<LiveGeneration>();
  /** Pools not yet fully closed, whichever generation they belonged to. */
  const open = new Set<SharedPool>();
  const closing: Array<Promise<void>> = [];
  let onIdle: (() => void) | undefined;

  function runtimeOf(snapshot: RuntimeSnapshot): OutboundRuntime {
    if (!snapshot.outbound) throw new Error('the snapshot has no outbound runtime (outbound.enabled is false)');
    return snapshot.outbound;
  }

  function sharedPool(spec: UpstreamSpec, rt: OutboundRuntime): SharedPool {
    const limits = { connections: rt.hubConnections, timeoutMs: rt.hubTimeoutMs };
    const key = upstreamKey(spec, rt.hubConnect, limits);
    let p = pools.get(key);
    if (!p) {
      p = createSharedPool(spec, rt.hubConnect, limits, deps.metrics);
      pools.set(key, p);
      open.add(p);
    }
    p.refs++;
    return p;
  }

  function sharedToken(t: TokenRuntime | undefined, predecessor: TokenProvider | undefined): SharedToken | undefined {
    if (!t) {
      deps.metrics.tokenExpiry.set(0);
      return undefined;
    }
    let s = tokens.get(t.key);
    if (!s) {
      s = t.mode === 'static' ? { key: t.key, provider: createStaticToken(t.token), fetcher: undefined, refs: 0 } : oauthToken(t, predecessor);
      tokens.set(t.key, s);
      if (t.mode === 'static') deps.metrics.tokenExpiry.set(Infinity);
      s.provider.start();
    }
    s.refs++;
    return s;
  }

  function oauthToken(t: Extract<TokenRuntime, { mode: 'oauth' }>, predecessor: TokenProvider | undefined): SharedToken {
    const fetcher = createTokenFetcher(t);
    const log = deps.log.child({ component: 'oauth' });
    const provider = new OAuthTokenSource({
      fetch: fetcher.fetch,
      refreshMs: t.refreshMs,
      marginMs: t.marginMs,
      retryMs: t.retryMs,
      maxRetryMs: t.maxRetryMs,
      probeAfterMs: t.probeAfterMs,
      rejectionRefreshMinMs: t.rejectionRefreshMinMs,
      seed: predecessor?.kind === 'oauth' ? predecessor.held() : undefined,
      onOutcome(outcome, expiresAt, detail, retryInMs) {
        deps.metrics.tokenRefreshes.inc({ outcome });
        // On failure the gauge keeps the last token's expiry: once that is in the past, it says so.
        if (outcome === 'success' && expiresAt !== undefined) deps.metrics.tokenExpiry.set(expiresAt / 1000);
        const next = retryInMs === undefined ? undefined : Math.round(retryInMs);
        if (outcome === 'success') log.debug({ outcome, expiresAt: Number.isFinite(expiresAt) ? new Date(expiresAt as number).toISOString() : 'never', nextRefreshMs: next }, 'OAuth token refreshed');
        else if (expiresAt !== undefined) {
          log.warn({ outcome, detail, validTokenHeld: true, validUntil: Number.isFinite(expiresAt) ? new Date(expiresAt).toISOString() : 'never', retryInMs: next }, 'OAuth token fetch failed; keeping the current token while it is valid');
        } else {
          log.warn({ outcome, detail, validTokenHeld: false, retryInMs: next }, 'OAuth token fetch failed and no valid token is held: requests are refused (TOKEN_UNAVAILABLE) until a fetch succeeds');
        }
      },
    });
    return { key: t.key, provider, fetcher, refs: 0 };
  }

  function build(snapshot: RuntimeSnapshot, predecessor: LiveGeneration | undefined): LiveGeneration {
    const rt = runtimeOf(snapshot);
    const bySpec = new Map<UpstreamSpec, SharedPool>();
    for (const spec of rt.routes.upstreams) bySpec.set(spec, sharedPool(spec, rt));
    const tok = sharedToken(rt.token, predecessor?.token);
    const gen: LiveGeneration = {
      version: snapshot.version,
      runtime: rt,
      token: tok?.provider,
      pools: bySpec,
      sharedToken: tok,
      inflight: 0,
      retired: false,
      pool(spec): Pool {
        const p = bySpec.get(spec);
        if (!p) throw new Error(`no pool for upstream ${spec.origin} in generation ${snapshot.version}`);
        return p.pool;
      },
    };
    live.add(gen);
    return gen;
  }

  function dispose(gen: LiveGeneration): void {
    live.delete(gen);
    for (const p of gen.pools.values()) {
      if (--p.refs > 0) continue;
      pools.delete(p.key);
      // close() lets queued and running requests finish; it never cuts a request (destroy would).
      closing.push(
        p.pool.close().then(
          () => void open.delete(p),
          (err: unknown) => deps.log.warn({ err, upstream: p.origin }, 'closing a hub pool failed'),
        ),
      );
    }
    const t = gen.sharedToken;
    if (t && --t.refs === 0) {
      tokens.delete(t.key);
      t.provider.stop();
      if (t.fetcher) closing.push(t.fetcher.close().catch(() => undefined));
    }
    const keys = new Set<string>();
    for (const g of live) for (const id of g.runtime.identities.values()) if (id.key) keys.add(id.key.fingerprint);
    deps.signer.retainKeys(keys);
    if (live.size === 0) onIdle?.();
  }

  let current = build(initial, undefined);

  return {
    current: () => current,
    acquire() {
      const g = current;
      g.inflight++;
      return g;
    },
    release(gen) {
      gen.inflight--;
      if (gen.retired && gen.inflight === 0) dispose(gen);
    },
    swap(snapshot) {
      const old = current;
      current = build(snapshot, old);
      old.retired = true;
      if (old.inflight === 0) dispose(old);
      else deps.log.debug({ version: old.version, inflight: old.inflight }, 'previous outbound generation drains before its pools close');
    },
    async close(deadline) {
      current.retired = true;
      if (current.inflight === 0) dispose(current);
      const until = (p: Promise<unknown>) => Promise.race([p, new Promise((r) => setTimeout(r, Math.max(0, deadline - Date.now())).unref())]);
      if (live.size > 0) await until(new Promise<void>((resolve) => (onIdle = resolve)));
      await until(Promise.all(closing));
      // Whatever is still open at the deadline is cut: the Gateway contract's "then destroy the rest".
      for (const p of open) void p.pool.destroy().catch(() => undefined);
      for (const t of tokens.values()) {
        t.provider.stop();
        void t.fetcher?.close().catch(() => undefined);
      }
    },
  };
}
