/**
 * A DFSP on a fresh machine facing a hub with a Connection Manager: the stand-in MCM
 * (test/helpers/mcm-standin.ts), a hub FSPIOP endpoint that trusts only the hub CA for client
 * certificates and validates signatures with the real Mojaloop SDK (test/helpers/outbound-hub.ts),
 * a core stand-in, and a config whose every credential file is still missing: the MCM steps create
 * or fetch them. `onboard()` runs the real CLI command in-process; `start()` the real sidecar.
 */
import { randomUUID } from 'node:crypto';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { dispatch } from '../../src/cli.js';
import { loadConfig } from '../../src/config/load.js';
import { createServerCert, generateKeyPair, privateKeyPem, publicKeyPem } from '../../src/crypto/pki/index.js';
import { startSidecar, type Sidecar } from '../../src/main.js';
import { createSilentLogger } from '../../src/shared/log.js';
import { request } from 'undici';
import { send, type SendResult } from './inbound-client.js';
import { startCore, type CoreStandIn } from './inbound-core.js';
import { sdkSign, transferFulfil } from './inbound-signing.js';
import { startMcmStandIn, type McmStandIn } from './mcm-standin.js';
import { startOutboundHub, type OutboundHub } from './outbound-hub.js';
import { fspiopContentType, quoteBody } from './outbound-sidecar.js';

export const DFSP_ID = 'dfspa';
export const SWITCH_ID = 'switch';

export interface OnboardResult {
  readonly exitCode: number;
  readonly steps: Array<{ step: string; state: string; detail: string }>;
  readonly wrote: string[];
  readonly stdout: string;
  readonly stderr: string;
}

export interface McmWorld {
  readonly dir: string;
  readonly mcm: McmStandIn;
  readonly hub: OutboundHub;
  readonly core: CoreStandIn;
  readonly configFile: string;
  /** Paths of the files the MCM steps manage. */
  readonly files: { hubCa: string; clientCert: string; clientKey: string; serverCert: string; serverKey: string; jwsKey: string; keysDir: string; dfspCaCert: string; dfspCaKey: string; state: string };
  /** The hub's JWS key pair (FSPIOP-Source = SWITCH_ID). */
  readonly hubJws: { privatePem: string; publicPem: string };
  onboard(args?: string[]): Promise<OnboardResult>;
  start(): Promise<Sidecar>;
  /** The hub's own client credential for calling our inbound listener: its key and the certificate we signed. */
  hubClient(enrollmentId: number): { certPem: string; keyPem: string };
  read(path: string): string;
  close(): Promise<void>;
}

export interface McmWorldOptions {
  /** Extra YAML under `mcm:` (indented two spaces). */
  readonly mcmExtra?: string;
  readonly pollIntervalSeconds?: number;
  /** Replaces the `jws:` line's signing key (default: signingKeyFile under the world's directory), e.g. `signingKeyPkcs11: "pkcs11:..."`. */
  readonly jwsSigningKey?: string;
}

