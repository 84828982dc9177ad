/**
 * The one error catalogue. Every rejection the sidecar answers with an HTTP body comes from a row
 * here: its HTTP status, its FSPIOP error code (API Definition v1.1 §7.6) and a fixed public
 * description. Runtime detail (which header, which file) goes to the log and, as a stable reason
 * token, to `extensionList`, never into `errorDescription`.
 *
 * test/contract/errors-catalogue.test.ts keeps this table, the README error table and the codes
 * used in src/ in step.
 */

export interface CatalogueEntry {
  /** HTTP status the sidecar answers with. */
  readonly status: number;
  /** FSPIOP `errorInformation.errorCode`, a 4-digit string. */
  readonly fspiopCode: string;
  /** FSPIOP `errorInformation.errorDescription`, fixed text (1..128 chars). */
  readonly description: string;
  /** One line for operators: when this happens. Rendered into the README table. */
  readonly meaning: string;
}

export const CATALOGUE = {
  MALFORMED_JSON: {
    status: 400,
    fspiopCode: '3101',
    description: 'Malformed syntax',
    meaning: 'The body is not valid JSON. Inbound, a body is parsed only when its received bytes do not verify as they are (to try the re-serialisations older peers sign).',
  },
  BODY_MALFORMED: {
    status: 400,
    fspiopCode: '3101',
    description: 'Malformed syntax',
    meaning: 'The body ended before its Content-Length, or the request framing was invalid.',
  },
  MALFORMED_REQUEST: {
    status: 400,
    fspiopCode: '3101',
    description: 'Malformed syntax',
    meaning: 'Inbound: the request target is not in its one canonical form (dot segments, encoded slashes or backslashes, empty segments, characters outside RFC 3986, outside inbound.basePath), a GET/HEAD/OPTIONS/DELETE carries a body, or a header changes how the core would read the request (a method override, a Connection header naming an end-to-end header, a Content-Encoding).',
  },
  HEADERS_TOO_LARGE: {
    status: 431,
    fspiopCode: '3103',
    description: 'Too many elements',
    meaning: 'More request header lines than inbound.maxHeaderCount (inbound), or more header bytes than the listener takes (inbound.maxHeaderBytes; Node\'s 16 KiB outbound).',
  },
  MISSING_HEADER: {
    status: 400,
    fspiopCode: '3102',
    description: 'Missing mandatory element',
    meaning: 'A mandatory FSPIOP header (FSPIOP-Source, FSPIOP-URI, FSPIOP-HTTP-Method, Date) is missing.',
  },
  INVALID_SIGNATURE: {
    status: 400,
    fspiopCode: '3105',
    description: 'Invalid signature',
    meaning: 'FSPIOP-Signature is missing, malformed, uses a disallowed algorithm, names an unknown source, does not verify, or disagrees with the HTTP headers.',
  },
  BODY_TOO_LARGE: {
    status: 413,
    fspiopCode: '3104',
    description: 'Too large payload',
    meaning: 'The body (declared or streamed) exceeds the configured limit.',
  },
  UNSIGNABLE_BODY: {
    status: 400,
    fspiopCode: '3101',
    description: 'Malformed syntax',
    meaning: 'Outbound: the core sent a body that is not JSON, or whose values would not survive a peer\'s parse and re-serialise (e.g. integers beyond 2^53, duplicate keys), or an FSPIOP-Source/Destination that is not printable ASCII, so no Mojaloop validator could verify it.',
  },
  INVALID_HEADER: {
    status: 400,
    fspiopCode: '3101',
    description: 'Malformed syntax',
    meaning: 'Outbound: the core sent an Accept or Content-Type that is not the FSPIOP media type of the resource, or a Date that does not parse or lies outside outbound.headers.dateSkewSeconds of the clock (the reason names the header).',
  },
  UNKNOWN_IDENTITY: {
    status: 400,
    fspiopCode: '3100',
    description: 'Generic validation error',
    meaning: 'Outbound: the core set an FSPIOP-Source that is not one of the configured identities.',
  },
  NO_ROUTE: {
    status: 404,
    fspiopCode: '3002',
    description: 'Unknown URI',
    meaning: 'Outbound: no hub route for this resource and no default route.',
  },
  REQUEST_TIMEOUT: {
    status: 408,
    fspiopCode: '3000',
    description: 'Generic client error',
    meaning: 'The client did not send the whole request within the configured time.',
  },
  CLIENT_CLOSED: {
    status: 499,
    fspiopCode: '3000',
    description: 'Generic client error',
    meaning: 'Outbound: the core closed its connection before the hub\'s answer was relayed; the hub request was aborted. Nothing is answered (counted only).',
  },
  CORE_UNREACHABLE: {
    status: 502,
    fspiopCode: '1001',
    description: 'Destination communication error',
    meaning: 'Inbound: the DFSP core refused or dropped the connection.',
  },
  CORE_TIMEOUT: {
    status: 504,
    fspiopCode: '2004',
    description: 'Server timed out',
    meaning: 'Inbound: the DFSP core did not answer within the configured timeout.',
  },
  HUB_UNREACHABLE: {
    status: 502,
    fspiopCode: '1001',
    description: 'Destination communication error',
    meaning: 'Outbound: the hub refused the connection, failed the TLS handshake or dropped the connection.',
  },
  HUB_TIMEOUT: {
    status: 504,
    fspiopCode: '2004',
    description: 'Server timed out',
    meaning: 'Outbound: the hub did not answer within the configured timeout.',
  },
  TOKEN_UNAVAILABLE: {
    status: 503,
    fspiopCode: '2003',
    description: 'Service currently unavailable',
    meaning: 'Outbound: no valid OAuth token is held (the token endpoint is failing and the last token expired).',
  },
  SIGNING_FAILED: {
    status: 500,
    fspiopCode: '2001',
    description: 'Internal server error',
    meaning: 'Outbound: the signing key could not sign. With a key in a PKCS#11 token: the token is unusable (reason hsm_unavailable: failing fast while it is probed in the background; /readyz names it) or refused this signature (hsm_error). A file key that loaded should never fail.',
  },
  SHUTTING_DOWN: {
    status: 503,
    fspiopCode: '2003',
    description: 'Service currently unavailable',
    meaning: 'The sidecar is draining for shutdown and takes no new requests.',
  },
  INTERNAL: {
    status: 500,
    fspiopCode: '2001',
    description: 'Internal server error',
    meaning: 'An unexpected error; the log line with the request id has the cause.',
  },
} as const satisfies Record<string, CatalogueEntry>;

