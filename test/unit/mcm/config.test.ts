/** The mcm section: every missing piece reported at once, with the key to fix; paths resolved; the secret from a _FILE variable and redacted. */
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { loadConfig, redactConfig } from '../../../src/config/load.js';

const dir = mkdtempSync(join(tmpdir(), 'sidecar-mcm-config-'));
const file = (name: string, text: string) => {
  const p = join(dir, name);
  writeFileSync(p, text);
  return p;
};

describe('mcm config', () => {
  it('names every key an enabled mcm section still needs, in one pass', async () => {
    const r = await loadConfig({ file: file('bare.yaml', 'dfspId: dfspa\ninbound: { enabled: false }\noutbound: { enabled: false }\nmcm: { enabled: true }\n'), env: {}, cwd: dir });
    expect(r.ok).toBe(false);
    const paths = r.ok ? [] : r.issues.map((i) => i.path);
    expect(paths).toEqual(
      expect.arrayContaining([
        'mcm.url',
        'mcm.stateDirectory',
        'mcm.subject.o',
        'mcm.subject.c',
        'mcm.dfspCa.certFile',
        'outbound.tls.caFiles',
        'outbound.tls.certFile',
        'inbound.tls.certFile',
        'mcm.hubClientCert.commonName',
        'jws.signingKeyFile',
        'jws.keysDirectory',
        'mcm.endpoints.callbackUrl',
        'mcm.endpoints.egressAddresses',
      ]),
    );
  });

  it('needs nothing of a step that is switched off', async () => {
    const yaml = [
      'dfspId: dfspa',
      'inbound: { enabled: false }',
      'outbound: { enabled: false }',
      'jws: { keysDirectory: keys }',
      'mcm:',
      '  enabled: true',
      '  url: https://mcm.example/api',
      '  stateDirectory: state',
      '  steps: { hubCa: false, dfspCa: false, serverCert: false, jwsKey: false, clientCert: false, hubClientCert: false, endpoints: false, states: false }',
      '',
    ].join('\n');
    const r = await loadConfig({ file: file('peers-only.yaml', yaml), env: {}, cwd: dir });
    expect(r.ok ? [] : r.issues).toEqual([]);
    if (!r.ok) return;
    expect(r.config.mcm.stateDirectory).toBe(join(dir, 'state'));
  });

  it('refuses an IPv6 egress address (the MCM schema takes IPv4 and CIDR only) and an unknown key', async () => {
    const yaml = 'dfspId: dfspa\ninbound: { enabled: false }\noutbound: { enabled: false }\nmcm: { endpoints: { egressAddresses: ["2001:db8::1"] }, pollSeconds: 3 }\n';
    const r = await loadConfig({ file: file('bad.yaml', yaml), env: {}, cwd: dir });
    const issues = r.ok ? [] : r.issues;
    expect(issues.some((i) => i.path === 'mcm.endpoints.egressAddresses.0' && /IPv4/.test(i.message))).toBe(true);
    expect(issues.some((i) => i.path === 'mcm.pollSeconds' && /unknown key/.test(i.message))).toBe(true);
  });

  it('reads the client secret from a _FILE variable and never prints it', async () => {
    const secret = file('secret', 's3cret-value\n');
    const yaml = 'dfspId: dfspa\ninbound: { enabled: false }\noutbound: { enabled: false }\nmcm: { oauth: { tokenEndpoint: "https://iam.example/token" } }\n';
    const r = await loadConfig({ file: file('secret.yaml', yaml), env: { DFSP_SIDECAR_MCM__OAUTH__CLIENT_SECRET_FILE: secret }, cwd: dir });
    expect(r.ok).toBe(true);
    if (!r.ok) return;
    expect(r.config.mcm.oauth.clientSecret).toBe('s3cret-value');
    expect(JSON.stringify(redactConfig(r.config))).not.toContain('s3cret-value');
  });
});
