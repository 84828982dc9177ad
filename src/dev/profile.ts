/**
 * The dev profile: a newcomer's first run. It makes a throwaway PKI with our own PKI toolkit (a hub
 * CA and a DFSP CA, the inbound server certificate, the outbound client certificate signed by the
 * hub CA, JWS keys for the DFSP and for the hub), writes the config it runs with, and starts every
 * listener plus an echo core and a token endpoint. The outbound gateway's hub route points at its
 * own inbound gateway, so one curl crosses the whole product: sign, token, client certificate, mTLS,
 * allowlist, verification, core.
 *
 * The PKI is reused across runs while it is valid for another week (stable curl lines and
 * fingerprints); delete the directory to start afresh.
 */
import { randomBytes } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import { createServer } from 'node:net';
import { join, relative, resolve } from 'node:path';
import type { Io } from '../cli/io.js';
import { describe, serveUntilSignal } from '../cli/serve.js';
import { loadConfig } from '../config/load.js';
import { createCa, createClientCert, createJwsKeys, createServerCert, ensureDir, writeFilesSafe } from '../crypto/pki/index.js';
import { ConfigInvalid, ListenFailed, startSidecar } from '../main.js';
import { describeListenFailure, preflightPorts } from '../shared/listen.js';
import { createLogger } from '../shared/log.js';
import { createEchoCore } from './echo-core.js';
import { createDevTokenServer } from './token-server.js';

export const DEV_DFSP_ID = 'dev-dfsp';
export const DEV_HUB_ID = 'Hub';
const RENEW_BEFORE_MS = 7 * 86_400_000;

export interface DevPorts {
  inbound: number;
  outbound: number;
  admin: number;
  core: number;
  token: number;
}

/** Relative paths inside the dev directory: the written config refers to these. */
export const DEV_FILES = {
  hubCaCert: 'pki/hub-ca.cert.pem',
  hubCaKey: 'pki/hub-ca.key.pem',
  dfspCaCert: 'pki/dfsp-ca.cert.pem',
  dfspCaKey: 'pki/dfsp-ca.key.pem',
  serverCert: 'pki/inbound-server.chain.pem',
  serverKey: 'pki/inbound-server.key.pem',
  clientCert: 'pki/outbound-client.chain.pem',
  clientKey: 'pki/outbound-client.key.pem',
  dfspJwsKey: `jws/${DEV_DFSP_ID}.key.pem`,
  hubJwsKey: `jws/${DEV_HUB_ID}.key.pem`,
  peersDir: 'jws/peers',
  tokenSecret: 'oauth-client-secret',
  config: 'config.yaml',
} as const;

