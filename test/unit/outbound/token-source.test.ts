/**
 * The token cache against a hand-driven clock and a scripted fetcher: when it refreshes, what it
 * serves meanwhile, how it backs off, and that concurrent needs share one fetch.
 */
import { describe, expect, it } from 'vitest';
import { SidecarError } from '../../../src/shared/errors.js';
import { createStaticToken, OAuthTokenSource, TokenFetchError, type Clock, type TokenGrant } from '../../../src/outbound/token-source.js';

class FakeClock implements Clock {
  t = 1_000_000;
  timers: Array<{ at: number; fn: () => void; id: number }> = [];
  #id = 0;
  now = () => this.t;
  setTimeout = (fn: () => void, ms: number) => {
    const id = ++this.#id;
    this.timers.push({ at: this.t + ms, fn, id });
    return id;
  };
  clearTimeout = (h: unknown) => {
    this.timers = this.timers.filter((x) => x.id !== h);
  };
  /** The one pending timer's delay from now. */
  nextDelay(): number | undefined {
    const next = [...this.timers].sort((a, b) => a.at - b.at)[0];
    return next === undefined ? undefined : next.at - this.t;
  }
  /** Advance time, firing due timers in order. */
  async advance(ms: number): Promise<void> {
    const end = this.t + ms;
    for (;;) {
      const due = [...this.timers].sort((a, b) => a.at - b.at)[0];
      if (!due || due.at > end) break;
      this.timers = this.timers.filter((x) => x !== due);
      this.t = due.at;
      due.fn();
      await flush();
    }
    this.t = end;
    await flush();
  }
}

const flush = async () => {
  for (let i = 0; i < 10; i++) await Promise.resolve();
};

/** A fetcher whose answers the test releases one by one. */
function scripted() {
  const calls: Array<{ resolve: (g: TokenGrant) => void; reject: (e: Error) => void }> = [];
  return {
    calls,
    fetch: () => new Promise<TokenGrant>((resolve, reject) => calls.push({ resolve, reject })),
    answer(i: number, token: string, expiresInSeconds?: number) {
      calls[i]!.resolve({ accessToken: token, expiresInSeconds });
    },
    fail(i: number, outcome: 'http_error' | 'timeout' = 'http_error') {
      calls[i]!.reject(new TokenFetchError(outcome, 'scripted failure'));
    },
  };
}

function source(clock: FakeClock, f: ReturnType<typeof scripted>, extra: Partial<ConstructorParameters<typeof OAuthTokenSource>[0]> = {}) {
  const outcomes: string[] = [];
  const s = new OAuthTokenSource({
    fetch: f.fetch,
    refreshMs: 60_000,
    marginMs: 30_000,
    retryMs: 10_000,
    maxRetryMs: 300_000,
    clock,
    random: () => 0,
    onOutcome: (o) => outcomes.push(o),
    ...extra,
  });
  return { s, outcomes };
}

