/**
 * The inbound gateway: hub → (allowlist, mTLS, identity) → request pipeline → DFSP core.
 *
 * Owns the long-lived pieces (the listener, the connection gates, the core pool) and reads
 * everything reloadable from the runtime snapshot: once per connection in the gates, once per
 * request here. A swap applies the new TLS context and HTTP limits to the listener; open
 * connections and in-flight requests keep what they started with.
 *
 * Drain (`close(deadline)`): stop accepting, close idle keep-alive connections, drop sockets that
 * have not reached HTTP yet, answer in-flight requests with `Connection: close`, wait for them
 * until the deadline, then destroy whatever is left and close the core pool.
 */
import type { AddressInfo } from 'node:net';
import type { Socket } from 'node:net';
import type { IncomingMessage, Server, ServerResponse } from 'node:http';
import type { RuntimeSnapshot } from '../config/compile.js';
import { SidecarError } from '../shared/errors.js';
import type { Gateway, GatewayDeps, Readiness } from '../shared/gateway.js';
import { listenOn } from '../shared/listen.js';
import type { Logger } from '../shared/log.js';
import { requestIdFrom, runPipeline, sendError, type PipelineHooks } from '../shared/pipeline.js';
import { createConnectionGate } from './connection.js';
import { createCorePools } from './core-pool.js';
import type { InboundExchange } from './exchange.js';
import { createInboundMetrics, methodLabel, resourceLabel } from './metrics.js';
import { createInboundPipeline, VERIFY_STAGE } from './pipeline.js';
import { applyRuntime, createInboundServer } from './server.js';

