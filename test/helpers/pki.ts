/**
 * A throwaway PKI for tests, generated per run through our own src/crypto/pki (so the toolkit is
 * exercised by every suite that uses it), cached per test process: the first `makeTestPki()` call
 * generates (about a second: eleven RSA 2048 keys, in parallel on the libuv pool), later calls share it.
 *
 * CAs live ten years (the default), so certificates of any usual lifetime can be issued from them.
 *
 * Who trusts what follows the seed procedure:
 *   - the DFSP's inbound listener presents `dfspServer` (DFSP CA) and accepts `hubClient`, the hub's
 *     client certificate that the DFSP signed with its own CA;
 *   - the hub (a mock hub in tests) presents `hubServer` (hub CA) and accepts `dfspClient`, the
 *     DFSP's client certificate the hub signed with its CA.
 * Negative material: expired client certificates from both CAs and a client certificate from a
 * third, unrelated CA. JWS keys: RS256 and ES256 for the DFSP, RS256 for the hub.
 */
import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { KeyObject } from 'node:crypto';
import {
  createCa,
  createClientCert,
  createJwsKeys,
  createServerCert,
  generateKeyPair,
  type CaMaterial,
  type IssuedCert,
  type JwsKeys,
} from '../../src/crypto/pki/index.js';

export const TEST_FSP_ID = 'payerfsp';
export const TEST_HUB_ID = 'Hub';
/** CN of the hub's client certificate. */
export const TEST_HUB_CLIENT_CN = 'hub.test';
/** Subject alternative names of both server certificates. */
export const TEST_SERVER_NAMES = { dns: ['localhost'], ip: ['127.0.0.1', '::1'] } as const;

export interface TestPki {
  readonly fspId: string;
  readonly hubId: string;
  readonly hubCa: CaMaterial;
  readonly dfspCa: CaMaterial;
  /** Trusted by nobody: its certificates must be refused everywhere. */
  readonly foreignCa: CaMaterial;
  /** DFSP inbound server certificate (DFSP CA): CN localhost, SANs localhost, 127.0.0.1, ::1. */
  readonly dfspServer: IssuedCert;
  /** Hub server certificate (hub CA), same SANs: for mock hubs. */
  readonly hubServer: IssuedCert;
  /** DFSP → hub client certificate (hub CA), CN = fspId. */
  readonly dfspClient: IssuedCert;
  /** Hub → DFSP client certificate (DFSP CA), CN = hub.test. */
  readonly hubClient: IssuedCert;
  /** Like dfspClient (same key) but expired yesterday (hub CA). */
  readonly expiredDfspClient: IssuedCert;
  /** Like hubClient (same key) but expired yesterday (DFSP CA). */
  readonly expiredHubClient: IssuedCert;
  /** CN = fspId but issued by foreignCa. */
  readonly foreignClient: IssuedCert;
  /** EC P-256 variants (cheaper TLS handshakes), signed by the same RSA CAs. */
  readonly ec: { readonly dfspServer: IssuedCert; readonly dfspClient: IssuedCert };
  readonly jws: {
    /** DFSP RS256: PKCS#1 private key, SPKI public key. */
    readonly rsa: JwsKeys;
    /** DFSP ES256: SEC1 private key (what the Mojaloop SDK needs to pick ES256). */
    readonly ec: JwsKeys;
    /** Hub RS256, fspId `Hub`. */
    readonly hub: JwsKeys;
  };
}

let cached: Promise<TestPki> | undefined;

/** The shared test PKI of this process. */
export function makeTestPki(): Promise<TestPki> {
  cached ??= generate();
  return cached;
}

async function generate(): Promise<TestPki> {
  // Every RSA key at once (the libuv pool spreads them over the cores), certificates afterwards:
  // issuing is milliseconds, key generation is the whole cost.
  const rsa = async (): Promise<KeyObject> => (await generateKeyPair({ keyType: 'rsa' })).privateKey;
  const [keys, rsaJws, ecJws, hubJws] = await Promise.all([
    Promise.all(Array.from({ length: 8 }, rsa)),
    createJwsKeys({ fspId: TEST_FSP_ID, alg: 'RS256', days: 7 }),
    createJwsKeys({ fspId: TEST_FSP_ID, alg: 'ES256', days: 7 }),
    createJwsKeys({ fspId: TEST_HUB_ID, alg: 'RS256', days: 7 }),
  ]);
  const [kHubCa, kDfspCa, kForeignCa, kDfspServer, kHubServer, kDfspClient, kHubClient, kForeignClient] = keys as [
    KeyObject, KeyObject, KeyObject, KeyObject, KeyObject, KeyObject, KeyObject, KeyObject,
  ];
  const [hubCa, dfspCa, foreignCa] = await Promise.all([
    createCa({ cn: 'Test Hub CA', o: 'Test Hub', c: 'ZZ', key: kHubCa }),
    createCa({ cn: 'Test DFSP CA', o: 'Test DFSP', c: 'ZZ', key: kDfspCa }),
    createCa({ cn: 'Test Foreign CA', o: 'Elsewhere', c: 'ZZ', key: kForeignCa }),
  ]);
  const day = 86_400_000;
  // The expired certificates reuse the key of their valid twin, like a lapsed certificate would.
  const expired = { notBefore: new Date(Date.now() - 10 * day), notAfter: new Date(Date.now() - day) };
  const [dfspServer, hubServer, dfspClient, hubClient, expiredDfspClient, expiredHubClient, foreignClient, ecServer, ecClient] =
    await Promise.all([
      createServerCert({ ca: dfspCa, cn: 'localhost', ...TEST_SERVER_NAMES, days: 7, key: kDfspServer }),
      createServerCert({ ca: hubCa, cn: 'localhost', ...TEST_SERVER_NAMES, days: 7, key: kHubServer }),
      createClientCert({ ca: hubCa, cn: TEST_FSP_ID, days: 7, key: kDfspClient }),
      createClientCert({ ca: dfspCa, cn: TEST_HUB_CLIENT_CN, days: 7, key: kHubClient }),
      createClientCert({ ca: hubCa, cn: TEST_FSP_ID, ...expired, key: kDfspClient }),
      createClientCert({ ca: dfspCa, cn: TEST_HUB_CLIENT_CN, ...expired, key: kHubClient }),
      createClientCert({ ca: foreignCa, cn: TEST_FSP_ID, days: 7, key: kForeignClient }),
      createServerCert({ ca: dfspCa, cn: 'localhost', ...TEST_SERVER_NAMES, days: 7, keyType: 'ec' }),
      createClientCert({ ca: hubCa, cn: TEST_FSP_ID, days: 7, keyType: 'ec' }),
    ]);
  return {
    fspId: TEST_FSP_ID,
    hubId: TEST_HUB_ID,
    hubCa,
    dfspCa,
    foreignCa,
    dfspServer,
    hubServer,
    dfspClient,
    hubClient,
    expiredDfspClient,
    expiredHubClient,
    foreignClient,
    ec: { dfspServer: ecServer, dfspClient: ecClient },
    jws: { rsa: rsaJws, ec: ecJws, hub: hubJws },
  };
}

