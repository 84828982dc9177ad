/**
 * The hub's Connection Manager API, the subset a DFSP uses (../shared/reference/mcm-api.md), as
 * typed calls. Every answer is checked against the shape the MCM's code really returns before a
 * step sees it: a partial or garbled answer is an error here, never a half-filled object that a
 * step could install.
 *
 * Authentication: OAuth2 client credentials against the hub's Keycloak, sent as PM4ML sends them
 * (form fields client_id/client_secret; mcm-api.md §3.1). The token is kept until shortly before
 * `expires_in` and fetched again after any 401/403 (the MCM answers every auth failure with 401,
 * §3.4), with one retry of the call. Without a token endpoint the calls go unauthenticated (an MCM
 * with OIDC switched off, §3.3).
 *
 * Nothing here logs or puts into an error the client secret or a token.
 */
import { Agent, errors as undiciErrors, type Dispatcher } from 'undici';
import { z } from 'zod';
import { parseGrant } from '../outbound/token-client.js';
import { TokenFetchError } from '../outbound/token-source.js';
import { readResponseText } from '../shared/body.js';

export interface McmApiOptions {
  /** Base URL including /api, without a trailing slash. */
  readonly url: string;
  readonly dfspId: string;
  /** PEM bundle for the MCM's (and token endpoint's) TLS; undefined: the public roots. */
  readonly ca: string | undefined;
  readonly timeoutMs: number;
  readonly oauth: { readonly tokenEndpoint: string; readonly clientId: string; readonly clientSecret: string } | undefined;
  /** Clock, for tests of token expiry. */
  readonly now?: () => number;
}

export type McmErrorKind = 'unreachable' | 'timeout' | 'auth' | 'http' | 'bad_response';

export class McmError extends Error {
  override readonly name = 'McmError';
  constructor(
    readonly kind: McmErrorKind,
    message: string,
    readonly status?: number,
  ) {
    super(message);
  }
}

const MAX_RESPONSE_BYTES = 4 * 1024 * 1024;

const certInfo = z.looseObject({ notAfter: z.string().optional(), notBefore: z.string().optional(), serialNumber: z.string().optional() });
const validations = z.array(z.unknown()).optional();

const enrollment = z.looseObject({
  id: z.number().int(),
  csr: z.string().optional(),
  state: z.string(),
  certificate: z.string().optional().nullable(),
  certInfo: certInfo.optional().nullable(),
  validations,
  validationState: z.string().optional(),
});
export type Enrollment = z.infer<typeof enrollment>;

const hubCa = z.looseObject({ rootCertificate: z.string().nullable().optional(), intermediateChain: z.string().nullable().optional() });
export type HubCa = z.infer<typeof hubCa>;

const dfspCa = z.looseObject({ rootCertificate: z.string().nullable().optional(), intermediateChain: z.string().nullable().optional(), validationState: z.string().optional() });
const jwsCert = z.looseObject({ dfspId: z.string(), publicKey: z.string(), createdAt: z.number().optional().nullable() });
export type JwsCert = z.infer<typeof jwsCert>;
const egressRow = z.looseObject({ id: z.number(), ipList: z.array(z.looseObject({ address: z.string(), ports: z.array(z.string()).optional() })) });
const ingressRow = z.looseObject({ id: z.number(), url: z.string() });
const statesAnswer = z.looseObject({ code: z.number().optional() });

export type StepStatus = 'pending' | 'inProgress' | 'completed' | 'inError';
export interface StateReport {
  readonly status: StepStatus;
  readonly lastUpdated: string;
  readonly stateDescription?: string;
  readonly errorDescription?: string;
}

export interface McmApi {
  getHubCa(): Promise<HubCa>;
  getDfspCa(): Promise<z.infer<typeof dfspCa>>;
  putDfspCa(rootCertificate: string, intermediateChain: string | undefined): Promise<void>;
  createInboundEnrollment(clientCSR: string): Promise<Enrollment>;
  getInboundEnrollment(id: number): Promise<Enrollment>;
  listOutboundEnrollments(): Promise<Enrollment[]>;
  uploadOutboundCertificate(id: number, certificate: string): Promise<Enrollment>;
  /** Our published JWS key, or undefined when none is (404). */
  getOwnJwsKey(): Promise<JwsCert | undefined>;
  publishJwsKey(publicKey: string, createdAt: number): Promise<void>;
  listJwsKeys(): Promise<JwsCert[]>;
  getEgress(): Promise<z.infer<typeof egressRow> | undefined>;
  postEgress(ipList: Array<{ address: string; ports: string[] }>): Promise<void>;
  getIngress(): Promise<z.infer<typeof ingressRow> | undefined>;
  postIngress(url: string): Promise<void>;
  postStates(states: Record<string, StateReport>): Promise<void>;
  /** A token fetch on its own (doctor's token layer). Resolves when the token endpoint granted one. */
  checkToken(): Promise<void>;
  close(): Promise<void>;
}

