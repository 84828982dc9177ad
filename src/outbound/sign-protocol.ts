/** Messages between the signing pool and its worker threads (structured-clone friendly). */
import type { SigningKey } from '../crypto/jws/signing-key.js';
import type { ErrorCode } from '../shared/errors.js';

export type ToWorker =
  /** Sent once per worker before the first job that uses the key. */
  | { readonly t: 'key'; readonly key: SigningKey }
  /** Forget every key not listed (sent after a reload retired the last user of the others). */
  | { readonly t: 'retain'; readonly fingerprints: readonly string[] }
  | {
      readonly t: 'sign';
      readonly id: number;
      readonly method: string;
      readonly path: string;
      readonly headers: Record<string, string | undefined>;
      /** Transferred, exactly the body's bytes. */
      readonly body: ArrayBuffer | undefined;
      readonly source: string;
      readonly fingerprint: string;
      readonly signPutParties: boolean;
    };

export type FromWorker =
  | {
      readonly t: 'result';
      readonly id: number;
      readonly ok: true;
      readonly signed: boolean;
      readonly headers: Record<string, string>;
      readonly body: ArrayBuffer | undefined;
      readonly ns: number;
    }
  | { readonly t: 'result'; readonly id: number; readonly ok: false; readonly code: ErrorCode; readonly reason: string; readonly detail: string | undefined };
