/**
 * identity: which of our FSP identities the core is sending as. A core may act for several
 * (jws.identities, each with its own key), but never for anyone else: an FSPIOP-Source outside the
 * configured set is refused rather than signed with our key. No header means our own dfspId.
 */
import type { IncomingHttpHeaders } from 'node:http';
import { SidecarError } from '../../shared/errors.js';
import type { Stage } from '../../shared/pipeline.js';
import type { Identity } from '../compile.js';
import type { OutboundExchange } from '../exchange.js';

/** Pure: the identity for a request's FSPIOP-Source header (exact, case-sensitive: it is the peers' key-lookup id). */
export function chooseIdentity(headers: IncomingHttpHeaders, identities: ReadonlyMap<string, Identity>, dfspId: string): Identity {
  const raw = headers['fspiop-source'];
  if (Array.isArray(raw)) throw new SidecarError('UNKNOWN_IDENTITY', 'ambiguous_source', `${raw.length} FSPIOP-Source headers`);
  const wanted = raw === undefined || raw === '' ? dfspId : raw;
  const identity = identities.get(wanted);
  if (!identity) throw new SidecarError('UNKNOWN_IDENTITY', 'unknown_source', `FSPIOP-Source '${wanted.slice(0, 64)}' is not dfspId or one of jws.identities`);
  return identity;
}

export const identityStage: Stage<OutboundExchange> = {
  name: 'identity',
  run(x) {
    x.identity = chooseIdentity(x.req.headers, x.gen.runtime.identities, x.gen.runtime.dfspId);
  },
};
