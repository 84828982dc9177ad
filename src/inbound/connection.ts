/**
 * The connection phase: gates that run once per TCP connection, before HTTP sees the socket.
 *
 * 1. accept: the source address is checked against the allowlist when the TCP connection is
 *    accepted, before the TLS listener is given the socket, so a denied peer costs no handshake
 *    and receives no TLS byte. A connection from a trusted load balancer must first send a PROXY
 *    v1/v2 header (bounded in time and size); the allowlist then applies to the client address it
 *    carries. The only addresses ever trusted are the socket's and a trusted balancer's header,
 *    never an HTTP header.
 * 2. secure: the client certificate's verification result and the peer-identity rules are
 *    checked on every secure connection, resumed sessions included (Node keeps the peer
 *    certificate in a resumed session; the ticket keys change with every new server context, so a
 *    session from before a CA/CRL change cannot be resumed).
 *
 * What the gates learn (client address, peer identity) is attached to the socket for the request
 * phase, which reads it for free. Existing connections are not re-checked when the allowlist or
 * identity rules are reloaded; they apply to new connections.
 *
 * Connection lifecycle, against peers that hold sockets:
 * - `inbound.maxConnections` and `inbound.maxConnectionsPerSource` are checked at accept, with the
 *   client address (after a PROXY header) for the per-source cap; refusals are counted by reason.
 * - TLS renegotiation is refused on every secure connection (a client-initiated renegotiation is
 *   a CPU lever for the client and re-runs certificate checks the gate does not see).
 * - A connection the sidecar has ended (an error answer, `Connection: close`, the 408 to a silent
 *   client) is destroyed `inbound.closeGraceMs` later if the peer has not closed it by then: a
 *   peer that never reads nor closes would otherwise hold it in FIN-WAIT-2 indefinitely. The grace
 *   lets a well-behaved peer read the last answer before the socket goes.
 */
import { X509Certificate } from 'node:crypto';
import type { Socket } from 'node:net';
import type { TLSSocket } from 'node:tls';
import type { Logger } from '../shared/log.js';
import { createLogThrottle } from '../shared/log-throttle.js';
import { normaliseAddress } from './address-matcher.js';
import type { InboundRuntime } from './compile.js';
import type { ConnectionDenyReason, InboundMetrics } from './metrics.js';
import {
  checkIdentity,
  classifyHandshakeError,
  classifyVerifyError,
  identityFromCertificate,
  needsSpki,
  type HandshakeFailureReason,
  type PeerIdentity,
} from './peer-identity.js';
import { parseProxyHeader, type ProxyEndpoint } from './proxy-protocol.js';

/** A load balancer sends its header with the first packet; this only bounds a broken or hostile one. */
export const PROXY_HEADER_TIMEOUT_MS = 5_000;
/** At most one refusal log line per reason per interval; the counters carry the full numbers. */
const LOG_INTERVAL_MS = 1_000;

export interface ConnectionInfo {
  /** The client's address (normalised): the socket's peer, or the client a trusted balancer named. */
  readonly clientAddress: string;
  readonly viaProxy: boolean;
  /** The verified client certificate's identity; undefined on a listener without TLS. */
  peer: PeerIdentity | undefined;
}

export interface ConnectionGateDeps {
  readonly runtime: () => InboundRuntime | undefined;
  readonly metrics: InboundMetrics;
  readonly log: Logger;
  /** PROXY protocol is restart-only: fixed for the listener's life. */
  readonly proxyProtocol: boolean;
  readonly tls: boolean;
  readonly closing: () => boolean;
}