export function createInboundGateway(deps: GatewayDeps): Gateway {
  const { store, log } = deps;
  const metrics = createInboundMetrics(deps.metrics.registry);
  const config = store.current().config.inbound;
  const pools = createCorePools();
  const stages = createInboundPipeline({ pools });
  const lastResponse = new WeakMap<Socket, ServerResponse>();

  let server: Server | undefined;
  let listening = false;
  let closing = false;
  let closed: Promise<void> | undefined;
  let inFlight = 0;
  let onIdle: (() => void) | undefined;

  const gate = createConnectionGate({
    runtime: () => store.current().inbound,
    metrics,
    log,
    proxyProtocol: config.proxyProtocol.enabled,
    tls: config.tls.enabled,
    closing: () => closing,
  });

  const hooks: PipelineHooks<InboundExchange> = {
    onStage(_ex, stage, _ns, error) {
      if (error && stage === VERIFY_STAGE) metrics.jws.inc({ outcome: 'rejected', reason: error.reason });
    },
    onDone(ex, error) {
      const resource = resourceLabel(ex.resource);
      const status = error ? error.entry.status : ex.status;
      metrics.requests.inc({ resource, method: methodLabel(ex.method), status: String(status), outcome: error ? error.code : 'ok' });
      const totalNs = process.hrtime.bigint() - ex.startedAt;
      metrics.sidecarDuration.observe({ resource }, Number(totalNs - ex.upstreamNs) / 1e9);
      if (ex.upstreamNs > 0n) metrics.coreDuration.observe({ resource }, Number(ex.upstreamNs) / 1e9);
      const v = ex.jws;
      if (v?.outcome === 'verified') {
        metrics.jws.inc({ outcome: 'verified', reason: 'ok' });
        metrics.jwsMatched.inc({ source: v.source, encoding: v.matched });
      } else if (v?.outcome === 'exempt') {
        metrics.jws.inc({ outcome: 'exempt', reason: v.reason });
      }
      if (!error && log.isLevelEnabled('debug')) {
        ex.log.debug({ method: ex.method, resource, status, jws: v, client: ex.conn.clientAddress, ms: Number(totalNs) / 1e6 }, 'request relayed');
      }
      metrics.inFlight.dec();
      inFlight--;
      if (inFlight === 0) onIdle?.();
    },
  };

  function onRequest(req: IncomingMessage, res: ServerResponse): void {
    lastResponse.set(req.socket, res);
    const startedAt = process.hrtime.bigint();
    const snapshot = store.current();
    const rt = snapshot.inbound;
    const conn = gate.info(req.socket);
    const requestId = requestIdFrom(req);
    if (closing) res.setHeader('connection', 'close');
    if (rt === undefined || conn === undefined) {
      // Cannot happen while the gates hold (they refuse such connections); answer rather than hang.
      sendError(res, new SidecarError('SHUTTING_DOWN', rt === undefined ? 'no_inbound_runtime' : 'unknown_connection'), requestId);
      return;
    }
    inFlight++;
    metrics.inFlight.inc();
    void runPipeline(stages, createExchange(snapshot, rt, conn, req, res, requestId, startedAt, log), hooks);
  }

  function createExchange(
    snapshot: RuntimeSnapshot,
    rt: NonNullable<RuntimeSnapshot['inbound']>,
    conn: NonNullable<ReturnType<typeof gate.info>>,
    req: IncomingMessage,
    res: ServerResponse,
    requestId: string,
    startedAt: bigint,
    base: Logger,
  ): InboundExchange {
    let child: Logger | undefined;
    return {
      requestId,
      startedAt,
      req,
      res,
      upstreamNs: 0n,
      snapshot,
      rt,
      conn,
      proto: rt.tls ? 'https' : 'http',
      method: req.method ?? 'GET',
      target: req.url ?? '',
      resource: undefined,
      body: undefined,
      jws: undefined,
      status: 0,
      // A child logger costs an allocation: only requests that log get one.
      get log(): Logger {
        child ??= base.child({ requestId });
        return child;
      },
      set log(l: Logger) {
        child = l;
      },
    };
  }

  store.onSwap((next, previous) => {
    if (server && next.inbound) applyRuntime(server, next.inbound, previous.inbound);
    logJwsWarnings(log, next);
  });

  function waitIdle(deadline: number): Promise<void> {
    if (inFlight === 0) return Promise.resolve();
    return new Promise((resolve) => {
      const timer = setTimeout(done, Math.max(0, deadline - Date.now()));
      function done() {
        clearTimeout(timer);
        onIdle = undefined;
        resolve();
      }
      onIdle = done;
    });
  }

  return {
    name: 'inbound',

    async listen(): Promise<AddressInfo> {
      const rt = store.current().inbound;
      if (rt === undefined) throw new Error('inbound is enabled but the runtime snapshot has no inbound section');
      server = createInboundServer({
        runtime: rt,
        current: () => store.current().inbound ?? rt,
        gate,
        onRequest,
        onClientError(code) {
          metrics.requests.inc({ resource: 'other', method: 'other', status: String(code === 'REQUEST_TIMEOUT' ? 408 : 400), outcome: code });
        },
        responseOn: (socket) => lastResponse.get(socket),
      });
      const address = await listenOn(server, config.port, config.host);
      listening = true;
      logJwsWarnings(log, store.current());
      return address;
    },

    readiness(): Readiness {
      if (closing) return { ready: false, reason: 'draining' };
      if (!listening) return { ready: false, reason: 'inbound listener not bound' };
      const s = store.current();
      if (s.inbound === undefined || (s.config.inbound.tls.enabled && s.inbound.tls === undefined)) return { ready: false, reason: 'no inbound TLS credentials loaded' };
      if (s.inbound.jws.verify && s.inbound.jws.keys.bySource.size === 0) return { ready: false, reason: 'no peer JWS keys loaded' };
      return { ready: true };
    },

    close(deadline: number): Promise<void> {
      closed ??= (async () => {
        closing = true;
        const srv = server;
        if (srv) {
          const stopped = new Promise<void>((resolve) => srv.close(() => resolve()));
          srv.closeIdleConnections();
          gate.destroyPending();
          await waitIdle(deadline);
          // In-flight requests are done (or out of time): nothing left is worth keeping.
          srv.closeAllConnections();
          gate.destroyAll();
          await stopped;
          listening = false;
        }
        await pools.close(deadline);
      })();
      return closed;
    },
  };
}

function logJwsWarnings(log: Logger, s: RuntimeSnapshot): void {
  for (const w of s.inbound?.jws.warnings ?? []) log.warn({ file: w.file, problem: w.message }, 'peer JWS key file not loaded; the previous key for that source stays in use');
}
