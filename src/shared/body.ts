/**
 * The one bounded body reader. It keeps the exact received bytes (signatures are verified over
 * them, never over a re-serialisation) and enforces the limit on both framings: a declared
 * Content-Length above the limit fails before a byte is read; a chunked body fails as soon as the
 * running count passes the limit. A body that ends before its Content-Length is malformed.
 */
import type { IncomingMessage } from 'node:http';
import { SidecarError } from './errors.js';

export async function readBody(req: IncomingMessage, limitBytes: number): Promise<Buffer> {
  const declared = req.headers['content-length'];
  let expected: number | undefined;
  if (declared !== undefined) {
    // Node already rejects non-numeric and conflicting lengths at the parser; this is defence in depth.
    expected = Number(declared);
    if (!Number.isSafeInteger(expected) || expected < 0) throw new SidecarError('BODY_MALFORMED', 'bad_content_length', `Content-Length '${declared}'`);
    if (expected > limitBytes) {
      req.resume();
      throw new SidecarError('BODY_TOO_LARGE', 'declared_too_large', `Content-Length ${expected} > limit ${limitBytes}`);
    }
  }
  if (expected === 0) return Buffer.alloc(0);

  return new Promise<Buffer>((resolve, reject) => {
    const chunks: Buffer[] = [];
    let received = 0;
    let done = false;
    const finish = (err: SidecarError | undefined, body?: Buffer) => {
      if (done) return;
      done = true;
      req.off('data', onData);
      req.off('end', onEnd);
      req.off('error', onError);
      req.off('aborted', onAborted);
      req.off('close', onClose);
      if (err) {
        // Keep draining so the socket can answer with our error instead of being reset mid-body.
        req.resume();
        reject(err);
      } else resolve(body as Buffer);
    };
    const onData = (chunk: Buffer) => {
      received += chunk.length;
      if (received > limitBytes) {
        finish(new SidecarError('BODY_TOO_LARGE', 'streamed_too_large', `more than ${limitBytes} bytes`));
        return;
      }
      chunks.push(chunk);
    };
    const onEnd = () => {
      if (expected !== undefined && received !== expected) {
        finish(new SidecarError('BODY_MALFORMED', 'length_mismatch', `received ${received} of ${expected} bytes`));
        return;
      }
      finish(undefined, chunks.length === 1 ? (chunks[0] as Buffer) : Buffer.concat(chunks, received));
    };
    const onError = (err: Error) => finish(new SidecarError('BODY_MALFORMED', 'read_error', err.message));
    const onAborted = () => finish(new SidecarError('BODY_MALFORMED', 'client_aborted', `aborted after ${received} bytes`));
    const onClose = () => {
      if (!req.complete) onAborted();
    };
    req.on('data', onData);
    req.on('end', onEnd);
    req.on('error', onError);
    req.on('aborted', onAborted);
    req.on('close', onClose);
  });
}

/**
 * An upstream's answer (undici's body) as text, at most `limitBytes`: a longer one is cut off, its
 * connection destroyed, and `tooLarge()` thrown. Token endpoints and the MCM answer in kilobytes; a
 * hostile or broken one must not make us buffer without bound.
 */
export async function readResponseText(body: AsyncIterable<Buffer> & { destroy(err?: Error): unknown }, limitBytes: number, tooLarge: () => Error): Promise<string> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of body) {
    size += chunk.length;
    if (size > limitBytes) {
      body.destroy();
      throw tooLarge();
    }
    chunks.push(chunk);
  }
  return Buffer.concat(chunks, size).toString('utf8');
}
