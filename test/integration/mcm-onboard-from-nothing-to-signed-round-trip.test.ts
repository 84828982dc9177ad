/**
 * A fresh install (no CA, no keys, no certificates, no peer keys) onboards with the hub's MCM and
 * then makes the signed round trip both ways through the gateways:
 * - the first `onboard` does everything it can and stops at the hub's signature (exit 3);
 * - once the hub signs, the second installs our client certificate (exit 0);
 * - the hub accepts our signed, token-bearing, mTLS request with the key MCM published for us;
 * - the hub, with the client certificate we signed from its CSR and its JWS key from MCM, reaches our core;
 * - a third `onboard` changes nothing at MCM or on disk.
 */
import { statSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseCertificates, verifyChain } from '../../src/crypto/pki/index.js';
import { addHubEnrollment, DFSP_ID, quoteThroughOutbound, startMcmWorld, SWITCH_ID, transferFromHub, type McmWorld } from '../helpers/mcm-world.js';

let world: McmWorld;
let hubEnrollment: number;
beforeAll(async () => {
  world = await startMcmWorld();
  hubEnrollment = await addHubEnrollment(world);
});
afterAll(async () => {
  await world?.close();
});

const mode = (p: string) => statSync(p).mode & 0o777;

describe('onboarding from nothing', () => {
  it('does every step it can and waits for the hub to sign our CSR (exit 3)', async () => {
    const r = await world.onboard();
    expect(r.stderr).toBe('');
    expect(r.exitCode).toBe(3);
    const state = Object.fromEntries(r.steps.map((s) => [s.step, s.state]));
    expect(state).toEqual({ 'dfsp-ca': 'done', 'server-cert': 'done', 'hub-ca': 'done', 'jws-key': 'done', endpoints: 'done', 'hub-client-cert': 'done', 'client-cert': 'waiting', 'peer-keys': 'done', states: 'done' });

    // Our CA, server certificate and JWS key exist, keys private; the hub CA is the MCM's.
    expect(mode(world.files.dfspCaKey)).toBe(0o600);
    expect(mode(world.files.serverKey)).toBe(0o600);
    expect(mode(world.files.jwsKey)).toBe(0o600);
    expect(world.read(world.files.hubCa).trim()).toBe(world.mcm.hubCa.certPem.trim());
    expect(() => statSync(world.files.clientCert)).toThrow();
    // The pending client key waits in the state directory, private.
    expect(mode(`${world.files.state}/client-pending.key`)).toBe(0o600);

    const at = world.mcm.state(DFSP_ID);
    expect(at.ca?.rootCertificate?.trim()).toBe(world.read(world.files.dfspCaCert).trim());
    expect(at.inbound).toHaveLength(1);
    expect(at.inbound[0]!.state).toBe('CSR_LOADED');
    expect(at.egress.at(-1)?.ipList?.map((i) => i.address)).toEqual(['203.0.113.10', '198.51.100.0/24']);
    expect(at.ingress.at(-1)?.url).toBe('https://dfspa.example.com:443');
    expect(at.states).toMatchObject({ DFSP_CLIENT_CERT: { status: 'inProgress' }, HUB_CA: { status: 'completed' } });
    // Every hub CSR (the one MCM made with the DFSP, and ours) is signed by our CA with the CN MCM reads our FQDN from.
    const ca = parseCertificates(world.read(world.files.dfspCaCert));
    for (const e of at.outbound) {
      expect(e.state).toBe('CERT_SIGNED');
      const [leaf] = parseCertificates(e.certificate!);
      expect(verifyChain(leaf!, { roots: ca, purpose: 'clientAuth' }).ok).toBe(true);
      expect(leaf!.subjectText).toContain('CN=dfspa.example.com');
    }
    // The hub's key is a peer key, under the switch id.
    expect(world.read(`${world.files.keysDir}/${SWITCH_ID}.pem`).trim()).toBe(world.hubJws.publicPem.trim());
  });

  it('installs our client certificate once the hub signed it (exit 0)', async () => {
    await world.mcm.signInbound(DFSP_ID);
    const r = await world.onboard();
    expect(r.exitCode).toBe(0);
    expect(r.steps.find((s) => s.step === 'client-cert')?.detail).toMatch(/^installed the certificate of enrollment \d+/);
    expect(mode(world.files.clientKey)).toBe(0o600);
    const [leaf] = parseCertificates(world.read(world.files.clientCert));
    expect(verifyChain(leaf!, { roots: parseCertificates(world.mcm.hubCa.certPem), purpose: 'clientAuth' }).ok).toBe(true);
    expect(() => statSync(`${world.files.state}/client-pending.key`)).toThrow();
  });

  it('makes the signed round trip both ways through the gateways', async () => {
    const sidecar = await world.start();
    world.hub.setKeys({ [DFSP_ID]: world.mcm.state(DFSP_ID).jws!.publicKey });

    const out = await quoteThroughOutbound(sidecar);
    expect(out.status).toBe(202);
    const seen = world.hub.requests.at(-1)!;
    expect(seen.sdkLatest).toBe('valid');
    expect(seen.sdkLegacy).toBe('valid');
    expect(seen.clientCn).toBe(DFSP_ID);
    expect(String(seen.headers.authorization ?? '')).toBe('');

    const hits = world.core.hits.length;
    const inbound = await transferFromHub(world, sidecar, world.hubClient(hubEnrollment));
    expect(inbound.ok && inbound.status).toBe(200);
    expect(world.core.hits.length).toBe(hits + 1);
    expect(String(world.core.hits.at(-1)!.headers['x-dfsp-sidecar-jws'])).toMatch(/^verified/);
  });

  it('changes nothing when run again', async () => {
    const before = world.mcm.state(DFSP_ID);
    const calls = world.mcm.calls.length;
    const r = await world.onboard();
    expect(r.exitCode).toBe(0);
    expect(r.wrote).toEqual([]);
    const after = world.mcm.state(DFSP_ID);
    expect(after.egress).toHaveLength(before.egress.length);
    expect(after.ingress).toHaveLength(before.ingress.length);
    expect(after.inbound).toHaveLength(1);
    expect(after.outbound.map((e) => e.certificate)).toEqual(before.outbound.map((e) => e.certificate));
    const writes = world.mcm.calls.slice(calls).filter((c) => c.method === 'POST' && !c.path.endsWith('/states') && !c.path.includes('openid-connect'));
    expect(writes).toEqual([]);
  });
});
