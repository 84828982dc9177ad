/**
 * `onboard --wait S --until-usable`, the init-container form that runs at every pod start:
 * - on a fresh install with the MCM down it retries the failures and, when the time is up, exits 1
 *   (nothing usable: the pod must not start);
 * - once the credentials in place are what `run` loads, it exits 0 at once, even while a renewal
 *   waits on the hub or the MCM is unreachable (a pod with working credentials is never held down).
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DFSP_ID, startMcmWorld, type McmWorld } from '../helpers/mcm-world.js';

let world: McmWorld;
beforeAll(async () => {
  // Certificates signed for 365 days, renewed 400 days ahead: a renewal is always pending.
  world = await startMcmWorld({ pollIntervalSeconds: 1, mcmExtra: '  renewBeforeDays: 400' });
});
afterAll(async () => {
  await world?.close();
});

describe('onboard --until-usable', () => {
  it('retries failures on a fresh install and exits 1 when the time is up', async () => {
    await world.mcm.pause();
    // A retry needs the first cycle (two RSA key generations here) to end a poll interval before the
    // deadline: 5 s leaves that room on a loaded machine.
    const r = await world.onboard(['--wait', '5', '--until-usable']);
    await world.mcm.resume();
    expect(r.exitCode).toBe(1);
    expect(r.stderr).toMatch(/a step failed; next attempt in 1 s/);
    expect(JSON.parse(r.stdout)).toMatchObject({ usable: false, exitCode: 1 });
  });

  it('exits 0 as soon as the credentials are usable, while a renewal waits on the hub or the MCM is down', async () => {
    expect((await world.onboard()).exitCode).toBe(3);
    await world.mcm.signInbound(DFSP_ID, undefined, { days: 365 });
    expect((await world.onboard()).steps.find((s) => s.step === 'client-cert')?.detail).toMatch(/^installed/);

    const renewing = await world.onboard(['--wait', '600', '--until-usable']);
    expect(renewing.exitCode).toBe(0);
    expect(renewing.steps.find((s) => s.step === 'client-cert')?.state).toBe('waiting');
    expect(JSON.parse(renewing.stdout)).toMatchObject({ usable: true, exitCode: 0 });

    await world.mcm.pause();
    const down = await world.onboard(['--wait', '600', '--until-usable']);
    await world.mcm.resume();
    expect(down.exitCode).toBe(0);
    expect(down.steps.some((s) => s.state === 'failed')).toBe(true);
    // Without --until-usable the same situation is reported as it is.
    expect((await world.onboard()).exitCode).toBe(3);
  });
});
