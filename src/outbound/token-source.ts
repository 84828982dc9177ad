/**
 * The hub bearer token: a long-lived cache in front of an OAuth2 client-credentials fetcher, or a
 * static token. It exists because the SDK's client gets this wrong in five ways (fspiop-jws.md §7):
 * it sends requests with no token while refreshing, drops a valid token when a refresh fails,
 * refreshes exactly at expiry, exits the process on a token error, and lets N concurrent 401s start
 * N refreshes. Here:
 *
 * - the current token is served until it expires, whatever happens to refreshes meanwhile; its
 *   lifetime counts from when the token request was sent, so we never outlive the issuer's expiry;
 * - refresh runs at min(refresh interval, expires_in - margin), jittered earlier so a fleet of
 *   sidecars does not stampede the gateway; the margin never exceeds half the lifetime;
 * - one fetch at a time (single flight): every request that needs a token while one is being
 *   fetched waits for that fetch, bounded by the fetch timeout;
 * - failures back off exponentially (with jitter) and retry forever; while failing, requests with
 *   no valid token are answered at once (TOKEN_UNAVAILABLE) instead of hammering the endpoint,
 *   except that a request may start one immediate probe fetch (which every request meanwhile
 *   shares) when the last attempt is older than `probeAfterMs`: recovery after an outage takes
 *   seconds, not the backoff (up to maxRetrySeconds), and the endpoint sees at most one call per
 *   probe interval from traffic;
 * - hub 401s start at most one fetch per `rejectionRefreshMinMs`: a hub that refuses every token
 *   (wrong roles, clock skew) would otherwise make each resend batch fetch again, a storm against
 *   the token endpoint; inside the interval the 401 is relayed (`refresh_throttled`);
 * - WSO2 returns the same token until it expires, with a shrinking expires_in (wso2/api-manager#773):
 *   when the same token comes back inside the margin, the next fetch is scheduled at its expiry
 *   instead of re-asking every few seconds; a fetch that gets the just-expired token back (the
 *   gateway has not rolled over yet) retries after one second;
 * - a static token is never overwritten (SDK defect: a 401 retry wiped it).
 *
 * A class, because it is long-lived state with timers. The clock and randomness are injected so
 * unit tests drive time by hand.
 */
import { SidecarError } from '../shared/errors.js';
import type { TokenRefreshOutcome } from './metrics.js';

export interface TokenGrant {
  readonly accessToken: string;
  /** Lifetime from the token response; undefined when the endpoint gave none (treated as no expiry, like the SDK). */
  readonly expiresInSeconds: number | undefined;
}

export type FetchFailure = Exclude<TokenRefreshOutcome, 'success' | 'expired_token'>;

/** What a fetcher throws: an outcome token for metrics and a detail for the log (never the token or the secret). */
export class TokenFetchError extends Error {
  override readonly name = 'TokenFetchError';
  constructor(
    readonly outcome: FetchFailure,
    detail: string,
  ) {
    super(detail);
  }
}

export interface Clock {
  now(): number;
  setTimeout(fn: () => void, ms: number): unknown;
  clearTimeout(handle: unknown): void;
}

export const systemClock: Clock = {
  now: () => Date.now(),
  setTimeout: (fn, ms) => {
    const t = setTimeout(fn, ms);
    // A pending refresh must never keep the process alive on its own.
    t.unref();
    return t;
  },
  clearTimeout: (h) => clearTimeout(h as NodeJS.Timeout),
};

/** Why no different token is offered after a 401 (a metric label). */
export interface RejectionRefused {
  readonly refused: 'no_new_token' | 'refresh_throttled';
}

const NO_NEW_TOKEN: RejectionRefused = { refused: 'no_new_token' };
const THROTTLED: RejectionRefused = { refused: 'refresh_throttled' };

/** What the gateway needs from any token provider. */
export interface TokenProvider {
  readonly kind: 'static' | 'oauth';
  /** A valid token now, or undefined. Never blocks. */
  current(): string | undefined;
  /** A valid token, waiting for an in-flight fetch if none is held; throws TOKEN_UNAVAILABLE. */
  get(): string | Promise<string>;
  /**
   * The hub answered 401 to `rejected`: a different valid token if one is (or becomes) available
   * through one shared refresh, else why not (the 401 is then relayed to the core).
   */
  refreshAfterRejection(rejected: string): Promise<string | RejectionRefused>;
  /** The held token and its expiry (ms epoch, Infinity for none), to seed a successor on reload. */
  held(): { token: string; expiresAt: number } | undefined;
  start(): void;
  stop(): void;
}

