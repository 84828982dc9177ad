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
import type { RuntimeSnapshot } from '../runtime/compile.js';
import { CATALOGUE, SidecarError } from '../shared/errors.js';
import type { Gateway, GatewayDeps, Readiness } from '../shared/gateway.js';
import { listenOn } from '../shared/listen.js';
import type { Logger } from '../shared/log.js';
import { requestIdFrom, runPipeline, sendError, type PipelineHooks } from '../shared/pipeline.js';
import { createConnectionGate } from './connection.js';
import { createCorePools } from './core-pool.js';
import { InboundRequest, type InboundExchange } from './exchange.js';
import { methodLabel, resourceLabel } from '../metrics/labels.js';
import { createInboundMetrics } from './metrics.js';
import { createInboundPipeline, VERIFY_STAGE } from './pipeline.js';
import { answerProbe, createProbeCounter, isDoctorProbe } from './probe.js';
import { applyRuntime, createInboundServer } from './server.js';
import { interruptBodyRead } from './stages/read-body.js';

const VERIFIED_OK = ['verified', 'ok'] as const;
/** Status codes as label text, without a number-to-string conversion per request. */
const STATUS_TEXT = Array.from({ length: 600 }, (_, i) => String(i));
const statusLabel = (status: number): string => STATUS_TEXT[status] ?? String(status);

export function createInboundGateway(deps: GatewayDeps): Gateway {
  const { store, log } = deps;
  const metrics = createInboundMetrics(deps.metrics.registry);
  const probes = createProbeCounter(deps.metrics.registry);
  const config = store.current().config.inbound;
  const pools = createCorePools();
  const stages = createInboundPipeline({ pools });
  /** The latest request on each connection: for the listener's error and timeout hooks. */
  const latest = new WeakMap<Socket, InboundRequest>();

  const proto = config.tls.enabled ? 'https' : 'http';
  let server: Server | undefined;
  let listening = false;
  let closing = false;
  let closed: Promise<void> | undefined;
  /** Requests in flight (their count is the drain's idle test): a drain marks the ones not yet answered `Connection: close`. */
  const active = new Set<ServerResponse>();
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
      if (error && stage === VERIFY_STAGE) metrics.jws.inc(['rejected', error.reason]);
    },
    onDone(ex, error) {
      const resource = resourceLabel(ex.resource);
      // A failure after the core's status line was relayed cannot change what the client
      // received (the connection is cut): count that status, with the failure as the outcome.
      const status = error && ex.status === 0 ? error.entry.status : ex.status;
      const outcome = error ? error.code : 'ok';
      metrics.requests.inc([resource, methodLabel(ex.method), statusLabel(status), outcome]);
      const totalNs = process.hrtime.bigint() - ex.startedAt;
      metrics.requestDuration.observe([resource, outcome], Number(totalNs) / 1e9);
      metrics.sidecarDuration.observe([resource], Number(totalNs - ex.upstreamNs) / 1e9);
      if (ex.upstreamNs > 0n) metrics.coreDuration.observe([resource], Number(ex.upstreamNs) / 1e9);
      const v = ex.jws;
      if (v?.outcome === 'verified') {
        metrics.jws.inc(VERIFIED_OK);
        metrics.jwsMatched.inc([v.source, v.matched]);
        if (v.requestLineMismatch) metrics.requestLineRecorded.inc();
      } else if (v?.outcome === 'exempt') {
        metrics.jws.inc(['exempt', v.reason]);
      }
      if (!error && log.isLevelEnabled('debug')) {
        ex.log.debug({ method: ex.method, resource, status, jws: v, client: ex.conn.clientAddress, ms: Number(totalNs) / 1e6 }, 'request relayed');
      }
      metrics.inFlight.add(-1);
      active.delete(ex.res);
      // Draining: a connection whose last request just finished must not linger as keep-alive.
      if (closing) server?.closeIdleConnections();
      if (active.size === 0) onIdle?.();
    },
  };

  function onRequest(req: IncomingMessage, res: ServerResponse): void {
    const startedAt = process.hrtime.bigint();
    const snapshot = store.current();
    const rt = snapshot.inbound;
    const conn = gate.info(req.socket);
    const requestId = requestIdFrom(req);
    if (closing) res.setHeader('connection', 'close');
    if (rt === undefined || conn === undefined) {
      // Cannot happen while the gates hold (they refuse such connections); answer rather than hang.
      const err = new SidecarError('SHUTTING_DOWN', rt === undefined ? 'no_inbound_runtime' : 'unknown_connection');
      metrics.requests.inc(['other', methodLabel(req.method), statusLabel(err.entry.status), err.code]);
      sendError(res, err, requestId);
      return;
    }
    if (isDoctorProbe(req)) return answerProbe(res, requestId, probes);
    active.add(res);
    metrics.inFlight.add(1);
    const ex = new InboundRequest(snapshot, rt, conn, req, res, requestId, startedAt, proto, log);
    latest.set(req.socket, ex);
    void runPipeline(stages, ex, hooks);
  }

  store.onSwap((next, previous) => {
    if (server && next.inbound) applyRuntime(server, next.inbound, previous.inbound);
    logJwsWarnings(log, next);
  });

  function waitIdle(deadline: number): Promise<void> {
    if (active.size === 0) return Promise.resolve();
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
          metrics.requests.inc(['other', 'other', String(CATALOGUE[code].status), code]);
        },
        responseOn: (socket) => latest.get(socket)?.res,
        onRequestTimeout(socket) {
          const ex = latest.get(socket);
          return ex !== undefined && interruptBodyRead(ex);
        },
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
          // Requests already in flight finish, but their connection does not outlive them.
          for (const res of active) if (!res.headersSent) res.setHeader('connection', 'close');
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
