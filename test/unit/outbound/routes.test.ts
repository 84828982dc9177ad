import { describe, expect, it } from 'vitest';
import { compileRoutes, hubPath, parseTarget, resolveRoute, type Target } from '../../../src/outbound/routes.js';

const target = (url: string): Target => {
  const t = parseTarget(url);
  if ('refused' in t) throw new Error(`refused: ${t.refused}`);
  return t;
};

describe('compileRoutes', () => {
  it('maps each configured resource to its own base URL and falls back to the default', () => {
    const { table, problems } = compileRoutes(
      {
        default: 'https://hub.example:8443/switch/',
        routes: { parties: 'https://als.example/als', participants: 'https://als.example/als', quotes: 'https://quotes.example:9443' },
      },
      { requireTls: true },
    );
    expect(problems).toEqual([]);
    expect(resolveRoute(table, 'parties')?.upstream.origin).toBe('https://als.example');
    expect(resolveRoute(table, 'parties')?.basePath).toBe('/als');
    expect(resolveRoute(table, 'quotes')?.upstream.origin).toBe('https://quotes.example:9443');
    expect(resolveRoute(table, 'quotes')?.basePath).toBe('');
    expect(resolveRoute(table, 'transfers')?.key).toBe('outbound.hub.default');
    expect(resolveRoute(table, 'transfers')?.basePath).toBe('/switch');
    expect(resolveRoute(table, 'thirdpartyRequests')?.upstream.origin).toBe('https://hub.example:8443');
    // parties and participants share one upstream (one pool), as do identical origins.
    expect(table.upstreams.map((u) => u.origin).sort()).toEqual(['https://als.example', 'https://hub.example:8443', 'https://quotes.example:9443']);
  });

  it('has no route for a resource without its own URL when there is no default', () => {
    const { table } = compileRoutes({ routes: { quotes: 'https://q.example' } }, { requireTls: true });
    expect(resolveRoute(table, 'transfers')).toBeUndefined();
    expect(resolveRoute(table, 'quotes')).toBeDefined();
  });

  it('sends the server name for host names, none for IP literals, and honours an override', () => {
    const named = compileRoutes({ default: 'https://hub.example' }, { requireTls: true }).table;
    expect(named.fallback?.upstream.servername).toBe('hub.example');
    const ip = compileRoutes({ default: 'https://127.0.0.1:9000', routes: { quotes: 'https://[::1]:9000' } }, { requireTls: true }).table;
    expect(ip.fallback?.upstream.servername).toBeUndefined();
    expect(ip.byResource.get('quotes')?.upstream.servername).toBeUndefined();
    expect(ip.byResource.get('quotes')?.upstream.hostname).toBe('::1');
    const overridden = compileRoutes({ default: 'https://127.0.0.1:9000' }, { requireTls: true, serverName: 'hub.scheme.example' }).table;
    expect(overridden.fallback?.upstream.servername).toBe('hub.scheme.example');
  });

  it('reports every bad URL with its key', () => {
    const { problems } = compileRoutes(
      { default: 'http://hub.example', routes: { quotes: 'https://u:p@q.example', transfers: 'https://t.example/x?y=1' } },
      { requireTls: true },
    );
    expect(problems.map((p) => p.key).sort()).toEqual(['outbound.hub.default', 'outbound.hub.routes.quotes', 'outbound.hub.routes.transfers']);
    expect(problems.find((p) => p.key === 'outbound.hub.default')?.message).toMatch(/plain http/);
  });

  it('allows http:// routes when mTLS to the hub is off (lab hubs)', () => {
    expect(compileRoutes({ default: 'http://127.0.0.1:3001' }, { requireTls: false }).problems).toEqual([]);
  });
});

describe('parseTarget / hubPath', () => {
  it('prefixes the base path and keeps path and query unchanged', () => {
    const { table } = compileRoutes({ default: 'https://hub.example/api/v1/' }, { requireTls: true });
    const t = target('/parties/MSISDN/123?currency=USD');
    expect(t.resource).toBe('parties');
    expect(hubPath(resolveRoute(table, t.resource)!, t)).toBe('/api/v1/parties/MSISDN/123?currency=USD');
  });

  it('reduces an absolute-form target to its path', () => {
    expect(target('http://127.0.0.1:4001/transfers/abc?x=1')).toEqual({ path: '/transfers/abc', query: '?x=1', resource: 'transfers' });
  });

  it('finds the FSPIOP resource as the JWS engine does (left-most resource segment)', () => {
    expect(target('/transfers').resource).toBe('transfers');
    expect(target('/').resource).toBeUndefined();
    expect(target('/bulkQuotes/1/error').resource).toBe('bulkQuotes');
    expect(target('/fspiop/quotes/1').resource).toBe('quotes');
    expect(target('/parties/MSISDN/quotes').resource).toBe('parties');
  });

  it('routes a prefixed path by its resource and keeps the prefix in the hub path', () => {
    const { table } = compileRoutes({ default: 'https://hub.example', routes: { quotes: 'https://q.example/q' } }, { requireTls: true });
    const t = target('/fspiop/quotes/1');
    const route = resolveRoute(table, t.resource)!;
    expect(route.upstream.origin).toBe('https://q.example');
    expect(hubPath(route, t)).toBe('/q/fspiop/quotes/1');
    expect(resolveRoute(table, undefined)?.key).toBe('outbound.hub.default');
  });

  it('refuses dot segments (literal or encoded) that could climb out of a base path, and junk targets', () => {
    for (const bad of ['/../admin', '/parties/../../x', '/./x', '/%2e%2e/x', '/a/%2E/b', '/x/..']) expect(parseTarget(bad)).toEqual({ refused: 'dot_segment' });
    for (const bad of [undefined, '', '*', 'ftp://x/y', '//evil.example/x']) expect(parseTarget(bad)).toEqual({ refused: 'bad_request_target' });
    expect('refused' in parseTarget('/parties/MSISDN/1.5')).toBe(false);
  });
});
