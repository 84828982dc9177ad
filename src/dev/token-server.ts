/**
 * The dev profile's stand-in for the hub's OAuth2 gateway (WSO2/Keycloak): client_credentials only,
 * HTTP Basic client authentication, form body, as fspiop-jws.md §7 describes. Plain HTTP on
 * loopback: it exists so the outbound token path runs in the dev profile, not as a product feature.
 */
import { randomBytes, timingSafeEqual } from 'node:crypto';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { closeNow, listenOn } from '../shared/listen.js';

export interface DevTokenServer {
  readonly server: Server;
  listen(host: string, port: number): Promise<AddressInfo>;
  close(): Promise<void>;
}

export function createDevTokenServer(opts: { clientKey: string; clientSecret: string; expiresIn: number }): DevTokenServer {
  const expected = Buffer.from(`Basic ${Buffer.from(`${opts.clientKey}:${opts.clientSecret}`).toString('base64')}`);
  const server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const auth = Buffer.from(req.headers.authorization ?? '');
      const form = new URLSearchParams(Buffer.concat(chunks).toString('utf8'));
      const send = (status: number, body: unknown) => res.writeHead(status, { 'content-type': 'application/json', 'cache-control': 'no-store' }).end(JSON.stringify(body));
      if (req.method !== 'POST') return send(405, { error: 'invalid_request' });
      if (auth.length !== expected.length || !timingSafeEqual(auth, expected)) return send(401, { error: 'invalid_client' });
      if (form.get('grant_type') !== 'client_credentials') return send(400, { error: 'unsupported_grant_type' });
      send(200, { access_token: randomBytes(24).toString('base64url'), token_type: 'Bearer', expires_in: opts.expiresIn, scope: form.get('scope') ?? 'default' });
    });
  });
  return {
    server,
    listen: (host, port) => listenOn(server, port, host),
    close: () => closeNow(server),
  };
}
