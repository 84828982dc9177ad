/**
 * verify-jws: the FSPIOP signature, checked by the JWS engine over the exact received bytes with
 * the peer keys and policy of this request's snapshot (reference §4.4: exemptions, key by exact
 * FSPIOP-Source with rotation overlap, alg allowlist, header cross-checks, raw → sorted →
 * insertion-order payload). A failure stops the pipeline before forward-to-core: nothing that
 * failed verification is ever sent to the core.
 *
 * /ping under the engine's `record` policy is let through with the failure noted (the core answers
 * PUT /ping/{id}/error with 3100, as the SDK does): the core sees
 * `x-dfsp-sidecar-jws: exempt:ping; failure=<reason>` and no body (its bytes were not verified).
 *
 * The path verified is the canonical one without inbound.basePath (parse-target), and the bytes the
 * core receives are the ones that verified (bytesForCore).
 *
 * Verifications run in batches, once per event-loop turn (setImmediate: after the loop has read
 * every socket that was ready). Interleaved with TLS, HTTP and undici work, each RSA verification
 * found OpenSSL's code and data evicted from the CPU caches and cost 2.5× its tight-loop time
 * (78 against 31 µs per request in bench/inbound.mjs); back to back they stay warm, and the
 * sidecar's CPU per request dropped by about 30 µs. The price is that a request waits for the end
 * of the current loop turn, microseconds.
 */
import { verifyRequest, type VerifyResult } from '../../crypto/jws/index.js';
import { SidecarError } from '../../shared/errors.js';
import type { Stage } from '../../shared/pipeline.js';
import { need, type InboundExchange, type JwsVerdict } from '../exchange.js';

export const VERIFY_STAGE = 'verify-jws';

/** Pure: the engine's result as the exchange's verdict, or the catalogued error to answer with. */
export function verdictOf(r: VerifyResult): JwsVerdict {
  if (!r.ok) throw new SidecarError(r.code, r.reason, r.detail);
  if (r.verified) return r.requestLineMismatch ? { outcome: 'verified', source: r.source, matched: r.matched, requestLineMismatch: true } : { outcome: 'verified', source: r.source, matched: r.matched };
  return r.failure ? { outcome: 'exempt', reason: r.exemption, failure: r.failure.reason } : { outcome: 'exempt', reason: r.exemption };
}

/**
 * Pure: the bytes the core may be given. A re-serialisation match forwards the re-serialised bytes
 * (the received ones differ from what was signed: a duplicate key, a rounded number, an invalid
 * UTF-8 byte); a verification failure let through by the ping policy forwards no body at all.
 */
export function bytesForCore(r: VerifyResult, received: Buffer): Buffer {
  if (!r.ok) return EMPTY;
  if (r.verified) return r.bytes ?? received;
  return r.failure === undefined ? received : EMPTY;
}

const EMPTY = Buffer.alloc(0);

interface Pending {
  readonly ex: InboundExchange;
  readonly body: Buffer;
  readonly resolve: () => void;
  readonly reject: (err: unknown) => void;
}

function verifyOne(p: Pending): void {
  try {
    const { keys, policy } = p.ex.rt.jws;
    const path = need(p.ex.path, 'path', VERIFY_STAGE);
    const result = verifyRequest({ method: p.ex.method, path, headers: p.ex.req.headers, body: p.body }, keys, policy);
    p.ex.jws = verdictOf(result);
    p.ex.forwardBody = bytesForCore(result, p.body);
    if (result.ok && result.verified && result.requestLineMismatch) p.ex.log.warn({ reason: 'request_mismatch', detail: result.requestLineMismatch.detail }, 'request line differs from the signed one; forwarded (jws.requestLine: record)');
    p.resolve();
  } catch (err) {
    p.reject(err);
  }
}

export function createVerifyJws(): Stage<InboundExchange> {
  let pending: Pending[] = [];
  let scheduled = false;
  const flush = () => {
    scheduled = false;
    const batch = pending;
    pending = [];
    for (const p of batch) verifyOne(p);
  };
  return {
    name: VERIFY_STAGE,
    run(ex) {
      const body = need(ex.body, 'body', VERIFY_STAGE);
      return new Promise<void>((resolve, reject) => {
        pending.push({ ex, body, resolve, reject });
        if (!scheduled) {
          scheduled = true;
          setImmediate(flush);
        }
      });
    },
  };
}
