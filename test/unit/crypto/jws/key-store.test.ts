import { mkdirSync, mkdtempSync, renameSync, rmSync, symlinkSync, unlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { EMPTY_PEER_KEY_SET, keysForSource, loadPeerKeys, MAX_KEY_FILE_BYTES } from '../../../../src/crypto/jws/key-store.js';
import { signRequest, verifyRequest } from '../../../../src/crypto/jws/index.js';
import { DESTINATION, keyPair, quoteBody, SOURCE } from './fixtures.js';

let dir: string;
beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'jws-keys-'));
});
afterEach(() => rmSync(dir, { recursive: true, force: true }));

const put = (name: string, content: string | Buffer): void => writeFileSync(join(dir, name), content);
const fingerprints = (keySet: Parameters<typeof keysForSource>[0], source = SOURCE): string[] => keysForSource(keySet, source).map((k) => k.fingerprint);

function signedBy(alg: 'RS256' | 'ES256', name: string) {
  return signRequest({ method: 'POST', path: '/quotes', headers: { 'fspiop-destination': DESTINATION }, body: Buffer.from(JSON.stringify(quoteBody())), source: SOURCE, key: keyPair(alg, name).signingKey });
}

describe('loadPeerKeys', () => {
  it('loads every source of the directory and ignores other files', async () => {
    put(`${SOURCE}.pem`, keyPair('RS256', 'old').publicPem);
    put('Hub.json', JSON.stringify(keyPair('ES256').publicKey.export({ format: 'jwk' })));
    put('README.md', 'not a key');
    mkdirSync(join(dir, '..2024_01_01'));
    const load = await loadPeerKeys(dir);
    expect(load.errors).toEqual([]);
    expect(load.directoryError).toBeUndefined();
    expect([...load.keySet.bySource.keys()].sort()).toEqual(['Hub', SOURCE]);
    expect(Object.isFrozen(load.keySet)).toBe(true);
    expect(load.changed).toBe(true);
  });

  it('rotation: old and new both verify during the overlap, then only the new one', async () => {
    const oldMsg = signedBy('RS256', 'old');
    const newMsg = signedBy('RS256', 'new');
    const verifies = (keySet: typeof EMPTY_PEER_KEY_SET, msg: ReturnType<typeof signedBy>) =>
      verifyRequest({ method: 'POST', path: '/quotes', headers: msg.headers, body: msg.body }, keySet).ok;

    put(`${SOURCE}.pem`, keyPair('RS256', 'old').publicPem);
    const steady = await loadPeerKeys(dir);
    expect(verifies(steady.keySet, oldMsg)).toBe(true);
    expect(verifies(steady.keySet, newMsg)).toBe(false);

    put(`${SOURCE}.next.pem`, keyPair('RS256', 'new').publicPem);
    const overlap = await loadPeerKeys(dir, steady.keySet);
    expect(overlap.changed).toBe(true);
    expect(fingerprints(overlap.keySet)).toEqual([keyPair('RS256', 'old').signingKey.fingerprint, keyPair('RS256', 'new').signingKey.fingerprint]);
    expect(verifies(overlap.keySet, oldMsg)).toBe(true);
    expect(verifies(overlap.keySet, newMsg)).toBe(true);

    renameSync(join(dir, `${SOURCE}.next.pem`), join(dir, `${SOURCE}.pem`));
    const done = await loadPeerKeys(dir, overlap.keySet);
    expect(fingerprints(done.keySet)).toEqual([keyPair('RS256', 'new').signingKey.fingerprint]);
    expect(verifies(done.keySet, oldMsg)).toBe(false);
    expect(verifies(done.keySet, newMsg)).toBe(true);
  });

  it('a broken file keeps the keys it had and is reported; a fixed file takes effect', async () => {
    put(`${SOURCE}.pem`, keyPair('RS256', 'old').publicPem);
    put('Hub.pem', keyPair('ES256').publicPem);
    const good = await loadPeerKeys(dir);

    put(`${SOURCE}.pem`, '-----BEGIN PUBLIC KEY-----\ntruncated');
    const broken = await loadPeerKeys(dir, good.keySet);
    expect(broken.changed).toBe(true);
    expect(broken.errors).toEqual([{ file: `${SOURCE}.pem`, message: expect.stringMatching(/no PEM block/), keptPrevious: true }]);
    expect(fingerprints(broken.keySet)).toEqual([keyPair('RS256', 'old').signingKey.fingerprint]);
    expect(keysForSource(broken.keySet, 'Hub')[0]).toBe(keysForSource(good.keySet, 'Hub')[0]);

    // Still broken, unchanged: same keys, still reported, nothing re-parsed.
    const again = await loadPeerKeys(dir, broken.keySet);
    expect(again.changed).toBe(false);
    expect(again.errors).toHaveLength(1);
    expect(again.keySet.files.get(`${SOURCE}.pem`)).toBe(broken.keySet.files.get(`${SOURCE}.pem`));

    put(`${SOURCE}.pem`, keyPair('RS256', 'new').publicPem);
    const fixed = await loadPeerKeys(dir, again.keySet);
    expect(fixed.errors).toEqual([]);
    expect(fingerprints(fixed.keySet)).toEqual([keyPair('RS256', 'new').signingKey.fingerprint]);
  });

  it('a new broken file has nothing to keep; a deleted file takes its keys away', async () => {
    put('Hub.pem', keyPair('ES256').publicPem);
    put(`${SOURCE}.pem`, keyPair('RS256').privatePem);
    const first = await loadPeerKeys(dir);
    expect(first.errors).toEqual([{ file: `${SOURCE}.pem`, message: expect.stringMatching(/private key/), keptPrevious: false }]);
    expect(keysForSource(first.keySet, SOURCE)).toEqual([]);
    unlinkSync(join(dir, 'Hub.pem'));
    const after = await loadPeerKeys(dir, first.keySet);
    expect(keysForSource(after.keySet, 'Hub')).toEqual([]);
  });

  it('reuses unchanged files without re-parsing them', async () => {
    put(`${SOURCE}.pem`, keyPair('RS256', 'old').publicPem);
    put('Hub.pem', keyPair('ES256').publicPem);
    const a = await loadPeerKeys(dir);
    put('Hub.pem', keyPair('RS256', 'new').publicPem);
    const b = await loadPeerKeys(dir, a.keySet);
    expect(b.keySet.files.get(`${SOURCE}.pem`)).toBe(a.keySet.files.get(`${SOURCE}.pem`));
    expect(keysForSource(b.keySet, SOURCE)[0]!.keyObject).toBe(keysForSource(a.keySet, SOURCE)[0]!.keyObject);
    expect(b.keySet.files.get('Hub.pem')).not.toBe(a.keySet.files.get('Hub.pem'));
  });

  it('follows a Kubernetes-style ..data symlink swap', async () => {
    const v1 = join(dir, '..2024_01_01_v1');
    const v2 = join(dir, '..2024_02_01_v2');
    mkdirSync(v1);
    mkdirSync(v2);
    writeFileSync(join(v1, `${SOURCE}.pem`), keyPair('RS256', 'old').publicPem);
    writeFileSync(join(v2, `${SOURCE}.pem`), keyPair('RS256', 'new').publicPem);
    symlinkSync('..2024_01_01_v1', join(dir, '..data'));
    symlinkSync(`..data/${SOURCE}.pem`, join(dir, `${SOURCE}.pem`));
    const before = await loadPeerKeys(dir);
    expect(fingerprints(before.keySet)).toEqual([keyPair('RS256', 'old').signingKey.fingerprint]);
    // Atomic swap, as the kubelet does it: new link, rename over the old one.
    symlinkSync('..2024_02_01_v2', join(dir, '..data_tmp'));
    renameSync(join(dir, '..data_tmp'), join(dir, '..data'));
    const after = await loadPeerKeys(dir, before.keySet);
    expect(after.changed).toBe(true);
    expect(fingerprints(after.keySet)).toEqual([keyPair('RS256', 'new').signingKey.fingerprint]);
  });

  it('a dangling symlink or an oversized file is an error that keeps the previous keys', async () => {
    put(`${SOURCE}.pem`, keyPair('RS256', 'old').publicPem);
    const good = await loadPeerKeys(dir);
    unlinkSync(join(dir, `${SOURCE}.pem`));
    symlinkSync('missing-target.pem', join(dir, `${SOURCE}.pem`));
    const dangling = await loadPeerKeys(dir, good.keySet);
    expect(dangling.errors[0]).toMatchObject({ file: `${SOURCE}.pem`, message: expect.stringMatching(/cannot read: ENOENT/), keptPrevious: true });
    expect(fingerprints(dangling.keySet)).toEqual([keyPair('RS256', 'old').signingKey.fingerprint]);
    put('Hub.pem', Buffer.alloc(MAX_KEY_FILE_BYTES + 1, 0x41));
    const big = await loadPeerKeys(dir, dangling.keySet);
    expect(big.errors.find((e) => e.file === 'Hub.pem')?.message).toMatch(/at most/);
  });

  it('a missing directory is reported, not thrown, and keeps the previous set', async () => {
    put(`${SOURCE}.pem`, keyPair('RS256', 'old').publicPem);
    const good = await loadPeerKeys(dir);
    const gone = await loadPeerKeys(join(dir, 'nope'), good.keySet);
    expect(gone.directoryError).toMatch(/cannot list .*nope: ENOENT/);
    expect(gone.keySet).toBe(good.keySet);
    const fresh = await loadPeerKeys(join(dir, 'nope'));
    expect(fresh.keySet).toBe(EMPTY_PEER_KEY_SET);
  });

  it('the same key in two files is held once', async () => {
    put(`${SOURCE}.pem`, keyPair('RS256', 'old').publicPem);
    put(`${SOURCE}.next.json`, JSON.stringify(keyPair('RS256', 'old').publicKey.export({ format: 'jwk' })));
    const load = await loadPeerKeys(dir);
    expect(keysForSource(load.keySet, SOURCE)).toHaveLength(1);
  });
});