export async function runDevProfile(opts: { io: Io; dir: string; portBase: number }): Promise<number> {
  const { io } = opts;
  const dir = resolve(io.cwd, opts.dir);
  const ports = await choosePorts(opts.portBase);
  // All five ports or none: nothing is written or started when one of them is taken.
  const unavailable = await preflightPorts(
    (Object.entries(ports) as Array<[keyof DevPorts, number]>).map(([name, port]) => ({ listener: DEV_LISTENER_NAMES[name], key: `--port-base ${opts.portBase} + ${DEV_PORT_OFFSETS[name]}`, host: '127.0.0.1', port })),
  );
  if (unavailable.length > 0) return listenFailed(io, new ListenFailed(unavailable));
  io.stderr(`dev profile: PKI and config in ${dir}\n`);
  const fresh = await ensureDevPki(dir);
  const secret = await ensureSecret(join(dir, DEV_FILES.tokenSecret));
  const configFile = join(dir, DEV_FILES.config);
  // The config holds the dev OAuth secret: private, like the keys.
  await writeFilesSafe([{ path: configFile, data: devConfigYaml(ports, secret), secret: true }], { force: true });

  const core = createEchoCore();
  const token = createDevTokenServer({ clientKey: DEV_DFSP_ID, clientSecret: secret, expiresIn: 300 });
  const stopHelpers = async () => {
    await Promise.all([core.server.listening ? core.close() : undefined, token.server.listening ? token.close() : undefined]);
  };
  try {
    await core.listen('127.0.0.1', ports.core);
    await token.listen('127.0.0.1', ports.token);
  } catch (err) {
    await stopHelpers();
    return listenFailed(io, err);
  }

  // The dev profile runs exactly the config it wrote: configuration variables in the environment
  // would silently mix a production setting into a throwaway sidecar (run says it ignores them).
  const load = () => loadConfig({ file: configFile, env: {}, cwd: io.cwd });
  const loaded = await load();
  if (!loaded.ok) {
    await stopHelpers();
    for (const i of loaded.issues) io.stderr(`  ${i.path}: ${i.message}\n`);
    return 2;
  }
  const log = createLogger({ level: loaded.config.log.level });
  let sidecar;
  try {
    sidecar = await startSidecar({
      config: loaded.config,
      log,
      loadConfig: load,
      configFile,
      extraReadiness: () => [{ name: 'dev-echo-core', ready: core.server.listening }],
    });
  } catch (err) {
    await stopHelpers();
    if (err instanceof ConfigInvalid) {
      for (const i of err.issues) io.stderr(`  ${i.path}: ${i.message}\n`);
      return 2;
    }
    return listenFailed(io, err);
  }
  // The banner shows what is bound, not what was asked for.
  const bound: DevPorts = {
    inbound: portOf(sidecar.addresses.inbound, ports.inbound),
    outbound: portOf(sidecar.addresses.outbound, ports.outbound),
    admin: portOf(sidecar.addresses.admin, ports.admin),
    core: portOf(core.server.address(), ports.core),
    token: portOf(token.server.address(), ports.token),
  };
  io.stdout(banner({ dir: relative(io.cwd, dir) || '.', ports: bound, fresh, addresses: describe(sidecar.addresses) }));
  return serveUntilSignal(sidecar, log, loaded.config.shutdown.drainTimeoutMs, stopHelpers);
}

const DEV_PORT_OFFSETS: Record<keyof DevPorts, number> = { inbound: 0, outbound: 1, admin: 2, core: 3, token: 4 };
const DEV_LISTENER_NAMES: Record<keyof DevPorts, string> = { inbound: 'inbound', outbound: 'outbound', admin: 'admin', core: 'echo core', token: 'token endpoint' };

/** A port already taken is the usual first-run failure: say so in one line, and how to pick free ports. */
function listenFailed(io: Io, err: unknown): number {
  const e = err as NodeJS.ErrnoException & { address?: string; port?: number };
  const what =
    err instanceof ListenFailed
      ? err.failures.map((f) => `cannot listen on ${f.host}:${f.port} (${f.listener}: ${f.code === 'EADDRINUSE' ? 'already in use' : f.code === 'EACCES' ? 'permission denied' : describeListenFailure(f)})`).join(', ')
      : e.code === 'EADDRINUSE' || e.code === 'EACCES'
        ? `cannot listen on ${e.address ?? '127.0.0.1'}:${e.port ?? '?'} (${e.code === 'EADDRINUSE' ? 'already in use' : 'permission denied'})`
        : undefined;
  if (what === undefined) throw err;
  io.stderr(`dev profile: ${what}; nothing was started; choose other ports with --port-base N, or --port-base 0 for free ones\n`);
  return 2;
}

function portOf(a: import('node:net').AddressInfo | string | null | undefined, fallback: number): number {
  return a !== null && a !== undefined && typeof a === 'object' ? a.port : fallback;
}