export function createStaticToken(token: string): TokenProvider {
  return {
    kind: 'static',
    current: () => token,
    get: () => token,
    refreshAfterRejection: async () => NO_NEW_TOKEN,
    held: () => ({ token, expiresAt: Infinity }),
    start: () => {},
    stop: () => {},
  };
}

export interface OAuthTokenSourceOptions {
  fetch: () => Promise<TokenGrant>;
  refreshMs: number;
  marginMs: number;
  retryMs: number;
  maxRetryMs: number;
  clock?: Clock;
  /** [0, 1); Math.random by default. */
  random?: () => number;
  /** At most one fetch started by hub 401s per this many ms (0: no limit beyond single flight). */
  rejectionRefreshMinMs?: number;
  /** While failing, a request may start one immediate fetch when the last attempt is older than this (undefined: never). */
  probeAfterMs?: number;
  /** A still-valid token from the predecessor (reload with new credentials): served until the first fetch lands. */
  seed?: { token: string; expiresAt: number } | undefined;
  /** Every fetch outcome, with the expiry now held (ms epoch; undefined for none). */
  onOutcome?: (outcome: TokenRefreshOutcome, expiresAt: number | undefined, detail?: string, retryInMs?: number) => void;
}

/** Refreshes are pulled earlier by up to this fraction of the delay. */
const REFRESH_JITTER = 0.1;
/** Retry delays are spread by up to this fraction. */
const RETRY_JITTER = 0.2;
/** Never refresh more often than this, whatever lifetime the endpoint claims. */
const MIN_REFRESH_MS = 250;
/** After getting a just-expired token back (gateway not rolled over yet), ask again this soon. */
const ROLLOVER_RETRY_MS = 1_000;
/** setTimeout's ceiling (about 24.8 days). */
const MAX_TIMER_MS = 2 ** 31 - 1;

export class OAuthTokenSource implements TokenProvider {
  readonly kind = 'oauth' as const;
  readonly #opts: OAuthTokenSourceOptions;
  readonly #clock: Clock;
  readonly #random: () => number;
  #token: string | undefined;
  #expiresAt = 0;
  #inflight: Promise<void> | undefined;
  #failures = 0;
  /** When the last fetch was started (ms, clock time); -Infinity before the first. */
  #lastAttemptAt = -Infinity;
  /** When the last fetch started by a hub 401 was started. */
  #lastRejectionFetchAt = -Infinity;
  #timer: unknown;
  #stopped = false;

  constructor(opts: OAuthTokenSourceOptions) {
    this.#opts = opts;
    this.#clock = opts.clock ?? systemClock;
    this.#random = opts.random ?? Math.random;
    if (opts.seed && opts.seed.expiresAt > this.#clock.now()) {
      this.#token = opts.seed.token;
      this.#expiresAt = opts.seed.expiresAt;
    }
  }