export interface ConnectionGate {
  /** The listener's 'connection' handler; `next` is the TLS (or plain HTTP) connection listener. */
  onConnection(socket: Socket, next: (socket: Socket) => void): void;
  /** The listener's 'secureConnection' handler; `next` is the HTTP connection listener. */
  onSecureConnection(socket: TLSSocket, next: (socket: TLSSocket) => void): void;
  onTlsClientError(err: Error, socket: TLSSocket): void;
  /** What the gates learned about the connection an HTTP request arrived on. */
  info(socket: Socket): ConnectionInfo | undefined;
  /** Sockets that have not reached HTTP yet (PROXY header, TLS handshake): safe to drop on shutdown. */
  destroyPending(): void;
  /** Every accepted socket still open: the end of a drain. */
  destroyAll(): void;
  /** A secure connection attempted a renegotiation (refused by TLS): count it and cut the connection. */
  onRenegotiation(socket: Socket): void;
}

type ProxyRead = { kind: 'ok'; source: ProxyEndpoint | undefined } | { kind: 'denied'; reason: ConnectionDenyReason; detail: string } | { kind: 'closed' };

export function createConnectionGate(deps: ConnectionGateDeps): ConnectionGate {
  const { metrics } = deps;
  const infoBySocket = new WeakMap<Socket, ConnectionInfo>();
  /**
   * Accepted TCP sockets awaiting their TLS handshake, by peer address and port: the TLS socket
   * Node creates reports the same pair, and no two live connections share it.
   */
  const handshaking = new Map<string, { raw: Socket; info: ConnectionInfo }>();
  const readingProxy = new Set<Socket>();
  const open = new Set<Socket>();
  /** Open connections per client address, for maxConnectionsPerSource. */
  const perSource = new Map<string, number>();
  const logThrottle = createLogThrottle(LOG_INTERVAL_MS);

  /**
   * Installed as the `end` of every socket HTTP is given (an own property pointing at this one
   * shared function, no closure per connection): whichever path ends the socket, Node's own
   * `destroySoon`, our error answers or the keep-alive logic, arms the linger deadline.
   */
  function endThenDestroy(this: Socket, ...args: unknown[]): Socket {
    const socket = this;
    if (!socket.destroyed && !lingering.has(socket)) {
      lingering.add(socket);
      const graceMs = deps.runtime()?.closeGraceMs ?? 2_000;
      const timer = setTimeout(() => {
        lingering.delete(socket);
        if (!socket.destroyed) {
          metrics.lingerDestroyed.inc();
          socket.destroy();
        }
      }, graceMs);
      timer.unref();
      socket.once('close', () => {
        clearTimeout(timer);
        lingering.delete(socket);
      });
    }
    return (Object.getPrototypeOf(socket) as { end: (...a: unknown[]) => Socket }).end.apply(socket, args);
  }
  const lingering = new WeakSet<Socket>();
  const lingerOnEnd = (socket: Socket): void => {
    (socket as unknown as { end: typeof endThenDestroy }).end = endThenDestroy;
  };

  const peerKey = (s: Socket) => `${s.remoteAddress}|${s.remotePort}`;

  function deny(socket: Socket, reason: ConnectionDenyReason, address: string | undefined, detail?: string): void {
    metrics.connectionsDenied.inc({ reason });
    const suppressed = logThrottle(reason);
    if (suppressed !== undefined) deps.log.warn({ reason, address, detail, suppressed }, 'connection refused before TLS');
    socket.destroy();
  }

  function refuse(socket: TLSSocket, reason: HandshakeFailureReason, info: ConnectionInfo | undefined, detail?: string): void {
    metrics.handshakeFailures.inc({ reason });
    const suppressed = logThrottle(`tls:${reason}`);
    if (suppressed !== undefined) {
      deps.log.warn({ reason, address: info?.clientAddress ?? socket.remoteAddress, resumed: socket.isSessionReused(), detail, suppressed }, 'TLS connection refused');
    }
    socket.destroy();
  }

  /** The connection caps, checked at accept: a reason to refuse, or undefined. */
  function overCap(rt: InboundRuntime, client: string): ConnectionDenyReason | undefined {
    if (rt.maxConnections > 0 && open.size >= rt.maxConnections) return 'max_connections';
    if (rt.maxConnectionsPerSource > 0 && (perSource.get(client) ?? 0) >= rt.maxConnectionsPerSource) return 'max_connections_per_source';
    return undefined;
  }

  function accept(socket: Socket, info: ConnectionInfo, next: (socket: Socket) => void): void {
    metrics.connectionsAccepted.inc();
    metrics.connectionsOpen.inc();
    open.add(socket);
    const client = info.clientAddress;
    perSource.set(client, (perSource.get(client) ?? 0) + 1);
    if (deps.tls) {
      const key = peerKey(socket);
      handshaking.set(key, { raw: socket, info });
      socket.once('close', () => {
        if (handshaking.get(key)?.raw === socket) handshaking.delete(key);
      });
    } else {
      infoBySocket.set(socket, info);
      lingerOnEnd(socket);
    }
    socket.once('close', () => {
      open.delete(socket);
      const n = (perSource.get(client) ?? 1) - 1;
      if (n <= 0) perSource.delete(client);
      else perSource.set(client, n);
      metrics.connectionsOpen.dec();
    });
    next(socket);
  }

  return {
    onConnection(socket, next) {
      // The TLS or HTTP layer reports errors on its own socket; a reset seen here must not crash.
      socket.on('error', noop);
      const remote = socket.remoteAddress;
      if (remote === undefined) {
        socket.destroy();
        return;
      }
      if (deps.closing()) return deny(socket, 'shutting_down', remote);
      const rt = deps.runtime();
      if (rt === undefined) return deny(socket, 'not_ready', remote);

      if (deps.proxyProtocol && rt.trustedProxies?.match(remote)) {
        readingProxy.add(socket);
        void readProxyHeader(socket, Math.min(PROXY_HEADER_TIMEOUT_MS, rt.headersTimeoutMs)).then((r) => {
          readingProxy.delete(socket);
          if (r.kind === 'closed') {
            socket.destroy();
            return;
          }
          if (r.kind === 'denied') return deny(socket, r.reason, remote, r.detail);
          const client = r.source?.address ?? remote;
          // A reload may have landed while the header was read: decide on the current rules.
          const now = deps.runtime();
          if (deps.closing()) return deny(socket, 'shutting_down', client);
          if (now === undefined) return deny(socket, 'not_ready', client);
          if (!now.allowlist.match(client)) return deny(socket, 'ip_not_allowed', client, `via load balancer ${remote}`);
          const clientAddress = normaliseAddress(client) ?? client;
          const capped = overCap(now, clientAddress);
          if (capped !== undefined) return deny(socket, capped, clientAddress, `via load balancer ${remote}`);
          accept(socket, { clientAddress, viaProxy: true, peer: undefined }, next);
        });
        return;
      }
      if (!rt.allowlist.match(remote)) return deny(socket, 'ip_not_allowed', remote);
      const clientAddress = normaliseAddress(remote) ?? remote;
      const capped = overCap(rt, clientAddress);
      if (capped !== undefined) return deny(socket, capped, clientAddress);
      accept(socket, { clientAddress, viaProxy: false, peer: undefined }, next);
    },

    onSecureConnection(socket, next) {
      const key = peerKey(socket);
      const entry = handshaking.get(key);
      handshaking.delete(key);
      if (entry === undefined) return refuse(socket, 'other', undefined, 'secure connection without an accepted TCP connection');
      const { info } = entry;
      const cert = peerLeafCertificate(socket);
      if (!socket.authorized) {
        // rejectUnauthorized is off at the TLS layer so that the reason can be counted here; this
        // check is what refuses the connection, before HTTP ever sees the socket.
        const code = socket.authorizationError as unknown as string | null;
        return refuse(socket, classifyVerifyError(code, cert !== undefined), info, code ?? undefined);
      }
      if (cert === undefined) return refuse(socket, 'no_certificate', info);
      const rt = deps.runtime();
      if (rt === undefined) return refuse(socket, 'other', info, 'no inbound runtime');
      const identity = identityFromCertificate(cert, needsSpki(rt.identity));
      if (!checkIdentity(identity, rt.identity)) return refuse(socket, 'identity', info, `subject CN '${identity.subjectCn ?? ''}' is not in the peer-identity allowlist`);
      info.peer = identity;
      infoBySocket.set(socket, info);
      socket.disableRenegotiation();
      lingerOnEnd(socket);
      next(socket);
    },

    onTlsClientError(err, socket) {
      const reason = classifyHandshakeError((err as NodeJS.ErrnoException).code);
      const key = peerKey(socket);
      const info = handshaking.get(key)?.info;
      handshaking.delete(key);
      metrics.handshakeFailures.inc({ reason });
      // A client hanging up mid-handshake is routine; everything else is worth a line.
      const suppressed = logThrottle(`tls:${reason}`);
      if (suppressed !== undefined) deps.log[reason === 'aborted' ? 'debug' : 'warn']({ reason, address: info?.clientAddress, code: (err as NodeJS.ErrnoException).code, suppressed }, 'TLS handshake failed');
      socket.destroy();
    },

    info(socket) {
      return infoBySocket.get(socket);
    },

    destroyPending() {
      for (const s of readingProxy) s.destroy();
      for (const { raw } of handshaking.values()) raw.destroy();
    },

    destroyAll() {
      for (const s of readingProxy) s.destroy();
      for (const s of open) s.destroy();
    },

    onRenegotiation(socket) {
      refuse(socket as TLSSocket, 'renegotiation', infoBySocket.get(socket), 'client-initiated TLS renegotiation');
    },
  };
}

