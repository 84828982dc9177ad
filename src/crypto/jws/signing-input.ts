/**
 * The JWS signing input, ASCII(protectedHeader '.' BASE64URL(payload)) (RFC 7515 §5.1, detached
 * payload), written into one reused buffer: building it as a string and copying that into a fresh
 * Buffer cost 3–4× more, a visible share of an RSA verify. Sign and verify are synchronous and
 * never re-entered, so the returned view is only valid until the next call; do not keep it.
 */
const SCRATCH_BYTES = 64 * 1024;
let scratch: Buffer | undefined;

/** `protectedHeader` must be base64url (ASCII) text. */
export function signingInput(protectedHeader: string, payload: Uint8Array): Buffer {
  const body = Buffer.isBuffer(payload) ? payload : Buffer.from(payload.buffer, payload.byteOffset, payload.byteLength);
  const b64 = body.toString('base64url');
  const size = protectedHeader.length + 1 + b64.length;
  const buf = size <= SCRATCH_BYTES ? (scratch ??= Buffer.allocUnsafeSlow(SCRATCH_BYTES)) : Buffer.allocUnsafe(size);
  let off = buf.write(protectedHeader, 0, 'latin1');
  buf[off++] = 0x2e;
  off += buf.write(b64, off, 'latin1');
  return buf.subarray(0, off);
}
