/**
 * read-body: the one bounded reader (shared/body.ts), with this snapshot's limit. The raw bytes are
 * kept: the signer canonicalises from them, and an unsigned request forwards them unchanged.
 */
import { readBody } from '../../shared/body.js';
import type { Stage } from '../../shared/pipeline.js';
import type { OutboundExchange } from '../exchange.js';

export const readBodyStage: Stage<OutboundExchange> = {
  name: 'read-body',
  async run(x) {
    x.body = await readBody(x.req, x.gen.runtime.bodyLimitBytes);
  },
};
