/**
 * A stand-in Mojaloop Connection Manager for tests, faithful to ../shared/reference/mcm-api.md
 * (where the reference says the code and the spec disagree, it does what the code does):
 *   - HTTPS on 127.0.0.1 with a server certificate from its own TLS CA (`tlsCaPem`);
 *   - the MCM API under /api (routes in mcm-standin/routes.ts): validator first (404 undocumented
 *     path, 405 undefined method, then auth, then 400 unknown query parameter / schema), every
 *     auth failure a 401 in error body A, service errors in error body B;
 *   - a Keycloak realm `dfsps` on the same server: client-credentials and refresh-token grants,
 *     RS256 JWTs (iss, aud connection-manager-api, exp, groups), JWKS and discovery documents;
 *   - a real hub CA (our PKI) that signs inbound enrollments only when the test says so
 *     (`signInbound`, or a pta client calling POST …/inbound/{enId}/sign);
 *   - failure switches: `pause`/`resume` (connections refused, same port after), `failNext`,
 *     `revokeTokens`, `setHubCaResponse` (a malicious hub CA answer).
 * Every request is recorded in `calls`.
 */
import { createPublicKey } from 'node:crypto';
import { createServer, type Server } from 'node:https';
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { createCa, createServerCert, type CaMaterial } from '../../src/crypto/pki/certificate.js';
import { generateKeyPair } from '../../src/crypto/pki/keys.js';
import { CERTS_PATH, DISCOVERY_PATH, Realm, TOKEN_PATH, type KeycloakClient, type MintOptions, type User } from './mcm-standin/auth.js';
import { findRoute, type RouteHooks } from './mcm-standin/routes.js';
import { McmService, type DfspCa, type EndpointRow, type Enrollment, type JwsRecord, type OnboardRecord } from './mcm-standin/service.js';
import { ServiceError, ValidatorError, bodyA, validate } from './mcm-standin/validation.js';

export type { Enrollment, EndpointRow, JwsRecord, OnboardRecord, DfspCa } from './mcm-standin/service.js';
export type { Validation, CertInfoJson, CsrInfoJson } from './mcm-standin/pki.js';
export { createCsrRequesting, createSubjectlessCsr, signCsrWithSubject, type CsrRequestingOptions, type SignCsrWithSubjectOptions } from './mcm-standin/pki.js';
export { rolesOf } from './mcm-standin/auth.js';

export interface McmStandInOptions {
  /** The hub's SWITCH_ID: the dfspId of the hub's JWS key in GET /dfsps/jwscerts. Default 'switch'. */
  switchId?: string;
  /** 0 (default): any free port. */
  port?: number;
  /** expires_in of access tokens. Default 300. */
  tokenTtlSeconds?: number;
  /** Lifetime of certificates the hub signs. Default 365. */
  signValidityDays?: number;
  /** MCM's PRIVATE_KEY_LENGTH: the hub's CSR keys and the key-length validation. Default 2048 (tests stay fast; MCM's default is 4096). */
  keyLength?: number;
  /** Use this hub CA (e.g. the shared test PKI's, so a mock hub's server certificate chains to it). Default: a new one. */
  hubCa?: CaMaterial;
  /** Hand out refresh tokens with client-credentials tokens (default true, as the brief's Keycloak; false as Keycloak ≥ 12's default). */
  refreshTokens?: boolean;
  /** The realm's pta client for hub actions over HTTP. Default clientId 'hub-operator'. */
  ptaClientId?: string;
}

export interface StandInCall {
  method: string;
  /** The request path without the query string, e.g. `/api/dfsps/DFSP1/ca`. */
  path: string;
  /** The query string without `?`, '' when none. */
  query: string;
  status: number;
  /** 'none': no Bearer token; 'valid': a token that verified; 'invalid': one that did not. */
  auth: 'none' | 'valid' | 'invalid';
}

export interface DfspStateSnapshot {
  ca?: DfspCa;
  inbound: Enrollment[];
  /** Without the hub's keys: see `outboundKeyPem`. */
  outbound: Enrollment[];
  jws?: JwsRecord;
  serverCerts?: Record<string, unknown>;
  egress: EndpointRow[];
  ingress: EndpointRow[];
  states?: Record<string, unknown>;
  onboarded?: OnboardRecord;
  credentials?: { clientId: string; clientSecret: string; createdAt: string };
}

