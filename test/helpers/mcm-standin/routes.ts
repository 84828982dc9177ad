/**
 * The MCM API routes the stand-in serves, with the spec's security scopes, query parameters and
 * request schemas (API:src/api/swagger.yaml at the commit mcm-api.md §0 names), and the handlers.
 * `scopes: null` is a route with no security entry (POST /dfsps/{dfspId}/states, §3.4 rule 4).
 */
import type { User } from './auth.js';
import type { McmService } from './service.js';
import { SCHEMAS, ServiceError, type Schema } from './validation.js';

export interface RouteContext {
  params: Record<string, string>;
  query: Record<string, string>;
  body: unknown;
  user: User | undefined;
  svc: McmService;
  hooks: RouteHooks;
}

/** What the routes need from the stand-in beyond the service: Keycloak and the hub CA answer. */
export interface RouteHooks {
  hubCaResponse(): unknown;
  createDfsp(body: Parameters<McmService['createDfspRecord']>[0]): Promise<void>;
  createCredentials(dfspId: string): { clientId: string; clientSecret: string; createdAt: string };
}

export interface RouteResult {
  status?: number;
  /** undefined: an empty body (MCM's DELETEs answer 200 with nothing). */
  body?: unknown;
}

export interface Route {
  method: 'GET' | 'POST' | 'PUT' | 'DELETE';
  template: string;
  scopes: readonly string[] | null;
  /** Allowed query parameters, with their enum when they have one. */
  query?: Record<string, readonly string[] | null>;
  body?: Schema;
  handler(ctx: RouteContext): RouteResult | Promise<RouteResult>;
}

const MTA_PTA = ['mta', 'pta'] as const;
const ENROLLMENT_STATES = ['NEW', 'CSR_LOADED', 'CERT_SIGNED', 'INVALID'] as const;

const ITEM_KINDS = [
  { path: 'ingress/ips', direction: 'INGRESS', type: 'IP', schema: SCHEMAS.InputIPValue },
  { path: 'ingress/urls', direction: 'INGRESS', type: 'URL', schema: SCHEMAS.InputURLValue },
  { path: 'egress/ips', direction: 'EGRESS', type: 'IP', schema: SCHEMAS.InputIPValue },
] as const;

const ok = (body: unknown): RouteResult => ({ status: 200, body });
const p = (ctx: RouteContext, name: string): string => ctx.params[name] as string;
const body = <T>(ctx: RouteContext): T => ctx.body as T;

