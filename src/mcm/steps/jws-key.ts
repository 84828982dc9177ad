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
import { generateKeyPair, privateKeyPem, publicKeyPem } from '../../crypto/pki/index.js';
import { errorText, readOptional, sameKey, shortDate, writeSecret } from '../files.js';
import { done, failed, type Step, type StepContext } from '../step.js';

export const jwsKeyStep: Step = {
  name: 'jws-key',
  mcmKey: 'DFSP_JWS',
  enabled: (c) => c.mcm.steps.jwsKey,
  after: [],
  async run(ctx) {
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

/** Unix seconds, as PM4ML sends; strictly above every earlier publication, so peers take it. */
function nextCreatedAt(ctx: StepContext, heldByMcm?: number): number {
  const seconds = Math.floor(ctx.now().getTime() / 1000);
  const next = Math.max(seconds, (ctx.state.jws.lastCreatedAt ?? 0) + 1, (heldByMcm ?? 0) + 1);
  ctx.state.jws.lastCreatedAt = next;
  return next;
}
