/**
 * Admin listener: /metrics (Prometheus text), /healthz (the process is alive and its event loop
 * turns), /readyz (every enabled listener is up with its credentials loaded, and each gateway's
 * own conditions hold, e.g. a valid OAuth token). Its own port, loopback by default: it never
 * shares a socket with the gateways, so a scrape can't be mistaken for FSPIOP traffic.
 */
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Registry } from 'prom-client';
import type { Readiness } from '../shared/gateway.js';
import { closeNow, listenOn } from '../shared/listen.js';

export interface AdminDeps {
  host: string;
  port: number;
  registry: Registry;
  /** Each named condition; ready only when all are. */
  readiness: () => Array<{ name: string } & Readiness>;
  /** Snapshot facts for /healthz (version, loadedAt). */
  info: () => Record<string, unknown>;
}

export interface AdminServer {
  listen(): Promise<AddressInfo>;
  close(): Promise<void>;
  readonly server: Server;
}

export function createAdminServer(deps: AdminDeps): AdminServer {
  const server = createServer((req, res) => {
    const path = (req.url ?? '/').split('?')[0];
    if (req.method !== 'GET' && req.method !== 'HEAD') {
      res.writeHead(405, { allow: 'GET, HEAD', 'content-type': 'text/plain' }).end('method not allowed\n');
      return;
    }
    switch (path) {
      case '/metrics':
        deps.registry.metrics().then(
          (text) => res.writeHead(200, { 'content-type': deps.registry.contentType }).end(req.method === 'HEAD' ? undefined : text),
          (err: unknown) => res.writeHead(500, { 'content-type': 'text/plain' }).end(`metrics collection failed: ${String(err)}\n`),
        );
        return;
      case '/healthz':
        json(res, 200, { status: 'ok', ...deps.info() });
        return;
      case '/readyz': {
        const checks = deps.readiness();
        const ready = checks.every((c) => c.ready);
        json(res, ready ? 200 : 503, { ready, checks });
        return;
      }
      default:
        res.writeHead(404, { 'content-type': 'text/plain' }).end('not found: try /metrics, /healthz or /readyz\n');
    }
  });
  server.keepAliveTimeout = 5_000;
  return {
    server,
    listen: () => listenOn(server, deps.port, deps.host),
    close: () => closeNow(server),
  };
}

function json(res: import('node:http').ServerResponse, status: number, body: unknown): void {
  const text = `${JSON.stringify(body)}\n`;
  res.writeHead(status, { 'content-type': 'application/json', 'cache-control': 'no-store' }).end(text);
}
