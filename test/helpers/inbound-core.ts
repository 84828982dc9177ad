/**
 * A stand-in for the DFSP core: a real HTTP server on 127.0.0.1 that records every request it
 * receives exactly as it arrived (method, raw target, raw headers, body bytes) and answers with
 * a handler the test chooses (by default 200 and a small JSON body).
 */
import { createServer, type IncomingHttpHeaders, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';

export interface CoreHit {
  readonly method: string;
  readonly url: string;
  readonly headers: IncomingHttpHeaders;
  readonly rawHeaders: string[];
  readonly body: Buffer;
}

export type CoreHandler = (hit: CoreHit, res: ServerResponse) => void;

export interface CoreStandIn {
  readonly server: Server;
  readonly port: number;
  readonly url: string;
  readonly hits: CoreHit[];
  /** Requests whose headers arrived, even if their body never completed. */
  arrivals: number;
  setHandler(h: CoreHandler): void;
  close(): Promise<void>;
}

export const CORE_REPLY = '{"status":"accepted"}';

export const defaultCoreHandler: CoreHandler = (_hit, res) => {
  res.writeHead(200, { 'content-type': 'application/json', 'x-core': 'yes' });
  res.end(CORE_REPLY);
};

export async function startCore(handler: CoreHandler = defaultCoreHandler): Promise<CoreStandIn> {
  let current = handler;
  const hits: CoreHit[] = [];
  const state = { arrivals: 0 };
  const server = createServer((req: IncomingMessage, res: ServerResponse) => {
    state.arrivals++;
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const hit: CoreHit = { method: req.method ?? '', url: req.url ?? '', headers: req.headers, rawHeaders: req.rawHeaders, body: Buffer.concat(chunks) };
      hits.push(hit);
      current(hit, res);
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', () => resolve()));
  const port = (server.address() as AddressInfo).port;
  return {
    server,
    port,
    url: `http://127.0.0.1:${port}`,
    hits,
    get arrivals() {
      return state.arrivals;
    },
    set arrivals(n: number) {
      state.arrivals = n;
    },
    setHandler(h) {
      current = h;
    },
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
}
