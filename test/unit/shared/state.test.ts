import { describe, expect, it } from 'vitest';
import { createSnapshotStore } from '../../../src/shared/state.js';

describe('createSnapshotStore', () => {
  it('swaps to a successfully built snapshot and notifies listeners with next and previous', async () => {
    const store = createSnapshotStore({ v: 1 });
    const seen: Array<[number, number]> = [];
    store.onSwap((next, prev) => seen.push([next.v, prev.v]));
    const out = await store.reload(async (prev) => ({ v: prev.v + 1 }));
    expect(out).toEqual({ ok: true, snapshot: { v: 2 }, changed: true });
    expect(store.current()).toEqual({ v: 2 });
    expect(seen).toEqual([[2, 1]]);
  });

  it('keeps the old snapshot when the build fails, and reports the error', async () => {
    const initial = { v: 1 };
    const store = createSnapshotStore(initial);
    const out = await store.reload(async () => {
      throw new Error('broken cert');
    });
    expect(out.ok).toBe(false);
    if (!out.ok) expect(out.error.message).toBe('broken cert');
    expect(store.current()).toBe(initial);
  });

  it('serialises concurrent reloads so each build sees the previous result', async () => {
    const store = createSnapshotStore({ v: 0 });
    const slow = (ms: number) => new Promise((r) => setTimeout(r, ms));
    await Promise.all([
      store.reload(async (p) => (await slow(20), { v: p.v + 1 })),
      store.reload(async (p) => ({ v: p.v + 10 })),
      store.reload(async () => {
        throw new Error('x');
      }),
      store.reload(async (p) => ({ v: p.v + 100 })),
    ]);
    expect(store.current().v).toBe(111);
  });

  it('reports unchanged when the builder returns the same snapshot', async () => {
    const store = createSnapshotStore({ v: 1 });
    let calls = 0;
    store.onSwap(() => calls++);
    const out = await store.reload(async (p) => p);
    expect(out).toMatchObject({ ok: true, changed: false });
    expect(calls).toBe(0);
  });
});
