/**
 * An operator who installs a valid client certificate by hand while our CSR still waits at the hub
 * keeps it: the pending enrollment is dropped (its key deleted), and a late signature of that old
 * enrollment never replaces the operator's pair.
 */
import { existsSync, writeFileSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createClientCert } from '../../src/crypto/pki/index.js';
import { DFSP_ID, startMcmWorld, type McmWorld } from '../helpers/mcm-world.js';

let world: McmWorld;
beforeAll(async () => {
  world = await startMcmWorld();
});
afterAll(async () => {
  await world?.close();
});

describe('a client certificate installed by hand', () => {
  it('wins over the enrollment still pending', async () => {
    expect((await world.onboard()).exitCode).toBe(3);
    const pendingId = world.mcm.state(DFSP_ID).inbound[0]!.id;
    const byHand = await createClientCert({ ca: world.mcm.hubCa, cn: DFSP_ID, o: 'Example DFSP', c: 'ZM', days: 365 });
    writeFileSync(world.files.clientCert, byHand.chainPem);
    writeFileSync(world.files.clientKey, byHand.keyPem, { mode: 0o600 });

    const r = await world.onboard();
    expect(r.exitCode).toBe(0);
    expect(r.steps.find((s) => s.step === 'client-cert')?.detail).toMatch(new RegExp(`dropped pending enrollment ${pendingId}$`));
    expect(existsSync(`${world.files.state}/client-pending.key`)).toBe(false);

    await world.mcm.signInbound(DFSP_ID, pendingId);
    expect((await world.onboard()).exitCode).toBe(0);
    expect(world.read(world.files.clientCert)).toBe(byHand.chainPem);
    expect(world.read(world.files.clientKey)).toBe(byHand.keyPem);
  });
});
