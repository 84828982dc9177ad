/**
 * Header and request deadlines for both listeners, enforced one way: Node's own `headersTimeout`
 * and `requestTimeout` watch every connection with one periodic check (no timer per request), on a
 * check interval fine enough that a cut-off lands close to the configured time (Node's default
 * interval is 30 s: a 4 s request timeout fired after 28-30 s). What a timed-out client gets is the
 * catalogue's FSPIOP 408 body, counted as REQUEST_TIMEOUT:
 *
 * - the request timeout strikes while the pipeline is still reading that request's body: the
 *   listener's `onRequestTimeout` interrupts the read (`interruptBodyRead`), and the pipeline
 *   answers 408 itself and closes the connection (the rest of a slow body must not be parsed as a
 *   next request);
 * - Node detects the problem before a request exists (silent client, slow headers, malformed
 *   HTTP): the 'clientError' hook answers with an FSPIOP body on the raw socket, when nothing has
 *   been written on the connection yet.
 */
import { STATUS_CODES, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { Socket } from 'node:net';
import { CATALOGUE, errorInformation, type ErrorCode } from './errors.js';

export interface Deadlines {
  readonly headersTimeoutMs: number;
  readonly requestTimeoutMs: number;
  readonly keepAliveTimeoutMs: number;
}

/** The timeouts Node reads on every check (so a reload can change them on a running server). */
export function httpTimeouts(d: Deadlines): { requestTimeout: number; headersTimeout: number; keepAliveTimeout: number } {
  return { requestTimeout: d.requestTimeoutMs, headersTimeout: d.headersTimeoutMs, keepAliveTimeout: d.keepAliveTimeoutMs };
}

/** Server options at creation: the timeouts plus the check interval (fixed for the server's life). */
export function deadlineServerOptions(d: Deadlines): ReturnType<typeof httpTimeouts> & { connectionsCheckingInterval: number } {
  return { ...httpTimeouts(d), connectionsCheckingInterval: checkingIntervalMs(d) };
}

/** A quarter of the shorter deadline, within [50 ms, 1 s]: a cut-off at most that late. */
export function checkingIntervalMs(d: Pick<Deadlines, 'headersTimeoutMs' | 'requestTimeoutMs'>): number {
  return Math.max(50, Math.min(1_000, Math.floor(Math.min(d.headersTimeoutMs, d.requestTimeoutMs) / 4)));
}

export interface ClientErrorHooks {
  /** The request timeout struck on a socket; true when the pipeline took it over (it answers 408 itself). */
  readonly onRequestTimeout: (socket: Socket) => boolean;
  /** The latest response on a socket, if any (no second response may be written over or after it). */
  readonly responseOn: (socket: Socket) => ServerResponse | undefined;
  /** A request that never reached the pipeline was answered with this code (for metrics). */
  readonly onClientError: (code: ErrorCode, err: NodeJS.ErrnoException) => void;
  /** A TLS client tried to renegotiate (refused by TLS): count it and cut the connection. */
  readonly onRenegotiation?: (socket: Socket) => void;
}

export function answerClientErrors(server: Server, hooks: ClientErrorHooks): void {
  server.on('clientError', (err: NodeJS.ErrnoException, socket: Socket) => {
    if (err.code === 'ERR_HTTP_REQUEST_TIMEOUT' && hooks.onRequestTimeout(socket)) return;
    if (err.code === 'ERR_TLS_RENEGOTIATION_DISABLED' && hooks.onRenegotiation) {
      hooks.onRenegotiation(socket);
      return;
    }
    const last = hooks.responseOn(socket);
    // A request still in progress (being answered, or its refused body still draining) gets no
    // second response on the same connection. One that arrived whole is answered first and the
    // connection closed after it (what follows it on the wire is unparsable and dropped, never
    // forwarded); one whose body is still arriving is cut.
    const busy = last !== undefined && (!last.writableFinished || !last.req.complete);
    if (busy && last.req.complete && socket.writable && err.code !== 'ECONNRESET' && err.code !== 'ERR_HTTP_REQUEST_TIMEOUT') {
      if (!last.headersSent) last.setHeader('connection', 'close');
      last.shouldKeepAlive = false;
      (last as ServerResponse & { _last: boolean })._last = true;
      return;
    }
    if (err.code === 'ECONNRESET' || !socket.writable || busy) {
      socket.destroy();
      return;
    }
    const code: ErrorCode = err.code === 'ERR_HTTP_REQUEST_TIMEOUT' ? 'REQUEST_TIMEOUT' : err.code === 'HPE_HEADER_OVERFLOW' ? 'HEADERS_TOO_LARGE' : 'BODY_MALFORMED';
    const reason = code === 'REQUEST_TIMEOUT' ? 'request_timeout' : httpErrorReason(err.code);
    hooks.onClientError(code, err);
    // On the inbound listener the gate made this socket's end() arm the linger deadline.
    socket.end(rawErrorResponse(code, reason));
  });
}

/**
 * Interrupt the body read of a request the listener timed out: the reader fails, and the caller's
 * read stage, seeing its timed-out mark, answers REQUEST_TIMEOUT. False when there is no read to
 * interrupt (the response already started, or the body already arrived).
 */
export function interruptBodyRead(req: IncomingMessage, res: ServerResponse, markTimedOut: () => void): boolean {
  if (res.headersSent || req.complete || req.listenerCount('error') === 0) return false;
  markTimedOut();
  res.setHeader('connection', 'close');
  req.emit('error', new Error('request timeout'));
  return true;
}

function httpErrorReason(code: string | undefined): string {
  if (code === 'HPE_HEADER_OVERFLOW') return 'headers_too_large';
  if (code?.startsWith('HPE_')) return 'bad_http';
  return 'client_error';
}

/** A complete HTTP/1.1 error response for a connection the HTTP layer has given up on. */
export function rawErrorResponse(code: ErrorCode, reason: string): string {
  const body = JSON.stringify(errorInformation(code, reason));
  const status = CATALOGUE[code].status;
  return `HTTP/1.1 ${status} ${STATUS_CODES[status] ?? 'Error'}\r\ncontent-type: application/json\r\ncontent-length: ${Buffer.byteLength(body)}\r\nconnection: close\r\n\r\n${body}`;
}
