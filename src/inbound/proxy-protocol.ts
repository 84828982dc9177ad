/**
 * PROXY protocol v1 and v2 header parser (haproxy `proxy-protocol.txt`), a pure function over the
 * bytes received so far. The gate calls it again as bytes arrive until it answers `ok` or
 * `invalid`; the bytes after `length` are the start of the TLS handshake and go back to the
 * socket.
 *
 * Only connections from configured load balancers are parsed at all (a client elsewhere could
 * otherwise claim any source address). Per the spec the receiver never guesses: a trusted
 * connection without a valid header is refused. `UNKNOWN` (v1) and `LOCAL`/`UNSPEC` (v2) carry no
 * client address (the balancer's own health checks); the caller then uses the socket's address.
 */
import { isIPv4, isIPv6 } from 'node:net';

export const PROXY_V1_MAX_BYTES = 107;
export const PROXY_V2_SIGNATURE = Buffer.from([0x0d, 0x0a, 0x0d, 0x0a, 0x00, 0x0d, 0x0a, 0x51, 0x55, 0x49, 0x54, 0x0a]);
/** v2 allows 64 KiB of TLVs; real balancers send a few dozen bytes. A trusted peer is still bounded. */
export const PROXY_V2_DEFAULT_MAX_BYTES = 4096;
const V1_PREFIX = Buffer.from('PROXY ', 'latin1');

export interface ProxyEndpoint {
  readonly address: string;
  readonly port: number;
}

export type ProxyParseResult =
  | { readonly status: 'incomplete' }
  | { readonly status: 'invalid'; readonly reason: 'not_proxy' | 'malformed' | 'unsupported' | 'too_large'; readonly detail: string }
  | {
      readonly status: 'ok';
      readonly version: 1 | 2;
      /** Bytes taken by the header; what follows belongs to the proxied stream. */
      readonly length: number;
      readonly command: 'proxy' | 'local';
      /** Absent for UNKNOWN / LOCAL / UNSPEC: use the socket's own address. */
      readonly source?: ProxyEndpoint;
      readonly destination?: ProxyEndpoint;
    };

const INCOMPLETE: ProxyParseResult = { status: 'incomplete' };
const invalid = (reason: 'not_proxy' | 'malformed' | 'unsupported' | 'too_large', detail: string): ProxyParseResult => ({ status: 'invalid', reason, detail });

export function parseProxyHeader(buf: Buffer, maxV2Bytes = PROXY_V2_DEFAULT_MAX_BYTES): ProxyParseResult {
  if (buf.length === 0) return INCOMPLETE;
  if (buf[0] === 0x0d) return parseV2(buf, maxV2Bytes);
  if (buf[0] === 0x50) return parseV1(buf);
  return invalid('not_proxy', 'no PROXY protocol signature');
}

function startsWithPrefixOf(buf: Buffer, prefix: Buffer): 'full' | 'partial' | 'no' {
  const n = Math.min(buf.length, prefix.length);
  for (let i = 0; i < n; i++) if (buf[i] !== prefix[i]) return 'no';
  return buf.length >= prefix.length ? 'full' : 'partial';
}

