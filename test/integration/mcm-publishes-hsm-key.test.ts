/**
 * With our JWS key inside a PKCS#11 token (SoftHSM2), the MCM's jws-key step publishes the token
 * key's public half (read from the token; nothing is created on disk), the hub's SDK validators
 * accept what the sidecar then signs in the token, and a rotation through MCM is refused with what
 * to do instead: a token key is never copied or rotated by the sidecar.
 */
import { existsSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { closeAllTokens } from '../../src/crypto/pkcs11/token.js';
import { DFSP_ID, quoteThroughOutbound, startMcmWorld, type McmWorld } from '../helpers/mcm-world.js';
import { createSoftToken, type SoftToken } from '../helpers/softhsm.js';

let token: SoftToken;
let world: McmWorld;
let publicPem: string;
beforeAll(async () => {
  token = createSoftToken({ label: 'mcm-jws' });
  publicPem = token.generate('RS256', 'dfspa-jws').publicKey.export({ type: 'spki', format: 'pem' }) as string;
  world = await startMcmWorld({ jwsSigningKey: `signingKeyPkcs11: "${token.uri('dfspa-jws')}"` });
});
afterAll(async () => {
  await world?.close();
  closeAllTokens();
});

describe('an HSM-held JWS key and the MCM', () => {
  it('is published from the token and signs the round trip', async () => {
    expect((await world.onboard()).exitCode).toBe(3);
    await world.mcm.signInbound(DFSP_ID);
    const r = await world.onboard();
    expect(r.exitCode).toBe(0);
    expect(r.steps.find((s) => s.step === 'jws-key')?.detail).toMatch(/PKCS#11 token/);
    expect(world.mcm.state(DFSP_ID).jws!.publicKey.trim()).toBe(publicPem.trim());
    expect(existsSync(world.files.jwsKey)).toBe(false);

    const sidecar = await world.start();
    world.hub.setKeys({ [DFSP_ID]: world.mcm.state(DFSP_ID).jws!.publicKey });
    expect((await quoteThroughOutbound(sidecar)).status).toBe(202);
    expect(world.hub.requests.at(-1)).toMatchObject({ sdkLatest: 'valid', sdkLegacy: 'valid' });
  });

  it('refuses a rotation through MCM and says how to rotate a token key', async () => {
    const r = await world.onboard(['--rotate-jws-key']);
    expect(r.exitCode).toBe(1);
    expect(r.steps.find((s) => s.step === 'jws-key')).toMatchObject({ state: 'failed' });
    expect(r.steps.find((s) => s.step === 'jws-key')?.detail).toMatch(/pki jws-keys --pkcs11/);
    expect(world.mcm.state(DFSP_ID).jws!.publicKey.trim()).toBe(publicPem.trim());
  });
});
