/**
 * Source-address matching for the connection gate: the IP allowlist and the trusted
 * load-balancer list. CIDRs are parsed once at compile time; the gate only parses the peer's
 * address, once per TCP connection (keep-alive requests never come here).
 *
 * IPv4-mapped IPv6 addresses (`::ffff:10.1.2.3`, what a dual-stack socket reports for an IPv4
 * peer) are normalised to IPv4 on both sides, so `10.0.0.0/8` matches a peer seen as
 * `::ffff:10.1.2.3`, and an entry written as `::ffff:10.0.0.0/104` matches `10.1.2.3`.
 * Anything unparsable never matches: the gate fails closed.
 */
import ipaddr from 'ipaddr.js';

type Address = ipaddr.IPv4 | ipaddr.IPv6;

export interface AddressMatcher {
  /** True when `address` (as reported by a socket or a PROXY header) is inside one of the ranges. */
  match(address: string): boolean;
  readonly size: number;
}

/** Parse an address the way a socket reports it; undefined when it is not an IP address. */
export function parseAddress(address: string): Address | undefined {
  const zoneless = address.includes('%') ? address.slice(0, address.indexOf('%')) : address;
  if (!ipaddr.isValid(zoneless)) return undefined;
  // process() turns an IPv4-mapped IPv6 address into its IPv4 form.
  return ipaddr.process(zoneless);
}

/** The canonical text of an address (IPv4 dotted, IPv6 RFC 5952), or undefined. */
export function normaliseAddress(address: string): string | undefined {
  const a = parseAddress(address);
  if (a === undefined) return undefined;
  return a.kind() === 'ipv6' ? (a as ipaddr.IPv6).toRFC5952String() : a.toString();
}

/** Parse one allowlist entry (address or CIDR); throws with a readable message when invalid. */
export function parseRange(entry: string): [Address, number] {
  let addr: Address;
  let bits: number;
  if (entry.includes('/')) {
    [addr, bits] = ipaddr.parseCIDR(entry);
  } else {
    addr = ipaddr.parse(entry);
    bits = addr.kind() === 'ipv4' ? 32 : 128;
  }
  if (addr.kind() === 'ipv6' && (addr as ipaddr.IPv6).isIPv4MappedAddress()) {
    if (bits < 96) throw new Error(`'${entry}': an IPv4-mapped range needs a prefix of at least /96`);
    return [(addr as ipaddr.IPv6).toIPv4Address(), bits - 96];
  }
  return [addr, bits];
}

/**
 * Compile CIDR strings into a matcher. Entries the schema let through but that fail here are
 * reported through `onInvalid` (so compile can name the config key) and skipped.
 */
export function compileAddressMatcher(entries: readonly string[], onInvalid?: (entry: string, message: string) => void): AddressMatcher {
  const v4: Array<[ipaddr.IPv4, number]> = [];
  const v6: Array<[ipaddr.IPv6, number]> = [];
  for (const entry of entries) {
    try {
      const [addr, bits] = parseRange(entry);
      if (addr.kind() === 'ipv4') v4.push([addr as ipaddr.IPv4, bits]);
      else v6.push([addr as ipaddr.IPv6, bits]);
    } catch (err) {
      onInvalid?.(entry, err instanceof Error ? err.message : String(err));
    }
  }
  return {
    size: v4.length + v6.length,
    match(address: string): boolean {
      const a = parseAddress(address);
      if (a === undefined) return false;
      if (a.kind() === 'ipv4') {
        const ip = a as ipaddr.IPv4;
        for (const range of v4) if (ip.match(range)) return true;
        return false;
      }
      const ip = a as ipaddr.IPv6;
      for (const range of v6) if (ip.match(range)) return true;
      return false;
    },
  };
}
