/**
 * A hostile or broken MCM never gets a credential installed, and never replaces a working one:
 * - our CSR "signed" with a certificate for another key, or for a CA, or not by the hub CA, or garbage;
 * - a hub CSR that asks for CA:TRUE (signing it would make the hub a CA under ours);
 * - a hub CA answer that is garbage or not a CA;
 * - peer keys that are private keys, garbage, or would escape the key directory by their FSP id.
 * Each is refused with the reason in the step's detail; the files on disk are byte-for-byte unchanged.
 */
import { generateKeyPairSync } from 'node:crypto';
import { readdirSync, statSync } from 'node:fs';
import forge from 'node-forge';
import { afterEach, describe, expect, it } from 'vitest';
import { createClientCert, generateKeyPair, privateKeyPem, publicKeyPem } from '../../src/crypto/pki/index.js';
import { addHubEnrollment, DFSP_ID, startMcmWorld, type McmWorld } from '../helpers/mcm-world.js';

let world: McmWorld | undefined;
afterEach(async () => {
  await world?.close();
  world = undefined;
});

const step = (r: { steps: Array<{ step: string; state: string; detail: string }> }, name: string) => r.steps.find((s) => s.step === name)!;
const exists = (p: string) => {
  try {
    statSync(p);
    return true;
  } catch {
    return false;
  }
};

/** A CSR that asks for basicConstraints CA:TRUE and keyCertSign, as a hostile hub would send. */
function caCsr(): string {
  const keys = forge.pki.rsa.generateKeyPair(2048);
  const csr = forge.pki.createCertificationRequest();
  csr.publicKey = keys.publicKey;
  csr.setAttributes([{ name: 'extensionRequest', extensions: [{ name: 'basicConstraints', cA: true, critical: true }, { name: 'keyUsage', keyCertSign: true, cRLSign: true }] }]);
  csr.sign(keys.privateKey, forge.md.sha256.create());
  return forge.pki.certificationRequestToPem(csr);
}