export interface McmStandIn {
  /** 'https://127.0.0.1:<port>/api' */
  readonly apiUrl: string;
  /** 'https://127.0.0.1:<port>/realms/dfsps/protocol/openid-connect/token' */
  readonly tokenUrl: string;
  /** The realm's issuer ('https://127.0.0.1:<port>/realms/dfsps'). */
  readonly issuer: string;
  readonly port: number;
  /** Verifies the stand-in's HTTPS server certificate (CN localhost; SANs localhost, 127.0.0.1, ::1). */
  readonly tlsCaPem: string;
  /** The hub CA: what GET /hub/ca serves and what signs inbound enrollments. */
  readonly hubCa: { certPem: string; keyPem: string };
  /** A realm client with group /Application/PTA, for driving hub actions over HTTP. */
  readonly ptaClient: { clientId: string; clientSecret: string };
  /** POST /dfsps semantics (record + first outbound enrollment) + Keycloak client + credentials (§7.13). */
  createDfsp(dfspId: string): Promise<{ clientId: string; clientSecret: string }>;
  /**
   * A new outbound enrollment (POST …/outbound/csr): MCM's subject-less CSR and the hub key, or
   * `csrPem` as given (malicious tests), paired with `keyPem` when given. keyPem is '' when unknown.
   */
  createOutboundEnrollment(dfspId: string, opts?: { csrPem?: string; keyPem?: string }): Promise<{ id: number; keyPem: string }>;
  /** The hub's private key of an outbound enrollment (PEM), undefined when unknown. */
  outboundKeyPem(dfspId: string, enId: number): string | undefined;
  /**
   * The hub's client credential towards the DFSP: the latest CERT_SIGNED outbound enrollment's
   * certificate (as the DFSP uploaded it) and the hub key, for a mock hub calling the DFSP.
   */
  hubClientCredential(dfspId: string): { enId: number; certPem: string; keyPem: string } | undefined;
  /**
   * The hub signs: `enId` undefined signs every CSR_LOADED inbound enrollment of the DFSP.
   * `certificatePem` stores exactly that text instead (a certificate for another key, garbage).
   * Returns the enrollments touched, as GET would show them.
   */
  signInbound(dfspId: string, enId?: number, opts?: { certificatePem?: string; days?: number; notAfter?: Date }): Promise<Enrollment[]>;
  /** Override the body of GET /hub/ca; undefined restores the real one. */
  setHubCaResponse(body: unknown | undefined): void;
  /** POST /hub/jwscerts: the hub's key, listed with dfspId = switchId. createdAt default: now (seconds). */
  setHubJwsKey(publicKeyPem: string, createdAt?: number): void;
  /** Replaces every external key (POST /external-dfsps/jwscerts semantics per item; native ids dropped). */
  setExternalJwsKeys(keys: Array<{ dfspId: string; publicKey: string; createdAt?: number }>): void;
  /**
   * Another native DFSP's key (its POST …/jwscerts). Creates that DFSP when needed: the record
   * and key are there at once; the promise resolves when its outbound enrollment exists too.
   */
  setPeerJwsKey(dfspId: string, publicKeyPem: string, createdAt: number): Promise<void>;
  /** Every token issued so far (access and refresh) stops verifying. */
  revokeTokens(): void;
  /** A token signed by the realm key with chosen claims (expired, other audience, other issuer, groups). */
  mintToken(opts?: MintOptions): Promise<string>;
  /** Creates or replaces a realm client (e.g. one with /Application/MTA). */
  createClient(clientId: string, groups: string[]): { clientId: string; clientSecret: string };
  /** Stop listening (connections refused, open ones closed); `resume` listens again on the same port. */
  pause(): Promise<void>;
  resume(): Promise<void>;
  /** The next `n` API calls (not token calls) answer `status` in error body B (InternalError). */
  failNext(n: number, status: number): void;
  readonly calls: ReadonlyArray<StandInCall>;
  state(dfspId: string): DfspStateSnapshot;
  close(): Promise<void>;
}

const MAX_BODY = 1 << 20;

