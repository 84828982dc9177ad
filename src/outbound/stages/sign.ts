/**
 * sign: the JWS engine makes the canonical body (compact, keys sorted: what every Mojaloop
 * validator re-derives) and the FSPIOP headers, and signs them with the identity's key, on the
 * event loop or on a worker thread. The request for the hub is fixed here.
 *
 * Invariant: nothing after this stage changes the body bytes or a signed header; only
 * Authorization may change (a 401 resend). The hub stand-in in the integration tests verifies every
 * signature it receives with the real SDK validators to hold us to it.
 */
import { fspiopDate } from '../../crypto/jws/index.js';
import type { Stage } from '../../shared/pipeline.js';
import type { Identity } from '../compile.js';
import { need, type OutboundExchange } from '../exchange.js';
import { hubHeaders, signerHeaders } from '../hub-headers.js';
import { hubPath } from '../routes.js';
import type { SignOutput } from '../signer.js';

export const signStage: Stage<OutboundExchange> = {
  name: 'sign',
  run(x) {
    const rt = x.gen.runtime;
    const identity = need(x.identity, 'identity');
    const target = need(x.target, 'target');
    if (!rt.sign || identity.key === undefined) {
      x.hub = { path: hubPath(need(x.route, 'route'), target), method: x.method, headers: hubHeaders(x.req.headers, rt.headerPolicy, x.conformed?.added, unsignedHeaders(x, identity), x.token, x.requestId), body: nonEmpty(x.body) };
      return;
    }
    const out = x.services.signer.sign({
      method: x.method,
      path: target.path,
      headers: signerHeaders(x.req.headers, need(x.conformed, 'conformed').date),
      body: nonEmpty(x.body),
      source: identity.fspId,
      key: identity.key,
      signPutParties: rt.signPutParties,
    });
    if (out instanceof Promise) return out.then((o) => finish(x, o, identity));
    finish(x, out, identity);
  },
};

function finish(x: OutboundExchange, out: SignOutput, identity: Identity): void {
  if (out.signed && identity.key) {
    x.services.metrics.signDuration.observe({ alg: identity.key.alg, mode: x.services.signer.mode }, out.ns / 1e9);
  }
  x.hub = {
    path: hubPath(need(x.route, 'route'), need(x.target, 'target')),
    method: x.method,
    headers: hubHeaders(x.req.headers, x.gen.runtime.headerPolicy, need(x.conformed, 'conformed').added, out.headers, x.token, x.requestId),
    body: out.body,
  };
}

/**
 * With jws.sign off the body travels as received; the hub still learns who is sending, and a Date
 * in the one form the hub keeps unchanged.
 */
function unsignedHeaders(x: OutboundExchange, identity: Identity): Record<string, string> {
  return { 'fspiop-source': identity.fspId, date: fspiopDate(need(x.conformed, 'conformed').date, () => new Date()) };
}

function nonEmpty(body: Buffer | undefined): Buffer | undefined {
  return body !== undefined && body.length > 0 ? body : undefined;
}
