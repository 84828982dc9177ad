/**
 * The identity side of the stand-in: a Keycloak realm `dfsps` (confidential clients, service
 * account groups, client-credentials and refresh-token grants, RS256 JWTs with the audience and
 * group-membership mappers MCM provisions, mcm-api.md §3.2) and MCM's token check (§3.3):
 * signature, `iss`, `aud` ⊇ `connection-manager-api`, `exp` with 60 s tolerance. A token that
 * fails any of these is "no user", never an error of its own.
 */
import { randomBytes, randomUUID, type KeyObject } from 'node:crypto';
import { SignJWT, exportJWK, jwtVerify } from 'jose';

export const AUDIENCE = 'connection-manager-api';
export const REALM = 'dfsps';
export const TOKEN_PATH = `/realms/${REALM}/protocol/openid-connect/token`;
export const CERTS_PATH = `/realms/${REALM}/protocol/openid-connect/certs`;
export const DISCOVERY_PATH = `/realms/${REALM}/.well-known/openid-configuration`;
/** Keycloak's default SSO session idle time: the refresh token's lifetime. */
const REFRESH_TTL_SECONDS = 1800;
const CLOCK_TOLERANCE_SECONDS = 60;

export interface KeycloakClient {
  clientId: string;
  secret: string;
  /** Full group paths, as the group-membership mapper writes them (`/Application/DFSP:DFSP1`). */
  groups: string[];
}

export interface User {
  clientId: string | undefined;
  roles: string[];
}

export interface MintOptions {
  /** Default: the `groups` of `clientId` if it exists, else []. */
  groups?: string[];
  clientId?: string;
  /** Lifetime from now in seconds; negative for an already expired token. Default: the token TTL. */
  expiresInSeconds?: number;
  issuer?: string;
  audience?: string | string[];
}

/**
 * Roles from the `groups` claim (§3.3): strip a leading `/`; Application/PTA → pta,
 * Application/MTA → mta; Application/DFSP:<x> kept verbatim and adds `dfsp`; `everyone` always.
 */
export function rolesOf(groups: unknown): string[] {
  const roles = new Set<string>();
  if (Array.isArray(groups)) {
    for (const g of groups) {
      if (typeof g !== 'string') continue;
      const name = g.startsWith('/') ? g.slice(1) : g;
      if (name === 'Application/PTA') roles.add('pta');
      else if (name === 'Application/MTA') roles.add('mta');
      else if (name.startsWith('Application/DFSP:')) {
        roles.add(name);
        roles.add('dfsp');
      }
    }
  }
  roles.add('everyone');
  return [...roles];
}

export class Realm {
  readonly clients = new Map<string, KeycloakClient>();
  private readonly issuedJtis = new Set<string>();
  private readonly revokedJtis = new Set<string>();
  private readonly kid = randomUUID();

  constructor(
    private readonly signingKey: KeyObject,
    private readonly publicKey: KeyObject,
    readonly issuer: string,
    private readonly tokenTtlSeconds: number,
    /** false: Keycloak's default for client credentials since 12 (no refresh token; PM4ML logs in again). */
    private readonly refreshTokens = true,
  ) {}

  upsertClient(clientId: string, groups: string[], secret = randomBytes(24).toString('base64url')): KeycloakClient {
    const client = { clientId, secret, groups: [...groups] };
    this.clients.set(clientId, client);
    return client;
  }

  /** A new secret for an existing client (what POST /dfsps/{id}/credentials does). */
  rotateSecret(clientId: string): KeycloakClient | undefined {
    const client = this.clients.get(clientId);
    if (!client) return undefined;
    client.secret = randomBytes(24).toString('base64url');
    return client;
  }

  revokeAll(): void {
    for (const jti of this.issuedJtis) this.revokedJtis.add(jti);
    this.issuedJtis.clear();
  }

  async jwks(): Promise<{ keys: unknown[] }> {
    const jwk = await exportJWK(this.publicKey);
    return { keys: [{ ...jwk, kid: this.kid, use: 'sig', alg: 'RS256' }] };
  }

  private async sign(claims: Record<string, unknown>, typ: 'Bearer' | 'Refresh', expiresIn: number, issuer = this.issuer, audience: string | string[]): Promise<{ token: string; jti: string }> {
    const now = Math.floor(Date.now() / 1000);
    const jti = randomUUID();
    this.issuedJtis.add(jti);
    const token = await new SignJWT({ ...claims, typ })
      .setProtectedHeader({ alg: 'RS256', typ: 'JWT', kid: this.kid })
      .setIssuer(issuer)
      .setAudience(audience)
      .setIssuedAt(now)
      .setExpirationTime(now + expiresIn)
      .setJti(jti)
      .sign(this.signingKey);
    return { token, jti };
  }

