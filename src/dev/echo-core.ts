/**
 * The dev profile's stand-in for a DFSP core: answers every FSPIOP callback with 200 and a JSON
 * echo of what reached it (method, path, the FSPIOP headers, the sidecar's verification verdict and
 * the body), so a newcomer sees exactly what the core would receive after the inbound gateway.
 */
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { closeNow, listenOn } from '../shared/listen.js';

const SHOWN_HEADERS = [
  'fspiop-source',
  'fspiop-destination',
  'fspiop-uri',
  'fspiop-http-method',
  'fspiop-signature',
  'date',
  'content-type',
  'x-request-id',
  'x-forwarded-for',
  'x-forwarded-proto',
  'authorization',
];

export interface EchoCore {
  readonly server: Server;
  listen(host: string, port: number): Promise<AddressInfo>;
  close(): Promise<void>;
}

export function createEchoCore(): EchoCore {
  const server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const raw = Buffer.concat(chunks).toString('utf8');
      let body: unknown = raw;
      try {
        body = raw === '' ? null : JSON.parse(raw);
      } catch {
        // shown as text
      }
      const headers: Record<string, string> = {};
      for (const name of SHOWN_HEADERS) {
        const v = req.headers[name];
        if (v !== undefined) headers[name] = Array.isArray(v) ? v.join(', ') : v;
      }
      for (const [name, v] of Object.entries(req.headers)) {
        if (name.startsWith('x-dfsp-sidecar-') && v !== undefined) headers[name] = Array.isArray(v) ? v.join(', ') : v;
      }
      const text = JSON.stringify({ core: 'dfsp-sidecar dev echo core', received: { method: req.method, path: req.url, headers, body } }, null, 2);
      res.writeHead(200, { 'content-type': 'application/json' }).end(`${text}\n`);
    });
  });
  return {
    server,
    listen: (host, port) => listenOn(server, port, host),
    close: () => closeNow(server),
  };
}
