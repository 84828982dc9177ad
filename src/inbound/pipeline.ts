/**
 * The inbound request pipeline, in order. This is the only place the order lives.
 *
 *   parse-target     origin-form target only; which FSPIOP resource         → 400/3101
 *   read-body        bounded, exact bytes, within requestTimeoutMs           → 413/3104, 400/3101, 408/3000
 *   verify-jws       FSPIOP signature over those bytes (or a policy exemption), → 400/3105, 400/3102, 400/3101
 *                    batched once per event-loop turn
 *   forward-to-core  undici pool → core; the core's answer streamed back     → 502/1001, 504/2004
 *
 * Before any of this, once per connection (connection.ts): source allowlist (and PROXY header)
 * before TLS, then client certificate and peer identity. A stage stops the request by throwing a
 * SidecarError; runPipeline answers with the catalogue's FSPIOP body.
 */
import type { Stage } from '../shared/pipeline.js';
import type { CorePools } from './core-pool.js';
import type { InboundExchange } from './exchange.js';
import { createForwardToCore } from './stages/forward-to-core.js';
import { parseTarget } from './stages/parse-target.js';
import { readRequestBody } from './stages/read-body.js';
import { createVerifyJws } from './stages/verify-jws.js';

export { VERIFY_STAGE } from './stages/verify-jws.js';

export function createInboundPipeline(deps: { pools: CorePools }): ReadonlyArray<Stage<InboundExchange>> {
  return [parseTarget, readRequestBody, createVerifyJws(), createForwardToCore(deps.pools)];
}
