/**
 * Map a failure talking to the hub onto the catalogue: HUB_TIMEOUT when the hub (or our deadline)
 * ran out of time, HUB_UNREACHABLE for everything else (refused, reset, TLS failures in either
 * direction, DNS). The reason token says which, is a metric-safe closed set, and tells an operator
 * where to look (e.g. `tls_untrusted_hub` = fix outbound.tls.caFiles; `tls_refused_by_hub` = the
 * hub does not accept our client certificate).
 */
import { SidecarError } from '../shared/errors.js';

export type HubFailureReason =
  | 'deadline'
  | 'headers_timeout'
  | 'body_timeout'
  | 'connect_timeout'
  | 'connection_refused'
  | 'connection_reset'
  | 'connection_closed'
  | 'dns'
  | 'network'
  | 'tls_untrusted_hub'
  | 'tls_hub_cert_expired'
  | 'tls_name_mismatch'
  | 'tls_refused_by_hub'
  | 'tls_error'
  | 'pool_closed'
  | 'other';

const TIMEOUTS: Record<string, HubFailureReason> = {
  UND_ERR_HEADERS_TIMEOUT: 'headers_timeout',
  UND_ERR_BODY_TIMEOUT: 'body_timeout',
};

const UNREACHABLE: Record<string, HubFailureReason> = {
  UND_ERR_CONNECT_TIMEOUT: 'connect_timeout',
  ECONNREFUSED: 'connection_refused',
  ECONNRESET: 'connection_reset',
  EPIPE: 'connection_reset',
  UND_ERR_SOCKET: 'connection_closed',
  ENOTFOUND: 'dns',
  EAI_AGAIN: 'dns',
  EHOSTUNREACH: 'network',
  ENETUNREACH: 'network',
  EADDRNOTAVAIL: 'network',
  UNABLE_TO_VERIFY_LEAF_SIGNATURE: 'tls_untrusted_hub',
  UNABLE_TO_GET_ISSUER_CERT: 'tls_untrusted_hub',
  UNABLE_TO_GET_ISSUER_CERT_LOCALLY: 'tls_untrusted_hub',
  SELF_SIGNED_CERT_IN_CHAIN: 'tls_untrusted_hub',
  DEPTH_ZERO_SELF_SIGNED_CERT: 'tls_untrusted_hub',
  CERT_UNTRUSTED: 'tls_untrusted_hub',
  CERT_SIGNATURE_FAILURE: 'tls_untrusted_hub',
  CERT_HAS_EXPIRED: 'tls_hub_cert_expired',
  CERT_NOT_YET_VALID: 'tls_hub_cert_expired',
  ERR_TLS_CERT_ALTNAME_INVALID: 'tls_name_mismatch',
  HOSTNAME_MISMATCH: 'tls_name_mismatch',
  UND_ERR_CLOSED: 'pool_closed',
  UND_ERR_DESTROYED: 'pool_closed',
};

/** OpenSSL alerts the hub sends when it does not accept our client certificate. */
const REFUSED_ALERT = /ALERT_(BAD_CERTIFICATE|UNKNOWN_CA|CERTIFICATE_REQUIRED|CERTIFICATE_EXPIRED|CERTIFICATE_REVOKED|CERTIFICATE_UNKNOWN|UNSUPPORTED_CERTIFICATE|ACCESS_DENIED|HANDSHAKE_FAILURE)/;

export function classifyHubError(err: unknown): SidecarError {
  if (err instanceof SidecarError) return err;
  const code = errorCode(err);
  const detail = `${code ?? 'error'}: ${err instanceof Error ? err.message : String(err)}`;
  if (code !== undefined) {
    const timeout = TIMEOUTS[code];
    if (timeout) return new SidecarError('HUB_TIMEOUT', timeout, detail, { cause: err });
    const unreachable = UNREACHABLE[code];
    if (unreachable) return new SidecarError('HUB_UNREACHABLE', unreachable, detail, { cause: err });
    if (REFUSED_ALERT.test(code)) return new SidecarError('HUB_UNREACHABLE', 'tls_refused_by_hub', detail, { cause: err });
    if (code.startsWith('ERR_SSL_') || code.startsWith('ERR_TLS_')) return new SidecarError('HUB_UNREACHABLE', 'tls_error', detail, { cause: err });
  }
  return new SidecarError('HUB_UNREACHABLE', 'other', detail, { cause: err });
}

/**
 * undici wraps socket errors (UND_ERR_SOCKET) around the TLS or errno error that caused them;
 * the innermost specific code is the useful one.
 */
function errorCode(err: unknown): string | undefined {
  let e: unknown = err;
  let code: string | undefined;
  for (let depth = 0; depth < 4 && e && typeof e === 'object'; depth++) {
    const c = (e as { code?: unknown }).code;
    if (typeof c === 'string') code = c;
    const cause = (e as { cause?: unknown }).cause;
    if (!cause) break;
    e = cause;
  }
  return code;
}
