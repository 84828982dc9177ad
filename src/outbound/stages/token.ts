/**
 * token: the bearer token for the hub, taken before signing so that a request with no token to
 * send (TOKEN_UNAVAILABLE) costs no signature. Normally synchronous (the cached token); it waits
 * only while the first token, or the replacement for an expired one, is being fetched.
 */
import type { Stage } from '../../shared/pipeline.js';
import type { OutboundExchange } from '../exchange.js';

export const tokenStage: Stage<OutboundExchange> = {
  name: 'token',
  run(x) {
    const provider = x.gen.token;
    if (!provider) return;
    const token = provider.get();
    if (typeof token === 'string') {
      x.token = token;
      return;
    }
    return token.then((t) => {
      x.token = t;
    });
  },
};