/** Make the dev PKI unless a complete one, valid for another week, is already there. Returns whether it was (re)made. */
export async function ensureDevPki(dir: string): Promise<boolean> {
  if (await devPkiValid(dir)) return false;
  await ensureDir(join(dir, 'pki'), true);
  await ensureDir(join(dir, DEV_FILES.peersDir), false);

  const [hubCa, dfspCa] = await Promise.all([
    createCa({ cn: 'Dev Hub CA', o: 'Dev Hub', c: 'ZZ', days: 365 }),
    createCa({ cn: 'Dev DFSP CA', o: 'Dev DFSP', c: 'ZZ', days: 365 }),
  ]);
  const [server, client, dfspJws, hubJws] = await Promise.all([
    createServerCert({ ca: dfspCa, cn: 'localhost', dns: ['localhost'], ip: ['127.0.0.1', '::1'], days: 90 }),
    createClientCert({ ca: hubCa, cn: DEV_DFSP_ID, o: 'Dev DFSP', c: 'ZZ', days: 90 }),
    createJwsKeys({ fspId: DEV_DFSP_ID, alg: 'RS256', days: 90 }),
    createJwsKeys({ fspId: DEV_HUB_ID, alg: 'RS256', days: 90 }),
  ]);
  const file = (rel: string, data: string, secret = false) => ({ path: join(dir, rel), data, secret });
  await writeFilesSafe(
    [
      file(DEV_FILES.hubCaCert, hubCa.certPem),
      file(DEV_FILES.hubCaKey, hubCa.keyPem, true),
      file(DEV_FILES.dfspCaCert, dfspCa.certPem),
      file(DEV_FILES.dfspCaKey, dfspCa.keyPem, true),
      file(DEV_FILES.serverCert, server.chainPem),
      file(DEV_FILES.serverKey, server.keyPem, true),
      file(DEV_FILES.clientCert, client.chainPem),
      file(DEV_FILES.clientKey, client.keyPem, true),
      file(DEV_FILES.dfspJwsKey, dfspJws.privateKeyPem, true),
      file(DEV_FILES.hubJwsKey, hubJws.privateKeyPem, true),
      // Our own public key among the peers: the dev loop's inbound side verifies what the outbound side signed.
      file(`${DEV_FILES.peersDir}/${DEV_DFSP_ID}.pem`, dfspJws.publicKeyPem),
      file(`${DEV_FILES.peersDir}/${DEV_HUB_ID}.pem`, hubJws.publicKeyPem),
    ],
    { force: true },
  );
  return true;
}

async function devPkiValid(dir: string): Promise<boolean> {
  const { X509Certificate } = await import('node:crypto');
  try {
    for (const rel of [DEV_FILES.serverCert, DEV_FILES.clientCert, DEV_FILES.hubCaCert, DEV_FILES.dfspCaCert]) {
      const cert = new X509Certificate(await readFile(join(dir, rel)));
      if (new Date(cert.validTo).getTime() - Date.now() < RENEW_BEFORE_MS) return false;
    }
    for (const rel of [DEV_FILES.serverKey, DEV_FILES.clientKey, DEV_FILES.dfspJwsKey, DEV_FILES.hubJwsKey, `${DEV_FILES.peersDir}/${DEV_DFSP_ID}.pem`, `${DEV_FILES.peersDir}/${DEV_HUB_ID}.pem`]) {
      await readFile(join(dir, rel));
    }
    return true;
  } catch {
    return false;
  }
}

async function ensureSecret(path: string): Promise<string> {
  try {
    const existing = (await readFile(path, 'utf8')).trim();
    if (existing) return existing;
  } catch {
    // made below
  }
  const secret = randomBytes(18).toString('base64url');
  await writeFilesSafe([{ path, data: `${secret}\n`, secret: true }], { force: true });
  return secret;
}

async function choosePorts(base: number): Promise<DevPorts> {
  if (base > 0) return { inbound: base, outbound: base + 1, admin: base + 2, core: base + 3, token: base + 4 };
  const free = await Promise.all([0, 1, 2, 3, 4].map(() => freePort()));
  const [inbound, outbound, admin, core, token] = free as [number, number, number, number, number];
  return { inbound, outbound, admin, core, token };
}

function freePort(): Promise<number> {
  return new Promise((resolvePort, reject) => {
    const s = createServer();
    s.once('error', reject);
    s.listen(0, '127.0.0.1', () => {
      const { port } = s.address() as { port: number };
      s.close(() => resolvePort(port));
    });
  });
}