export const ROUTES: readonly Route[] = [
  // 7.1 DFSP records
  { method: 'GET', template: '/dfsps', scopes: ['everyone', 'pta'], handler: (c) => ok(c.svc.listDfsps(c.user?.roles ?? [])) },
  {
    method: 'POST',
    template: '/dfsps',
    scopes: ['pta'],
    body: SCHEMAS.DFSPCreate,
    handler: async (c) => {
      const b = body<Parameters<McmService['createDfspRecord']>[0]>(c);
      try {
        await c.hooks.createDfsp(b);
      } catch (err) {
        // Any failure other than a ValidationError becomes a 500 InternalError (§7.1).
        if (err instanceof ServiceError && (err.id === 'ValidationError' || err.id === 'InternalError')) throw err;
        throw new ServiceError('InternalError', err instanceof Error ? err.message : String(err));
      }
      return ok({ id: b.dfspId });
    },
  },
  { method: 'PUT', template: '/dfsps/{dfspId}', scopes: ['pta'], body: SCHEMAS.DFSPUpdate, handler: (c) => ok(c.svc.updateDfsp(p(c, 'dfspId'), body(c))) },
  { method: 'GET', template: '/dfsps/{dfspId}/status', scopes: ['everyone'], handler: (c) => ok(c.svc.status(p(c, 'dfspId'))) },

  // 7.2 hub CA
  { method: 'GET', template: '/hub/ca', scopes: ['mta', 'pta', 'dfsp'], handler: (c) => ok(c.hooks.hubCaResponse()) },

  // 7.3 DFSP CA
  { method: 'GET', template: '/dfsps/{dfspId}/ca', scopes: MTA_PTA, handler: (c) => ok(c.svc.getDfspCa(p(c, 'dfspId'))) },
  { method: 'POST', template: '/dfsps/{dfspId}/ca', scopes: MTA_PTA, body: SCHEMAS.CAInfo, handler: (c) => ok(c.svc.setDfspCa(p(c, 'dfspId'), body(c))) },

  // 7.4 inbound enrollments
  {
    method: 'POST',
    template: '/dfsps/{dfspId}/enrollments/inbound',
    scopes: MTA_PTA,
    body: SCHEMAS.DFSPInboundCreate,
    handler: (c) => ok(c.svc.createInbound(p(c, 'dfspId'), body<{ clientCSR: string }>(c).clientCSR)),
  },
  {
    method: 'GET',
    template: '/dfsps/{dfspId}/enrollments/inbound',
    scopes: MTA_PTA,
    query: { state: ENROLLMENT_STATES },
    handler: (c) => ok(c.svc.listInbound(p(c, 'dfspId'), c.query['state'])),
  },
  { method: 'GET', template: '/dfsps/{dfspId}/enrollments/inbound/{enId}', scopes: MTA_PTA, handler: (c) => ok(c.svc.getInbound(p(c, 'dfspId'), p(c, 'enId'))) },
  { method: 'POST', template: '/dfsps/{dfspId}/enrollments/inbound/{enId}/sign', scopes: ['pta'], handler: (c) => ok(c.svc.signInbound(p(c, 'dfspId'), p(c, 'enId'))) },

  // 7.5 outbound enrollments
  {
    method: 'GET',
    template: '/dfsps/{dfspId}/enrollments/outbound',
    scopes: MTA_PTA,
    query: { state: ENROLLMENT_STATES },
    handler: (c) => ok(c.svc.listOutbound(p(c, 'dfspId'), c.query['state'])),
  },
  { method: 'POST', template: '/dfsps/{dfspId}/enrollments/outbound/csr', scopes: ['pta'], handler: async (c) => ok((await c.svc.createOutbound(p(c, 'dfspId'))).enrollment) },
  { method: 'GET', template: '/dfsps/{dfspId}/enrollments/outbound/{enId}', scopes: MTA_PTA, handler: (c) => ok(c.svc.getOutbound(p(c, 'dfspId'), p(c, 'enId'))) },
  {
    method: 'POST',
    template: '/dfsps/{dfspId}/enrollments/outbound/{enId}/certificate',
    scopes: MTA_PTA,
    body: SCHEMAS.Certificate,
    handler: (c) => ok(c.svc.uploadOutboundCertificate(p(c, 'dfspId'), p(c, 'enId'), body<{ certificate?: unknown }>(c).certificate)),
  },
  { method: 'POST', template: '/dfsps/{dfspId}/enrollments/outbound/{enId}/validate', scopes: MTA_PTA, handler: (c) => ok(c.svc.validateOutbound(p(c, 'dfspId'), p(c, 'enId'))) },

  // 7.6 / 7.7 server certificates
  { method: 'GET', template: '/dfsps/{dfspId}/servercerts', scopes: MTA_PTA, handler: (c) => ok(c.svc.getServerCerts(p(c, 'dfspId'))) },
  { method: 'POST', template: '/dfsps/{dfspId}/servercerts', scopes: MTA_PTA, body: SCHEMAS.BaseServerCert, handler: (c) => ok(c.svc.setServerCerts(p(c, 'dfspId'), body(c))) },
  { method: 'PUT', template: '/dfsps/{dfspId}/servercerts', scopes: MTA_PTA, body: SCHEMAS.BaseServerCert, handler: (c) => ok(c.svc.setServerCerts(p(c, 'dfspId'), body(c))) },
  {
    method: 'DELETE',
    template: '/dfsps/{dfspId}/servercerts',
    scopes: MTA_PTA,
    handler: (c) => {
      c.svc.deleteServerCerts(p(c, 'dfspId'));
      return { status: 200 };
    },
  },
  { method: 'GET', template: '/dfsps/servercerts', scopes: ['pta'], handler: (c) => ok(c.svc.allServerCerts()) },
  {
    method: 'GET',
    template: '/hub/servercerts',
    scopes: ['everyone'],
    // Issued only by a pta POST /hub/servercerts, which no DFSP test needs: never present (§7.7).
    handler: () => {
      throw new ServiceError('NotFoundError', '');
    },
  },

  // 7.8 JWS
  {
    method: 'POST',
    template: '/dfsps/{dfspId}/jwscerts',
    scopes: MTA_PTA,
    body: SCHEMAS.BaseJWSCert,
    handler: (c) => {
      const b = body<{ publicKey: string; createdAt?: number }>(c);
      return ok(c.svc.setDfspJws(p(c, 'dfspId'), b.publicKey, b.createdAt));
    },
  },
  { method: 'GET', template: '/dfsps/{dfspId}/jwscerts', scopes: MTA_PTA, handler: (c) => ok(c.svc.getDfspJws(p(c, 'dfspId'))) },
  {
    method: 'DELETE',
    template: '/dfsps/{dfspId}/jwscerts',
    scopes: MTA_PTA,
    handler: (c) => {
      c.svc.deleteDfspJws(p(c, 'dfspId'));
      return { status: 200 };
    },
  },
  { method: 'GET', template: '/dfsps/jwscerts', scopes: ['mta', 'pta', 'dfsp'], handler: (c) => ok(c.svc.allJws()) },
  { method: 'GET', template: '/hub/jwscerts', scopes: MTA_PTA, handler: (c) => ok(c.svc.getHubJws()) },
  {
    method: 'POST',
    template: '/hub/jwscerts',
    scopes: ['pta'],
    body: SCHEMAS.BaseJWSCert,
    handler: (c) => {
      const b = body<{ publicKey: string; createdAt?: number }>(c);
      return ok(c.svc.setHubJws(b.publicKey, b.createdAt));
    },
  },
  {
    method: 'POST',
    template: '/external-dfsps/jwscerts',
    scopes: MTA_PTA,
    body: SCHEMAS.DFSPJWSCertInputList,
    handler: (c) => ok(c.svc.addExternalJws(body(c))),
  },

  // 7.9 endpoints (v2)
  {
    method: 'POST',
    template: '/dfsps/{dfspId}/endpoints/egress',
    scopes: MTA_PTA,
    body: SCHEMAS.DFSPEgress,
    handler: (c) => ok(c.svc.addEndpoint(p(c, 'dfspId'), 'egress', body(c), null)),
  },
  { method: 'GET', template: '/dfsps/{dfspId}/endpoints/egress', scopes: MTA_PTA, handler: (c) => ok(c.svc.latestEndpoint(p(c, 'dfspId'), 'egress')) },
  {
    method: 'POST',
    template: '/dfsps/{dfspId}/endpoints/ingress',
    scopes: MTA_PTA,
    body: SCHEMAS.DFSPIngress,
    handler: (c) => ok(c.svc.addEndpoint(p(c, 'dfspId'), 'ingress', body(c), null)),
  },
  { method: 'GET', template: '/dfsps/{dfspId}/endpoints/ingress', scopes: MTA_PTA, handler: (c) => ok(c.svc.latestEndpoint(p(c, 'dfspId'), 'ingress')) },

  // 7.10 endpoint items (v1)
  { method: 'GET', template: '/dfsps/{dfspId}/endpoints', scopes: MTA_PTA, handler: (c) => ok(c.svc.listItems(p(c, 'dfspId'))) },
  { method: 'GET', template: '/dfsps/{dfspId}/endpoints/unprocessed', scopes: MTA_PTA, handler: (c) => ok(c.svc.listItems(p(c, 'dfspId'), { state: 'NEW' })) },
  { method: 'GET', template: '/dfsps/{dfspId}/endpoints/{epId}', scopes: MTA_PTA, handler: (c) => ok(c.svc.getItem(p(c, 'dfspId'), p(c, 'epId'))) },
  { method: 'PUT', template: '/dfsps/{dfspId}/endpoints/{epId}', scopes: MTA_PTA, body: SCHEMAS.EndpointItemUpdate, handler: (c) => ok(c.svc.updateItem(p(c, 'dfspId'), p(c, 'epId'), body(c))) },
  {
    method: 'DELETE',
    template: '/dfsps/{dfspId}/endpoints/{epId}',
    scopes: MTA_PTA,
    handler: (c) => {
      c.svc.deleteItem(p(c, 'dfspId'), p(c, 'epId'));
      return { status: 200 };
    },
  },
  { method: 'POST', template: '/dfsps/{dfspId}/endpoints/{epId}/confirmation', scopes: ['pta'], handler: (c) => ok(c.svc.confirmItem(p(c, 'dfspId'), p(c, 'epId'))) },
  ...ITEM_KINDS.flatMap(({ path, direction, type, schema }): Route[] => [
    {
      method: 'POST',
      template: `/dfsps/{dfspId}/endpoints/${path}`,
      scopes: MTA_PTA,
      body: schema,
      handler: (c) => ok(c.svc.addItem(p(c, 'dfspId'), direction, type, body<{ value: Record<string, never> }>(c).value, null)),
    },
    { method: 'GET', template: `/dfsps/{dfspId}/endpoints/${path}`, scopes: MTA_PTA, handler: (c) => ok(c.svc.listItems(p(c, 'dfspId'), { direction, type })) },
    // At the reference commit these call a helper with shifted arguments: the item id is looked
    // up as a DFSP id (§7.10 known bug). Reproduced, since mcm-client's update() targets them.
    ...(['GET', 'PUT', 'DELETE'] as const).map(
      (method): Route => ({
        method,
        template: `/dfsps/{dfspId}/endpoints/${path}/{epId}`,
        scopes: MTA_PTA,
        handler: (c) => {
          c.svc.dfsp(p(c, 'dfspId'));
          throw new ServiceError('NotFoundError', `DFSP with id ${p(c, 'epId')} not found`);
        },
      }),
    ),
  ]),

  // 7.11 hub endpoints: the stand-in's hub publishes none.
  { method: 'GET', template: '/hub/endpoints', scopes: ['everyone', 'pta'], handler: () => ok([]) },
  ...['ingress/ips', 'ingress/urls', 'egress/ips'].flatMap((path): Route[] => [
    { method: 'GET', template: `/hub/endpoints/${path}`, scopes: ['everyone'], handler: () => ok([]) },
    {
      method: 'GET',
      template: `/hub/endpoints/${path}/{epId}`,
      scopes: ['everyone'],
      handler: (c) => {
        throw new ServiceError('NotFoundError', `Item with id: ${p(c, 'epId')}`);
      },
    },
  ]),
  {
    method: 'GET',
    template: '/hub/endpoints/{epId}',
    scopes: ['everyone'],
    handler: (c) => {
      throw new ServiceError('NotFoundError', `Item with id: ${p(c, 'epId')}`);
    },
  },

  // Monetary zones (pta): listed so that a DFSP token gets the 401 of §3.4, not a 404.
  { method: 'GET', template: '/monetaryzones', scopes: ['pta'], handler: () => ok([]) },

  // 7.12 monitoring
  { method: 'POST', template: '/dfsps/{dfspId}/states', scopes: null, body: SCHEMAS.DfspStatesStatusPayload, handler: (c) => ok(c.svc.uploadStates(p(c, 'dfspId'), body(c))) },
  { method: 'GET', template: '/dfsps/states-status', scopes: ['everyone'], handler: (c) => ok(c.svc.statesStatus()) },

  // 7.13 credentials
  { method: 'POST', template: '/dfsps/{dfspId}/credentials', scopes: ['dfsp'], handler: (c) => ({ status: 201, body: c.hooks.createCredentials(p(c, 'dfspId')) }) },
  {
    method: 'GET',
    template: '/dfsps/{dfspId}/credentials',
    scopes: ['dfsp'],
    handler: (c) => {
      const creds = c.svc.dfsp(p(c, 'dfspId')).credentials;
      if (!creds) throw new ServiceError('NotFoundError', 'API credentials not found for this DFSP');
      return ok({ ...creds });
    },
  },

  // 4.1 step 6: the hub finishing onboarding
  { method: 'POST', template: '/dfsps/{dfspId}/onboard', scopes: ['pta'], handler: (c) => ok(c.svc.onboard(p(c, 'dfspId'))) },
];