  private accessClaims(clientId: string, groups: string[]): Record<string, unknown> {
    return {
      sub: `service-account-${clientId}`,
      azp: clientId,
      clientId,
      preferred_username: `service-account-${clientId}`,
      scope: 'profile email',
      groups,
    };
  }

  /** A token signed by the realm's key with any claims a test needs (expired, wrong audience, ...). */
  async mint(options: MintOptions = {}): Promise<string> {
    const clientId = options.clientId ?? 'test-minted';
    const groups = options.groups ?? this.clients.get(clientId)?.groups ?? [];
    const { token } = await this.sign(
      this.accessClaims(clientId, groups),
      'Bearer',
      options.expiresInSeconds ?? this.tokenTtlSeconds,
      options.issuer ?? this.issuer,
      options.audience ?? [AUDIENCE],
    );
    return token;
  }

  private async tokenResponse(client: KeycloakClient): Promise<Record<string, unknown>> {
    const access = await this.sign(this.accessClaims(client.clientId, client.groups), 'Bearer', this.tokenTtlSeconds, this.issuer, [AUDIENCE]);
    const common = { access_token: access.token, expires_in: this.tokenTtlSeconds, token_type: 'Bearer', 'not-before-policy': 0, scope: 'profile email' };
    if (!this.refreshTokens) return { ...common, refresh_expires_in: 0 };
    // Keycloak's refresh tokens are JWTs whose audience is the realm itself: never accepted by the API.
    const refresh = await this.sign({ azp: client.clientId, sub: `service-account-${client.clientId}` }, 'Refresh', REFRESH_TTL_SECONDS, this.issuer, this.issuer);
    return { ...common, refresh_expires_in: REFRESH_TTL_SECONDS, refresh_token: refresh.token };
  }

  /**
   * POST …/protocol/openid-connect/token. Client authentication by form fields (what PM4ML
   * sends) or HTTP Basic; Keycloak's error bodies.
   */
  async handleTokenRequest(form: URLSearchParams, authorization: string | undefined): Promise<{ status: number; body: Record<string, unknown> }> {
    let clientId = form.get('client_id') ?? undefined;
    let secret = form.get('client_secret') ?? undefined;
    if (authorization?.toLowerCase().startsWith('basic ')) {
      const decoded = Buffer.from(authorization.slice(6).trim(), 'base64').toString('utf8');
      const colon = decoded.indexOf(':');
      if (colon > 0) {
        clientId = decodeURIComponent(decoded.slice(0, colon));
        secret = decodeURIComponent(decoded.slice(colon + 1));
      }
    }
    const grant = form.get('grant_type');
    if (grant !== 'client_credentials' && grant !== 'refresh_token') {
      return { status: 400, body: { error: 'unsupported_grant_type', error_description: 'Unsupported grant_type' } };
    }
    const client = clientId !== undefined ? this.clients.get(clientId) : undefined;
    if (!client || secret === undefined || secret !== client.secret) {
      return { status: 401, body: { error: 'invalid_client', error_description: 'Invalid client or Invalid client credentials' } };
    }
    if (grant === 'client_credentials') return { status: 200, body: await this.tokenResponse(client) };
    const refreshToken = form.get('refresh_token');
    const claims = refreshToken ? await this.verify(refreshToken, this.issuer) : undefined;
    if (!claims || claims['typ'] !== 'Refresh') {
      return { status: 400, body: { error: 'invalid_grant', error_description: 'Invalid refresh token' } };
    }
    if (claims['azp'] !== client.clientId) {
      return { status: 400, body: { error: 'invalid_grant', error_description: 'Invalid refresh token. Token client and authorized client don\'t match' } };
    }
    return { status: 200, body: await this.tokenResponse(client) };
  }

  private async verify(token: string, audience: string): Promise<Record<string, unknown> | undefined> {
    try {
      const { payload } = await jwtVerify(token, this.publicKey, {
        issuer: this.issuer,
        audience,
        algorithms: ['RS256'],
        clockTolerance: CLOCK_TOLERANCE_SECONDS,
      });
      if (typeof payload.jti === 'string' && this.revokedJtis.has(payload.jti)) return undefined;
      return payload as Record<string, unknown>;
    } catch {
      return undefined;
    }
  }

  /** MCM's AuthMiddleware: a Bearer token that verifies gives a user; anything else gives none. */
  async userOf(authorization: string | undefined): Promise<{ user: User | undefined; presented: boolean }> {
    if (!authorization?.startsWith('Bearer ')) return { user: undefined, presented: false };
    const claims = await this.verify(authorization.slice(7), AUDIENCE);
    if (!claims) return { user: undefined, presented: true };
    return { user: { clientId: typeof claims['azp'] === 'string' ? claims['azp'] : undefined, roles: rolesOf(claims['groups']) }, presented: true };
  }
}
