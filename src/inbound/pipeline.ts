/**
 * The inbound request pipeline, in order. This is the only place the order lives.
 *
 *   parse-target     the one canonical target (no dot segments, encoded     → 400/3101
 *                    slashes, backslashes, ...); inbound.basePath stripped;
 *                    the resource is the first segment
 *   check-headers    header count; no body on unsigned methods; no method    → 431/3103, 400/3101
 *                    override, Connection naming an end-to-end header, or
 *                    Content-Encoding
 *   read-body        bounded, exact bytes, within requestTimeoutMs           → 413/3104, 400/3101, 408/3000
 *   verify-jws       FSPIOP signature over those bytes and bound to this     → 400/3105, 400/3102, 400/3101
 *                    request line (or a policy exemption); batched once per
 *                    event-loop turn; picks the bytes the core may receive
 *   forward-to-core  undici pool → core: the verified bytes, the sidecar's   → 502/1001, 504/2004
 *                    own headers first; the core's answer streamed back
 *
 * Before any of this, once per connection (connection.ts): source allowlist (and PROXY header)
 * before TLS, then client certificate and peer identity. A stage stops the request by throwing a
 * SidecarError; runPipeline answers with the catalogue's FSPIOP body.
 */
import type { Stage } from '../shared/pipeline.js';
import type { CorePools } from './core-pool.js';
import type { InboundExchange } from './exchange.js';
import { checkHeaders } from './stages/check-headers.js';
import { createForwardToCore } from './stages/forward-to-core.js';
import { parseTarget } from './stages/parse-target.js';
import { readRequestBody } from './stages/read-body.js';
import { createVerifyJws } from './stages/verify-jws.js';

export { VERIFY_STAGE } from './stages/verify-jws.js';

export function createInboundPipeline(deps: { pools: CorePools }): ReadonlyArray<Stage<InboundExchange>> {
  return [parseTarget, checkHeaders, readRequestBody, createVerifyJws(), createForwardToCore(deps.pools)];
}
