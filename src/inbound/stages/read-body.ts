/**
 * read-body: the shared bounded reader (limit on the declared Content-Length and on the running
 * count of a chunked body; the exact bytes are kept).
 *
 * Slow clients: the whole request must arrive within `inbound.requestTimeoutMs`. The listener's
 * request timeout (one periodic check for every connection, not a timer per request) marks the
 * exchange `timedOut` and interrupts the read; this stage then answers FSPIOP 408 and the
 * connection is closed (the rest of a slow body must not be parsed as a next request).
 *
 * A body over the limit is answered at once (413) and the rest of it is drained, not read into
 * memory, keeping the connection: closing a socket with unread bytes makes the kernel send a
 * reset, which can destroy the 413 before the client reads it. A client that never finishes such
 * a body is cut off by the same request timeout.
 */
import { readBody } from '../../shared/body.js';
import { SidecarError } from '../../shared/errors.js';
import type { Stage } from '../../shared/pipeline.js';
import type { InboundExchange } from '../exchange.js';

export const readRequestBody: Stage<InboundExchange> = {
  name: 'read-body',
  run(ex) {
    return readBody(ex.req, ex.rt.bodyLimitBytes).then(
      (body) => {
        ex.body = body;
      },
      (err: unknown) => {
        if (ex.timedOut) throw new SidecarError('REQUEST_TIMEOUT', 'body_timeout', `request not complete within ${ex.rt.requestTimeoutMs} ms`);
        throw err;
      },
    );
  },
};

/**
 * Interrupt the body read of a request the listener timed out. Returns false when there is no
 * read to interrupt (the response already started, or the body already arrived).
 */
export function interruptBodyRead(ex: InboundExchange): boolean {
  if (ex.res.headersSent || ex.req.complete || ex.req.listenerCount('error') === 0) return false;
  ex.timedOut = true;
  ex.res.setHeader('connection', 'close');
  ex.req.emit('error', new Error('request timeout'));
  return true;
}
