/**
 * Clients for the inbound listener: one-off requests over a fresh connection (each one a new TCP
 * connection and TLS handshake, optionally from another loopback source address or resuming a
 * TLS session), raw TCP/TLS sockets for byte-level tests, and a keep-alive undici pool for load.
 */
import { request, type RequestOptions } from 'node:https';
import { request as httpRequest } from 'node:http';
import { connect as netConnect, type Socket } from 'node:net';
import { connect as tlsConnect, type TLSSocket } from 'node:tls';
import { Pool } from 'undici';

export interface ClientCreds {
  readonly cert: string;
  readonly key: string;
}

export interface SendOptions {
  port: number;
  /** Our CA (the listener's server certificate chains to it). */
  ca: string;
  creds?: ClientCreds | undefined;
  method?: string;
  path: string;
  headers?: Record<string, string>;
  body?: string | Buffer;
  localAddress?: string;
  /** A TLS session to resume. */
  session?: Buffer;
  /** Plain HTTP (a listener with inbound.tls.enabled false). */
  plain?: boolean;
}

export type SendResult =
  | { ok: true; status: number; headers: Record<string, string | string[] | undefined>; body: string; session: Buffer | undefined; reused: boolean }
  | { ok: false; error: string };

export function send(opts: SendOptions): Promise<SendResult> {
  return new Promise((resolve) => {
    let session: Buffer | undefined;
    const common = {
      host: '127.0.0.1',
      port: opts.port,
      path: opts.path,
      method: opts.method ?? 'GET',
      headers: opts.headers,
      agent: false as const,
      localAddress: opts.localAddress,
    };
    const onResponse = (res: import('node:http').IncomingMessage) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => {
        const socket = res.socket as TLSSocket | null;
        const reused = typeof socket?.isSessionReused === 'function' ? socket.isSessionReused() : false;
        // TLS 1.3 tickets arrive after the handshake: give them the response's lifetime to show up.
        resolve({ ok: true, status: res.statusCode ?? 0, headers: res.headers, body: Buffer.concat(chunks).toString('utf8'), session, reused });
      });
      res.on('error', (e) => resolve({ ok: false, error: (e as NodeJS.ErrnoException).code ?? e.message }));
    };
    const req = opts.plain
      ? httpRequest(common, onResponse)
      : // `session` flows through to tls.connect (resumption); the https typings do not list it.
        request({ ...common, ca: opts.ca, cert: opts.creds?.cert, key: opts.creds?.key, session: opts.session } as RequestOptions, onResponse);
    req.on('socket', (s: Socket) => s.on('session', (x: Buffer) => (session = x)));
    req.on('error', (e) => resolve({ ok: false, error: (e as NodeJS.ErrnoException).code ?? e.message }));
    req.end(opts.body);
  });
}

/** What happened to a raw connection: the peer closed it, it errored, or data came back. */
export interface RawOutcome {
  readonly closed: boolean;
  readonly error: string | undefined;
  readonly received: Buffer;
  /** TLS only: whether the handshake completed from the client's point of view. */
  readonly secure: boolean;
}

/**
 * Open a TCP connection, write `prelude` (e.g. a PROXY header) and optionally run TLS over it,
 * then write `afterSecure` and collect whatever comes back until the peer closes or `waitMs`.
 */
export function rawConnect(opts: {
  port: number;
  localAddress?: string;
  prelude?: Buffer;
  tls?: { ca: string; creds?: ClientCreds | undefined };
  afterSecure?: string;
  /** Half-close after writing `afterSecure` (a client that stops sending). */
  end?: boolean;
  waitMs?: number;
  /** Send prelude and the TLS ClientHello in one TCP segment. */
  coalesce?: boolean;
}): Promise<RawOutcome> {
  return new Promise((resolve) => {
    const received: Buffer[] = [];
    let secure = false;
    let error: string | undefined;
    let done = false;
    const finish = (closed: boolean) => {
      if (done) return;
      done = true;
      clearTimeout(timer);
      resolve({ closed, error, received: Buffer.concat(received), secure });
      raw.destroy();
    };
    const timer = setTimeout(() => finish(false), opts.waitMs ?? 2_000);
    const raw: Socket = netConnect({ host: '127.0.0.1', port: opts.port, localAddress: opts.localAddress }, () => {
      if (opts.coalesce) raw.cork();
      if (opts.prelude) raw.write(opts.prelude);
      if (!opts.tls) {
        if (opts.afterSecure) raw.write(opts.afterSecure);
        if (opts.end) raw.end();
        raw.on('data', (c: Buffer) => received.push(c));
        return;
      }
      const s = tlsConnect({ socket: raw, ca: opts.tls.ca, cert: opts.tls.creds?.cert, key: opts.tls.creds?.key, servername: 'localhost' });
      if (opts.coalesce) process.nextTick(() => raw.uncork());
      s.on('secureConnect', () => {
        secure = true;
        if (opts.afterSecure) s.write(opts.afterSecure);
        if (opts.end) s.end();
      });
      s.on('data', (c: Buffer) => received.push(c));
      s.on('error', (e) => {
        error = (e as NodeJS.ErrnoException).code ?? e.message;
        finish(true);
      });
      s.on('close', () => finish(true));
    });
    raw.on('error', (e) => {
      error ??= (e as NodeJS.ErrnoException).code ?? e.message;
      finish(true);
    });
    raw.on('close', () => finish(true));
  });
}

/** A keep-alive mTLS pool (what the hub's connection to us looks like under load). */
export function mtlsPool(port: number, ca: string, creds: ClientCreds, connections = 4): Pool {
  return new Pool(`https://127.0.0.1:${port}`, { connections, pipelining: 1, connect: { ca, cert: creds.cert, key: creds.key } });
}
