/**
 * The FSPIOP-Signature header value: `{"signature":"<b64url>","protectedHeader":"<b64url>"}`
 * (Signature_v1.1 §3.1; reference §2.2), and the protected header inside it.
 *
 * Parsing is strict where leniency would make a signature malleable: Node's base64url decoder
 * skips invalid characters and ignores the unused low bits of the last character, so a signature
 * string must be canonical base64url (it must re-encode to itself). The protectedHeader string is
 * part of the signing input verbatim (trap T19), so any change to it already breaks the signature;
 * it only has to decode to a JSON object.
 */

/** Spec limits (Signature_v1.1 Table 1): protectedHeader 1..32768, signature 1..512 characters. */
export const MAX_PROTECTED_HEADER_CHARS = 32768;
export const MAX_SIGNATURE_CHARS = 512;

export function formatSignatureHeader(signature: string, protectedHeader: string): string {
  // Member order as in Signature_v1.1 §2.1.3 and SDK ≤ 19.18.8; validators JSON.parse it anyway.
  return `{"signature":"${signature}","protectedHeader":"${protectedHeader}"}`;
}

export interface ParsedSignatureHeader {
  /** The base64url protected header exactly as received: it goes into the signing input as is. */
  readonly protectedHeader: string;
  readonly signature: Buffer;
}

const SIG_FIRST = '{"signature":"';
const PH_FIRST = '{"protectedHeader":"';

/**
 * The two compact shapes SDK signers emit, read without JSON.parse (a fifth of a verify's own
 * overhead). Anything else, such as whitespace or other members, takes the JSON.parse path.
 */
function fastMembers(value: string): { protectedHeader: string; signature: string } | undefined {
  if (!value.endsWith('"}')) return undefined;
  const signatureFirst = value.startsWith(SIG_FIRST);
  if (!signatureFirst && !value.startsWith(PH_FIRST)) return undefined;
  const firstStart = signatureFirst ? SIG_FIRST.length : PH_FIRST.length;
  const firstEnd = value.indexOf('"', firstStart);
  const middle = signatureFirst ? '","protectedHeader":"' : '","signature":"';
  if (firstEnd < 0 || !value.startsWith(middle, firstEnd)) return undefined;
  const secondStart = firstEnd + middle.length;
  const secondEnd = value.length - 2;
  if (value.indexOf('"', secondStart) !== secondEnd) return undefined;
  const first = value.slice(firstStart, firstEnd);
  const second = value.slice(secondStart, secondEnd);
  // Backslashes would need JSON unescaping; base64url never has them, so leave those to JSON.parse.
  if (first.includes('\\') || second.includes('\\')) return undefined;
  return signatureFirst ? { signature: first, protectedHeader: second } : { protectedHeader: first, signature: second };
}

function slowMembers(value: string): { protectedHeader: unknown; signature: unknown } | string {
  let doc: unknown;
  try {
    doc = JSON.parse(value);
  } catch {
    return 'FSPIOP-Signature is not JSON';
  }
  if (typeof doc !== 'object' || doc === null || Array.isArray(doc)) return 'FSPIOP-Signature is not a JSON object';
  const { protectedHeader, signature } = doc as { protectedHeader?: unknown; signature?: unknown };
  return { protectedHeader, signature };
}

/** Returns the parsed header, or a one-line reason it is malformed. */
export function parseSignatureHeader(value: string): ParsedSignatureHeader | string {
  if (value.length > MAX_PROTECTED_HEADER_CHARS + MAX_SIGNATURE_CHARS + 256) return 'FSPIOP-Signature is longer than the spec allows';
  const members = fastMembers(value) ?? slowMembers(value);
  if (typeof members === 'string') return members;
  const { protectedHeader, signature } = members;
  if (typeof protectedHeader !== 'string' || protectedHeader.length === 0) return 'FSPIOP-Signature has no protectedHeader string';
  if (typeof signature !== 'string' || signature.length === 0) return 'FSPIOP-Signature has no signature string';
  if (protectedHeader.length > MAX_PROTECTED_HEADER_CHARS) return 'protectedHeader is longer than 32768 characters';
  if (signature.length > MAX_SIGNATURE_CHARS) return 'signature is longer than 512 characters';
  // Decoding skips invalid characters and unused trailing bits; only a string that re-encodes to
  // itself is canonical unpadded base64url, so this one comparison checks the charset too.
  const bytes = Buffer.from(signature, 'base64url');
  if (bytes.toString('base64url') !== signature) return 'signature is not canonical unpadded base64url';
  return { protectedHeader, signature: bytes };
}

