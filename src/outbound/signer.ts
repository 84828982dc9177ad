/**
 * Where signatures are made. RSA-2048 signing is the outbound path's bottleneck (about 460 µs of
 * a ~575 µs request budget), so it can run on the event loop (`outbound.workers: 0`) or on a pool of
 * worker threads (sign-pool.ts). Both go through the JWS engine's signRequest; the result is the
 * same bytes and headers either way.
 */
// The engine's modules directly, not its index: a worker thread then loads only the signing path.
import { signRequest } from '../crypto/jws/sign.js';
import type { SigningKey } from '../crypto/jws/signing-key.js';
import { SidecarError } from '../shared/errors.js';

export interface SignJob {
  readonly method: string;
  /** The core's path (the engine derives the service-relative FSPIOP-URI from it). */
  readonly path: string;
  /** The core's headers, lower-case names, single values. */
  readonly headers: Record<string, string | undefined>;
  readonly body: Buffer | undefined;
  readonly source: string;
  readonly key: SigningKey;
  readonly signPutParties: boolean;
}

export interface SignOutput {
  readonly signed: boolean;
  /** The exact bytes to send (the canonical body when signed). */
  readonly body: Buffer | undefined;
  /** date, fspiop-* (and fspiop-signature when signed), lower-case. */
  readonly headers: Record<string, string>;
  /** Time spent in signRequest, nanoseconds. */
  readonly ns: number;
}

export interface Signer {
  readonly mode: 'event_loop' | 'worker';
  /** Number of worker threads (0 on the event loop). */
  readonly threads: number;
  sign(job: SignJob): SignOutput | Promise<SignOutput>;
  /** Workers up (always true on the event loop). */
  healthy(): boolean;
  /** Drop keys no longer referenced (after a reload retired the last generation using them). */
  retainKeys(fingerprints: ReadonlySet<string>): void;
  close(): Promise<void>;
}

/** Run the engine; its SidecarErrors (UNSIGNABLE_BODY, ...) pass through, anything else is SIGNING_FAILED. */
export function signNow(job: SignJob): SignOutput {
  const t0 = process.hrtime.bigint();
  let out;
  try {
    out = signRequest(
      { method: job.method, path: job.path, headers: job.headers, body: job.body, source: job.source, key: job.key },
      { signPutParties: job.signPutParties },
    );
  } catch (err) {
    if (err instanceof SidecarError) throw err;
    throw new SidecarError('SIGNING_FAILED', 'sign_error', err instanceof Error ? err.message : String(err), { cause: err });
  }
  return { signed: out.signed, body: out.body, headers: out.headers, ns: Number(process.hrtime.bigint() - t0) };
}

export function createInlineSigner(): Signer {
  return {
    mode: 'event_loop',
    threads: 0,
    sign: signNow,
    healthy: () => true,
    retainKeys: () => {},
    close: async () => {},
  };
}
