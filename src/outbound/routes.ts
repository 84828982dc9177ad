/**
 * The route table: which hub base URL serves which FSPIOP resource, like the sdk-scheme-adapter's
 * per-service endpoints (PEER_ENDPOINT, ALS_ENDPOINT, QUOTES_ENDPOINT, ...). Compiled once per
 * snapshot; the hot path does one Map lookup on the request's FSPIOP resource, found the way the JWS
 * engine finds it for FSPIOP-URI (the left-most resource segment), so a core that prefixes its paths
 * (`/fspiop/quotes`) is still routed by resource.
 *
 * The request path sent to the hub is the route's base path followed by the core's path and query,
 * unchanged. FSPIOP-URI stays service-relative (the JWS engine derives it from the core's path), so
 * a gateway base path such as `/als` never enters the signature (fspiop-jws.md trap T4).
 */
import { HUB_RESOURCES, type HubResource } from '../config/schema.js';
import { fspiopResource, type FspiopResource } from '../crypto/jws/resource.js';

/** One hub origin: a connection pool is built per distinct upstream. */
export interface UpstreamSpec {
  /** `https://hub.example:443`: the pool key within one TLS identity, and the metric label. */
  readonly origin: string;
  readonly protocol: 'http:' | 'https:';
  readonly hostname: string;
  /** TLS server name to send and check; undefined for IP literals (SNI forbids them; the IP SAN is checked). */
  readonly servername: string | undefined;
}

export interface Route {
  /** Config key that defined it, for logs: `outbound.hub.routes.quotes` or `outbound.hub.default`. */
  readonly key: string;
  readonly upstream: UpstreamSpec;
  /** Base path without a trailing slash ('' for none). */
  readonly basePath: string;
}

export interface RouteTable {
  readonly byResource: ReadonlyMap<string, Route>;
  readonly fallback: Route | undefined;
  /** Distinct upstreams across all routes. */
  readonly upstreams: readonly UpstreamSpec[];
}

export interface RouteProblem {
  key: string;
  message: string;
}

export interface HubRoutesConfig {
  readonly default?: string | undefined;
  readonly routes?: Readonly<Partial<Record<HubResource, string | undefined>>>;
}

/**
 * Build the table. `serverName` overrides the checked name for every upstream (one hub identity
 * behind several addresses). `requireTls` flags http:// routes when mTLS to the hub is on: a plain
 * URL there would silently send signed, token-bearing traffic in clear text.
 */
export function compileRoutes(hub: HubRoutesConfig, opts: { serverName?: string | undefined; requireTls: boolean }): { table: RouteTable; problems: RouteProblem[] } {
  const problems: RouteProblem[] = [];
  const upstreams = new Map<string, UpstreamSpec>();

  const compileOne = (key: string, raw: string): Route | undefined => {
    let url: URL;
    try {
      url = new URL(raw);
    } catch {
      problems.push({ key, message: `'${raw}' is not a URL` });
      return undefined;
    }
    if (url.protocol !== 'https:' && url.protocol !== 'http:') {
      problems.push({ key, message: `'${raw}': only http:// and https:// hub URLs are supported` });
      return undefined;
    }
    if (opts.requireTls && url.protocol !== 'https:') {
      problems.push({ key, message: `'${raw}' is plain http:// but outbound.tls.enabled is true; use https:// (or disable outbound.tls for a lab hub)` });
      return undefined;
    }
    if (url.username || url.password) {
      problems.push({ key, message: 'credentials in the hub URL are not supported (the token goes in Authorization)' });
      return undefined;
    }
    if (url.search || url.hash) {
      problems.push({ key, message: `'${raw}': a hub base URL takes no query or fragment` });
      return undefined;
    }
    const protocol = url.protocol;
    // WHATWG URL brackets IPv6 hostnames; `origin` drops a default port, which undici assumes too.
    const hostname = url.hostname.startsWith('[') ? url.hostname.slice(1, -1) : url.hostname;
    const origin = url.origin;
    const servername = protocol === 'https:' ? (opts.serverName ?? (isIpLiteral(hostname) ? undefined : hostname)) : undefined;
    const upstreamKey = `${origin}|${servername ?? ''}`;
    let upstream = upstreams.get(upstreamKey);
    if (!upstream) {
      upstream = { origin, protocol, hostname, servername };
      upstreams.set(upstreamKey, upstream);
    }
    return { key, upstream, basePath: url.pathname.replace(/\/+$/, '') };
  };

  const fallback = hub.default === undefined ? undefined : compileOne('outbound.hub.default', hub.default);
  const byResource = new Map<string, Route>();
  for (const resource of HUB_RESOURCES) {
    const raw = hub.routes?.[resource];
    if (raw === undefined) continue;
    const route = compileOne(`outbound.hub.routes.${resource}`, raw);
    if (route) byResource.set(resource, route);
  }
  return { table: { byResource, fallback, upstreams: [...upstreams.values()] }, problems };
}

function isIpLiteral(host: string): boolean {
  return /^\d{1,3}(\.\d{1,3}){3}$/.test(host) || host.includes(':');
}

export interface Target {
  /** The core's path, starting with '/'. */
  readonly path: string;
  /** '' or '?...' exactly as received. */
  readonly query: string;
  /** The FSPIOP resource addressed (`transfers` for `/transfers/abc`), undefined for none. */
  readonly resource: FspiopResource | undefined;
}

/** Any `.`/`..` segment, literal or percent-encoded: a hub gateway normalising it could escape the route's base path. */
const DOT_SEGMENT = /(?:^|\/)(?:\.|%2e){1,2}(?:\/|$)/i;

/**
 * Split the core's request target. Origin-form (`/transfers/x?y`) is what the core sends; an
 * absolute-form target (`http://sidecar/transfers/x`, as a client configured with the sidecar as
 * an HTTP proxy would send) is reduced to its path. Returns a reason token for targets refused.
 */
export function parseTarget(rawUrl: string | undefined): Target | { refused: 'bad_request_target' | 'dot_segment' } {
  if (!rawUrl) return { refused: 'bad_request_target' };
  let pathAndQuery = rawUrl;
  if (!rawUrl.startsWith('/')) {
    try {
      const u = new URL(rawUrl);
      if (u.protocol !== 'http:' && u.protocol !== 'https:') return { refused: 'bad_request_target' };
      pathAndQuery = u.pathname + u.search;
    } catch {
      return { refused: 'bad_request_target' };
    }
  }
  if (pathAndQuery.startsWith('//')) return { refused: 'bad_request_target' };
  const q = pathAndQuery.indexOf('?');
  const path = q === -1 ? pathAndQuery : pathAndQuery.slice(0, q);
  const query = q === -1 ? '' : pathAndQuery.slice(q);
  if (DOT_SEGMENT.test(path)) return { refused: 'dot_segment' };
  return { path, query, resource: fspiopResource(path) };
}

/** The route for a resource: its own route, else the default, else none. */
export function resolveRoute(table: RouteTable, resource: string | undefined): Route | undefined {
  return (resource === undefined ? undefined : table.byResource.get(resource)) ?? table.fallback;
}

/** The path sent to the hub: base path + the core's path + query. */
export function hubPath(route: Route, target: Target): string {
  return route.basePath + target.path + target.query;
}