export interface RouteMatch {
  route: Route;
  params: Record<string, string>;
}

function matchTemplate(template: string, segments: readonly string[]): Record<string, string> | undefined {
  const parts = template.split('/').slice(1);
  if (parts.length !== segments.length) return undefined;
  const params: Record<string, string> = {};
  for (let i = 0; i < parts.length; i++) {
    const part = parts[i] as string;
    const seg = segments[i] as string;
    if (part.startsWith('{')) {
      if (seg === '') return undefined;
      params[part.slice(1, -1)] = seg;
    } else if (part !== seg) {
      return undefined;
    }
  }
  return params;
}

/**
 * The route for a path under /api: 'not-found' when no template matches (404), 'method' when
 * templates match but none defines the method (405). A literal segment wins over a parameter
 * (`/dfsps/jwscerts` before `/dfsps/{dfspId}`).
 */
export function findRoute(method: string, path: string): RouteMatch | 'not-found' | 'method' {
  let segments: string[];
  try {
    segments = path.split('/').slice(1).map(decodeURIComponent);
  } catch {
    return 'not-found';
  }
  const candidates = ROUTES.flatMap((route) => {
    const params = matchTemplate(route.template, segments);
    return params ? [{ route, params }] : [];
  });
  if (candidates.length === 0) return 'not-found';
  const withMethod = candidates.filter((c) => c.route.method === method);
  if (withMethod.length === 0) return 'method';
  withMethod.sort((a, b) => Object.keys(a.params).length - Object.keys(b.params).length);
  return withMethod[0] as RouteMatch;
}
