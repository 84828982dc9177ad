/**
 * parse-target: accept only an origin-form request target (`/path?query`, RFC 9112 §3.2.1), the
 * form the hub sends, and work out which FSPIOP resource it addresses (for the JWS policy and the
 * metric labels). An absolute-form or asterisk target is refused rather than rewritten: the core
 * must receive exactly the path that was signed for.
 */
import { fspiopResource } from '../../crypto/jws/resource.js';
import { SidecarError } from '../../shared/errors.js';
import type { Stage } from '../../shared/pipeline.js';
import type { InboundExchange } from '../exchange.js';

/** Pure: the problem with a request target, or undefined when it can be forwarded as is. */
export function targetProblem(target: string): string | undefined {
  if (target.length === 0 || target.charCodeAt(0) !== 0x2f /* / */) return 'not an origin-form path';
  if (target.startsWith('//')) return 'path starts with //';
  return undefined;
}

export const parseTarget: Stage<InboundExchange> = {
  name: 'parse-target',
  run(ex) {
    const problem = targetProblem(ex.target);
    if (problem !== undefined) throw new SidecarError('BODY_MALFORMED', 'bad_request_target', `${problem}: '${ex.target.slice(0, 64)}'`);
    ex.resource = fspiopResource(ex.target);
  },
};
