/**
 * The outbound gateway: the DFSP core sends plain HTTP to a loopback listener (or a unix socket);
 * every request leaves for the hub signed, with the hub's bearer token, over mutual TLS, and the
 * hub's answer streams back unchanged. See pipeline.ts for the request path.
 *
 * Lifecycle: the listener and the signing workers live as long as the gateway (their settings are
 * restart-only); hub pools and the token source live in runtime generations that follow reloads
 * (generations.ts). `close(deadline)` stops accepting, answers requests arriving on kept-alive
 * connections with SHUTTING_DOWN, lets in-flight requests finish, closes pools gracefully and stops
 * the token refresher, cutting whatever is left at the deadline.
 */
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import { connect } from 'node:net';
import type { AddressInfo, Socket } from 'node:net';
import { availableParallelism } from 'node:os';
import { lstat, unlink } from 'node:fs/promises';
import { isLoopbackHost } from '../config/schema.js';
import { onTokenEvent, tokenDown } from '../crypto/pkcs11/token.js';
import { CATALOGUE, SidecarError } from '../shared/errors.js';
import { answerClientErrors, deadlineServerOptions, httpTimeouts, interruptBodyRead, type Deadlines } from '../shared/http-deadlines.js';
import type { Gateway, GatewayDeps, Readiness } from '../shared/gateway.js';
import { listenOn } from '../shared/listen.js';
import type { Logger } from '../shared/log.js';
import { requestIdFrom, runPipeline, sendError, type PipelineHooks } from '../shared/pipeline.js';
import type { OutboundExchange, Services } from './exchange.js';
import { createGenerationManager, type LiveGeneration } from './generations.js';
import { methodLabel } from '../metrics/labels.js';
import { createOutboundMetrics } from './metrics.js';
import { OUTBOUND_PIPELINE } from './pipeline.js';
import { createWorkerSigner } from './sign-pool.js';
import { createInlineSigner, type Signer } from './signer.js';

