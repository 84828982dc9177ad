/**
 * A complete on-disk set-up for running the built sidecar as a process: PKI made by our own
 * toolkit, a peer key directory, a core stand-in, and a config file with every port 0 (the
 * sidecar logs the addresses it bound).
 */
import { generateKeyPairSync } from 'node:crypto';
import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createCa, createClientCert, createServerCert, type IssuedCert } from '../../src/crypto/pki/certificate.js';

export interface Fixture {
  dir: string;
  files: { serverCert: string; serverKey: string; hubCa: string; dfspCa: string; peers: string; config: string };
  client: IssuedCert;
  dfspCaPem: string;
  /** Issue a fresh server certificate from the same DFSP CA (for rotation). */
  newServerCert(): Promise<IssuedCert>;
}

export async function makeFixture(configYaml: (f: Fixture['files'] & { corePort: number }) => string, corePort: number): Promise<Fixture> {
  const dir = mkdtempSync(join(tmpdir(), 'sidecar-proc-'));
  const [hubCa, dfspCa] = await Promise.all([createCa({ cn: 'Test Hub CA', o: 'Hub', c: 'ZZ', days: 2 }), createCa({ cn: 'Test DFSP CA', o: 'DFSP', c: 'ZZ', days: 2 })]);
  const newServerCert = () => createServerCert({ ca: dfspCa, cn: 'localhost', ip: ['127.0.0.1'], dns: ['localhost'], days: 1 });
  const [server, client] = await Promise.all([newServerCert(), createClientCert({ ca: hubCa, cn: 'hub-client', days: 1 })]);
  const files = {
    serverCert: join(dir, 'server.pem'),
    serverKey: join(dir, 'server.key'),
    hubCa: join(dir, 'hub-ca.pem'),
    dfspCa: join(dir, 'dfsp-ca.pem'),
    peers: join(dir, 'peers'),
    config: join(dir, 'config.yaml'),
  };
  mkdirSync(files.peers);
  writeFileSync(files.serverCert, server.chainPem);
  writeFileSync(files.serverKey, server.keyPem, { mode: 0o600 });
  writeFileSync(files.hubCa, hubCa.certPem);
  writeFileSync(files.dfspCa, dfspCa.certPem);
  const peer = generateKeyPairSync('rsa', { modulusLength: 2048 });
  writeFileSync(join(files.peers, 'payerfsp.pem'), peer.publicKey.export({ type: 'spki', format: 'pem' }));
  writeFileSync(files.config, configYaml({ ...files, corePort }));
  return { dir, files, client, dfspCaPem: dfspCa.certPem, newServerCert };
}

/** Minimal inbound-only config: mTLS from the hub CA, loopback allowlist, GETs pass unverified. */
export function inboundOnlyConfig(f: Fixture['files'] & { corePort: number }, extra = ''): string {
  return `dfspId: dfspa
log: { level: info }
admin: { port: 0 }
reload: { pollIntervalMs: 0 }
shutdown: { drainTimeoutMs: 5000 }
jws: { keysDirectory: ${f.peers} }
inbound:
  host: 127.0.0.1
  port: 0
  tls: { certFile: ${f.serverCert}, keyFile: ${f.serverKey}, caFiles: [${f.hubCa}] }
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
