/**
 * verify-jws: the FSPIOP signature, checked by the JWS engine over the exact received bytes with
 * the peer keys and policy of this request's snapshot (reference §4.4: exemptions, key by exact
 * FSPIOP-Source with rotation overlap, alg allowlist, header cross-checks, raw → sorted →
 * insertion-order payload). A failure stops the pipeline before forward-to-core: nothing that
 * failed verification is ever sent to the core.
 *
 * /ping under the engine's `record` policy is let through with the failure noted (the core answers
 * PUT /ping/{id}/error with 3100, as the SDK does): the core sees
 * `x-dfsp-sidecar-jws: exempt:ping; failure=<reason>`.
 */
import { verifyRequest, type VerifyResult } from '../../crypto/jws/index.js';
import { SidecarError } from '../../shared/errors.js';
import type { Stage } from '../../shared/pipeline.js';
import { need, type InboundExchange, type JwsVerdict } from '../exchange.js';

export const VERIFY_STAGE = 'verify-jws';

/** Pure: the engine's result as the exchange's verdict, or the catalogued error to answer with. */
export function verdictOf(r: VerifyResult): JwsVerdict {
  if (!r.ok) throw new SidecarError(r.code, r.reason, r.detail);
  if (r.verified) return { outcome: 'verified', source: r.source, matched: r.matched };
  return r.failure ? { outcome: 'exempt', reason: r.exemption, failure: r.failure.reason } : { outcome: 'exempt', reason: r.exemption };
}

export const verifyJws: Stage<InboundExchange> = {
  name: VERIFY_STAGE,
  run(ex) {
    const body = need(ex.body, 'body', VERIFY_STAGE);
    const { keys, policy } = ex.rt.jws;
    ex.jws = verdictOf(verifyRequest({ method: ex.method, path: ex.target, headers: ex.req.headers, body }, keys, policy));
  },
};
