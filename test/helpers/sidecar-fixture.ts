/**
 * A complete on-disk set-up for running the built sidecar as a process: the shared test PKI
 * (test/helpers/pki.ts, made by our own toolkit), a core stand-in, and a config file with every
 * port 0 (the sidecar logs the addresses it bound).
 */
import { writeFileSync } from 'node:fs';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { createServerCert, type IssuedCert } from '../../src/crypto/pki/index.js';
import { TEST_SERVER_NAMES, makeTestPki, writeTestPki, type TestPkiFiles } from './pki.js';

export interface Fixture {
  dir: string;
  files: TestPkiFiles & { config: string };
  /** The hub's client certificate (signed by the DFSP CA), for calling the inbound listener. */
  client: IssuedCert;
  dfspCaPem: string;
  /** Issue a fresh server certificate from the same DFSP CA (for rotation). */
  newServerCert(): Promise<IssuedCert>;
}

export async function makeFixture(configYaml: (f: TestPkiFiles & { corePort: number }) => string, corePort: number): Promise<Fixture> {
  const pki = await makeTestPki();
  const written = writeTestPki(pki);
  const config = join(written.dir, 'config.yaml');
  writeFileSync(config, configYaml({ ...written, corePort }));
  return {
    dir: written.dir,
    files: { ...written, config },
    client: pki.hubClient,
    dfspCaPem: pki.dfspCa.certPem,
    newServerCert: () => createServerCert({ ca: pki.dfspCa, cn: 'localhost', dns: [...TEST_SERVER_NAMES.dns], ip: [...TEST_SERVER_NAMES.ip], days: 1 }),
  };
}

/** Minimal inbound-only config: mTLS (the hub's client certificates come from the DFSP CA), loopback allowlist. */
export function inboundOnlyConfig(f: TestPkiFiles & { corePort: number }, extra = ''): string {
  return `dfspId: dfspa
log: { level: info }
admin: { port: 0 }
reload: { pollIntervalMs: 0 }
shutdown: { drainTimeoutMs: 5000 }
jws: { keysDirectory: ${f.jwsKeysDir} }
inbound:
  host: 127.0.0.1
  port: 0
  tls: { certFile: ${f.dfspServerCert}, keyFile: ${f.dfspServerKey}, caFiles: [${f.dfspCaCert}] }
  allowlist: [127.0.0.0/8]
  core: { url: "http://127.0.0.1:${f.corePort}" }
outbound: { enabled: false }
${extra}`;
}

export interface CoreStandIn {
  server: Server;
  port: number;
  hits: IncomingMessage[];
  close(): Promise<void>;
}

export async function startCore(handler: (req: IncomingMessage, res: ServerResponse) => void): Promise<CoreStandIn> {
  const hits: IncomingMessage[] = [];
  const server = createServer((req, res) => {
    hits.push(req);
    handler(req, res);
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', () => r()));
  return {
    server,
    port: (server.address() as AddressInfo).port,
    hits,
    close: () =>
      new Promise((r) => {
        server.close(() => r());
        server.closeAllConnections();
      }),
  };
}

/** Addresses from the sidecar's "dfsp-sidecar started" log line. */
export function boundAddresses(logs: Array<Record<string, unknown>>): Record<string, string> {
  const started = logs.find((l) => l.msg === 'dfsp-sidecar started');
  if (!started) throw new Error('no start log line');
  return started.addresses as Record<string, string>;
}

export function portOf(address: string | undefined): number {
  const m = /:(\d+)$/.exec(address ?? '');
  if (!m) throw new Error(`no port in '${address}'`);
  return Number(m[1]);
}
