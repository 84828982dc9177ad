import { mkdirSync, mkdtempSync, renameSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { keysForSource, loadPeerKeys, type PeerKeyLoad, type PeerKeySet } from '../../../../src/crypto/jws/key-store.js';
import { createPeerKeyWatcher, type PeerKeyWatcher } from '../../../../src/crypto/jws/key-watcher.js';
import { keyPair, SOURCE } from './fixtures.js';

let dir: string;
let watcher: PeerKeyWatcher | undefined;
beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'jws-watch-'));
});
afterEach(async () => {
  await watcher?.stop();
  watcher = undefined;
  rmSync(dir, { recursive: true, force: true });
});

/** Write + rename, so a poll never sees a half-written file (the watcher would rightly report it). */
function atomicWrite(path: string, content: string): void {
  writeFileSync(`${path}.tmp`, content);
  renameSync(`${path}.tmp`, path);
}

const fp = (name: string): string => keyPair('RS256', name).signingKey.fingerprint;
const fingerprints = (keySet: PeerKeySet): string[] => keysForSource(keySet, SOURCE).map((k) => k.fingerprint);

/** Collects onChange calls; next() resolves with the next one (or fails after a timeout). */
function changes() {
  const seen: PeerKeyLoad[] = [];
  const waiters: Array<(l: PeerKeyLoad) => void> = [];
  return {
    seen,
    onChange(load: PeerKeyLoad) {
      seen.push(load);
      waiters.shift()?.(load);
    },
    next(timeoutMs = 3000): Promise<PeerKeyLoad> {
      return new Promise((resolve, reject) => {
        const t = setTimeout(() => reject(new Error('no change seen')), timeoutMs);
        waiters.push((l) => {
          clearTimeout(t);
          resolve(l);
        });
      });
    },
  };
}