  start(): void {
    if (this.#stopped) return;
    void this.#refresh();
  }

  stop(): void {
    this.#stopped = true;
    if (this.#timer !== undefined) this.#clock.clearTimeout(this.#timer);
    this.#timer = undefined;
  }

  current(): string | undefined {
    return this.#token !== undefined && this.#clock.now() < this.#expiresAt ? this.#token : undefined;
  }

  held(): { token: string; expiresAt: number } | undefined {
    const token = this.current();
    return token === undefined ? undefined : { token, expiresAt: this.#expiresAt };
  }

  /** Consecutive failed fetches (0 when the last one succeeded). */
  get failures(): number {
    return this.#failures;
  }

  get(): string | Promise<string> {
    const token = this.current();
    if (token !== undefined) return token;
    return this.#waitForToken();
  }

  async #waitForToken(): Promise<string> {
    if (!this.#inflight) {
      if (this.#stopped) throw new SidecarError('TOKEN_UNAVAILABLE', 'token_source_stopped');
      // While failing, a burst of requests must not become a burst of token calls against an
      // endpoint already in trouble: the backoff timer retries, and a request may start one probe
      // once the last attempt is older than the probe interval (all requests meanwhile share it).
      if (this.#failures > 0 && !this.#probeDue()) {
        throw new SidecarError('TOKEN_UNAVAILABLE', 'token_endpoint_failing', `${this.#failures} consecutive token fetches failed and no valid token is held`);
      }
      void this.#refresh();
    }
    await this.#inflight;
    const token = this.current();
    if (token !== undefined) return token;
    throw new SidecarError('TOKEN_UNAVAILABLE', 'token_fetch_failed', 'the token fetch this request waited for did not yield a valid token');
  }

  async refreshAfterRejection(rejected: string): Promise<string | RejectionRefused> {
    const now = this.current();
    if (now !== undefined && now !== rejected) return now;
    if (!this.#inflight) {
      if (this.#failures > 0 || this.#stopped) return NO_NEW_TOKEN;
      if (this.#clock.now() - this.#lastRejectionFetchAt < (this.#opts.rejectionRefreshMinMs ?? 0)) return THROTTLED;
      this.#lastRejectionFetchAt = this.#clock.now();
      void this.#refresh();
    }
    await this.#inflight;
    const next = this.current();
    return next !== undefined && next !== rejected ? next : NO_NEW_TOKEN;
  }

  #probeDue(): boolean {
    const after = this.#opts.probeAfterMs;
    return after !== undefined && this.#clock.now() - this.#lastAttemptAt >= after;
  }

  /** Start a fetch unless one is running; resolves when it settles (never rejects). */
  #refresh(): Promise<void> {
    if (this.#inflight) return this.#inflight;
    if (this.#timer !== undefined) this.#clock.clearTimeout(this.#timer);
    this.#timer = undefined;
    const run = this.#fetchOnce().finally(() => {
      if (this.#inflight === run) this.#inflight = undefined;
    });
    this.#inflight = run;
    return run;
  }

  async #fetchOnce(): Promise<void> {
    const previous = this.#token;
    // expires_in counts from when the issuer made the token, somewhere between our request leaving
    // and its answer arriving: dating it from the answer would trust the token one round trip (and
    // any event-loop delay) longer than its issuer meant. From the send, we never overstay it.
    const sentAt = this.#clock.now();
    this.#lastAttemptAt = sentAt;
    let delay: number;
    try {
      const grant = await this.#opts.fetch();
      const now = this.#clock.now();
      const expiresAt = grant.expiresInSeconds === undefined ? Infinity : sentAt + grant.expiresInSeconds * 1000;
      const lifetime = expiresAt - now;
      if (!(lifetime > 0)) {
        this.#failures++;
        delay = this.#failures === 1 ? ROLLOVER_RETRY_MS : this.#backoff();
        this.#opts.onOutcome?.('expired_token', this.#heldExpiry(), 'the token endpoint returned a token with no remaining lifetime', delay);
      } else {
        this.#token = grant.accessToken;
        this.#expiresAt = expiresAt;
        this.#failures = 0;
        delay = this.#nextRefresh(lifetime, grant.accessToken === previous);
        this.#opts.onOutcome?.('success', this.#expiresAt, undefined, delay);
      }
    } catch (err) {
      this.#failures++;
      delay = this.#backoff();
      const outcome: FetchFailure = err instanceof TokenFetchError ? err.outcome : 'network_error';
      this.#opts.onOutcome?.(outcome, this.#heldExpiry(), err instanceof Error ? err.message : String(err), delay);
    }
    if (!this.#stopped) this.#timer = this.#clock.setTimeout(() => void this.#refresh(), Math.min(delay, MAX_TIMER_MS));
  }

  #heldExpiry(): number | undefined {
    return this.current() === undefined ? undefined : this.#expiresAt;
  }

  #nextRefresh(lifetime: number, sameToken: boolean): number {
    // WSO2: the same token again, inside the margin. Asking earlier cannot get a new one; ask once it has expired.
    if (sameToken && lifetime <= this.#opts.marginMs) return lifetime;
    const lead = Math.min(this.#opts.marginMs, lifetime / 2);
    const base = Math.min(this.#opts.refreshMs, lifetime - lead);
    return Math.max(MIN_REFRESH_MS, base * (1 - REFRESH_JITTER * this.#random()));
  }

  #backoff(): number {
    const exp = this.#opts.retryMs * 2 ** Math.min(this.#failures - 1, 30);
    return Math.min(exp, this.#opts.maxRetryMs) * (1 - RETRY_JITTER * this.#random());
  }
}