describe('OAuthTokenSource', () => {
  it('refreshes at min(refresh interval, expires_in - margin)', async () => {
    const clock = new FakeClock();
    const f = scripted();
    const { s } = source(clock, f);
    s.start();
    f.answer(0, 'A', 300);
    await flush();
    expect(s.current()).toBe('A');
    expect(clock.nextDelay()).toBe(60_000); // min(60 s, 300 - 30 s)

    const clock2 = new FakeClock();
    const f2 = scripted();
    const { s: s2 } = source(clock2, f2);
    s2.start();
    f2.answer(0, 'B', 50);
    await flush();
    expect(clock2.nextDelay()).toBe(25_000); // margin capped at half the lifetime: 50 - 25 s
  });

  it('dates a token\'s lifetime from when its request was sent, not from when the answer arrived', async () => {
    const clock = new FakeClock();
    const f = scripted();
    const { s } = source(clock, f);
    const sentAt = clock.t;
    s.start();
    await clock.advance(5_000); // a slow token endpoint: the answer comes 5 s after the request left
    f.answer(0, 'A', 60);
    await flush();
    expect(s.held()).toEqual({ token: 'A', expiresAt: sentAt + 60_000 });
    await clock.advance(54_999);
    expect(s.current()).toBe('A');
    await clock.advance(1); // the issuer's 60 s are over; the answer's arrival + 60 s would still be 5 s away
    expect(s.current()).toBeUndefined();
  });

  it('treats a token whose lifetime ran out while its answer was on the way as expired', async () => {
    const clock = new FakeClock();
    const f = scripted();
    const { s, outcomes } = source(clock, f);
    s.start();
    await clock.advance(3_000);
    f.answer(0, 'A', 2);
    await flush();
    expect(s.current()).toBeUndefined();
    expect(outcomes).toEqual(['expired_token']);
  });

  it('pulls refreshes earlier by up to 10 % jitter, never later', async () => {
    const clock = new FakeClock();
    const f = scripted();
    const { s } = source(clock, f, { random: () => 0.999 });
    s.start();
    f.answer(0, 'A', 300);
    await flush();
    const d = clock.nextDelay()!;
    expect(d).toBeLessThan(60_000);
    expect(d).toBeGreaterThan(54_000 - 1);
  });

  it('keeps serving the current token while a refresh is in flight and after it fails', async () => {
    const clock = new FakeClock();
    const f = scripted();
    const { s, outcomes } = source(clock, f);
    s.start();
    f.answer(0, 'A', 120);
    await flush();
    await clock.advance(60_000); // refresh starts
    expect(f.calls).toHaveLength(2);
    expect(s.get()).toBe('A'); // no gap while refreshing (SDK defect 1)
    f.fail(1);
    await flush();
    expect(s.current()).toBe('A'); // a failed refresh keeps the valid token (SDK defect 2)
    expect(outcomes).toEqual(['success', 'http_error']);
    expect(clock.nextDelay()).toBe(10_000);
    // The retry (at +10 s) hangs unanswered; the old token still serves until its own expiry at 120 s.
    await clock.advance(59_999);
    expect(s.current()).toBe('A');
    await clock.advance(1);
    expect(s.current()).toBeUndefined();
  });

  it('stops serving a token at its expiry and answers TOKEN_UNAVAILABLE while the endpoint keeps failing', async () => {
    const clock = new FakeClock();
    const f = scripted();
    const { s } = source(clock, f);
    s.start();
    f.answer(0, 'A', 40); // refresh at 40 - 20 = 20 s
    await flush();
    await clock.advance(20_000);
    f.fail(1);
    await flush();
    await clock.advance(10_000); // retry 1
    f.fail(2);
    await flush();
    await clock.advance(10_000); // now past expiry (40 s); next retry is at +20 s
    expect(s.current()).toBeUndefined();
    await expect(Promise.resolve().then(() => s.get())).rejects.toMatchObject({ code: 'TOKEN_UNAVAILABLE', reason: 'token_endpoint_failing' });
    expect(f.calls).toHaveLength(3); // requests did not trigger extra fetches while failing
  });

  it('backs off exponentially up to the maximum, retrying forever', async () => {
    const clock = new FakeClock();
    const f = scripted();
    const { s } = source(clock, f, { maxRetryMs: 50_000 });
    s.start();
    const delays: number[] = [];
    for (let i = 0; i < 6; i++) {
      f.fail(i);
      await flush();
      delays.push(clock.nextDelay()!);
      await clock.advance(delays[i]!);
    }
    expect(delays).toEqual([10_000, 20_000, 40_000, 50_000, 50_000, 50_000]);
    expect(f.calls).toHaveLength(7);
    f.answer(6, 'late', 300);
    await flush();
    expect(s.current()).toBe('late');
  });

  it('shares one fetch among all requests waiting for a first token (single flight)', async () => {
    const clock = new FakeClock();
    const f = scripted();
    const { s } = source(clock, f);
    s.start();
    const waiting = Array.from({ length: 50 }, () => s.get());
    expect(f.calls).toHaveLength(1);
    f.answer(0, 'A', 300);
    await expect(Promise.all(waiting)).resolves.toEqual(Array(50).fill('A'));
  });

  it('fails the waiters of a failed first fetch, then recovers on the retry without a restart', async () => {
    const clock = new FakeClock();
    const f = scripted();
    const { s } = source(clock, f);
    s.start();
    const w = Promise.resolve(s.get());
    f.fail(0, 'timeout');
    await expect(w).rejects.toBeInstanceOf(SidecarError);
    await clock.advance(10_000);
    f.answer(1, 'A', 300);
    await flush();
    expect(s.get()).toBe('A');
  });

  it('fetches on demand when a healthy token simply expired', async () => {
    const clock = new FakeClock();
    const f = scripted();
    const { s } = source(clock, f, { refreshMs: 3_600_000, marginMs: 0 });
    s.start();
    f.answer(0, 'A', 10);
    await flush();
    clock.timers = []; // as if the refresh timer were late
    await clock.advance(10_001);
    const w = s.get();
    expect(w).toBeInstanceOf(Promise);
    expect(f.calls).toHaveLength(2);
    f.answer(1, 'B', 10);
    await expect(w).resolves.toBe('B');
  });

  it('handles the WSO2 quirk: the same token inside the margin schedules the next fetch at its expiry', async () => {
    const clock = new FakeClock();
    const f = scripted();
    const { s } = source(clock, f);
    s.start();
    f.answer(0, 'W', 40);
    await flush();
    expect(clock.nextDelay()).toBe(20_000);
    await clock.advance(20_000);
    f.answer(1, 'W', 20); // same token, shrinking lifetime, inside the 30 s margin
    await flush();
    expect(clock.nextDelay()).toBe(20_000); // not 10 s, 5 s, 2.5 s...: once, at expiry
    expect(s.current()).toBe('W');
    await clock.advance(20_000);
    expect(f.calls).toHaveLength(3);
    f.answer(2, 'W2', 40);
    await flush();
    expect(s.current()).toBe('W2');
  });

  it('retries after a second when the gateway hands back the just-expired token', async () => {
    const clock = new FakeClock();
    const f = scripted();
    const { s, outcomes } = source(clock, f);
    s.start();
    f.answer(0, 'W', 0);
    await flush();
    expect(outcomes).toEqual(['expired_token']);
    expect(s.current()).toBeUndefined();
    expect(clock.nextDelay()).toBe(1_000);
  });

  it('treats a missing expires_in as no expiry but still refreshes on the interval', async () => {
    const clock = new FakeClock();
    const f = scripted();
    const { s } = source(clock, f);
    s.start();
    f.answer(0, 'A');
    await flush();
    expect(clock.nextDelay()).toBe(60_000);
    await clock.advance(10 * 86_400_000);
    expect(s.current()).toBe('A');
  });

  it('after a 401: one shared refresh for all rejected requests, and a new token only if it differs', async () => {
    const clock = new FakeClock();
    const f = scripted();
    const { s } = source(clock, f);
    s.start();
    f.answer(0, 'A', 300);
    await flush();
    const retries = Array.from({ length: 20 }, () => s.refreshAfterRejection('A'));
    expect(f.calls).toHaveLength(2); // one refresh, not twenty (SDK defect 5)
    f.answer(1, 'B', 300);
    await expect(Promise.all(retries)).resolves.toEqual(Array(20).fill('B'));
    // A late 401 for the old token gets the already-refreshed one without another fetch.
    await expect(s.refreshAfterRejection('A')).resolves.toBe('B');
    expect(f.calls).toHaveLength(2);
    // The endpoint handing back the rejected token again: nothing better, relay the 401.
    const again = s.refreshAfterRejection('B');
    f.answer(2, 'B', 300);
    await expect(again).resolves.toEqual({ refused: 'no_new_token' });
  });

  it('starts at most one fetch per rejectionRefreshMinMs when the hub keeps refusing fresh tokens', async () => {
    const clock = new FakeClock();
    const f = scripted();
    const { s } = source(clock, f, { rejectionRefreshMinMs: 10_000 });
    s.start();
    f.answer(0, 'A', 300);
    await flush();
    const first = s.refreshAfterRejection('A');
    f.answer(1, 'B', 300);
    await expect(first).resolves.toBe('B');
    // The hub refuses B too, batch after batch: no fetch inside the interval, the 401 is relayed.
    for (let i = 0; i < 50; i++) await expect(s.refreshAfterRejection('B')).resolves.toEqual({ refused: 'refresh_throttled' });
    expect(f.calls).toHaveLength(2);
    await clock.advance(10_000);
    const later = s.refreshAfterRejection('B');
    expect(f.calls).toHaveLength(3); // one more once the interval has passed
    f.answer(2, 'C', 300);
    await expect(later).resolves.toBe('C');
  });

  it('after failures, lets a request start one probe fetch once the last attempt is older than probeAfterMs', async () => {
    const clock = new FakeClock();
    const f = scripted();
    const { s } = source(clock, f, { retryMs: 60_000, maxRetryMs: 300_000, probeAfterMs: 2_000 });
    s.start();
    f.fail(0); // first fetch fails: the backoff timer would retry only after 60 s
    await flush();
    expect(clock.nextDelay()).toBe(60_000);
    // Within the probe interval: refused at once, no fetch.
    await expect(Promise.resolve().then(() => s.get())).rejects.toMatchObject({ code: 'TOKEN_UNAVAILABLE', reason: 'token_endpoint_failing' });
    expect(f.calls).toHaveLength(1);
    await clock.advance(2_000);
    // The endpoint is back: the next requests share one probe and get the token in seconds, not after the backoff.
    const waiting = Array.from({ length: 5 }, () => Promise.resolve(s.get()));
    expect(f.calls).toHaveLength(2);
    f.answer(1, 'A', 300);
    await expect(Promise.all(waiting)).resolves.toEqual(Array(5).fill('A'));
  });

  it('a failed probe counts as the last attempt: the next one waits for the probe interval again', async () => {
    const clock = new FakeClock();
    const f = scripted();
    const { s } = source(clock, f, { retryMs: 60_000, probeAfterMs: 2_000 });
    s.start();
    f.fail(0);
    await flush();
    await clock.advance(2_000);
    const probe = Promise.resolve().then(() => s.get());
    await flush();
    f.fail(1);
    await expect(probe).rejects.toMatchObject({ code: 'TOKEN_UNAVAILABLE' });
    await expect(Promise.resolve().then(() => s.get())).rejects.toMatchObject({ reason: 'token_endpoint_failing' });
    expect(f.calls).toHaveLength(2);
  });

  it('serves a seed token from its predecessor until its own first fetch lands', async () => {
    const clock = new FakeClock();
    const f = scripted();
    const { s } = source(clock, f, { seed: { token: 'OLD', expiresAt: clock.t + 100_000 } });
    s.start();
    expect(s.get()).toBe('OLD');
    f.answer(0, 'NEW', 300);
    await flush();
    expect(s.get()).toBe('NEW');
    const expiredSeed = source(new FakeClock(), scripted(), { seed: { token: 'OLD', expiresAt: 0 } }).s;
    expect(expiredSeed.current()).toBeUndefined();
  });

  it('stops scheduling once stopped', async () => {
    const clock = new FakeClock();
    const f = scripted();
    const { s } = source(clock, f);
    s.start();
    f.answer(0, 'A', 300);
    await flush();
    s.stop();
    expect(clock.timers).toHaveLength(0);
    await clock.advance(3_600_000);
    expect(f.calls).toHaveLength(1);
  });
});

describe('createStaticToken', () => {
  it('is never overwritten, not even by a 401', async () => {
    const s = createStaticToken('static-1');
    await expect(s.refreshAfterRejection('static-1')).resolves.toEqual({ refused: 'no_new_token' });
    expect(s.get()).toBe('static-1');
    expect(s.held()).toEqual({ token: 'static-1', expiresAt: Infinity });
  });
});