function parseV1(buf: Buffer): ProxyParseResult {
  const prefix = startsWithPrefixOf(buf, V1_PREFIX);
  if (prefix === 'no') return invalid('not_proxy', 'no PROXY protocol signature');
  if (prefix === 'partial') return INCOMPLETE;
  const end = buf.indexOf('\r\n', 0, 'latin1');
  if (end < 0 || end + 2 > PROXY_V1_MAX_BYTES) {
    return buf.length >= PROXY_V1_MAX_BYTES ? invalid('too_large', `v1 line longer than ${PROXY_V1_MAX_BYTES} bytes`) : INCOMPLETE;
  }
  const line = buf.toString('latin1', V1_PREFIX.length, end);
  const length = end + 2;
  const parts = line.split(' ');
  if (parts[0] === 'UNKNOWN') return { status: 'ok', version: 1, length, command: 'local' };
  if (parts.length !== 5) return invalid('malformed', 'v1 line must be: PROXY TCP4|TCP6 src dst sport dport');
  const [proto, src, dst, sport, dport] = parts as [string, string, string, string, string];
  const isFamily = proto === 'TCP4' ? isIPv4 : proto === 'TCP6' ? isIPv6 : undefined;
  if (!isFamily) return invalid('unsupported', `v1 protocol '${proto.slice(0, 16)}'`);
  if (!isFamily(src) || !isFamily(dst)) return invalid('malformed', `v1 addresses do not match ${proto}`);
  const sp = parsePort(sport);
  const dp = parsePort(dport);
  if (sp === undefined || dp === undefined) return invalid('malformed', 'v1 ports must be 0..65535');
  return { status: 'ok', version: 1, length, command: 'proxy', source: { address: src, port: sp }, destination: { address: dst, port: dp } };
}

function parsePort(text: string): number | undefined {
  if (!/^(0|[1-9][0-9]{0,4})$/.test(text)) return undefined;
  const n = Number(text);
  return n <= 65535 ? n : undefined;
}

function parseV2(buf: Buffer, maxBytes: number): ProxyParseResult {
  const prefix = startsWithPrefixOf(buf, PROXY_V2_SIGNATURE);
  if (prefix === 'no') return invalid('not_proxy', 'no PROXY protocol signature');
  if (buf.length < 16) return INCOMPLETE;
  const verCmd = buf[12] as number;
  if (verCmd >> 4 !== 2) return invalid('unsupported', `v2 version ${verCmd >> 4}`);
  const cmd = verCmd & 0x0f;
  if (cmd > 1) return invalid('unsupported', `v2 command ${cmd}`);
  const famProto = buf[13] as number;
  const bodyLength = buf.readUInt16BE(14);
  const length = 16 + bodyLength;
  if (length > maxBytes) return invalid('too_large', `v2 header of ${length} bytes (limit ${maxBytes})`);
  if (buf.length < length) return INCOMPLETE;
  // LOCAL: the balancer speaking for itself (health checks); addresses, if any, are ignored.
  if (cmd === 0) return { status: 'ok', version: 2, length, command: 'local' };
  const family = famProto >> 4;
  const transport = famProto & 0x0f;
  if (family === 0) return { status: 'ok', version: 2, length, command: 'local' };
  if (transport !== 1) return invalid('unsupported', `v2 transport ${transport} (only STREAM)`);
  if (family === 1) {
    if (bodyLength < 12) return invalid('malformed', 'v2 INET address block shorter than 12 bytes');
    return {
      status: 'ok',
      version: 2,
      length,
      command: 'proxy',
      source: { address: ipv4(buf, 16), port: buf.readUInt16BE(24) },
      destination: { address: ipv4(buf, 20), port: buf.readUInt16BE(26) },
    };
  }
  if (family === 2) {
    if (bodyLength < 36) return invalid('malformed', 'v2 INET6 address block shorter than 36 bytes');
    return {
      status: 'ok',
      version: 2,
      length,
      command: 'proxy',
      source: { address: ipv6(buf, 16), port: buf.readUInt16BE(48) },
      destination: { address: ipv6(buf, 32), port: buf.readUInt16BE(50) },
    };
  }
  return invalid('unsupported', `v2 address family ${family} (only INET and INET6)`);
}

function ipv4(buf: Buffer, at: number): string {
  return `${buf[at]}.${buf[at + 1]}.${buf[at + 2]}.${buf[at + 3]}`;
}

function ipv6(buf: Buffer, at: number): string {
  const groups: string[] = [];
  for (let i = 0; i < 16; i += 2) groups.push(buf.readUInt16BE(at + i).toString(16));
  return groups.join(':');
}
