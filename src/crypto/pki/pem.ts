/**
 * PEM framing (RFC 7468): split a text into labelled blocks and encode DER back. Text outside
 * blocks (OpenSSL's "Bag Attributes", comments) is ignored, as OpenSSL does. A BEGIN line without
 * its END, a mismatched END label or a body that is not base64 is an input error: a truncated
 * copy-paste must never be taken for a shorter valid file.
 */
import { PkiInputError } from './errors.js';

export interface PemBlock {
  /** The label between `BEGIN ` and the dashes, e.g. `CERTIFICATE`, `EC PRIVATE KEY`. */
  readonly label: string;
  /** Decoded body. */
  readonly der: Buffer;
  /** RFC 1421 headers (legacy encrypted keys: `Proc-Type`, `DEK-Info`). */
  readonly headers: Readonly<Record<string, string>>;
  /** The whole block, BEGIN to END, normalised to `\n`: what node:crypto wants for encrypted keys. */
  readonly text: string;
}

const BEGIN = /-----BEGIN ([A-Z0-9 ]+)-----/g;
const BASE64_LINE = /^[A-Za-z0-9+/=]*$/;

/** True when the bytes look like PEM text rather than DER (DER starts with a SEQUENCE tag). */
export function looksLikePem(data: Uint8Array): boolean {
  const head = Buffer.from(data.subarray(0, Math.min(data.length, 4096))).toString('latin1');
  return head.includes('-----BEGIN ');
}

export function parsePem(input: string, source = 'input'): PemBlock[] {
  const text = input.replace(/\r\n?/g, '\n');
  const blocks: PemBlock[] = [];
  BEGIN.lastIndex = 0;
  let match: RegExpExecArray | null;
  while ((match = BEGIN.exec(text)) !== null) {
    const label = match[1] ?? '';
    const bodyStart = match.index + match[0].length;
    const endMarker = `-----END ${label}-----`;
    const end = text.indexOf(endMarker, bodyStart);
    const nextBegin = text.indexOf('-----BEGIN ', bodyStart);
    if (end < 0 || (nextBegin >= 0 && nextBegin < end)) {
      throw new PkiInputError(`${source}: PEM block '${label}' has no matching END line (truncated or mismatched file?)`);
    }
    const { headers, body } = splitHeaders(text.slice(bodyStart, end), label, source);
    const der = Buffer.from(body, 'base64');
    if (der.length === 0) throw new PkiInputError(`${source}: PEM block '${label}' is empty`);
    blocks.push({ label, der, headers, text: `${text.slice(match.index, end + endMarker.length)}\n` });
    BEGIN.lastIndex = end + endMarker.length;
  }
  return blocks;
}

function splitHeaders(raw: string, label: string, source: string): { headers: Record<string, string>; body: string } {
  const headers: Record<string, string> = {};
  const lines = raw.split('\n').map((l) => l.trim()).filter((l) => l.length > 0);
  let i = 0;
  for (; i < lines.length; i++) {
    const line = lines[i] ?? '';
    const colon = line.indexOf(':');
    if (colon <= 0) break;
    headers[line.slice(0, colon).trim()] = line.slice(colon + 1).trim();
  }
  const bodyLines = lines.slice(i);
  for (const line of bodyLines) {
    if (!BASE64_LINE.test(line)) {
      throw new PkiInputError(`${source}: PEM block '${label}' is not valid base64`);
    }
  }
  const body = bodyLines.join('');
  // Padding may only end the body; '=' elsewhere means two bodies were glued together.
  if (/=[^=]/.test(body) || body.length % 4 !== 0) {
    throw new PkiInputError(`${source}: PEM block '${label}' is not valid base64 (wrong length or padding; truncated?)`);
  }
  return { headers, body };
}

export function toPem(der: Uint8Array, label: string): string {
  const b64 = Buffer.from(der).toString('base64');
  const lines = b64.match(/.{1,64}/g) ?? [];
  return `-----BEGIN ${label}-----\n${lines.join('\n')}\n-----END ${label}-----\n`;
}