export async function startMcmStandIn(opts: McmStandInOptions = {}): Promise<McmStandIn> {
  const switchId = opts.switchId ?? 'switch';
  const keyLength = opts.keyLength ?? 2048;
  const rsa = async () => (await generateKeyPair({ keyType: 'rsa', keySize: 2048 })).privateKey;
  const [tlsCaKey, serverKey, jwtKey, hubCaKey] = await Promise.all([rsa(), rsa(), rsa(), opts.hubCa ? undefined : rsa()]);
  const [tlsCa, hubCa] = await Promise.all([
    createCa({ cn: 'MCM stand-in TLS CA', o: 'MCM stand-in', c: 'ZZ', key: tlsCaKey }),
    opts.hubCa ?? createCa({ cn: 'MCM stand-in Hub CA', o: 'MCM stand-in Hub', c: 'ZZ', key: hubCaKey }),
  ]);
  const serverCert = await createServerCert({ ca: tlsCa, cn: 'localhost', dns: ['localhost'], ip: ['127.0.0.1', '::1'], days: 30, key: serverKey });

  const svc = new McmService({ switchId, keyLength, signValidityDays: opts.signValidityDays ?? 365, hubCa });
  const calls: StandInCall[] = [];
  let hubCaOverride: { body: unknown } | undefined;
  let failures = { remaining: 0, status: 500 };

  const server: Server = createServer({ cert: serverCert.chainPem, key: serverCert.keyPem });
  let port = opts.port ?? 0;
  const listen = (): Promise<void> =>
    new Promise((resolve, reject) => {
      const onError = (err: Error) => reject(err);
      server.once('error', onError);
      server.listen(port, '127.0.0.1', () => {
        server.off('error', onError);
        port = (server.address() as AddressInfo).port;
        resolve();
      });
    });
  await listen();
  const origin = `https://127.0.0.1:${port}`;
  const realm = new Realm(jwtKey, createPublicKey(jwtKey), `${origin}/realms/dfsps`, opts.tokenTtlSeconds ?? 300, opts.refreshTokens ?? true);
  const ptaClient = realm.upsertClient(opts.ptaClientId ?? 'hub-operator', ['/Application/PTA']);

  const createCredentials = (dfspId: string): { clientId: string; clientSecret: string; createdAt: string } => {
    const d = svc.dfsp(dfspId);
    const client = realm.rotateSecret(dfspId);
    if (!client) throw new ServiceError('NotFoundError', `Client not found for DFSP ${dfspId}`);
    d.credentials = { clientId: client.clientId, clientSecret: client.secret, createdAt: new Date().toISOString() };
    return { ...d.credentials };
  };

  /** POST /dfsps: the record, the Keycloak client (clientId = dfspId, group /Application/DFSP:<id>), the first outbound enrollment. */
  const createDfspRecord = (b: Parameters<McmService['createDfspRecord']>[0]): Promise<void> => {
    const d = svc.createDfspRecord(b);
    realm.upsertClient(d.id, [`/Application/DFSP:${d.id}`]);
    return svc.createOutbound(d.id).then(() => undefined);
  };

  const hooks: RouteHooks = {
    hubCaResponse: () => (hubCaOverride ? hubCaOverride.body : { rootCertificate: hubCa.certPem, validationState: 'VALID', type: 'INTERNAL' }),
    createDfsp: createDfspRecord,
    createCredentials,
  };

  const send = (res: ServerResponse, status: number, body: unknown, headers: Record<string, string> = {}): void => {
    if (body === undefined) {
      res.writeHead(status, headers).end();
      return;
    }
    res.writeHead(status, { 'content-type': 'application/json; charset=utf-8', ...headers }).end(JSON.stringify(body));
  };

  const handleApi = async (req: IncomingMessage, res: ServerResponse, path: string, search: URLSearchParams, raw: Buffer, presented: { user: User | undefined }): Promise<void> => {
    if (failures.remaining > 0) {
      failures.remaining -= 1;
      send(res, failures.status, new ServiceError('InternalError', 'MCM stand-in: injected failure', {}, failures.status).body);
      return;
    }
    const apiPath = path.slice('/api'.length);
    const match = findRoute(req.method ?? 'GET', apiPath);
    if (match === 'not-found') throw new ValidatorError(404, bodyA('not found', path));
    if (match === 'method') throw new ValidatorError(405, bodyA(`${req.method} method not allowed`, path));
    const { route, params } = match;
    const openApiRoute = `/api${route.template}`;
    const user = presented.user;
    // Security before request validation, as express-openapi-validator orders them; every
    // failure is 401 because MCM sets `statusCode` and the validator reads only `status` (§3.4).
    if (route.scopes !== null) {
      const deny = (message: string) => new ValidatorError(401, bodyA(message, openApiRoute));
      if (!user) throw deny('Authentication required');
      if (route.template.includes('/dfsps/{dfspId}')) {
        // The spec's scopes are ignored on DFSP-scoped routes: pta, or the DFSP's security group.
        if (!user.roles.includes('pta')) {
          const dfsp = svc.dfsps.get(params['dfspId'] as string);
          if (!dfsp) throw deny(`DFSP with id ${params['dfspId']} not found`);
          if (dfsp.securityGroup && !user.roles.includes(dfsp.securityGroup)) throw deny(`user does not have the required role ${dfsp.securityGroup}`);
        }
      } else if (!route.scopes.some((s) => user.roles.includes(s))) {
        throw deny(`user does not have the required roles ${route.scopes.join(',')}`);
      }
    }
    const query: Record<string, string> = {};
    for (const [key, value] of search) {
      const allowed = route.query?.[key];
      if (allowed === undefined) throw new ValidatorError(400, bodyA(`Unknown query parameter '${key}'`, `.query.${key}`));
      if (allowed !== null && !allowed.includes(value)) {
        throw new ValidatorError(400, bodyA(`request.query.${key} should be equal to one of the allowed values: ${allowed.join(', ')}`, `.query.${key}`, 'enum.openapi.validation'));
      }
      query[key] = value;
    }
    let body: unknown;
    if (route.body) {
      if (raw.length > 0 && !/^application\/json\b/i.test(req.headers['content-type'] ?? '')) {
        throw new ValidatorError(415, bodyA(`unsupported media type ${req.headers['content-type'] ?? ''}`, path));
      }
      try {
        body = raw.length === 0 ? {} : JSON.parse(raw.toString('utf8'));
      } catch (err) {
        throw new ValidatorError(400, bodyA((err as Error).message, '.body'));
      }
      validate(route.body, body, 'body');
    }
    const result = await route.handler({ params, query, body, user, svc, hooks });
    send(res, result.status ?? 200, result.body);
  };

  const handle = async (req: IncomingMessage, res: ServerResponse, raw: Buffer): Promise<void> => {
    const url = new URL(req.url ?? '/', origin);
    const path = url.pathname;
    const record: StandInCall = { method: req.method ?? '', path, query: url.search.slice(1), status: 0, auth: 'none' };
    res.on('finish', () => {
      record.status = res.statusCode;
      calls.push(record);
    });
    if (path === TOKEN_PATH) {
      if (req.method !== 'POST') return send(res, 405, { error: 'HTTP 405 Method Not Allowed' });
      const form = /^application\/x-www-form-urlencoded\b/i.test(req.headers['content-type'] ?? '') ? new URLSearchParams(raw.toString('utf8')) : new URLSearchParams();
      const answer = await realm.handleTokenRequest(form, req.headers.authorization);
      return send(res, answer.status, answer.body, { 'cache-control': 'no-store', pragma: 'no-cache' });
    }
    if (path === CERTS_PATH && req.method === 'GET') return send(res, 200, await realm.jwks());
    if (path === DISCOVERY_PATH && req.method === 'GET') {
      return send(res, 200, { issuer: realm.issuer, token_endpoint: `${origin}${TOKEN_PATH}`, jwks_uri: `${origin}${CERTS_PATH}`, grant_types_supported: ['client_credentials', 'refresh_token'] });
    }
    if (path !== '/api' && !path.startsWith('/api/')) return send(res, 404, bodyA('not found', path));
    const { user, presented } = await realm.userOf(req.headers.authorization);
    record.auth = !presented ? 'none' : user ? 'valid' : 'invalid';
    try {
      await handleApi(req, res, path, url.searchParams, raw, { user });
    } catch (err) {
      if (err instanceof ValidatorError) send(res, err.status, err.body, err.headers);
      else if (err instanceof ServiceError) send(res, err.status, err.body);
      else send(res, 500, { payload: 'Error', message: err instanceof Error ? err.message : String(err) });
    }
  };

  server.on('request', (req: IncomingMessage, res: ServerResponse) => {
    const chunks: Buffer[] = [];
    let size = 0;
    req.on('data', (c: Buffer) => {
      size += c.length;
      if (size > MAX_BODY) {
        send(res, 413, bodyA('request entity too large', req.url ?? ''));
        req.destroy();
        return;
      }
      chunks.push(c);
    });
    req.on('end', () => {
      if (size > MAX_BODY) return;
      handle(req, res, Buffer.concat(chunks)).catch((err: unknown) => {
        if (!res.headersSent) send(res, 500, { payload: 'Error', message: err instanceof Error ? err.message : String(err) });
      });
    });
  });

  let paused = false;
  const stop = (): Promise<void> =>
    new Promise((resolve) => {
      server.close(() => resolve());
      server.closeAllConnections();
    });

  const snapshot = (dfspId: string): DfspStateSnapshot => {
    const d = svc.dfsps.get(dfspId);
    if (!d) throw new Error(`MCM stand-in: no DFSP ${dfspId}`);
    return structuredClone({
      ...(d.ca ? { ca: d.ca } : {}),
      inbound: svc.listInbound(dfspId),
      outbound: svc.listOutbound(dfspId),
      ...(d.jws ? { jws: d.jws } : {}),
      ...(d.serverCerts ? { serverCerts: d.serverCerts } : {}),
      egress: d.egress,
      ingress: d.ingress,
      ...(d.states ? { states: d.states } : {}),
      ...(d.onboarded ? { onboarded: d.onboarded } : {}),
      ...(d.credentials ? { credentials: d.credentials } : {}),
    });
  };

  const standIn: McmStandIn = {
    apiUrl: `${origin}/api`,
    tokenUrl: `${origin}${TOKEN_PATH}`,
    issuer: realm.issuer,
    port,
    tlsCaPem: tlsCa.certPem,
    hubCa: { certPem: hubCa.certPem, keyPem: hubCa.keyPem },
    ptaClient: { clientId: ptaClient.clientId, clientSecret: ptaClient.secret },
    async createDfsp(dfspId) {
      await createDfspRecord({ dfspId, name: dfspId });
      const creds = createCredentials(dfspId);
      return { clientId: creds.clientId, clientSecret: creds.clientSecret };
    },
    async createOutboundEnrollment(dfspId, o = {}) {
      const { enrollment, keyPem } = await svc.createOutbound(dfspId, o);
      return { id: enrollment.id, keyPem: keyPem ?? '' };
    },
    outboundKeyPem: (dfspId, enId) => svc.outboundKey(dfspId, enId),
    hubClientCredential(dfspId) {
      const latest = svc.listOutbound(dfspId, 'CERT_SIGNED').at(-1);
      const keyPem = latest ? svc.outboundKey(dfspId, latest.id) : undefined;
      return latest?.certificate && keyPem ? { enId: latest.id, certPem: latest.certificate, keyPem } : undefined;
    },
    async signInbound(dfspId, enId, o = {}) {
      const ids = enId !== undefined ? [enId] : svc.listInbound(dfspId, 'CSR_LOADED').map((e) => e.id);
      try {
        return ids.map((id) => svc.signInbound(dfspId, String(id), o));
      } catch (err) {
        if (err instanceof ServiceError) throw new Error(`MCM stand-in signInbound(${dfspId}, ${enId ?? 'all'}): ${err.id} ${err.message || '(no such enrollment)'}`);
        throw err;
      }
    },
    setHubCaResponse(body) {
      hubCaOverride = body === undefined ? undefined : { body };
    },
    setHubJwsKey(publicKeyPem, createdAt) {
      svc.setHubJws(publicKeyPem, createdAt ?? Math.floor(Date.now() / 1000));
    },
    setExternalJwsKeys(keys) {
      svc.externalJws.clear();
      if (keys.length > 0) svc.addExternalJws(keys);
    },
    async setPeerJwsKey(dfspId, publicKeyPem, createdAt) {
      let pending: Promise<void> | undefined;
      if (!svc.dfsps.has(dfspId)) {
        pending = createDfspRecord({ dfspId, name: dfspId });
        createCredentials(dfspId);
      }
      svc.setDfspJws(dfspId, publicKeyPem, createdAt);
      await pending;
    },
    revokeTokens: () => realm.revokeAll(),
    mintToken: (o) => realm.mint(o),
    createClient(clientId, groups) {
      const c: KeycloakClient = realm.upsertClient(clientId, groups);
      return { clientId: c.clientId, clientSecret: c.secret };
    },
    async pause() {
      if (paused) return;
      paused = true;
      await stop();
    },
    async resume() {
      if (!paused) return;
      await listen();
      paused = false;
    },
    failNext(n, status) {
      failures = { remaining: n, status };
    },
    calls,
    state: snapshot,
    async close() {
      if (!paused) {
        paused = true;
        await stop();
      }
    },
  };
  return standIn;
}
