import { chmodSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { loadConfig, type LoadResult } from '../../../src/config/load.js';

const dir = mkdtempSync(join(tmpdir(), 'sidecar-config-'));
function yamlFile(name: string, text: string): string {
  const p = join(dir, name);
  writeFileSync(p, text);
  return p;
}
const MINIMAL = 'dfspId: dfspa\ninbound: { enabled: false }\noutbound: { enabled: false }\n';

async function load(text: string | undefined, env: Record<string, string> = {}): Promise<LoadResult> {
  const file = text === undefined ? undefined : yamlFile(`c-${Math.random().toString(36).slice(2)}.yaml`, text);
  return loadConfig({ file, env, cwd: dir });
}
function issues(r: LoadResult): Array<{ path: string; message: string }> {
  if (r.ok) throw new Error('expected the config to be invalid');
  return r.issues;
}

describe('loadConfig', () => {
  it('loads a minimal file, applies defaults and freezes the result', async () => {
    const r = await load(MINIMAL);
    expect(r.ok).toBe(true);
    if (!r.ok) return;
    expect(r.config.inbound.port).toBe(4000);
    expect(r.config.jws.algorithms).toEqual(['RS256', 'ES256']);
    expect(r.config.jws.verifyPutParties).toBe('if-signed');
    expect(Object.isFrozen(r.config)).toBe(true);
    expect(Object.isFrozen(r.config.inbound.tls.caFiles)).toBe(true);
  });

  it('reports a missing file with its path', async () => {
    const r = await loadConfig({ file: join(dir, 'nope.yaml'), env: {}, cwd: dir });
    expect(issues(r)).toEqual([{ path: join(dir, 'nope.yaml'), message: 'cannot read config: file not found' }]);
  });

  it('reports YAML syntax errors and a non-mapping top level', async () => {
    expect(issues(await load('dfspId: [unclosed\n'))[0]?.message).toMatch(/^YAML: /);
    expect(issues(await load('- a\n- b\n'))[0]?.message).toBe('the top level must be a mapping of keys');
  });

  it('reports every error at once, each with its key path', async () => {
    const r = await load(`
dfspId: dfspa
inbound:
  port: "4000"
  tls: { certFile: a.pem, bogus: 1 }
  allowlist: [10.0.0.0/33, 192.168.1.1]
outbound:
  enabled: false
  workers: many
unknownTop: 1
`);
    const byPath = Object.fromEntries(issues(r).map((i) => [i.path, i.message]));
    expect(byPath['inbound.port']).toBe('expected number, received string; write a port number 0-65535, e.g. 4000, got "4000"');
    expect(byPath['inbound.tls.bogus']).toMatch(/^unknown key \(known here: enabled, minVersion, certFile/);
    expect(byPath['inbound.allowlist.0']).toMatch(/CIDR/);
    expect(byPath['inbound.allowlist.1']).toBeUndefined();
    expect(byPath['outbound.workers']).toBeDefined();
    expect(byPath.unknownTop).toMatch(/^unknown key/);
  });

  it('reports a missing required key', async () => {
    expect(issues(await load('inbound: { enabled: false }\noutbound: { enabled: false }\n'))).toContainEqual({ path: 'dfspId', message: 'required (string); set it in the config file or with DFSP_SIDECAR_DFSP_ID or DFSP_ID' });
  });

  it('checks cross-key rules for enabled gateways, naming the key to fix', async () => {
    const r = await load('dfspId: dfspa\n');
    const paths = issues(r).map((i) => i.path);
    expect(paths).toEqual(
      expect.arrayContaining(['inbound.tls.certFile', 'inbound.tls.keyFile', 'inbound.tls.caFiles', 'inbound.allowlist', 'jws.keysDirectory', 'outbound.hub.default', 'outbound.tls.caFiles', 'jws.signingKeyFile']),
    );
  });

  it('refuses a non-loopback outbound bind unless allowed', async () => {
    const base = 'dfspId: dfspa\ninbound: { enabled: false }\njws: { sign: false }\noutbound: { hub: { default: "http://hub:80" }, tls: { enabled: false }, host: 0.0.0.0';
    expect(issues(await load(`${base} }\n`))).toContainEqual(expect.objectContaining({ path: 'outbound.host' }));
    expect((await load(`${base}, allowNonLoopback: true }\n`)).ok).toBe(true);
  });

  it('lets a DFSP_SIDECAR_* variable override any key, coercing by the key type', async () => {
    const r = await load(MINIMAL, {
      DFSP_SIDECAR_INBOUND__PORT: '5000',
      DFSP_SIDECAR_JWS__VERIFY: 'false',
      DFSP_SIDECAR_INBOUND__ALLOWLIST: '10.0.0.0/8, 2001:db8::/32',
      DFSP_SIDECAR_DFSP_ID: 'fromenv',
    });
    expect(r.ok).toBe(true);
    if (!r.ok) return;
    expect(r.config.inbound.port).toBe(5000);
    expect(r.config.jws.verify).toBe(false);
    expect(r.config.inbound.allowlist).toEqual(['10.0.0.0/8', '2001:db8::/32']);
    expect(r.config.dfspId).toBe('fromenv');
    expect(r.fromEnv).toContain('inbound.port (DFSP_SIDECAR_INBOUND__PORT)');
  });

  it('reports a badly typed or unknown variable under its name', async () => {
    const r = await load(MINIMAL, { DFSP_SIDECAR_INBOUND__PORT: 'abc', DFSP_SIDECAR_INBOUND__PROT: '1' });
    expect(issues(r)).toEqual(
      expect.arrayContaining([
        { path: 'inbound.port', message: "DFSP_SIDECAR_INBOUND__PORT: expected a number, got 'abc'" },
        { path: 'DFSP_SIDECAR_INBOUND__PROT', message: expect.stringMatching(/^unknown variable/) },
      ]),
    );
  });

  it('reads secrets from *_FILE variables, trimming the trailing newline', async () => {
    const secret = join(dir, 'secret.txt');
    writeFileSync(secret, 's3cret\n');
    const r = await load('dfspId: dfspa\ninbound: { enabled: false }\njws: { sign: false }\noutbound: { hub: { default: "https://hub" }, tls: { caFiles: [ca.pem] }, oauth: { tokenEndpoint: "https://hub/token", clientKey: k } }\n', {
      DFSP_SIDECAR_OUTBOUND__OAUTH__CLIENT_SECRET_FILE: secret,
    });
    expect(r.ok).toBe(true);
    if (r.ok) expect(r.config.outbound.oauth.clientSecret).toBe('s3cret');
  });

  it('reports an unreadable *_FILE secret', async () => {
    const r = await load(MINIMAL, { DFSP_SIDECAR_OUTBOUND__OAUTH__CLIENT_SECRET_FILE: join(dir, 'missing-secret') });
    expect(issues(r)).toContainEqual({ path: 'outbound.oauth.clientSecret', message: expect.stringMatching(/^DFSP_SIDECAR_OUTBOUND__OAUTH__CLIENT_SECRET_FILE: cannot read .*ENOENT/) });
  });

  it('maps sdk-scheme-adapter variables onto our keys, with our variables winning', async () => {
    const r = await load(undefined, {
      DFSP_ID: 'payerfsp',
      JWS_SIGN: 'true',
      JWS_SIGNING_KEY_PATH: '/keys/jws.key',
      JWS_VERIFICATION_KEYS_DIRECTORY: '/keys/peers',
      VALIDATE_INBOUND_PUT_PARTIES_JWS: 'true',
      IN_CA_CERT_PATH: '/tls/hub-ca.pem,/tls/hub-ca-2.pem',
      IN_SERVER_CERT_PATH: '/tls/server.pem',
      IN_SERVER_KEY_PATH: '/tls/server.key',
      OUT_CA_CERT_PATH: '/tls/hub-ca.pem',
      OUT_CLIENT_CERT_PATH: '/tls/client.pem',
      OUT_CLIENT_KEY_PATH: '/tls/client.key',
      PEER_ENDPOINT: 'hub.example.com:443/switch',
      ALS_ENDPOINT: 'als.example.com',
      OAUTH_TOKEN_ENDPOINT: 'https://iam.example.com/token',
      OAUTH_CLIENT_KEY: 'payerfsp',
      OAUTH_CLIENT_SECRET: 'secret',
      OAUTH_REFRESH_SECONDS: '120',
      DFSP_SIDECAR_INBOUND__ALLOWLIST: '10.1.0.0/16',
      DFSP_SIDECAR_OUTBOUND__OAUTH__REFRESH_SECONDS: '90',
    });
    expect(r.ok).toBe(true);
    if (!r.ok) return;
    const c = r.config;
    expect(c.dfspId).toBe('payerfsp');
    expect(c.jws.verifyPutParties).toBe('always');
    expect(c.inbound.tls.caFiles).toEqual(['/tls/hub-ca.pem', '/tls/hub-ca-2.pem']);
    expect(c.outbound.hub.default).toBe('https://hub.example.com:443/switch');
    expect(c.outbound.hub.routes.parties).toBe('https://als.example.com');
    expect(c.outbound.hub.routes.participants).toBe('https://als.example.com');
    expect(c.outbound.oauth.refreshSeconds).toBe(90);
  });

  it('uses http:// for SDK endpoints when OUTBOUND_MUTUAL_TLS_ENABLED=false, and OIDC over WSO2 bearer tokens', async () => {
    const r = await load(MINIMAL, { OUTBOUND_MUTUAL_TLS_ENABLED: 'false', PEER_ENDPOINT: 'hub:8080', WSO2_BEARER_TOKEN: 'old', OIDC_BEARER_TOKEN: 'new' });
    expect(r.ok).toBe(true);
    if (!r.ok) return;
    expect(r.config.outbound.hub.default).toBe('http://hub:8080');
    expect(r.config.outbound.oauth.staticToken).toBe('new');
  });

  it('resolves relative file paths against the config file directory', async () => {
    const r = await load('dfspId: dfspa\ninbound: { enabled: false }\noutbound: { enabled: false }\njws: { keysDirectory: keys }\n');
    expect(r.ok && r.config.jws.keysDirectory).toBe(join(dir, 'keys'));
  });

  it('reports an unreadable config file (permission denied) when not root', async () => {
    const p = yamlFile('locked.yaml', MINIMAL);
    chmodSync(p, 0o000);
    const r = await loadConfig({ file: p, env: {}, cwd: dir });
    if (process.getuid?.() === 0) expect(r.ok).toBe(true);
    else expect(issues(r)[0]?.message).toBe('cannot read config: permission denied');
  });
});

describe('outbound loopback rule', () => {
  it('accepts any loopback address (127.0.0.0/8, ::1) without allowNonLoopback', async () => {
    for (const host of ['127.0.0.2', '::1', 'localhost']) {
      const r = await loadConfig({
        file: yamlFile(`lo-${Math.random().toString(36).slice(2)}.yaml`, `dfspId: dfspa\ninbound: { enabled: false }\njws: { sign: false }\noutbound: { hub: { default: "http://hub:80" }, tls: { enabled: false }, host: "${host}" }\n`),
        env: {},
        cwd: dir,
      });
      expect(r.ok, host).toBe(true);
    }
  });
});

describe('messages an operator can act on', () => {
  it('suggests the nearest key for an unknown one, at its full path', async () => {
    const r = await load('dfspId: dfspa\ninbound: { alowlist: [10.0.0.0/8] }\noutbound: { enabled: false }\n');
    expect(issues(r)).toContainEqual({ path: 'inbound.alowlist', message: "unknown key: did you mean 'allowlist'?" });
  });

  it('says what a malformed value should look like, and what it got', async () => {
    const r = await load('dfspId: dfspa\ninbound: { enabled: false, core: { url: "core.local:3000" } }\noutbound: { enabled: false }\nreload: { pollIntervalMs: often }\n');
    const byPath = Object.fromEntries(issues(r).map((i) => [i.path, i.message]));
    expect(byPath['inbound.core.url']).toMatch(/write an http\(s\) URL, e.g\. https:\/\/.*got "core\.local:3000"$/);
    expect(byPath['reload.pollIntervalMs']).toMatch(/write a whole number of milliseconds, e\.g\. 30000, got "often"$/);
  });

  it('ends a YAML error with the offending line, not a dangling colon', async () => {
    const message = issues(await load('dfspId: dfspa\ninbound: a: b\n'))[0]?.message ?? '';
    expect(message).toMatch(/^YAML: .+ at line 2, column \d+ \(the line reads: inbound: a: b\)$/);
    expect(message).not.toMatch(/:\s*$/);
  });

  it('refuses X and X_FILE set together, for DFSP_SIDECAR_* and SDK variables alike', async () => {
    const secret = join(dir, 'both-secret.txt');
    writeFileSync(secret, 'from-file\n');
    const r = await load(MINIMAL, {
      DFSP_SIDECAR_OUTBOUND__OAUTH__CLIENT_SECRET: 'inline',
      DFSP_SIDECAR_OUTBOUND__OAUTH__CLIENT_SECRET_FILE: secret,
      OAUTH_CLIENT_KEY: 'k',
      OAUTH_CLIENT_KEY_FILE: secret,
    });
    expect(issues(r)).toEqual(
      expect.arrayContaining([
        { path: 'DFSP_SIDECAR_OUTBOUND__OAUTH__CLIENT_SECRET', message: expect.stringMatching(/both DFSP_SIDECAR_OUTBOUND__OAUTH__CLIENT_SECRET and DFSP_SIDECAR_OUTBOUND__OAUTH__CLIENT_SECRET_FILE are set/) },
        { path: 'OAUTH_CLIENT_KEY', message: expect.stringMatching(/both OAUTH_CLIENT_KEY and OAUTH_CLIENT_KEY_FILE are set/) },
      ]),
    );
  });

  it('runs the cross-key rules on the valid part when some values are malformed', async () => {
    // inbound.port is malformed; the missing certificate, key, CA and allowlist are reported in the same pass.
    const paths = issues(await load('dfspId: dfspa\ninbound: { port: many }\noutbound: { enabled: false }\n')).map((i) => i.path);
    expect(paths).toEqual(expect.arrayContaining(['inbound.port', 'inbound.tls.certFile', 'inbound.tls.keyFile', 'inbound.tls.caFiles', 'inbound.allowlist']));
  });

  it('records where every effective value came from', async () => {
    const r = await load('dfspId: dfspa\ninbound: { enabled: false }\noutbound: { enabled: false }\nadmin: { port: 9000 }\n', { LOG_LEVEL: 'debug', DFSP_SIDECAR_ADMIN__HOST: '127.0.0.2' });
    if (!r.ok) throw new Error('expected a valid config');
    expect(r.sources?.get('dfspId')).toBe('file');
    expect(r.sources?.get('admin.port')).toBe('file');
    expect(r.sources?.get('log.level')).toBe('LOG_LEVEL');
    expect(r.sources?.get('admin.host')).toBe('DFSP_SIDECAR_ADMIN__HOST');
    expect(r.sources?.get('reload.pollIntervalMs')).toBe('default');
  });
});

describe('migrating from the sdk-scheme-adapter', () => {
  /** A complete SDK deployment's variables: mTLS both ways, signing and verification on, OAuth. */
  const SDK_ONLY = {
    DFSP_ID: 'payerfsp',
    JWS_SIGNING_KEY_PATH: '/secrets/jws/payerfsp.key.pem',
    JWS_VERIFICATION_KEYS_DIRECTORY: '/secrets/jws/peers',
    INBOUND_MUTUAL_TLS_ENABLED: 'true',
    IN_CA_CERT_PATH: '/secrets/tls/hub-ca.pem',
    IN_SERVER_CERT_PATH: '/secrets/tls/server.pem',
    IN_SERVER_KEY_PATH: '/secrets/tls/server.key',
    BACKEND_ENDPOINT: 'core:3000',
    OUTBOUND_MUTUAL_TLS_ENABLED: 'true',
    OUT_CA_CERT_PATH: '/secrets/tls/hub-ca.pem',
    OUT_CLIENT_CERT_PATH: '/secrets/tls/client.pem',
    OUT_CLIENT_KEY_PATH: '/secrets/tls/client.key',
    PEER_ENDPOINT: 'hub.example.com:443',
    OAUTH_TOKEN_ENDPOINT: 'https://hub.example.com/token',
    OAUTH_CLIENT_KEY: 'payerfsp',
    OAUTH_CLIENT_SECRET: 'secret',
  };

  it('an SDK-only deployment lacks exactly inbound.allowlist, and the error says an SDK deployment must add it', async () => {
    const r = await load(undefined, SDK_ONLY);
    const found = issues(r);
    expect(found.map((i) => i.path)).toEqual(['inbound.allowlist']);
    expect(found[0]?.message).toMatch(/an SDK-only deployment must add this key.*DFSP_SIDECAR_INBOUND__ALLOWLIST=/);
    expect((await load(undefined, { ...SDK_ONLY, DFSP_SIDECAR_INBOUND__ALLOWLIST: '203.0.113.0/24' })).ok).toBe(true);
  });
});

describe('one pass over a config with malformed values', () => {
  it('still yields the valid part for file checks when a value fails a format rule', async () => {
    const r = await load('dfspId: dfspa\ninbound: { allowlist: [10.0.0.0/33], tls: { certFile: cert.pem, keyFile: key.pem, caFiles: [ca.pem] } }\noutbound: { enabled: false }\njws: { verify: false }\n');
    if (r.ok) throw new Error('expected the config to be invalid');
    expect(r.issues.map((i) => i.path)).toContain('inbound.allowlist.0');
    // Not also "the allowlist is empty": its one entry was malformed, and that is said once.
    expect(r.issues.map((i) => i.path)).not.toContain('inbound.allowlist');
    expect(r.partial?.inbound.tls.certFile).toBe(join(dir, 'cert.pem'));
  });
});

describe('SDK defaults that differ', () => {
  it('names the mTLS default when an SDK deployment relied on the SDK running without it', async () => {
    const r = await load(undefined, { DFSP_ID: 'payerfsp', JWS_SIGN: 'false', VALIDATE_INBOUND_JWS: 'false', PEER_ENDPOINT: 'hub:443', OUT_CA_CERT_PATH: '/ca.pem', DFSP_SIDECAR_INBOUND__ALLOWLIST: '10.0.0.0/8' });
    const byPath = Object.fromEntries(issues(r).map((i) => [i.path, i.message]));
    expect(byPath['inbound.tls.certFile']).toMatch(/INBOUND_MUTUAL_TLS_ENABLED is not set: the SDK then ran without mTLS, the sidecar runs with it/);
    // Set explicitly, the hint is not needed.
    const explicit = await load(undefined, { DFSP_ID: 'payerfsp', INBOUND_MUTUAL_TLS_ENABLED: 'true', PEER_ENDPOINT: 'hub:443' });
    expect(issues(explicit).find((i) => i.path === 'inbound.tls.certFile')?.message).not.toMatch(/INBOUND_MUTUAL_TLS_ENABLED is not set/);
  });
});