function noop(): void {}

/**
 * The client's certificate, parsed on its own. Never tlsSocket.getPeerX509Certificate(): to link
 * issuerCertificate, Node X509_dup()s each certificate of the SSL's peer chain and
 * sk_X509_delete()s it from that stack without X509_free(), so every certificate the client sends
 * after its leaf is leaked in native memory, invisible to heap snapshots: ~4.5 MB per 1,000
 * connections for leaf + CA, ~8.5 MB for leaf + intermediate + root (issue 11; bench/mtls-churn.mjs
 * with CHURN_PROBE=1 shows it on a bare https server). The abbreviated getPeerCertificate() reads
 * only the leaf and leaves the chain to OpenSSL, which frees it with the connection.
 */
function peerLeafCertificate(socket: TLSSocket): X509Certificate | undefined {
  const raw = (socket.getPeerCertificate(false) as { raw?: Buffer } | null)?.raw;
  return raw !== undefined && raw.length > 0 ? new X509Certificate(raw) : undefined;
}

/**
 * Read a PROXY header, then hand the socket back paused with any bytes after the header pushed
 * back into it (the TLS layer consumes a socket's buffered bytes when it wraps it).
 */
function readProxyHeader(socket: Socket, timeoutMs: number): Promise<ProxyRead> {
  return new Promise((resolve) => {
    let buf: Buffer = Buffer.alloc(0);
    let settled = false;
    const done = (r: ProxyRead) => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      socket.off('data', onData);
      socket.off('end', onClosed);
      socket.off('close', onClosed);
      resolve(r);
    };
    const onData = (chunk: Buffer) => {
      buf = buf.length === 0 ? chunk : Buffer.concat([buf, chunk]);
      const r = parseProxyHeader(buf);
      if (r.status === 'incomplete') return;
      socket.pause();
      if (r.status === 'invalid') {
        done({ kind: 'denied', reason: r.reason === 'too_large' ? 'proxy_header_too_large' : 'proxy_header_invalid', detail: r.detail });
        return;
      }
      const rest = buf.subarray(r.length);
      if (rest.length > 0) socket.unshift(rest);
      done({ kind: 'ok', source: r.source });
    };
    const onClosed = () => done({ kind: 'closed' });
    const timer = setTimeout(() => done({ kind: 'denied', reason: 'proxy_header_timeout', detail: `no complete PROXY header within ${timeoutMs} ms` }), timeoutMs);
    socket.on('data', onData);
    socket.once('end', onClosed);
    socket.once('close', onClosed);
  });
}
