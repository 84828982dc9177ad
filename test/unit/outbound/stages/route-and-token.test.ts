/** The route and token stages on hand-built exchanges: their decisions, no sockets. */
import { describe, expect, it } from 'vitest';
import type { OutboundExchange } from '../../../../src/outbound/exchange.js';
import { compileRoutes } from '../../../../src/outbound/routes.js';
import { routeStage } from '../../../../src/outbound/stages/route.js';
import { tokenStage } from '../../../../src/outbound/stages/token.js';
import { createStaticToken, OAuthTokenSource, type TokenProvider } from '../../../../src/outbound/token-source.js';

function exchange(url: string, routes: Parameters<typeof compileRoutes>[0], token?: TokenProvider): OutboundExchange {
  const { table } = compileRoutes(routes, { requireTls: true });
  return {
    req: { url, headers: {} },
    gen: { runtime: { routes: table }, token },
    resource: 'other',
  } as unknown as OutboundExchange;
}

describe('route stage', () => {
  it('sets target, route and the resource label', () => {
    const x = exchange('/fxQuotes/1/error', { default: 'https://hub.example' });
    routeStage.run(x);
    expect(x.route?.upstream.origin).toBe('https://hub.example');
    expect(x.resource).toBe('fxQuotes');
    // Every FSPIOP resource is a label of its own (the set is shared with inbound); a non-FSPIOP
    // first segment is `other`, so the core cannot grow the series count.
    const thirdparty = exchange('/thirdpartyRequests/1', { default: 'https://hub.example' });
    routeStage.run(thirdparty);
    expect(thirdparty.resource).toBe('thirdpartyRequests');
    const other = exchange('/not-fspiop/1', { default: 'https://hub.example' });
    routeStage.run(other);
    expect(other.resource).toBe('other');
  });

  it('throws NO_ROUTE for an unrouted resource or a bad target', () => {
    expect(() => routeStage.run(exchange('/transfers', { routes: { quotes: 'https://q.example' } }))).toThrow(expect.objectContaining({ code: 'NO_ROUTE', reason: 'no_route' }));
    expect(() => routeStage.run(exchange('*', { default: 'https://hub.example' }))).toThrow(expect.objectContaining({ code: 'NO_ROUTE', reason: 'bad_request_target' }));
  });
});

describe('token stage', () => {
  it('attaches nothing without a token provider', () => {
    const x = exchange('/quotes', { default: 'https://hub.example' });
    expect(tokenStage.run(x)).toBeUndefined();
    expect(x.token).toBeUndefined();
  });

  it('is synchronous with a held token', () => {
    const x = exchange('/quotes', { default: 'https://hub.example' }, createStaticToken('st'));
    expect(tokenStage.run(x)).toBeUndefined();
    expect(x.token).toBe('st');
  });

  it('waits for the first fetch, and fails with TOKEN_UNAVAILABLE when it fails', async () => {
    let fail!: (e: Error) => void;
    const source = new OAuthTokenSource({ fetch: () => new Promise((_, reject) => (fail = reject)), refreshMs: 60_000, marginMs: 0, retryMs: 60_000, maxRetryMs: 60_000 });
    source.start();
    const x = exchange('/quotes', { default: 'https://hub.example' }, source);
    const pending = tokenStage.run(x);
    expect(pending).toBeInstanceOf(Promise);
    fail(new Error('down'));
    await expect(pending).rejects.toMatchObject({ code: 'TOKEN_UNAVAILABLE' });
    source.stop();
  });
});