export type ErrorCode = keyof typeof CATALOGUE;

/**
 * The only error type thrown on the request path. `reason` is a stable, low-cardinality token
 * (e.g. `signature_mismatch`) used as a metric label and sent in `extensionList`; `detail` is
 * free text for the log only.
 */
export class SidecarError extends Error {
  override readonly name = 'SidecarError';
  readonly code: ErrorCode;
  readonly reason: string;
  readonly detail: string | undefined;

  constructor(code: ErrorCode, reason: string, detail?: string, options?: { cause?: unknown }) {
    super(detail ? `${code}(${reason}): ${detail}` : `${code}(${reason})`, options);
    this.code = code;
    this.reason = reason;
    this.detail = detail;
  }

  get entry(): CatalogueEntry {
    return CATALOGUE[this.code];
  }
}

export interface ErrorInformationBody {
  errorInformation: {
    errorCode: string;
    errorDescription: string;
    extensionList?: { extension: Array<{ key: string; value: string }> };
  };
}

/** The FSPIOP body for a catalogue code. The reason travels as an extension so clients can act on it. */
export function errorInformation(code: ErrorCode, reason?: string): ErrorInformationBody {
  const entry = CATALOGUE[code];
  const body: ErrorInformationBody = {
    errorInformation: { errorCode: entry.fspiopCode, errorDescription: entry.description },
  };
  if (reason) {
    body.errorInformation.extensionList = { extension: [{ key: 'sidecarReason', value: reason }] };
  }
  return body;
}

export function isSidecarError(err: unknown): err is SidecarError {
  return err instanceof SidecarError;
}