export async function startMcmWorld(opts: McmWorldOptions = {}): Promise<McmWorld> {
  const dir = mkdtempSync(join(tmpdir(), 'sidecar-mcm-'));
  const mcm = await startMcmStandIn({ switchId: SWITCH_ID });
  const credentials = await mcm.createDfsp(DFSP_ID);
  const hubJwsKey = (await generateKeyPair({ keyType: 'rsa', keySize: 2048 })).privateKey;
  const hubJws = { privatePem: privateKeyPem(hubJwsKey, 'pkcs1'), publicPem: publicKeyPem(hubJwsKey) };
  mcm.setHubJwsKey(hubJws.publicPem, 1_700_000_000);
  const hubServer = await createServerCert({ ca: mcm.hubCa, cn: 'localhost', dns: ['localhost'], ip: ['127.0.0.1'], days: 30 });
  // The hub validates our signatures with whatever key MCM holds for us; set once onboarding published it.
  const hub = await startOutboundHub({ cert: hubServer, clientCaPem: mcm.hubCa.certPem, keys: {} });
  const core = await startCore();
  const tlsCa = join(dir, 'mcm-tls-ca.pem');
  const secret = join(dir, 'mcm-secret');
  writeFileSync(tlsCa, mcm.tlsCaPem);
  writeFileSync(secret, `${credentials.clientSecret}\n`, { mode: 0o600 });
  const files = {
    hubCa: join(dir, 'pki/hub-ca.pem'),
    clientCert: join(dir, 'pki/client.pem'),
    clientKey: join(dir, 'pki/client.key'),
    serverCert: join(dir, 'pki/server.pem'),
    serverKey: join(dir, 'pki/server.key'),
    jwsKey: join(dir, 'jws/dfspa.key'),
    keysDir: join(dir, 'peers'),
    dfspCaCert: join(dir, 'pki/dfsp-ca.pem'),
    dfspCaKey: join(dir, 'pki/dfsp-ca.key'),
    state: join(dir, 'mcm-state'),
  };
  const configFile = join(dir, 'config.yaml');
  writeFileSync(
    configFile,
    `dfspId: ${DFSP_ID}
log: { level: silent }
admin: { host: 127.0.0.1, port: 0 }
reload: { pollIntervalMs: 100 }
shutdown: { drainTimeoutMs: 2000 }
jws: { ${opts.jwsSigningKey ?? `signingKeyFile: ${files.jwsKey}`}, keysDirectory: ${files.keysDir} }
inbound:
  host: 127.0.0.1
  port: 0
  tls: { certFile: ${files.serverCert}, keyFile: ${files.serverKey}, caFiles: [${files.dfspCaCert}] }
  allowlist: [127.0.0.0/8]
  core: { url: "${core.url}" }
outbound:
  host: 127.0.0.1
  port: 0
  tls: { caFiles: [${files.hubCa}], certFile: ${files.clientCert}, keyFile: ${files.clientKey} }
  hub: { default: "${hub.url}" }
mcm:
  enabled: true
  url: ${mcm.apiUrl}
  caFiles: [${tlsCa}]
  oauth: { tokenEndpoint: "${mcm.tokenUrl}", clientId: ${credentials.clientId} }
  timeoutMs: 5000
  pollIntervalSeconds: ${opts.pollIntervalSeconds ?? 1}
  maxBackoffSeconds: 2
  stateDirectory: ${files.state}
  subject: { o: Example DFSP, c: ZM }
  dfspCa: { certFile: ${files.dfspCaCert}, keyFile: ${files.dfspCaKey} }
  rsaKeySize: 2048
  serverCert: { dnsNames: [localhost], ipAddresses: [127.0.0.1] }
  hubClientCert: { commonName: dfspa.example.com }
  endpoints: { callbackUrl: "https://dfspa.example.com:443", egressAddresses: [203.0.113.10, 198.51.100.0/24] }
${opts.mcmExtra ?? ''}
`,
  );
  const env = { DFSP_SIDECAR_MCM__OAUTH__CLIENT_SECRET_FILE: secret };
  const sidecars: Sidecar[] = [];
  return {
    dir,
    mcm,
    hub,
    core,
    configFile,
    files,
    hubJws,
    async onboard(args = []) {
      let stdout = '';
      let stderr = '';
      const exitCode = await dispatch(['onboard', '--config', configFile, '--json', ...args], {
        stdout: (t) => {
          stdout += t;
        },
        stderr: (t) => {
          stderr += t;
        },
        env,
        cwd: dir,
      });
      const parsed = stdout.trim().startsWith('{') ? (JSON.parse(stdout) as { steps: OnboardResult['steps']; wrote: string[] }) : { steps: [], wrote: [] };
      return { exitCode, steps: parsed.steps, wrote: parsed.wrote, stdout, stderr };
    },
    async start() {
      const load = () => loadConfig({ file: configFile, env, cwd: dir });
      const loaded = await load();
      if (!loaded.ok) throw new Error(loaded.issues.map((i) => `${i.path}: ${i.message}`).join('; '));
      const sidecar = await startSidecar({ config: loaded.config, log: createSilentLogger(), loadConfig: load, configFile });
      sidecars.push(sidecar);
      return sidecar;
    },
    hubClient(enrollmentId) {
      const e = mcm.state(DFSP_ID).outbound.find((x) => x.id === enrollmentId);
      if (!e?.certificate) throw new Error(`outbound enrollment ${enrollmentId} has no certificate`);
      const key = hubKeys.get(enrollmentId);
      if (!key) throw new Error(`no hub key recorded for enrollment ${enrollmentId}`);
      return { certPem: e.certificate, keyPem: key };
    },
    read: (path) => readFileSync(path, 'utf8'),
    async close() {
      for (const s of sidecars) await s.stop(0);
      await Promise.all([mcm.close(), hub.close(), core.close()]);
    },
  };
}

