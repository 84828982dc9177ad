/**
 * DFSP_JWS: our JWS public key published with POST /dfsps/{id}/jwscerts (create-or-replace; no
 * PUT, mcm-api.md §7.8), created first when jws.signingKeyFile does not exist.
 *
 * Rotation (rotateAfterDays, or `onboard --rotate-jws-key`): MCM holds one key per DFSP, so the
 * new public key replaces the old one there at once. Peers poll (PM4ML every 60 s, this sidecar
 * every mcm.pollIntervalSeconds) and take a key whose createdAt is larger than the one they hold.
 * So the new key is published first while the old one keeps signing, and we switch only
 * `switchAfterSeconds` later, when peers have fetched it. A peer that keeps both keys (this
 * sidecar: `<fspId>.next.pem`) verifies us throughout; one that replaces its single key on fetch
 * (PM4ML) fails our messages between its fetch and our switch, which is why the wait should be
 * short, just above the peers' poll interval. The pending private key waits in the state directory
 * (0600) and moves into jws.signingKeyFile by rename-over, so a reload sees the old or the new key.
 */
import { createPublicKey } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import { parsePkcs11Uri } from '../../config/pkcs11-uri.js';
import { moduleEpoch, openTokenKey, type Pkcs11KeyRef } from '../../crypto/pkcs11/token.js';
import { generateKeyPair, privateKeyPem, publicKeyPem } from '../../crypto/pki/index.js';
import { errorText, readOptional, sameKey, shortDate, writeSecret } from '../files.js';
import { done, failed, type Step, type StepContext, type StepOutcome } from '../step.js';

export const jwsKeyStep: Step = {
  name: 'jws-key',
  mcmKey: 'DFSP_JWS',
  enabled: (c) => c.mcm.steps.jwsKey,
  after: [],
  async run(ctx) {
    if (ctx.config.jws.signingKeyPkcs11) return publishTokenKey(ctx, ctx.config.jws.signingKeyPkcs11);
    const file = ctx.config.jws.signingKeyFile!;
    const jws = ctx.state.jws;
    const now = ctx.now();
    const wrote: string[] = [];
    let currentPem = await readOptional(file);
    if (currentPem === undefined) {
      const { privateKey } = await generateKeyPair({ keyType: 'rsa', keySize: 2048 });
      currentPem = privateKeyPem(privateKey, 'pkcs1');
      await writeSecret(file, currentPem);
      wrote.push(file);
      jws.currentSince = now.toISOString();
      jws.pending = undefined;
      await ctx.store.removeKey('jws');
    }
    let current;
    try {
      current = createPublicKey(currentPem);
    } catch (err) {
      return failed(`${file}: ${errorText(err)}`);
    }
    jws.currentSince ??= now.toISOString();

    let pendingPem = jws.pending ? await ctx.store.readKey('jws') : undefined;
    if (jws.pending && pendingPem === undefined) jws.pending = undefined;
    const ageDays = (now.getTime() - new Date(jws.currentSince).getTime()) / 86_400_000;
    const rotateAfter = ctx.config.mcm.jwsKey.rotateAfterDays;
    if (!jws.pending && (ctx.rotateJwsKey || (rotateAfter > 0 && ageDays >= rotateAfter))) {
      const { privateKey } = await generateKeyPair(current.asymmetricKeyType === 'ec' ? { keyType: 'ec', keySize: 256 } : { keyType: 'rsa', keySize: 2048 });
      pendingPem = privateKeyPem(privateKey, current.asymmetricKeyType === 'ec' ? 'sec1' : 'pkcs1');
      await ctx.store.writeKey('jws', pendingPem);
      jws.pending = { createdAt: nextCreatedAt(ctx) };
    }

    const published = await ctx.api.getOwnJwsKey();
    const publishedKey = (() => {
      try {
        return published ? createPublicKey(published.publicKey) : undefined;
      } catch {
        return undefined;
      }
    })();

    if (jws.pending && pendingPem !== undefined) {
      const next = createPublicKey(pendingPem);
      if (!publishedKey || !sameKey(publishedKey, next)) {
        if (published?.createdAt != null && published.createdAt >= jws.pending.createdAt) jws.pending.createdAt = nextCreatedAt(ctx, published.createdAt);
        await ctx.api.publishJwsKey(publicKeyPem(next), jws.pending.createdAt);
        jws.pending.publishedAt ??= now.toISOString();
      }
      jws.pending.publishedAt ??= now.toISOString();
      const switchAt = new Date(new Date(jws.pending.publishedAt).getTime() + ctx.config.mcm.jwsKey.switchAfterSeconds * 1000);
      if (switchAt <= now) {
        await writeSecret(file, pendingPem);
        wrote.push(file);
        await ctx.store.removeKey('jws');
        jws.pending = undefined;
        jws.currentSince = now.toISOString();
        return done('rotation: switched to the new key (published since ' + shortDate(new Date(switchAt.getTime() - ctx.config.mcm.jwsKey.switchAfterSeconds * 1000)) + ')', { wrote });
      }
      return done(`rotation: new key published, the old one signs until ${shortDate(switchAt)}`, { wrote, facts: { jws_switch_at: switchAt.getTime() / 1000 } });
    }
    if (publishedKey && sameKey(publishedKey, current)) return done('our JWS key is the one MCM publishes', { wrote });
    await ctx.api.publishJwsKey(publicKeyPem(current), nextCreatedAt(ctx, published?.createdAt ?? undefined));
    return done(published ? 'published our JWS key (MCM held another one)' : 'published our JWS key', { wrote });
  },
};

