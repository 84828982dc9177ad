/**
 * `doctor` checks the Connection Manager layer by layer (dns, tls against mcm.caFiles, token, GET
 * /hub/ca), even on a fresh install whose credential files the MCM steps have not written yet,
 * and names the failing layer: a wrong client secret fails at the token, not later.
 */
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { dispatch } from '../../src/cli.js';
import { startMcmWorld, type McmWorld } from '../helpers/mcm-world.js';

let world: McmWorld;
beforeAll(async () => {
  world = await startMcmWorld();
});
afterAll(async () => {
  await world?.close();
});

async function doctor(secretFile: string): Promise<{ code: number; checks: Array<{ target: string; layer: string; ok: boolean; detail: string; hint?: string }> }> {
  let out = '';
  const code = await dispatch(['doctor', '--config', world.configFile, '--json', '--timeout', '5000'], {
    stdout: (t) => {
      out += t;
    },
    stderr: () => {},
    env: { DFSP_SIDECAR_MCM__OAUTH__CLIENT_SECRET_FILE: secretFile },
    cwd: world.dir,
  });
  return { code, checks: (JSON.parse(out) as { checks: Array<{ target: string; layer: string; ok: boolean; detail: string }> }).checks };
}

describe('doctor and the MCM', () => {
  it('passes every MCM layer before onboarding, and says to onboard', async () => {
    const r = await doctor(join(world.dir, 'mcm-secret'));
    expect(r.code).toBe(2);
    const mcm = r.checks.filter((c) => c.target.startsWith('mcm '));
    expect(mcm.map((c) => [c.layer, c.ok])).toEqual([
      ['tls', true],
      ['token', true],
      ['api', true],
    ]);
    expect(mcm.find((c) => c.layer === 'api')?.detail).toMatch(/^GET \/hub\/ca: hub CA '/);
    expect(r.checks.some((c) => c.hint?.includes('run dfsp-sidecar onboard'))).toBe(true);
  });

  it('names the token layer when the client secret is wrong', async () => {
    const wrong = join(world.dir, 'wrong-secret');
    writeFileSync(wrong, 'not-the-secret\n');
    const r = await doctor(wrong);
    const mcm = r.checks.filter((c) => c.target.startsWith('mcm '));
    expect(mcm.map((c) => [c.layer, c.ok])).toEqual([
      ['tls', true],
      ['token', false],
    ]);
    expect(mcm[1]!.detail).toMatch(/refused our client credentials/);
    expect(mcm[1]!.detail).not.toContain('not-the-secret');
  });
});
