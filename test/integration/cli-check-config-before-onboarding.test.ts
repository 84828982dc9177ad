/**
 * On a fresh install with mcm enabled, check-config names each credential file that does not exist
 * yet and says that onboard creates them; after onboarding the same config is valid. A CA whose
 * key is gone while its certificate stays is named, since onboard will not paper over it.
 */
import { renameSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { dispatch } from '../../src/cli.js';
import { DFSP_ID, startMcmWorld, type McmWorld } from '../helpers/mcm-world.js';

let world: McmWorld;
beforeAll(async () => {
  world = await startMcmWorld();
});
afterAll(async () => {
  await world?.close();
});

async function checkConfig(): Promise<{ code: number; out: string; err: string }> {
  let out = '';
  let err = '';
  const code = await dispatch(['check-config', '--config', world.configFile], {
    stdout: (t) => {
      out += t;
    },
    stderr: (t) => {
      err += t;
    },
    env: { DFSP_SIDECAR_MCM__OAUTH__CLIENT_SECRET_FILE: `${world.dir}/mcm-secret` },
    cwd: world.dir,
  });
  return { code, out, err };
}

describe('check-config with mcm enabled', () => {
  it('names the missing files and points at onboard, then passes once onboarded', async () => {
    const before = await checkConfig();
    expect(before.code).toBe(2);
    for (const key of ['inbound.tls.certFile', 'outbound.tls.caFiles.0', 'jws.signingKeyFile']) expect(before.err).toContain(key);
    expect(before.err).toMatch(/run dfsp-sidecar onboard, then check again/);

    await world.onboard();
    await world.mcm.signInbound(DFSP_ID);
    expect((await world.onboard()).exitCode).toBe(0);
    const after = await checkConfig();
    expect(after.err).toBe('');
    expect(after.code).toBe(0);

    renameSync(world.files.dfspCaKey, `${world.files.dfspCaKey}.moved`);
    const broken = await checkConfig();
    expect(broken.code).toBe(2);
    expect(broken.err).toMatch(/mcm\.dfspCa\.keyFile: missing while its partner exists/);
  });
});