export function devConfigYaml(p: DevPorts, secret: string): string {
  return `# Written by the dfsp-sidecar dev profile. Start the same sidecar with:
#   dfsp-sidecar run --config .dev/config.yaml
# (the echo core on :${p.core} and the token endpoint on :${p.token} run only in the dev profile).
# Every key is explained in config.example.yaml.
dfspId: ${DEV_DFSP_ID}
log:
  level: info
admin:
  host: 127.0.0.1
  port: ${p.admin}
reload:
  pollIntervalMs: 2000
jws:
  signingKeyFile: ${DEV_FILES.dfspJwsKey}
  keysDirectory: ${DEV_FILES.peersDir}
  hubFspId: ${DEV_HUB_ID}
inbound:
  host: 127.0.0.1
  port: ${p.inbound}
  tls:
    certFile: ${DEV_FILES.serverCert}
    keyFile: ${DEV_FILES.serverKey}
    caFiles: [${DEV_FILES.hubCaCert}]
  allowlist: [127.0.0.0/8, "::1"]
  core:
    url: http://127.0.0.1:${p.core}
outbound:
  host: 127.0.0.1
  port: ${p.outbound}
  tls:
    # The dev loop's "hub" is our own inbound listener, whose certificate the DFSP CA signed.
    caFiles: [${DEV_FILES.dfspCaCert}]
    certFile: ${DEV_FILES.clientCert}
    keyFile: ${DEV_FILES.clientKey}
  hub:
    default: https://127.0.0.1:${p.inbound}
  oauth:
    tokenEndpoint: http://127.0.0.1:${p.token}/token
    clientKey: ${DEV_DFSP_ID}
    clientSecret: ${secret}
    refreshSeconds: 240
`;
}

function banner(o: { dir: string; ports: DevPorts; fresh: boolean; addresses: Record<string, string> }): string {
  const p = o.ports;
  const quoteId = '7c23e80c-d078-4077-8263-2c047876fcf6';
  const body = JSON.stringify({
    quoteId,
    transactionId: '85feac2f-39b2-491b-817e-4a03203d4f14',
    payer: { partyIdInfo: { partyIdType: 'MSISDN', partyIdentifier: '44123456789', fspId: DEV_DFSP_ID } },
    payee: { partyIdInfo: { partyIdType: 'MSISDN', partyIdentifier: '44987654321', fspId: DEV_DFSP_ID } },
    amountType: 'SEND',
    amount: { amount: '100', currency: 'USD' },
    transactionType: { scenario: 'TRANSFER', initiator: 'PAYER', initiatorType: 'CONSUMER' },
  });
  return `
  dfsp-sidecar dev profile is up (${o.fresh ? 'new' : 'reused'} PKI and config in ${o.dir}/; delete it to start afresh)

  inbound   https://127.0.0.1:${p.inbound}   mTLS (client certs from the dev hub CA), allowlist 127.0.0.0/8 ::1,
                                     verifies FSPIOP-Signature, forwards to the echo core http://127.0.0.1:${p.core}
  outbound  http://127.0.0.1:${p.outbound}    signs as ${DEV_DFSP_ID}, OAuth token from http://127.0.0.1:${p.token}/token,
                                     client certificate, hub route https://127.0.0.1:${p.inbound} (its own inbound)
  admin     http://127.0.0.1:${p.admin}    /metrics /healthz /readyz

  A signed mTLS round trip (core -> outbound -> inbound -> echo core and back):

    curl -s http://127.0.0.1:${p.outbound}/quotes \\
      -H 'content-type: application/vnd.interoperability.quotes+json;version=1.0' \\
      -H 'accept: application/vnd.interoperability.quotes+json;version=1.0' \\
      -H 'fspiop-destination: ${DEV_DFSP_ID}' \\
      -d '${body}'

  Readiness:  curl -s http://127.0.0.1:${p.admin}/readyz
  Same sidecar from its config:  node dist/cli.js run --config ${o.dir}/config.yaml
  Listening: ${Object.entries(o.addresses).map(([k, v]) => `${k}=${v}`).join(' ')}

`;
}
