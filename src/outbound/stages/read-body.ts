/**
 * read-body: the one bounded reader (shared/body.ts), with this snapshot's limit. The raw bytes are
 * kept: the signer canonicalises from them, and an unsigned request forwards them unchanged.
 *
 * A core that does not send the whole request within outbound.requestTimeoutMs: the listener
 * interrupts the read (shared/http-deadlines.ts) and this stage answers REQUEST_TIMEOUT (408,
 * FSPIOP body), not BODY_MALFORMED.
 */
import { readBody } from '../../shared/body.js';
import { SidecarError } from '../../shared/errors.js';
import type { Stage } from '../../shared/pipeline.js';
import type { OutboundExchange } from '../exchange.js';

export const readBodyStage: Stage<OutboundExchange> = {
  name: 'read-body',
  async run(x) {
    try {
      x.body = await readBody(x.req, x.gen.runtime.bodyLimitBytes);
    } catch (err) {
      if (x.timedOut) throw new SidecarError('REQUEST_TIMEOUT', 'body_timeout', `request not complete within ${x.gen.runtime.requestTimeoutMs} ms`);
      throw err;
    }
  },
};
