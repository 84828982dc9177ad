/**
 * One OAuth2 client-credentials call, exactly as the hub's gateways (WSO2, Keycloak) and the SDK
 * expect it (fspiop-jws.md §7): POST to the token endpoint, `Authorization: Basic
 * base64(clientKey:clientSecret)` (the SDK's encoding, without RFC 6749's form-encoding of the
 * parts), form body `grant_type=client_credentials` plus `scope` when configured. The endpoint is
 * reached over TLS trusting the hub CA bundle (and the public roots), presenting our client
 * certificate when `oauth.mtls` is set; the SecureContext for that is built once at compile time.
 *
 * Nothing here logs or puts into an error message the secret, the Basic header or the token.
 */
import type { SecureContext } from 'node:tls';
import { Client, errors as undiciErrors } from 'undici';
import { readResponseText } from '../shared/body.js';
import { TokenFetchError, type TokenGrant } from './token-source.js';

/** Compiled token-endpoint settings (part of the outbound runtime snapshot). */
export interface OAuthRuntime {
  readonly mode: 'oauth';
  /** Origin of the token endpoint, e.g. `https://iam.hub.example`. */
  readonly origin: string;
  /** Path and query of the token endpoint. */
  readonly path: string;
  /** `Basic ...`: a secret. Never logged. */
  readonly authorization: string;
  /** The form body. */
  readonly form: string;
  readonly connect: { readonly secureContext: SecureContext; readonly servername: string | undefined } | undefined;
  readonly timeoutMs: number;
  readonly refreshMs: number;
  readonly marginMs: number;
  readonly retryMs: number;
  readonly maxRetryMs: number;
  readonly probeAfterMs: number;
  readonly rejectionRefreshMinMs: number;
  /** Digest of everything above: equal keys mean a reload can keep the running token source. */
  readonly key: string;
}

export interface StaticTokenRuntime {
  readonly mode: 'static';
  /** The configured token: a secret. Never logged. */
  readonly token: string;
  readonly key: string;
}

export type TokenRuntime = OAuthRuntime | StaticTokenRuntime;

export interface TokenFetcher {
  fetch(): Promise<TokenGrant>;
  close(): Promise<void>;
}

const MAX_TOKEN_RESPONSE_BYTES = 64 * 1024;
/** RFC 6750 b64token is narrower; visible ASCII is what can travel in a header value unaltered. */
const HEADER_SAFE = /^[\x21-\x7e]+$/;

export function createTokenFetcher(rt: OAuthRuntime): TokenFetcher {
  const client = new Client(rt.origin, {
    connect: rt.connect ? { secureContext: rt.connect.secureContext, servername: rt.connect.servername ?? undefined, rejectUnauthorized: true, timeout: rt.timeoutMs } : { timeout: rt.timeoutMs },
    headersTimeout: rt.timeoutMs,
    bodyTimeout: rt.timeoutMs,
    keepAliveTimeout: 4_000,
  });
  const headers = {
    authorization: rt.authorization,
    'content-type': 'application/x-www-form-urlencoded',
    accept: 'application/json',
  };

  return {
    async fetch() {
      const signal = AbortSignal.timeout(rt.timeoutMs);
      let status: number;
      let text: string;
      try {
        const res = await client.request({ path: rt.path, method: 'POST', headers, body: rt.form, signal });
        status = res.statusCode;
        text = await readResponseText(res.body, MAX_TOKEN_RESPONSE_BYTES, () => new TokenFetchError('invalid_response', `token response larger than ${MAX_TOKEN_RESPONSE_BYTES} bytes`));
      } catch (err) {
        throw toFetchError(err, signal);
      }
      if (status < 200 || status > 299) {
        throw new TokenFetchError('http_error', `token endpoint answered HTTP ${status}${oauthErrorCode(text)}`);
      }
      return parseGrant(text);
    },
    close: () => client.close(),
  };
}

function toFetchError(err: unknown, signal: AbortSignal): TokenFetchError {
  if (err instanceof TokenFetchError) return err;
  if (signal.aborted || err instanceof undiciErrors.HeadersTimeoutError || err instanceof undiciErrors.BodyTimeoutError || err instanceof undiciErrors.ConnectTimeoutError) {
    return new TokenFetchError('timeout', 'token endpoint did not answer in time');
  }
  const code = (err as { code?: string }).code;
  return new TokenFetchError('network_error', `token endpoint unreachable (${code ?? (err instanceof Error ? err.name : 'error')})`);
}

/** The standard OAuth `error` code (invalid_client, ...) is safe to log; descriptions are not echoed. */
function oauthErrorCode(text: string): string {
  try {
    const body = JSON.parse(text) as { error?: unknown };
    if (typeof body.error === 'string' && /^[\x20-\x7e]{1,64}$/.test(body.error)) return ` (${body.error})`;
  } catch {
    // not JSON: nothing safe to add
  }
  return '';
}

/** Parse a token response. Exported for unit tests. */
export function parseGrant(text: string): TokenGrant {
  let body: unknown;
  try {
    body = JSON.parse(text);
  } catch {
    throw new TokenFetchError('invalid_response', 'token response is not JSON');
  }
  if (typeof body !== 'object' || body === null) throw new TokenFetchError('invalid_response', 'token response is not a JSON object');
  const { access_token: token, expires_in: expiresIn, token_type: tokenType } = body as Record<string, unknown>;
  if (typeof token !== 'string' || token.length === 0) throw new TokenFetchError('invalid_response', 'token response has no access_token');
  if (!HEADER_SAFE.test(token)) throw new TokenFetchError('invalid_response', 'access_token has characters a header cannot carry');
  if (tokenType !== undefined && (typeof tokenType !== 'string' || tokenType.toLowerCase() !== 'bearer')) {
    throw new TokenFetchError('invalid_response', `token_type is '${String(tokenType).slice(0, 32)}', not Bearer`);
  }
  // The SDK honours only a positive number; a numeric string (some gateways) is read too rather than
  // treated as "never expires", which would keep a dead token forever.
  let seconds: number | undefined;
  if (typeof expiresIn === 'number' && Number.isFinite(expiresIn)) seconds = expiresIn;
  else if (typeof expiresIn === 'string' && /^\d+(\.\d+)?$/.test(expiresIn.trim())) seconds = Number(expiresIn);
  return { accessToken: token, expiresInSeconds: seconds };
}
