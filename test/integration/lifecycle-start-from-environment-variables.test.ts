/**
 * `run` without a config file, configured by environment variables alone: a complete set starts
 * the sidecar (never the dev profile); an incomplete one (the SDK's variables without DFSP_ID and
 * without the allowlist the SDK never had) stops with the list of what is missing, naming the keys
 * an SDK-only deployment must add, and starts nothing.
 */
import { existsSync, mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { canConnect } from '../helpers/net.js';
import { makeTestPki, writeTestPki, type TestPkiFiles } from '../helpers/pki.js';
import { boundAddresses, portOf } from '../helpers/sidecar-fixture.js';
import { startSidecarProcess, type SidecarProcess } from '../helpers/sidecar-process.js';

let files: TestPkiFiles;
let running: SidecarProcess | undefined;
beforeAll(async () => {
  files = writeTestPki(await makeTestPki());
});
afterAll(async () => {
  await running?.kill();
});

describe('run from environment variables alone', () => {
  it('stops with every missing key named, and says which ones an SDK deployment must add', async () => {
    const cwd = mkdtempSync(join(tmpdir(), 'sidecar-env-missing-'));
    const proc = startSidecarProcess(['run'], {
      cwd,
      env: {
        // An SDK deployment's inbound variables, without DFSP_ID.
        INBOUND_MUTUAL_TLS_ENABLED: 'true',
        IN_SERVER_CERT_PATH: files.dfspServerCert,
        IN_SERVER_KEY_PATH: files.dfspServerKey,
        IN_CA_CERT_PATH: files.dfspCaCert,
        JWS_VERIFICATION_KEYS_DIRECTORY: files.jwsKeysDir,
        BACKEND_ENDPOINT: '127.0.0.1:3999',
        DFSP_SIDECAR_OUTBOUND__ENABLED: 'false',
        DFSP_SIDECAR_ADMIN__ENABLED: 'false',
      },
    });
    const exit = await proc.exited();
    expect(exit.code).toBe(2);
    const err = proc.stderr();
    expect(err).toMatch(/^dfsp-sidecar: the configuration from environment variables \(no --config file, no DFSP_SIDECAR_CONFIG\) is incomplete or invalid \(2 problems\):/);
    expect(err).toMatch(/\n {2}dfspId: required \(string\); set it in the config file or with DFSP_SIDECAR_DFSP_ID or DFSP_ID\n/);
    expect(err).toMatch(/\n {2}inbound\.allowlist: .*an SDK-only deployment must add this key.*DFSP_SIDECAR_INBOUND__ALLOWLIST=/);
    // It says why this is not the dev profile, and how to get that instead.
    expect(err).toContain("(configured by BACKEND_ENDPOINT, DFSP_SIDECAR_ADMIN__ENABLED, DFSP_SIDECAR_OUTBOUND__ENABLED, INBOUND_MUTUAL_TLS_ENABLED, IN_CA_CERT_PATH,");
    expect(err).toContain("'dfsp-sidecar run --dev'");
    expect(err).not.toContain('dev profile:');
    expect(existsSync(join(cwd, '.dev'))).toBe(false);
    expect(proc.stdout()).toBe('');
  });

  it('starts from a complete set, on the ports the variables name', async () => {
    const cwd = mkdtempSync(join(tmpdir(), 'sidecar-env-complete-'));
    running = startSidecarProcess(['run'], {
      cwd,
      env: {
        DFSP_ID: 'payerfsp',
        INBOUND_MUTUAL_TLS_ENABLED: 'true',
        IN_SERVER_CERT_PATH: files.dfspServerCert,
        IN_SERVER_KEY_PATH: files.dfspServerKey,
        IN_CA_CERT_PATH: files.dfspCaCert,
        JWS_VERIFICATION_KEYS_DIRECTORY: files.jwsKeysDir,
        BACKEND_ENDPOINT: '127.0.0.1:3999',
        DFSP_SIDECAR_INBOUND__ALLOWLIST: '127.0.0.0/8',
        DFSP_SIDECAR_INBOUND__HOST: '127.0.0.1',
        DFSP_SIDECAR_INBOUND__PORT: '0',
        DFSP_SIDECAR_ADMIN__PORT: '0',
        DFSP_SIDECAR_OUTBOUND__ENABLED: 'false',
        DFSP_SIDECAR_RELOAD__POLL_INTERVAL_MS: '0',
      },
    });
    await running.waitFor((out) => out.includes('dfsp-sidecar started'));
    const addresses = boundAddresses(running.logs());
    expect(Object.keys(addresses).sort()).toEqual(['admin', 'inbound']);
    expect(await canConnect(portOf(addresses.inbound))).toBe(true);
    expect(running.stdout()).not.toContain('dev profile');
    expect(existsSync(join(cwd, '.dev'))).toBe(false);
  });
});
