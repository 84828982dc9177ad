/**
 * PEER_JWS: every peer's JWS public key from GET /dfsps/jwscerts (native DFSPs, the hub under its
 * switch id, external DFSPs; mcm-api.md §7.8) into jws.keysDirectory, which the verifier reloads.
 *
 * - A key is checked exactly as the verifier will load it (src/crypto/jws/peer-key.ts: a public
 *   key, RSA >= 2048 or P-256), and its FSP id must be a safe file name; anything else is refused
 *   and reported, never written.
 * - A new peer's key becomes `<fspId>.pem`.
 * - A peer's changed key is taken only when its createdAt is larger than the one held (PM4ML's
 *   merge rule; an MCM that serves an older key does not roll us back). It goes in as
 *   `<fspId>.next.pem`, so messages signed with the old or the new key both verify while the
 *   peer switches, and replaces `<fspId>.pem` (one rename) after peerKeys.promoteAfterSeconds.
 * - A peer missing from the answer keeps its files: deleting a key on the word of one answer
 *   could cut a working peer off; retiring one stays an operator's decision.
 */
import { createPublicKey } from 'node:crypto';
import { mkdir, rename } from 'node:fs/promises';
import { join } from 'node:path';
import { parsePeerKeyFile } from '../../crypto/jws/peer-key.js';
import { errorText, readOptional, sameKey, writePublic } from '../files.js';
import { done, failed, type Step } from '../step.js';

const SAFE_FSP_ID = /^[A-Za-z0-9][A-Za-z0-9_-]*(\.[A-Za-z0-9_-]+)*$/;

export const peerKeysStep: Step = {
  name: 'peer-keys',
  mcmKey: 'PEER_JWS',
  enabled: (c) => c.mcm.steps.peerKeys,
  after: [],
  async run(ctx) {
    const dir = ctx.config.jws.keysDirectory!;
    const now = ctx.now();
    const promoteMs = ctx.config.mcm.peerKeys.promoteAfterSeconds * 1000;
    // The verifier needs the directory even when MCM lists no peer yet.
    await mkdir(dir, { recursive: true });
    const items = await ctx.api.listJwsKeys();
    const wrote: string[] = [];
    const refused: string[] = [];
    const changes: string[] = [];
    let held = 0;
    for (const item of items) {
      const id = item.dfspId;
      if (id === ctx.config.dfspId) continue;
      if (id.length > 32 || !SAFE_FSP_ID.test(id) || id.endsWith('.next')) {
        refused.push(`'${id.slice(0, 40)}': not a usable FSP id`);
        continue;
      }
      const pem = item.publicKey.endsWith('\n') ? item.publicKey : `${item.publicKey}\n`;
      let key;
      try {
        key = parsePeerKeyFile(`${id}.pem`, { source: id, slot: 'current', format: 'pem' }, Buffer.from(pem))[0]!.keyObject;
      } catch (err) {
        refused.push(`${id}: ${errorText(err)}`);
        continue;
      }
      held++;
      const createdAt = item.createdAt ?? 0;
      const record = ctx.state.peers[id];
      const currentFile = join(dir, `${id}.pem`);
      const nextFile = join(dir, `${id}.next.pem`);
      const current = keyIn(await readOptional(currentFile));
      const next = keyIn(await readOptional(nextFile));
      if (!current) {
        await writePublic(currentFile, pem);
        wrote.push(currentFile);
        changes.push(`${id} added`);
        ctx.state.peers[id] = { createdAt };
        continue;
      }
      if (sameKey(current, key)) {
        ctx.state.peers[id] = { createdAt: Math.max(createdAt, record?.createdAt ?? 0) };
        continue;
      }
      if (next && sameKey(next, key)) {
        const since = record?.nextSince ? new Date(record.nextSince) : now;
        if (now.getTime() - since.getTime() >= promoteMs) {
          await rename(nextFile, currentFile);
          wrote.push(currentFile, nextFile);
          changes.push(`${id} switched to its new key`);
          ctx.state.peers[id] = { createdAt: Math.max(createdAt, record?.createdAt ?? 0) };
        } else {
          ctx.state.peers[id] = { createdAt: Math.max(createdAt, record?.createdAt ?? 0), nextSince: since.toISOString() };
        }
        continue;
      }
      if (record && createdAt <= record.createdAt) {
        refused.push(`${id}: MCM serves a different key with createdAt ${createdAt}, not newer than the ${record.createdAt} held; kept ours`);
        continue;
      }
      await writePublic(nextFile, pem);
      wrote.push(nextFile);
      changes.push(`${id} rotating (new key as ${id}.next.pem)`);
      ctx.state.peers[id] = { createdAt, nextSince: now.toISOString() };
    }
    const facts = { peer_keys: held, ...(wrote.length > 0 ? { peer_keys_changed: now.getTime() / 1000 } : {}) };
    const summary = `${held} peer key${held === 1 ? '' : 's'}${changes.length > 0 ? `; ${changes.join(', ')}` : ', unchanged'}`;
    if (refused.length > 0) return failed(`refused ${refused.join(' | ')}; ${summary}`, { wrote, facts });
    return done(summary, { wrote, facts });
  },
};

function keyIn(pem: string | undefined) {
  if (pem === undefined) return undefined;
  try {
    return createPublicKey(pem);
  } catch {
    return undefined;
  }
}