/** The protected header members the checks read; other members are allowed and ignored. */
export interface ProtectedHeader {
  readonly alg: string | undefined;
  readonly uri: string | undefined;
  readonly method: string | undefined;
  readonly source: string | undefined;
  readonly destination: string | undefined;
  readonly date: string | undefined;
}

const DECODE_SCRATCH_BYTES = 4096;
let decodeScratch: Buffer | undefined;

/** A member's value: undefined when absent or empty (the SDK tests truthiness), null when not a string. */
function member(d: Record<string, unknown>, name: string): string | undefined | null {
  const v = d[name];
  if (v === undefined || v === '') return undefined;
  return typeof v === 'string' ? v : null;
}

/**
 * Decodes the protected header JSON. Member names are case-sensitive (trap T7). A member that is
 * present but not a string makes the header malformed; an empty string counts as absent, as it
 * does for the SDK's truthiness checks.
 */
export function decodeProtectedHeader(protectedHeader: string): ProtectedHeader | string {
  // No canonical-form check here, unlike the signature: the string itself is the signing input
  // (trap T19), so the signer vouches for exactly these characters and any change breaks it.
  let doc: unknown;
  try {
    // Decoded into a reused buffer: this runs on every verify, and a fresh Buffer per call was a
    // visible share of the verifier's own overhead.
    const size = (protectedHeader.length * 3) >> 2;
    const buf = size <= DECODE_SCRATCH_BYTES ? (decodeScratch ??= Buffer.allocUnsafeSlow(DECODE_SCRATCH_BYTES)) : Buffer.allocUnsafe(size);
    const n = buf.write(protectedHeader, 0, 'base64url');
    doc = JSON.parse(buf.toString('utf8', 0, n));
  } catch {
    return 'protected header is not base64url-encoded JSON';
  }
  if (typeof doc !== 'object' || doc === null || Array.isArray(doc)) return 'protected header is not a JSON object';
  const d = doc as Record<string, unknown>;
  const alg = member(d, 'alg');
  const uri = member(d, 'FSPIOP-URI');
  const method = member(d, 'FSPIOP-HTTP-Method');
  const source = member(d, 'FSPIOP-Source');
  const destination = member(d, 'FSPIOP-Destination');
  const date = member(d, 'Date');
  if (alg === null || uri === null || method === null || source === null || destination === null || date === null) {
    const bad = [['alg', alg], ['FSPIOP-URI', uri], ['FSPIOP-HTTP-Method', method], ['FSPIOP-Source', source], ['FSPIOP-Destination', destination], ['Date', date]].find(([, v]) => v === null)!;
    return `protected header member ${String(bad[0])} is not a string`;
  }
  // One fixed-shape object: the checks that read it stay monomorphic.
  return { alg, uri, method, source, destination, date };
}

export interface ProtectedHeaderFields {
  readonly alg: string;
  readonly uri: string;
  readonly method: string;
  readonly source: string;
  readonly destination: string | undefined;
  readonly date: string | undefined;
}

/** The protected header JSON in the SDK's member order, compact, without `typ` (reference §2.3). */
export function buildProtectedHeader(f: ProtectedHeaderFields): string {
  let json = `{"alg":${JSON.stringify(f.alg)},"FSPIOP-URI":${JSON.stringify(f.uri)},"FSPIOP-HTTP-Method":${JSON.stringify(f.method)},"FSPIOP-Source":${JSON.stringify(f.source)}`;
  if (f.destination !== undefined) json += `,"FSPIOP-Destination":${JSON.stringify(f.destination)}`;
  if (f.date !== undefined) json += `,"Date":${JSON.stringify(f.date)}`;
  return `${json}}`;
}
