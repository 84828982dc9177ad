/**
 * A signing worker thread (see sign-pool.ts). It holds the signing keys it was sent (KeyObjects
 * cross threads without re-parsing PEM) and runs the JWS engine's signRequest for each job. Bodies
 * travel as transferred ArrayBuffers in both directions, so no bytes are copied by postMessage.
 */
import { parentPort } from 'node:worker_threads';
import type { SigningKey } from '../crypto/jws/signing-key.js';
import { SidecarError } from '../shared/errors.js';
import { signNow } from './signer.js';
import type { FromWorker, ToWorker } from './sign-protocol.js';

const port = parentPort;
if (!port) throw new Error('sign-worker.js runs as a worker thread only');

const keys = new Map<string, SigningKey>();

port.on('message', (m: ToWorker) => {
  switch (m.t) {
    case 'key':
      keys.set(m.key.fingerprint, m.key);
      return;
    case 'retain':
      for (const fp of [...keys.keys()]) if (!m.fingerprints.includes(fp)) keys.delete(fp);
      return;
    case 'sign': {
      const key = keys.get(m.fingerprint);
      if (!key) {
        reply({ t: 'result', id: m.id, ok: false, code: 'SIGNING_FAILED', reason: 'worker_missing_key', detail: `no key ${m.fingerprint.slice(0, 16)}` });
        return;
      }
      try {
        const out = signNow({
          method: m.method,
          path: m.path,
          headers: m.headers,
          body: m.body === undefined ? undefined : Buffer.from(m.body),
          source: m.source,
          key,
          signPutParties: m.signPutParties,
        });
        const body = out.body === undefined ? undefined : exactCopy(out.body);
        reply({ t: 'result', id: m.id, ok: true, signed: out.signed, headers: out.headers, body, ns: out.ns }, body ? [body] : []);
      } catch (err) {
        const e = err instanceof SidecarError ? err : new SidecarError('SIGNING_FAILED', 'sign_error', err instanceof Error ? err.message : String(err));
        reply({ t: 'result', id: m.id, ok: false, code: e.code, reason: e.reason, detail: e.detail });
      }
      return;
    }
  }
});

function reply(msg: FromWorker, transfer: ArrayBuffer[] = []): void {
  port!.postMessage(msg, transfer);
}

/**
 * An ArrayBuffer holding exactly these bytes: small Buffers are slices of a shared 8 KB pool,
 * and transferring that would detach the pool (cloning it would copy all of it).
 */
function exactCopy(buf: Buffer): ArrayBuffer {
  const ab = new ArrayBuffer(buf.length);
  new Uint8Array(ab).set(buf);
  return ab;
}
