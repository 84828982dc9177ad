/**
 * headers: FSPIOP header conformance (fspiop-headers.ts) before any body is read or anything
 * signed: a request the hub would misroute or refuse is refused here, naming the header; a missing
 * Accept / Content-Type is added for the resource; the core's Date is checked and normalised.
 */
import type { Stage } from '../../shared/pipeline.js';
import { need, type OutboundExchange } from '../exchange.js';
import { conformHeaders } from '../fspiop-headers.js';

export const headersStage: Stage<OutboundExchange> = {
  name: 'headers',
  run(x) {
    x.conformed = conformHeaders(x.req.headers, x.method, need(x.target, 'target').resource, x.gen.runtime.fspiopHeaders, Date.now());
  },
};