export function createOutboundGateway(deps: GatewayDeps): Gateway {
  const metrics = createOutboundMetrics(deps.metrics.registry);
  const initial = deps.store.current();
  const cfg = initial.config.outbound;
  const log = deps.log;

  const threads = cfg.workers === 'auto' ? availableParallelism() : cfg.workers;
  const signer: Signer = threads > 0 ? createWorkerSigner({ threads, log, onThreadsChange: (up) => metrics.signWorkers.set(up) }) : createInlineSigner();
  metrics.signWorkers.set(0);
  const services: Services = { signer, metrics };
  const gens = createGenerationManager(initial, { metrics, log, signer });

  const rt0 = gens.current().runtime;
  // Header and request deadlines as the inbound listener enforces them (shared/http-deadlines.ts):
  // cut on time, answered with the catalogue's FSPIOP 408 and counted as REQUEST_TIMEOUT.
  const server = createServer({ ...deadlineServerOptions(deadlinesOf(rt0)), noDelay: true }, onRequest);
  /** The latest exchange on each connection, for the request-timeout and client-error hooks. */
  const latest = new WeakMap<Socket, OutboundExchange>();
  answerClientErrors(server, {
    onRequestTimeout(socket) {
      const x = latest.get(socket);
      return x !== undefined && interruptBodyRead(x.req, x.res, () => (x.timedOut = true));
    },
    responseOn: (socket) => latest.get(socket)?.res,
    onClientError(code) {
      metrics.requests.inc({ resource: 'other', method: 'other', status: String(CATALOGUE[code].status), outcome: code });
    },
  });
  let bound = false;
  let closing = false;
  /** Responses in flight: on close they are told `connection: close` so no client reuses a connection being drained. */
  const active = new Set<ServerResponse>();
  let onDrained: (() => void) | undefined;

  // A PKCS#11 token going away or coming back is an operator event: say so once each way.
  const unsubscribeTokens = onTokenEvent((e) => {
    if (e.state === 'down') log.error({ token: e.token, detail: e.error?.message }, 'PKCS#11 token unusable: signing fails (SIGNING_FAILED) and /readyz reports it until it answers again');
    else log.warn({ token: e.token }, 'PKCS#11 token answers again: signing resumed');
  });
  const unsubscribe = deps.store.onSwap((next) => {
    gens.swap(next);
    Object.assign(server, httpTimeouts(deadlinesOf(gens.current().runtime)));
  });

  const hooks: PipelineHooks<OutboundExchange> = { onDone: finish };

  function onRequest(req: IncomingMessage, res: ServerResponse): void {
    const method = req.method ?? 'GET';
    if (closing) {
      res.setHeader('connection', 'close');
      const err = new SidecarError('SHUTTING_DOWN', 'draining');
      sendError(res, err, requestIdFrom(req));
      metrics.requests.inc({ resource: 'other', method: methodLabel(method), status: String(err.entry.status), outcome: err.code });
      return;
    }
    const gen = gens.acquire();
    active.add(res);
    metrics.inFlight.inc();
    const x = newExchange(req, res, method, gen);
    latest.set(req.socket, x);
    const done = () => {
      gens.release(gen);
      metrics.inFlight.dec();
      active.delete(res);
      if (active.size === 0) onDrained?.();
      // Draining: a connection whose last request just finished must not linger as keep-alive.
      if (closing) server.closeIdleConnections();
    };
    runPipeline(OUTBOUND_PIPELINE, x, hooks).then(done, (err: unknown) => {
      log.error({ err }, 'outbound pipeline failed unexpectedly');
      done();
    });
  }

  function newExchange(req: IncomingMessage, res: ServerResponse, method: string, gen: LiveGeneration): OutboundExchange {
    const requestId = requestIdFrom(req);
    let child: Logger | undefined;
    return {
      requestId,
      startedAt: process.hrtime.bigint(),
      req,
      res,
      // Created on first use: a request that succeeds at info level never pays for a child logger.
      get log() {
        child ??= log.child({ requestId });
        return child;
      },
      set log(l: Logger) {
        child = l;
      },
      upstreamNs: 0n,
      gen,
      services,
      method,
      resource: 'other',
      target: undefined,
      route: undefined,
      identity: undefined,
      conformed: undefined,
      timedOut: false,
      body: undefined,
      token: undefined,
      hub: undefined,
      status: 0,
    };
  }

  function finish(x: OutboundExchange, err?: SidecarError): void {
    const status = err ? (x.res.headersSent ? x.res.statusCode : err.entry.status) : x.status;
    const outcome = err ? err.code : 'ok';
    const totalNs = process.hrtime.bigint() - x.startedAt;
    const total = Number(totalNs) / 1e9;
    const hub = Number(x.upstreamNs) / 1e9;
    metrics.requests.inc({ resource: x.resource, method: methodLabel(x.method), status: String(status), outcome });
    metrics.requestDuration.observe({ resource: x.resource, outcome }, total);
    metrics.sidecarDuration.observe({ resource: x.resource }, total - hub);
    if (x.upstreamNs > 0n) metrics.hubDuration.observe({ resource: x.resource }, hub);
    if (!err && log.isLevelEnabled('debug')) {
      x.log.debug({ method: x.method, resource: x.resource, status, ms: Math.round(total * 1e4) / 10, hubMs: Math.round(hub * 1e4) / 10 }, 'forwarded to hub');
    }
  }

  return {
    name: 'outbound',

    async listen(): Promise<AddressInfo | string> {
      if (cfg.socketPath) {
        await clearStaleSocket(cfg.socketPath);
        await new Promise<void>((resolve, reject) => {
          server.once('error', reject);
          server.listen(cfg.socketPath, () => {
            server.off('error', reject);
            resolve();
          });
        });
        bound = true;
        log.info({ socketPath: cfg.socketPath, signing: signer.mode, threads: signer.threads }, 'outbound listener on a unix socket');
        return cfg.socketPath;
      }
      if (!isLoopbackHost(cfg.host)) {
        log.warn({ host: cfg.host }, 'outbound listener bound to a non-loopback address (outbound.allowNonLoopback): anyone who can reach it can send requests signed as this DFSP');
      }
      const address = await listenOn(server, cfg.port, cfg.host);
      bound = true;
      log.info({ address: address.address, port: address.port, signing: signer.mode, threads: signer.threads }, 'outbound listener bound');
      return address;
    },

    readiness(): Readiness {
      if (!bound) return { ready: false, reason: 'outbound listener not bound' };
      if (closing) return { ready: false, reason: 'outbound listener draining' };
      const gen = gens.current();
      if (gen.runtime.sign) {
        for (const id of gen.runtime.identities.values()) {
          if (!id.key) return { ready: false, reason: `no signing key loaded for '${id.fspId}'` };
          const down = id.key.kind === 'pkcs11' ? tokenDown(id.key.ref) : undefined;
          if (down) return { ready: false, reason: `the PKCS#11 token holding the signing key of '${id.fspId}' is unusable: ${down.message}` };
        }
      }
      if (!signer.healthy()) return { ready: false, reason: 'no signing worker running' };
      if (gen.token && gen.token.current() === undefined) return { ready: false, reason: 'no valid OAuth token (the token endpoint has not answered or is failing)' };
      return { ready: true };
    },

    async close(deadline: number): Promise<void> {
      if (closing) return;
      closing = true;
      unsubscribe();
      unsubscribeTokens();
      const stopped = new Promise<void>((resolve) => server.close(() => resolve()));
      server.closeIdleConnections();
      for (const res of active) if (!res.headersSent) res.setHeader('connection', 'close');
      if (active.size > 0) {
        await new Promise<void>((resolve) => {
          const timer = setTimeout(resolve, Math.max(0, deadline - Date.now()));
          onDrained = () => {
            clearTimeout(timer);
            resolve();
          };
        });
      }
      server.closeAllConnections();
      await stopped;
      bound = false;
      await gens.close(deadline);
      await signer.close();
      metrics.signWorkers.set(0);
    },
  };
}

/** The outbound listener has one whole-request deadline; the headers must arrive within it too (capped as Node's default). */
function deadlinesOf(rt: { requestTimeoutMs: number; keepAliveTimeoutMs: number }): Deadlines {
  return { headersTimeoutMs: Math.min(rt.requestTimeoutMs, 60_000), requestTimeoutMs: rt.requestTimeoutMs, keepAliveTimeoutMs: rt.keepAliveTimeoutMs };
}

/**
 * A unix socket left behind by a process that died would make listen fail with EADDRINUSE. Remove
 * it only if it is a socket nobody answers on; never delete a regular file or a live socket.
 */
async function clearStaleSocket(path: string): Promise<void> {
  let isSocket: boolean;
  try {
    isSocket = (await lstat(path)).isSocket();
  } catch {
    return; // nothing there
  }
  if (!isSocket) throw new Error(`outbound.socketPath '${path}' exists and is not a socket; refusing to replace it`);
  const live = await new Promise<boolean>((resolve) => {
    const s = connect(path);
    s.once('connect', () => {
      s.destroy();
      resolve(true);
    });
    s.once('error', () => resolve(false));
  });
  if (live) throw new Error(`outbound.socketPath '${path}' is in use by another process`);
  await unlink(path);
}
