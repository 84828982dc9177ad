/**
 * Who is on the other end of a TLS connection, and may they talk to us. Pure functions: the
 * connection gate feeds them the peer certificate once per secure connection (full or resumed
 * handshake alike: Node keeps the peer certificate in a resumed session, so the identity rules
 * are never skipped by resumption).
 *
 * The allowlist is disjunctive and fail-closed (ghostunnel style): when any list is configured,
 * the certificate must match at least one entry of any list; with every list empty, any
 * certificate that chains to the configured CA bundle is accepted (the SDK's behaviour).
 * Matching is exact: subject CN and SAN URI case-sensitive, SAN DNS case-insensitive, no
 * wildcard expansion (a `*.hub.example` SAN only matches the configured text `*.hub.example`).
 */
import { createHash, type X509Certificate } from 'node:crypto';

export interface PeerIdentity {
  /** The subject's common name; undefined when absent or when the subject holds several. */
  readonly subjectCn: string | undefined;
  readonly sanDns: readonly string[];
  readonly sanUri: readonly string[];
  /** SHA-256 of the certificate, colon-separated upper-case hex (Node's fingerprint256). */
  readonly fingerprint256: string;
  /** SHA-256 of the SubjectPublicKeyInfo, lower-case hex; only computed when pins are configured. */
  readonly spkiSha256: string | undefined;
}

export interface IdentityRules {
  /** True when no list is configured: any certificate from the CA bundle is accepted. */
  readonly acceptAny: boolean;
  readonly subjectCn: ReadonlySet<string>;
  readonly sanDns: ReadonlySet<string>;
  readonly sanUri: ReadonlySet<string>;
  readonly spkiSha256: ReadonlySet<string>;
}

export interface IdentityConfig {
  readonly subjectCn: readonly string[];
  readonly sanDns: readonly string[];
  readonly sanUri: readonly string[];
  readonly spkiSha256: readonly string[];
}

/** A pin as configured (hex with or without colons, or base64) to lower-case hex; undefined if neither. */
export function normalisePin(pin: string): string | undefined {
  const hex = pin.replace(/:/g, '');
  if (/^[0-9A-Fa-f]{64}$/.test(hex)) return hex.toLowerCase();
  if (/^[A-Za-z0-9+/]{43}=$/.test(pin)) return Buffer.from(pin, 'base64').toString('hex');
  return undefined;
}

export function compileIdentityRules(cfg: IdentityConfig, onInvalid?: (entry: string, message: string) => void): IdentityRules {
  const pins = new Set<string>();
  for (const pin of cfg.spkiSha256) {
    const hex = normalisePin(pin);
    if (hex === undefined) onInvalid?.(pin, 'not a SHA-256 SPKI pin (64 hex digits or 44 base64 characters)');
    else pins.add(hex);
  }
  const rules = {
    subjectCn: new Set(cfg.subjectCn),
    sanDns: new Set(cfg.sanDns.map((d) => d.toLowerCase())),
    sanUri: new Set(cfg.sanUri),
    spkiSha256: pins,
  };
  // A configured list whose every entry was invalid still counts as configured: fail closed.
  const configured = cfg.subjectCn.length + cfg.sanDns.length + cfg.sanUri.length + cfg.spkiSha256.length > 0;
  return { ...rules, acceptAny: !configured };
}

export function identityFromCertificate(cert: X509Certificate, withSpki: boolean): PeerIdentity {
  // toLegacyObject() gives the subject as parsed name entries: no RFC 2253 escaping to undo,
  // and a repeated attribute arrives as an array.
  const cn = (cert.toLegacyObject().subject as unknown as Record<string, string | string[] | undefined> | undefined)?.CN;
  const san = parseSubjectAltName(cert.subjectAltName ?? '');
  return {
    subjectCn: typeof cn === 'string' ? cn : undefined,
    sanDns: san.filter((e) => e.type === 'DNS').map((e) => e.value),
    sanUri: san.filter((e) => e.type === 'URI').map((e) => e.value),
    fingerprint256: cert.fingerprint256,
    spkiSha256: withSpki ? createHash('sha256').update(cert.publicKey.export({ type: 'spki', format: 'der' })).digest('hex') : undefined,
  };
}

export function checkIdentity(id: PeerIdentity, rules: IdentityRules): boolean {
  if (rules.acceptAny) return true;
  if (id.subjectCn !== undefined && rules.subjectCn.has(id.subjectCn)) return true;
  for (const d of id.sanDns) if (rules.sanDns.has(d.toLowerCase())) return true;
  for (const u of id.sanUri) if (rules.sanUri.has(u)) return true;
  if (id.spkiSha256 !== undefined && rules.spkiSha256.has(id.spkiSha256)) return true;
  return false;
}

export function needsSpki(rules: IdentityRules): boolean {
  return rules.spkiSha256.size > 0;
}