describe('a malicious MCM', () => {
  for (const [label, forge_] of [
    ['a certificate for another key', async (w: McmWorld) => (await createClientCert({ ca: w.mcm.hubCa, cn: DFSP_ID, o: 'X', c: 'ZM' })).certPem],
    ['garbage instead of a certificate', async () => '-----BEGIN CERTIFICATE-----\nnot base64 at all\n-----END CERTIFICATE-----\n'],
  ] as const) {
    it(`gets our client certificate refused: ${label}`, async () => {
      world = await startMcmWorld();
      expect((await world.onboard()).exitCode).toBe(3);
      await world.mcm.signInbound(DFSP_ID, undefined, { certificatePem: await forge_(world) });
      const r = await world.onboard();
      expect(r.exitCode).toBe(1);
      expect(step(r, 'client-cert')).toMatchObject({ state: 'failed' });
      expect(step(r, 'client-cert').detail).toMatch(label.startsWith('garbage') ? /refused: certificate of enrollment/ : /certifies another key/);
      expect(step(r, 'client-cert').detail).toMatch(/nothing installed/);
      expect(exists(world.files.clientCert)).toBe(false);
      expect(exists(world.files.clientKey)).toBe(false);
    });
  }

  it('gets a certificate that does not chain to the hub CA refused, with our key in it', async () => {
    world = await startMcmWorld();
    await world.onboard();
    // A certificate for our pending key, from a CA that is not the hub's.
    const rogue = (await import('../../src/crypto/pki/index.js')).createCa({ cn: 'Rogue CA', o: 'Rogue', c: 'ZZ', keySize: 2048 });
    const pendingKey = world.read(`${world.files.state}/client-pending.key`);
    const cert = await createClientCert({ ca: await rogue, cn: DFSP_ID, o: 'X', c: 'ZM', key: pendingKey });
    await world.mcm.signInbound(DFSP_ID, undefined, { certificatePem: cert.certPem });
    const r = await world.onboard();
    expect(step(r, 'client-cert').detail).toMatch(/does not chain to the hub CA/);
    expect(exists(world.files.clientCert)).toBe(false);
  });

  it('never replaces a working client certificate with a refused one', async () => {
    world = await startMcmWorld({ mcmExtra: '  renewBeforeDays: 400' });
    await world.onboard();
    await world.mcm.signInbound(DFSP_ID, undefined, { days: 365 });
    expect((await world.onboard()).steps.find((s) => s.step === 'client-cert')?.state).toBe('done');
    const [cert, key] = [world.read(world.files.clientCert), world.read(world.files.clientKey)];
    // Within the renewal window (400 days > 365): a new enrollment, which the MCM answers with garbage.
    const renewing = await world.onboard();
    expect(step(renewing, 'client-cert')).toMatchObject({ state: 'waiting' });
    const pending = world.mcm.state(DFSP_ID).inbound.find((e) => e.state === 'CSR_LOADED')!;
    await world.mcm.signInbound(DFSP_ID, pending.id, { certificatePem: 'garbage' });
    const r = await world.onboard();
    expect(step(r, 'client-cert').state).toBe('failed');
    expect(world.read(world.files.clientCert)).toBe(cert);
    expect(world.read(world.files.clientKey)).toBe(key);
  });

  it('gets a hub CSR asking for CA:TRUE refused, and still signs the others', async () => {
    world = await startMcmWorld();
    const bad = await addHubEnrollment(world, caCsr());
    const r = await world.onboard();
    const hub = step(r, 'hub-client-cert');
    expect(hub.state).toBe('failed');
    expect(hub.detail).toMatch(new RegExp(`refused enrollment ${bad}: .*ca-flag`));
    expect(hub.detail).toMatch(/ca-key-usage/);
    const outbound = world.mcm.state(DFSP_ID).outbound;
    expect(outbound.find((e) => e.id === bad)?.state).toBe('CSR_LOADED');
    expect(outbound.filter((e) => e.id !== bad).every((e) => e.state === 'CERT_SIGNED')).toBe(true);
  });

  it('gets a garbage or non-CA hub CA refused, keeping the bundle in use', async () => {
    world = await startMcmWorld();
    await world.onboard();
    const good = world.read(world.files.hubCa);
    const leaf = (await createClientCert({ ca: world.mcm.hubCa, cn: 'not-a-ca', o: 'X', c: 'ZM' })).certPem;
    for (const [body, why] of [
      [{ rootCertificate: 'garbage', validationState: 'VALID', type: 'INTERNAL' }, /refused the hub CA/],
      [{ rootCertificate: leaf, validationState: 'VALID', type: 'INTERNAL' }, /is not a CA certificate/],
      [{ rootCertificate: null }, /rootCertificate of GET \/hub\/ca is empty/],
      [{ validationState: 'VALID' }, /is empty/],
    ] as const) {
      world.mcm.setHubCaResponse(body);
      const r = await world.onboard();
      expect(step(r, 'hub-ca')).toMatchObject({ state: 'failed' });
      expect(step(r, 'hub-ca').detail).toMatch(why);
      expect(world.read(world.files.hubCa)).toBe(good);
    }
  });

  it('gets hostile peer keys refused and never written', async () => {
    world = await startMcmWorld();
    const priv = (await generateKeyPair({ keyType: 'rsa', keySize: 2048 })).privateKey;
    const weak = generateKeyPairSync('rsa', { modulusLength: 1024 }).privateKey;
    world.mcm.setExternalJwsKeys([
      { dfspId: 'leaky', publicKey: privateKeyPem(priv, 'pkcs8'), createdAt: 1 },
      { dfspId: 'garbled', publicKey: 'not a key', createdAt: 1 },
      { dfspId: 'weak', publicKey: publicKeyPem(weak), createdAt: 1 },
      { dfspId: '../escape', publicKey: publicKeyPem(priv), createdAt: 1 },
      { dfspId: 'fine', publicKey: publicKeyPem(priv), createdAt: 1 },
    ]);
    const r = await world.onboard();
    const peers = step(r, 'peer-keys');
    expect(peers.state).toBe('failed');
    for (const id of ['leaky', 'garbled', 'weak', '../escape']) expect(peers.detail).toContain(id);
    expect(readdirSync(world.files.keysDir).sort()).toEqual(['fine.pem', 'switch.pem']);
  });
});
