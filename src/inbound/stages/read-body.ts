/**
 * read-body: the shared bounded reader (limit on the declared Content-Length and on the running
 * count of a chunked body; the exact bytes are kept), plus the slow-client guard: the whole
 * request must have arrived within `inbound.requestTimeoutMs` of its start, or the client gets an
 * FSPIOP 408 and the connection is closed.
 *
 * A body over the limit is answered at once (413) and the rest of it is drained, not read into
 * memory, keeping the connection: closing a socket with unread bytes makes the kernel send a
 * reset, which can destroy the 413 before the client reads it. A client that never finishes such
 * a body is cut off by the listener's request-timeout backstop.
 */
import { readBody } from '../../shared/body.js';
import { SidecarError } from '../../shared/errors.js';
import type { Stage } from '../../shared/pipeline.js';
import type { InboundExchange } from '../exchange.js';

export const readRequestBody: Stage<InboundExchange> = {
  name: 'read-body',
  run(ex) {
    const elapsedMs = Number(process.hrtime.bigint() - ex.startedAt) / 1e6;
    return readWithin(ex, ex.rt.bodyLimitBytes, ex.rt.requestTimeoutMs - elapsedMs);
  },
};

async function readWithin(ex: InboundExchange, limit: number, remainingMs: number): Promise<void> {
  const reading = readBody(ex.req, limit);
  let timer: NodeJS.Timeout | undefined;
  const timedOut = new Promise<never>((_, reject) => {
    timer = setTimeout(() => {
      reject(new SidecarError('REQUEST_TIMEOUT', 'body_timeout', `request body not complete within ${ex.rt.requestTimeoutMs} ms`));
    }, Math.max(0, remainingMs));
  });
  try {
    ex.body = await Promise.race([reading, timedOut]);
  } catch (err) {
    // The reader may still settle later (the socket closes): its outcome no longer matters.
    reading.catch(noop);
    if (err instanceof SidecarError && err.code === 'REQUEST_TIMEOUT') {
      // The rest of a slow body must not be parsed as a next request: this connection is done.
      ex.res.setHeader('connection', 'close');
    }
    throw err;
  } finally {
    clearTimeout(timer);
  }
}

function noop(): void {}