/**
 * Split Node's `subjectAltName` text ("DNS:a, URI:b, IP Address:1.2.3.4"). Since the
 * CVE-2021-44532 fix, a value that contains a separator or quote is written as a JSON string
 * literal, so a crafted SAN cannot smuggle in a second entry.
 */
export function parseSubjectAltName(text: string): Array<{ type: string; value: string }> {
  const out: Array<{ type: string; value: string }> = [];
  let i = 0;
  while (i < text.length) {
    const colon = text.indexOf(':', i);
    if (colon < 0) break;
    const type = text.slice(i, colon);
    let j = colon + 1;
    let value: string;
    if (text[j] === '"') {
      let k = j + 1;
      while (k < text.length && text[k] !== '"') k += text[k] === '\\' ? 2 : 1;
      try {
        value = JSON.parse(text.slice(j, k + 1)) as string;
      } catch {
        // Unparsable quoting: drop the rest rather than guess at entry boundaries.
        break;
      }
      j = k + 1;
    } else {
      const sep = text.indexOf(', ', j);
      const end = sep < 0 ? text.length : sep;
      value = text.slice(j, end);
      j = end;
    }
    out.push({ type, value });
    if (text.startsWith(', ', j)) j += 2;
    else if (j < text.length) break;
    i = j;
  }
  return out;
}

/** Closed set of reasons a TLS connection is refused, for metrics and logs. */
export type HandshakeFailureReason =
  | 'no_certificate'
  | 'unknown_ca'
  | 'expired'
  | 'not_yet_valid'
  | 'revoked'
  | 'crl_unavailable'
  | 'identity'
  | 'protocol'
  | 'peer_alert'
  | 'timeout'
  | 'aborted'
  | 'renegotiation'
  | 'other';

export const HANDSHAKE_FAILURE_REASONS: readonly HandshakeFailureReason[] = [
  'no_certificate', 'unknown_ca', 'expired', 'not_yet_valid', 'revoked', 'crl_unavailable', 'identity', 'protocol', 'peer_alert', 'timeout', 'aborted', 'renegotiation', 'other',
];

/** Map OpenSSL's verification result (tlsSocket.authorizationError) to a reason. */
export function classifyVerifyError(code: string | null | undefined, hasCertificate: boolean): HandshakeFailureReason {
  if (!hasCertificate) return 'no_certificate';
  switch (code) {
    case 'CERT_HAS_EXPIRED':
      return 'expired';
    case 'CERT_NOT_YET_VALID':
      return 'not_yet_valid';
    case 'CERT_REVOKED':
      return 'revoked';
    case 'UNABLE_TO_GET_CRL':
    case 'CRL_HAS_EXPIRED':
    case 'CRL_NOT_YET_VALID':
    case 'UNABLE_TO_DECRYPT_CRL_SIGNATURE':
    case 'CRL_SIGNATURE_FAILURE':
      return 'crl_unavailable';
    case 'UNABLE_TO_VERIFY_LEAF_SIGNATURE':
    case 'UNABLE_TO_GET_ISSUER_CERT':
    case 'UNABLE_TO_GET_ISSUER_CERT_LOCALLY':
    case 'SELF_SIGNED_CERT_IN_CHAIN':
    case 'DEPTH_ZERO_SELF_SIGNED_CERT':
    case 'CERT_SIGNATURE_FAILURE':
    case 'CERT_UNTRUSTED':
    case 'INVALID_CA':
      return 'unknown_ca';
    default:
      return 'other';
  }
}

/** Map a 'tlsClientError' (the handshake itself failed) to a reason. */
export function classifyHandshakeError(code: string | undefined): HandshakeFailureReason {
  switch (code) {
    case 'ERR_SSL_PEER_DID_NOT_RETURN_A_CERTIFICATE':
      return 'no_certificate';
    case 'ERR_TLS_HANDSHAKE_TIMEOUT':
      return 'timeout';
    case 'ECONNRESET':
    case 'EPIPE':
    case 'ERR_STREAM_PREMATURE_CLOSE':
      return 'aborted';
    case 'ERR_SSL_UNSUPPORTED_PROTOCOL':
    case 'ERR_SSL_NO_PROTOCOLS_AVAILABLE':
    case 'ERR_SSL_WRONG_VERSION_NUMBER':
    case 'ERR_SSL_HTTP_REQUEST':
    case 'ERR_SSL_NO_SHARED_CIPHER':
    case 'ERR_SSL_UNEXPECTED_MESSAGE':
    case 'ERR_SSL_PACKET_LENGTH_TOO_LONG':
    case 'ERR_SSL_VERSION_TOO_LOW':
    case 'ERR_SSL_TLSV1_ALERT_PROTOCOL_VERSION':
      return 'protocol';
    default:
      // The client aborted with an alert: most often it does not trust our server certificate.
      if (code?.startsWith('ERR_SSL_SSLV3_ALERT_') || code?.startsWith('ERR_SSL_TLSV1_ALERT_') || code?.startsWith('ERR_SSL_TLSV13_ALERT_')) return 'peer_alert';
      return 'other';
  }
}
