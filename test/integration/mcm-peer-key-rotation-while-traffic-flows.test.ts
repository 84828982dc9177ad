/**
 * A peer rotates its JWS key at MCM while its requests keep arriving. The running sidecar's MCM
 * loop takes the new key as `<fspId>.next.pem` (old and new both verify), so the peer can switch
 * to signing with the new key at any moment; after promoteAfterSeconds the new key replaces the old
 * one, which then no longer verifies. Not one of the peer's requests fails across it.
 */
import { existsSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { generateKeyPair, privateKeyPem, publicKeyPem } from '../../src/crypto/pki/index.js';
import type { Sidecar } from '../../src/main.js';
import { waitFor } from '../helpers/outbound-sidecar.js';
import { addHubEnrollment, onboardFully, startMcmWorld, transferFromHub, type McmWorld } from '../helpers/mcm-world.js';

const PEER = 'payerfsp';
let world: McmWorld;
let sidecar: Sidecar;
let creds: { certPem: string; keyPem: string };
const keys: Array<{ privatePem: string; publicPem: string }> = [];

beforeAll(async () => {
  for (let i = 0; i < 2; i++) {
    const k = (await generateKeyPair({ keyType: 'rsa', keySize: 2048 })).privateKey;
    keys.push({ privatePem: privateKeyPem(k, 'pkcs1'), publicPem: publicKeyPem(k) });
  }
  world = await startMcmWorld({ pollIntervalSeconds: 1, mcmExtra: '  peerKeys: { promoteAfterSeconds: 3 }' });
  world.mcm.setPeerJwsKey(PEER, keys[0]!.publicPem, 1_700_000_100);
  const hubEnrollment = await addHubEnrollment(world);
  await onboardFully(world);
  creds = world.hubClient(hubEnrollment);
  sidecar = await world.start();
});
afterAll(async () => {
  await world?.close();
});

describe('a peer rotating its JWS key while traffic flows', () => {
  it('is followed without one failed request', async () => {
    const current = `${world.files.keysDir}/${PEER}.pem`;
    const next = `${world.files.keysDir}/${PEER}.next.pem`;
    let signer = keys[0]!;
    let running = true;
    const statuses: number[] = [];
    const traffic = (async () => {
      while (running) {
        const r = await transferFromHub(world, sidecar, creds, { privatePem: signer.privatePem, source: PEER });
        statuses.push(r.ok ? r.status : 0);
      }
    })();
    const signedWith = async (k: { privatePem: string }) => {
      const r = await transferFromHub(world, sidecar, creds, { privatePem: k.privatePem, source: PEER });
      return r.ok ? r.status : 0;
    };
    try {
      await waitFor(() => statuses.length >= 5, 'requests signed with the first key', 20_000);

      world.mcm.setPeerJwsKey(PEER, keys[1]!.publicPem, 1_700_000_200);
      await waitFor(() => existsSync(next), `${PEER}.next.pem from the MCM loop`, 20_000);
      await waitFor(async () => (await signedWith(keys[1]!)) === 200, 'the new key verifying', 20_000);
      expect(await signedWith(keys[0]!)).toBe(200);
      // The peer switches to its new key while the old one is still accepted.
      signer = keys[1]!;
      const atSwitch = statuses.length;

      await waitFor(() => !existsSync(next) && world.read(current).trim() === keys[1]!.publicPem.trim(), 'the new key promoted', 20_000);
      await waitFor(async () => (await signedWith(keys[0]!)) === 400, 'the old key retired', 20_000);
      await waitFor(() => statuses.length >= atSwitch + 5, 'requests signed with the new key', 20_000);
    } finally {
      running = false;
      await traffic;
    }
    expect(statuses.length).toBeGreaterThan(10);
    expect(statuses.filter((s) => s !== 200)).toEqual([]);
  });
});