describe('createPeerKeyWatcher', () => {
  it('reports added, replaced and removed keys within an interval, and nothing while unchanged', async () => {
    writeFileSync(join(dir, `${SOURCE}.pem`), keyPair('RS256', 'old').publicPem);
    const initial = (await loadPeerKeys(dir)).keySet;
    const c = changes();
    watcher = createPeerKeyWatcher({ dir, intervalMs: 20, initial, onChange: c.onChange });

    await new Promise((r) => setTimeout(r, 120));
    expect(c.seen).toHaveLength(0);

    const added = c.next();
    atomicWrite(join(dir, `${SOURCE}.next.pem`), keyPair('RS256', 'new').publicPem);
    expect(fingerprints((await added).keySet)).toEqual([fp('old'), fp('new')]);

    const replaced = c.next();
    renameSync(join(dir, `${SOURCE}.next.pem`), join(dir, `${SOURCE}.pem`));
    const last = await replaced;
    expect(fingerprints(last.keySet)).toEqual([fp('new')]);
    expect(watcher.keySet).toBe(last.keySet);
  });

  it('sees a ..data symlink swap that changes no file name (what fs.watch misses)', async () => {
    mkdirSync(join(dir, '..v1'));
    mkdirSync(join(dir, '..v2'));
    writeFileSync(join(dir, '..v1', `${SOURCE}.pem`), keyPair('RS256', 'old').publicPem);
    writeFileSync(join(dir, '..v2', `${SOURCE}.pem`), keyPair('RS256', 'new').publicPem);
    symlinkSync('..v1', join(dir, '..data'));
    symlinkSync(`..data/${SOURCE}.pem`, join(dir, `${SOURCE}.pem`));
    const initial = (await loadPeerKeys(dir)).keySet;
    const c = changes();
    watcher = createPeerKeyWatcher({ dir, intervalMs: 20, initial, onChange: c.onChange });
    const swapped = c.next();
    symlinkSync('..v2', join(dir, '..data_tmp'));
    renameSync(join(dir, '..data_tmp'), join(dir, '..data'));
    expect(fingerprints((await swapped).keySet)).toEqual([fp('new')]);
  });

  it('a broken write keeps the old key and reports the file', async () => {
    writeFileSync(join(dir, `${SOURCE}.pem`), keyPair('RS256', 'old').publicPem);
    const initial = (await loadPeerKeys(dir)).keySet;
    const c = changes();
    watcher = createPeerKeyWatcher({ dir, intervalMs: 20, initial, onChange: c.onChange });
    const next = c.next();
    writeFileSync(join(dir, `${SOURCE}.pem`), '-----BEGIN PUBLIC KEY-----\nMIIBIj');
    const load = await next;
    expect(load.errors).toEqual([expect.objectContaining({ file: `${SOURCE}.pem`, keptPrevious: true })]);
    expect(fingerprints(load.keySet)).toEqual([fp('old')]);
  });

  it('compares against current() when given, so an external reload is not redone', async () => {
    writeFileSync(join(dir, `${SOURCE}.pem`), keyPair('RS256', 'old').publicPem);
    let snapshot = (await loadPeerKeys(dir)).keySet;
    const c = changes();
    watcher = createPeerKeyWatcher({ dir, intervalMs: 1000, current: () => snapshot, onChange: c.onChange });
    writeFileSync(join(dir, `${SOURCE}.pem`), keyPair('RS256', 'new').publicPem);
    snapshot = (await loadPeerKeys(dir, snapshot)).keySet; // e.g. a SIGHUP reload got there first
    expect(await watcher.poll()).toBeUndefined();
    expect(c.seen).toHaveLength(0);
  });

  it('reports an unreadable directory once, keeps the set, and recovers', async () => {
    writeFileSync(join(dir, `${SOURCE}.pem`), keyPair('RS256', 'old').publicPem);
    const initial = (await loadPeerKeys(dir)).keySet;
    const errors: Error[] = [];
    const c = changes();
    const gone = join(dir, 'keys');
    watcher = createPeerKeyWatcher({ dir: gone, intervalMs: 15, initial, onChange: c.onChange, onError: (e) => errors.push(e) });
    await new Promise((r) => setTimeout(r, 150));
    expect(errors).toHaveLength(1);
    expect(errors[0]!.message).toMatch(/cannot list \(ENOENT\); keeping the current keys/);
    expect(watcher.keySet).toBe(initial);
    const back = c.next();
    mkdirSync(`${gone}.tmp`);
    writeFileSync(join(`${gone}.tmp`, `${SOURCE}.pem`), keyPair('RS256', 'new').publicPem);
    renameSync(`${gone}.tmp`, gone);
    expect(fingerprints((await back).keySet)).toEqual([fp('new')]);
  });

  it('survives an onChange that throws, and stop() ends polling', async () => {
    const errors: Error[] = [];
    let calls = 0;
    watcher = createPeerKeyWatcher({
      dir,
      intervalMs: 15,
      onChange: () => {
        calls++;
        throw new Error('consumer failed');
      },
      onError: (e) => errors.push(e),
    });
    atomicWrite(join(dir, `${SOURCE}.pem`), keyPair('RS256', 'old').publicPem);
    // Wait for the change to be seen (polled, not a guessed sleep: a loaded machine delays timers).
    for (const cap = Date.now() + 10_000; calls === 0 && errors.length === 0 && Date.now() < cap; ) await new Promise((r) => setTimeout(r, 5));
    expect(calls).toBe(1);
    expect(errors.map((e) => e.message)).toEqual(['consumer failed']);
    await watcher.stop();
    atomicWrite(join(dir, 'Hub.pem'), keyPair('ES256').publicPem);
    // After stop() no poll may run: several whole intervals pass without a call.
    await new Promise((r) => setTimeout(r, 15 * 6));
    expect(calls).toBe(1);
  });

  it('refuses a non-positive interval', () => {
    expect(() => createPeerKeyWatcher({ dir, intervalMs: 0, onChange: () => undefined })).toThrow(RangeError);
  });
});
