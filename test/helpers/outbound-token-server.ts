/**
 * A token endpoint stand-in for the outbound tests: OAuth2 client_credentials over TLS (server
 * certificate from the hub CA, client certificate optionally required), HTTP Basic client
 * authentication, form body — the shape WSO2 and Keycloak expose and fspiop-jws.md §7 describes.
 * Tests script it: lifetime of issued tokens, failing or hanging answers, WSO2's "same token until
 * expiry" behaviour, and rotating the accepted credentials. Every call is recorded.
 */
import { randomBytes } from 'node:crypto';
import { createServer, type Server } from 'node:https';
import type { AddressInfo } from 'node:net';
import type { TLSSocket } from 'node:tls';
import type { IssuedCert } from '../../src/crypto/pki/certificate.js';

export interface TokenCall {
  readonly authorization: string | undefined;
  readonly contentType: string | undefined;
  readonly form: URLSearchParams;
  readonly clientCn: string | undefined;
  /** The token issued, or undefined when the call was failed. */
  readonly issued: string | undefined;
}

export interface TokenServer {
  readonly server: Server;
  readonly url: string;
  readonly calls: TokenCall[];
  /** Tokens handed out, newest last. */
  readonly issued: string[];
  /** expires_in of issued tokens (seconds); undefined omits it. */
  expiresIn: number | undefined;
  /** Answer with this HTTP status and an OAuth error instead of a token (undefined: issue). */
  failWith: number | undefined;
  /** Never answer (the sidecar's fetch times out). */
  hang: boolean;
  /** WSO2: hand out the same token until it expires. */
  sameTokenUntilExpiry: boolean;
  /** Answer this many milliseconds late. */
  delayMs: number;
  /** Issue times and expiries (ms epoch) of issued tokens, by token. */
  readonly lifetimes: Map<string, { issuedAt: number; expiresAt: number }>;
  /** Accept only these client credentials. */
  setCredentials(clientKey: string, clientSecret: string): void;
  close(): Promise<void>;
}

export async function startTokenServer(opts: { cert: IssuedCert; clientCaPem?: string; requireClientCert?: boolean; clientKey: string; clientSecret: string; expiresIn?: number }): Promise<TokenServer> {
  let expected = basic(opts.clientKey, opts.clientSecret);
  const calls: TokenCall[] = [];
  const issued: string[] = [];
  let current: { token: string; expiresAt: number } | undefined;
  const hanging = new Set<import('node:http').ServerResponse>();

  const state = {
    expiresIn: opts.expiresIn ?? 300 as number | undefined,
    failWith: undefined as number | undefined,
    hang: false,
    sameTokenUntilExpiry: false,
    delayMs: 0,
  };
  const lifetimes = new Map<string, { issuedAt: number; expiresAt: number }>();

  const server = createServer(
    {
      cert: opts.cert.chainPem,
      key: opts.cert.keyPem,
      ...(opts.clientCaPem ? { ca: opts.clientCaPem } : {}),
      requestCert: opts.requireClientCert === true,
      rejectUnauthorized: opts.requireClientCert === true,
    },
    (req, res) => {
      const chunks: Buffer[] = [];
      req.on('data', (c: Buffer) => chunks.push(c));
      req.on('end', () => setTimeout(answer, state.delayMs));
      const answer = () => {
        const form = new URLSearchParams(Buffer.concat(chunks).toString('utf8'));
        const peer = (req.socket as TLSSocket).getPeerCertificate();
        const record = (token: string | undefined) =>
          calls.push({ authorization: req.headers.authorization, contentType: req.headers['content-type'], form, clientCn: typeof peer?.subject?.CN === 'string' ? peer.subject.CN : undefined, issued: token });
        const send = (status: number, body: unknown) => res.writeHead(status, { 'content-type': 'application/json', 'cache-control': 'no-store' }).end(JSON.stringify(body));
        if (state.hang) {
          record(undefined);
          hanging.add(res);
          return;
        }
        if (state.failWith !== undefined) {
          record(undefined);
          return send(state.failWith, { error: state.failWith === 401 ? 'invalid_client' : 'temporarily_unavailable' });
        }
        if (req.method !== 'POST' || req.headers.authorization !== expected) {
          record(undefined);
          return send(401, { error: 'invalid_client' });
        }
        if (form.get('grant_type') !== 'client_credentials') {
          record(undefined);
          return send(400, { error: 'unsupported_grant_type' });
        }
        const now = Date.now();
        let token: string;
        let expiresIn = state.expiresIn;
        if (state.sameTokenUntilExpiry && current && current.expiresAt > now) {
          token = current.token;
          expiresIn = Math.max(0, Math.floor((current.expiresAt - now) / 1000));
        } else {
          token = `tok-${issued.length + 1}-${randomBytes(6).toString('hex')}`;
          current = { token, expiresAt: now + (state.expiresIn ?? 86_400) * 1000 };
          issued.push(token);
          lifetimes.set(token, { issuedAt: now, expiresAt: current.expiresAt });
        }
        record(token);
        send(200, { access_token: token, token_type: 'Bearer', ...(expiresIn === undefined ? {} : { expires_in: expiresIn }), scope: form.get('scope') ?? 'default' });
      };
    },
  );
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const port = (server.address() as AddressInfo).port;

  return {
    server,
    url: `https://127.0.0.1:${port}/realms/dfsps/protocol/openid-connect/token`,
    calls,
    issued,
    lifetimes,
    get delayMs() {
      return state.delayMs;
    },
    set delayMs(v) {
      state.delayMs = v;
    },
    get expiresIn() {
      return state.expiresIn;
    },
    set expiresIn(v) {
      state.expiresIn = v;
    },
    get failWith() {
      return state.failWith;
    },
    set failWith(v) {
      state.failWith = v;
    },
    get hang() {
      return state.hang;
    },
    set hang(v) {
      state.hang = v;
    },
    get sameTokenUntilExpiry() {
      return state.sameTokenUntilExpiry;
    },
    set sameTokenUntilExpiry(v) {
      state.sameTokenUntilExpiry = v;
    },
    setCredentials(clientKey, clientSecret) {
      expected = basic(clientKey, clientSecret);
    },
    close: () =>
      new Promise<void>((resolve) => {
        for (const res of hanging) res.destroy();
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
}

function basic(key: string, secret: string): string {
  return `Basic ${Buffer.from(`${key}:${secret}`).toString('base64')}`;
}