/** Hub client keys of enrollments created through `addHubEnrollment`, by enrollment id. */
const hubKeys = new Map<number, string>();

/** A new hub client CSR at MCM whose key the test keeps, for calling our inbound listener as the hub. */
export async function addHubEnrollment(world: McmWorld, csrPem?: string): Promise<number> {
  const { id, keyPem } = await world.mcm.createOutboundEnrollment(DFSP_ID, csrPem ? { csrPem } : undefined);
  hubKeys.set(id, keyPem);
  return id;
}

/** A core's POST /quotes through the outbound listener (plain HTTP on loopback). */
export async function quoteThroughOutbound(sidecar: Sidecar, id = randomUUID()): Promise<{ status: number; text: string }> {
  const a = sidecar.addresses.outbound;
  if (!a || typeof a === 'string') throw new Error('no outbound TCP listener');
  const res = await request(`http://127.0.0.1:${a.port}/quotes`, {
    method: 'POST',
    headers: { ...fspiopContentType('/quotes'), date: new Date().toUTCString(), 'fspiop-source': DFSP_ID, 'fspiop-destination': 'payeefsp' },
    body: quoteBody(id),
  });
  return { status: res.statusCode, text: await res.body.text() };
}

/** The hub's signed PUT /transfers/{id} to our inbound listener, over mTLS with the hub's client certificate. */
export async function transferFromHub(
  world: McmWorld,
  sidecar: Sidecar,
  creds: { certPem: string; keyPem: string },
  signer: { privatePem: string; source: string } = { privatePem: world.hubJws.privatePem, source: SWITCH_ID },
): Promise<SendResult> {
  const a = sidecar.addresses.inbound;
  if (!a || typeof a === 'string') throw new Error('no inbound TCP listener');
  const id = randomUUID();
  const signed = sdkSign('latest', { privatePem: signer.privatePem, method: 'PUT', path: `/transfers/${id}`, source: signer.source, destination: DFSP_ID, body: transferFulfil(id) });
  return send({ port: a.port, ca: world.read(world.files.dfspCaCert), creds: { cert: creds.certPem, key: creds.keyPem }, method: 'PUT', path: signed.path, headers: { ...signed.headers, 'content-length': String(Buffer.byteLength(signed.body)) }, body: signed.body });
}

/**
 * The whole first onboarding: a cycle up to the hub's signature, the hub signing, a cycle that
 * installs our client certificate. Throws unless that last cycle exits 0.
 */
export async function onboardFully(world: McmWorld): Promise<void> {
  await world.onboard();
  await world.mcm.signInbound(DFSP_ID);
  const r = await world.onboard();
  if (r.exitCode !== 0) throw new Error(`onboarding did not finish (exit ${r.exitCode}): ${r.steps.filter((s) => s.state !== 'done').map((s) => `${s.step}: ${s.detail}`).join('; ')}`);
}