export function createMcmApi(opts: McmApiOptions): McmApi {
  const now = opts.now ?? Date.now;
  const agent = new Agent({
    connect: { ...(opts.ca !== undefined ? { ca: opts.ca } : {}), rejectUnauthorized: true, timeout: opts.timeoutMs },
    headersTimeout: opts.timeoutMs,
    bodyTimeout: opts.timeoutMs,
    keepAliveTimeout: 4_000,
  });
  const base = opts.url.replace(/\/+$/, '');
  const dfsp = `/dfsps/${encodeURIComponent(opts.dfspId)}`;
  let token: { value: string; refreshAt: number } | undefined;
  let fetching: Promise<string> | undefined;

  async function send(method: Dispatcher.HttpMethod, url: string, headers: Record<string, string>, body: string | undefined): Promise<{ status: number; text: string }> {
    const signal = AbortSignal.timeout(opts.timeoutMs);
    try {
      const res = await agent.request({ origin: new URL(url).origin, path: pathOf(url), method, headers, ...(body !== undefined ? { body } : {}), signal });
      return { status: res.statusCode, text: await readResponseText(res.body, MAX_RESPONSE_BYTES, () => new McmError('bad_response', `answer larger than ${MAX_RESPONSE_BYTES} bytes`)) };
    } catch (err) {
      if (err instanceof McmError) throw err;
      if (signal.aborted || err instanceof undiciErrors.HeadersTimeoutError || err instanceof undiciErrors.BodyTimeoutError || err instanceof undiciErrors.ConnectTimeoutError) {
        throw new McmError('timeout', `${hostOf(url)} did not answer within ${opts.timeoutMs} ms`);
      }
      const e = err as { code?: string; message?: string };
      throw new McmError('unreachable', `${hostOf(url)} unreachable (${e.code ?? e.message ?? 'error'})`);
    }
  }

  async function fetchToken(): Promise<string> {
    const o = opts.oauth!;
    const form = new URLSearchParams({ grant_type: 'client_credentials', client_id: o.clientId, client_secret: o.clientSecret }).toString();
    const sentAt = now();
    const { status, text } = await send('POST', o.tokenEndpoint, { 'content-type': 'application/x-www-form-urlencoded', accept: 'application/json' }, form);
    if (status === 400 || status === 401) throw new McmError('auth', `the token endpoint refused our client credentials (HTTP ${status}${oauthError(text)}); check mcm.oauth.clientId and clientSecret`, status);
    if (status < 200 || status > 299) throw new McmError('http', `the token endpoint answered HTTP ${status}`, status);
    try {
      const grant = parseGrant(text);
      const lifetimeMs = (grant.expiresInSeconds ?? 300) * 1000;
      // Refresh before expiry by the smaller of 30 s and a tenth of the lifetime (PM4ML's rule).
      token = { value: grant.accessToken, refreshAt: sentAt + lifetimeMs - Math.min(30_000, lifetimeMs / 10) };
      return grant.accessToken;
    } catch (err) {
      throw new McmError('bad_response', err instanceof TokenFetchError ? err.message : 'token response unreadable');
    }
  }

  async function bearer(): Promise<string | undefined> {
    if (!opts.oauth) return undefined;
    if (token && now() < token.refreshAt) return token.value;
    fetching ??= fetchToken().finally(() => {
      fetching = undefined;
    });
    return fetching;
  }

  async function call(method: Dispatcher.HttpMethod, path: string, body?: unknown, okStatuses: readonly number[] = [200]): Promise<{ status: number; json: unknown }> {
    for (let attempt = 0; ; attempt++) {
      const t = await bearer();
      const headers: Record<string, string> = { accept: 'application/json', ...(body !== undefined ? { 'content-type': 'application/json' } : {}), ...(t ? { authorization: `Bearer ${t}` } : {}) };
      const { status, text } = await send(method, base + path, headers, body === undefined ? undefined : JSON.stringify(body));
      if ((status === 401 || status === 403) && opts.oauth && attempt === 0) {
        token = undefined;
        continue;
      }
      if (status === 401 || status === 403) throw new McmError('auth', `${method} ${path}: the MCM refused our credentials (HTTP ${status}: ${errorMessage(text)})`, status);
      if (!okStatuses.includes(status)) throw new McmError('http', `${method} ${path}: HTTP ${status}${errorMessage(text) ? `: ${errorMessage(text)}` : ''}`, status);
      if (text.length === 0) return { status, json: undefined };
      try {
        return { status, json: JSON.parse(text) };
      } catch {
        throw new McmError('bad_response', `${method} ${path}: the answer is not JSON`, status);
      }
    }
  }

  function shaped<T>(schema: z.ZodType<T>, value: unknown, what: string): T {
    const r = schema.safeParse(value);
    if (!r.success) throw new McmError('bad_response', `${what}: unexpected answer (${r.error.issues.slice(0, 3).map((i) => `${i.path.join('.') || 'body'}: ${i.message}`).join('; ')})`);
    return r.data;
  }

  return {
    async getHubCa() {
      return shaped(hubCa, (await call('GET', '/hub/ca')).json, 'GET /hub/ca');
    },
    async getDfspCa() {
      return shaped(dfspCa, (await call('GET', `${dfsp}/ca`)).json, `GET ${dfsp}/ca`);
    },
    async putDfspCa(rootCertificate, intermediateChain) {
      await call('POST', `${dfsp}/ca`, { rootCertificate, ...(intermediateChain ? { intermediateChain } : {}) });
    },
    async createInboundEnrollment(clientCSR) {
      return shaped(enrollment, (await call('POST', `${dfsp}/enrollments/inbound`, { clientCSR })).json, 'POST enrollments/inbound');
    },
    async getInboundEnrollment(id) {
      return shaped(enrollment, (await call('GET', `${dfsp}/enrollments/inbound/${id}`)).json, `GET enrollments/inbound/${id}`);
    },
    async listOutboundEnrollments() {
      return shaped(z.array(enrollment), (await call('GET', `${dfsp}/enrollments/outbound`)).json, 'GET enrollments/outbound');
    },
    async uploadOutboundCertificate(id, certificate) {
      return shaped(enrollment, (await call('POST', `${dfsp}/enrollments/outbound/${id}/certificate`, { certificate })).json, `POST enrollments/outbound/${id}/certificate`);
    },
    async getOwnJwsKey() {
      const r = await call('GET', `${dfsp}/jwscerts`, undefined, [200, 404]);
      return r.status === 404 ? undefined : shaped(jwsCert, r.json, `GET ${dfsp}/jwscerts`);
    },
    async publishJwsKey(publicKey, createdAt) {
      await call('POST', `${dfsp}/jwscerts`, { publicKey, createdAt });
    },
    async listJwsKeys() {
      return shaped(z.array(jwsCert), (await call('GET', '/dfsps/jwscerts')).json, 'GET /dfsps/jwscerts');
    },
    async getEgress() {
      const r = await call('GET', `${dfsp}/endpoints/egress`, undefined, [200, 404]);
      return r.status === 404 ? undefined : shaped(egressRow, r.json, 'GET endpoints/egress');
    },
    async postEgress(ipList) {
      await call('POST', `${dfsp}/endpoints/egress`, { ipList });
    },
    async getIngress() {
      const r = await call('GET', `${dfsp}/endpoints/ingress`, undefined, [200, 404]);
      return r.status === 404 ? undefined : shaped(ingressRow, r.json, 'GET endpoints/ingress');
    },
    async postIngress(url) {
      await call('POST', `${dfsp}/endpoints/ingress`, { url });
    },
    async postStates(states) {
      shaped(statesAnswer, (await call('POST', `${dfsp}/states`, states)).json ?? {}, 'POST states');
    },
    async checkToken() {
      if (!opts.oauth) throw new McmError('auth', 'no mcm.oauth.tokenEndpoint configured');
      token = undefined;
      await bearer();
    },
    close: () => agent.close(),
  };
}

function pathOf(url: string): string {
  const u = new URL(url);
  return u.pathname + u.search;
}

function hostOf(url: string): string {
  try {
    return new URL(url).host;
  } catch {
    return url;
  }
}

/** The `message` of error body A or B (mcm-api.md §1), cut short and made printable. */
export function errorMessage(text: string): string {
  try {
    const body = JSON.parse(text) as { message?: unknown };
    if (typeof body.message === 'string') return body.message.replace(/[^\x20-\x7e]/g, '?').slice(0, 200);
  } catch {
    // not JSON
  }
  return '';
}

function oauthError(text: string): string {
  try {
    const body = JSON.parse(text) as { error?: unknown };
    if (typeof body.error === 'string' && /^[\x20-\x7e]{1,64}$/.test(body.error)) return `, ${body.error}`;
  } catch {
    // not JSON
  }
  return '';
}