/**
 * A key in a PKCS#11 token is never created or rotated here (it cannot leave the token, and a new
 * one is the operator's `pki jws-keys --pkcs11`): its public half is published when MCM holds
 * another. Pointing jws.signingKeyPkcs11 at a new key switches signing and publication together,
 * without the overlap a file key gets.
 */
async function publishTokenKey(ctx: StepContext, uri: string): Promise<StepOutcome> {
  if (ctx.rotateJwsKey || ctx.config.mcm.jwsKey.rotateAfterDays > 0) {
    return failed('our JWS key is in a PKCS#11 token and is not rotated through MCM: generate a new one with pki jws-keys --pkcs11 and point jws.signingKeyPkcs11 at it');
  }
  const u = parsePkcs11Uri(uri);
  const pin = (await readFile(u.pinFile, 'utf8')).replace(/\r?\n$/, '');
  const ref: Pkcs11KeyRef = { module: u.module, tokenLabel: u.tokenLabel, slot: u.slot, serial: u.serial, keyLabel: u.keyLabel, keyId: u.keyId, pin, epoch: moduleEpoch(u.module) };
  const key = openTokenKey(ref).publicKey;
  const published = await ctx.api.getOwnJwsKey();
  let held;
  try {
    held = published ? createPublicKey(published.publicKey) : undefined;
  } catch {
    held = undefined;
  }
  if (held && sameKey(held, key)) return done('our JWS key (in its PKCS#11 token) is the one MCM publishes');
  await ctx.api.publishJwsKey(publicKeyPem(key), nextCreatedAt(ctx, published?.createdAt ?? undefined));
  return done('published the public half of our JWS key (in its PKCS#11 token)');
}

/** Unix seconds, as PM4ML sends; strictly above every earlier publication, so peers take it. */
function nextCreatedAt(ctx: StepContext, heldByMcm?: number): number {
  const seconds = Math.floor(ctx.now().getTime() / 1000);
  const next = Math.max(seconds, (ctx.state.jws.lastCreatedAt ?? 0) + 1, (heldByMcm ?? 0) + 1);
  ctx.state.jws.lastCreatedAt = next;
  return next;
}
