/**
 * The inbound listener: an https server (or a plain http one when inbound.tls.enabled is off,
 * for lab set-ups) whose connection phase runs through the gates in connection.ts.
 *
 * Node wires a TLS server as `connection` → TLS listener → `secureConnection` → HTTP listener.
 * We take both listeners out and put the gates in front of them, so a socket reaches the TLS
 * layer only past the allowlist and reaches HTTP only past the certificate and identity checks.
 * Client certificates are requested with `rejectUnauthorized: false` at the TLS layer so that the
 * secure gate sees, counts and refuses every failure by reason; it is the gate that refuses.
 *
 * Slow clients: header and request deadlines are enforced the way both listeners share
 * (src/shared/http-deadlines.ts): Node's periodic check, an FSPIOP 408 from the pipeline when the
 * body read is interrupted, and from the 'clientError' hook before a request exists.
 */
import { createServer as createHttpServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { createServer as createHttpsServer } from 'node:https';
import type { Socket } from 'node:net';
import type { TLSSocket } from 'node:tls';
import type { ErrorCode } from '../shared/errors.js';
import { answerClientErrors, deadlineServerOptions, httpTimeouts, rawErrorResponse } from '../shared/http-deadlines.js';
import type { InboundRuntime } from './compile.js';
import type { ConnectionGate } from './connection.js';

export interface InboundServerOptions {
  /** The runtime at start: TLS on/off, the first context, the timer granularity. */
  readonly runtime: InboundRuntime;
  /** The runtime now (reloadable limits). */
  readonly current: () => InboundRuntime;
  readonly gate: ConnectionGate;
  readonly onRequest: (req: IncomingMessage, res: ServerResponse) => void;
  /** A request that never reached the pipeline was answered with this code (for metrics). */
  readonly onClientError: (code: ErrorCode, err: NodeJS.ErrnoException) => void;
  /** The latest response on a socket, if any (the 'clientError' hook must not write over or after it). */
  readonly responseOn: (socket: Socket) => ServerResponse | undefined;
  /** The request timeout struck on a socket; true when the pipeline took it over (it answers 408 itself). */
  readonly onRequestTimeout: (socket: Socket) => boolean;
}

export function createInboundServer(opts: InboundServerOptions): Server {
  const rt = opts.runtime;
  const common = {
    ...deadlineServerOptions(rt),
    // Over this many bytes of request line and headers the parser stops (HPE_HEADER_OVERFLOW: 431).
    maxHeaderSize: rt.maxHeaderBytes,
  };
  const server: Server = rt.tls
    ? createHttpsServer(
        {
          ...rt.tls.contextOptions,
          ...common,
          requestCert: true,
          rejectUnauthorized: false,
          // With the HTTP layer's httpAllowHalfOpen below: a client's FIN must not end our side first.
          allowHalfOpen: true,
          handshakeTimeout: rt.headersTimeoutMs,
        },
        opts.onRequest,
      )
    : createHttpServer(common, opts.onRequest);
  server.maxHeadersCount = headersCountFor(rt);
  // A client may half-close once it has sent its request (RFC 9112 §9.6 allows it). Node's default
  // treats that FIN as an abort: the request is dropped, possibly after it reached the core, and
  // the client gets no answer. Answer it, then close (the linger deadline bounds a peer that then
  // never reads).
  (server as Server & { httpAllowHalfOpen: boolean }).httpAllowHalfOpen = true;

  const connectionListener = takeOnlyListener(server, 'connection') as (socket: Socket) => void;
  server.on('connection', (socket: Socket) => opts.gate.onConnection(socket, (s) => connectionListener.call(server, s)));
  if (rt.tls) {
    const httpListener = takeOnlyListener(server, 'secureConnection') as (socket: TLSSocket) => void;
    server.on('secureConnection', (socket: TLSSocket) => opts.gate.onSecureConnection(socket, (s) => httpListener.call(server, s)));
    // https.Server re-emits every 'tlsClientError' as 'clientError', where it would be answered and
    // counted as an HTTP request (a handshake timeout as a 400 BODY_MALFORMED). A connection that
    // never completed its handshake never reached HTTP: it is the gate's alone, counted there as
    // a handshake failure.
    server.removeAllListeners('tlsClientError');
    server.on('tlsClientError', (err: Error, socket: TLSSocket) => opts.gate.onTlsClientError(err, socket));
  }

  // Expect: 100-continue. A body declared over the limit is refused without inviting it.
  server.on('checkContinue', (req: IncomingMessage, res: ServerResponse) => {
    const declared = Number(req.headers['content-length']);
    if (Number.isFinite(declared) && declared > opts.current().bodyLimitBytes) res.setHeader('connection', 'close');
    else res.writeContinue();
    opts.onRequest(req, res);
  });

  // CONNECT (an authority-form target): Node hands it to a 'connect' listener or drops the socket
  // without a word. It is no FSPIOP request: answer like any other target that is not origin-form.
  server.on('connect', (_req: IncomingMessage, socket: Socket) => {
    opts.onClientError('MALFORMED_REQUEST', Object.assign(new Error('CONNECT'), { code: 'CONNECT' }));
    socket.end(rawErrorResponse('MALFORMED_REQUEST', 'target_not_origin_form'));
  });

  answerClientErrors(server, { ...opts, onRenegotiation: (socket) => opts.gate.onRenegotiation(socket) });
  return server;
}

/**
 * Apply a reloaded runtime to the running listener: the TLS context for new connections (open
 * ones keep theirs; Node documents that setSecureContext does not touch them) and the HTTP
 * timeouts, which Node reads on every check. The check interval and TLS handshake timeout are
 * fixed at start.
 */
export function applyRuntime(server: Server, next: InboundRuntime, previous: InboundRuntime | undefined): void {
  if (next.tls && next.tls.fingerprint !== previous?.tls?.fingerprint && 'setSecureContext' in server) {
    (server as unknown as { setSecureContext(o: object): void }).setSecureContext(next.tls.contextOptions);
  }
  Object.assign(server, httpTimeouts(next));
  server.maxHeadersCount = headersCountFor(next);
}

/**
 * Node keeps only the first `maxHeadersCount` header lines and drops the rest without a word; one
 * more than our cap lets check-headers see that the cap was passed and refuse with 431.
 */
function headersCountFor(rt: InboundRuntime): number {
  return rt.maxHeaderCount + 1;
}

/** Remove and return the single listener Node registered for `event` (fails loudly if the wiring ever changes). */
function takeOnlyListener(server: Server, event: string): (...args: unknown[]) => void {
  const listeners = server.listeners(event);
  if (listeners.length !== 1) throw new Error(`expected exactly one '${event}' listener on the inbound server, found ${listeners.length}`);
  const listener = listeners[0] as (...args: unknown[]) => void;
  server.removeListener(event, listener);
  return listener;
}

export { rawErrorResponse } from '../shared/http-deadlines.js';