export interface TestPkiFiles {
  readonly dir: string;
  readonly hubCaCert: string;
  readonly dfspCaCert: string;
  readonly foreignCaCert: string;
  /** Chain (certificate + DFSP CA) and key of the DFSP server. */
  readonly dfspServerCert: string;
  readonly dfspServerKey: string;
  readonly hubServerCert: string;
  readonly hubServerKey: string;
  readonly dfspClientCert: string;
  readonly dfspClientKey: string;
  readonly hubClientCert: string;
  readonly hubClientKey: string;
  /** DFSP JWS signing key (RS256, PKCS#1). */
  readonly jwsSigningKey: string;
  /** Verification keys directory: `<fspId>.pem` and `<hubId>.pem`, the layout peers use. */
  readonly jwsKeysDir: string;
}

/** Writes the PKI to a fresh temp directory (keys 0600) with fixed names; returns the paths. */
export function writeTestPki(pki: TestPki, dir = mkdtempSync(join(tmpdir(), 'dfsp-sidecar-pki-'))): TestPkiFiles {
  const put = (name: string, data: string, secret = false): string => {
    const path = join(dir, name);
    writeFileSync(path, data, { mode: secret ? 0o600 : 0o644 });
    return path;
  };
  const keysDir = join(dir, 'jws-keys');
  mkdirSync(keysDir, { recursive: true });
  writeFileSync(join(keysDir, `${pki.fspId}.pem`), pki.jws.rsa.publicKeyPem);
  writeFileSync(join(keysDir, `${pki.hubId}.pem`), pki.jws.hub.publicKeyPem);
  return {
    dir,
    hubCaCert: put('hub-ca.cert.pem', pki.hubCa.certPem),
    dfspCaCert: put('dfsp-ca.cert.pem', pki.dfspCa.certPem),
    foreignCaCert: put('foreign-ca.cert.pem', pki.foreignCa.certPem),
    dfspServerCert: put('dfsp-server.chain.pem', pki.dfspServer.chainPem),
    dfspServerKey: put('dfsp-server.key.pem', pki.dfspServer.keyPem, true),
    hubServerCert: put('hub-server.chain.pem', pki.hubServer.chainPem),
    hubServerKey: put('hub-server.key.pem', pki.hubServer.keyPem, true),
    dfspClientCert: put('dfsp-client.chain.pem', pki.dfspClient.chainPem),
    dfspClientKey: put('dfsp-client.key.pem', pki.dfspClient.keyPem, true),
    hubClientCert: put('hub-client.chain.pem', pki.hubClient.chainPem),
    hubClientKey: put('hub-client.key.pem', pki.hubClient.keyPem, true),
    jwsSigningKey: put(`${pki.fspId}.jws.key.pem`, pki.jws.rsa.privateKeyPem, true),
    jwsKeysDir: keysDir,
  };
}

export interface PkiCliRun {
  readonly code: number;
  readonly stdout: string;
  readonly stderr: string;
  /** stdout parsed as the --json document. */
  json<T = Record<string, unknown>>(): T;
}

/**
 * Runs `dfsp-sidecar pki ...` in-process through the Command contract with a capturing Io.
 * `prompt` stands in for the terminal: omit it to behave as a non-TTY stdin.
 */
export async function runPkiCli(argv: string[], options: { cwd: string; prompt?: (question: string) => Promise<string | undefined> }): Promise<PkiCliRun> {
  const { createPkiCommand } = await import('../../src/cli/pki/index.js');
  let stdout = '';
  let stderr = '';
  const command = createPkiCommand({ prompt: options.prompt ?? (async () => undefined) });
  const code = await command(argv, {
    stdout: (t) => (stdout += t),
    stderr: (t) => (stderr += t),
    env: {},
    cwd: options.cwd,
  });
  return { code, stdout, stderr, json: <T>() => JSON.parse(stdout) as T };
}
