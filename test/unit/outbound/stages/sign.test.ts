/**
 * The sign stage on a hand-built exchange (no sockets): what it fixes for the hub — path with the
 * route's base path, canonical body, signed headers over the core's — and the unsigned paths.
 */
import { createPublicKey, verify } from 'node:crypto';
import type { IncomingHttpHeaders } from 'node:http';
import { describe, expect, it } from 'vitest';
import type { OutboundRuntime } from '../../../../src/outbound/compile.js';
import type { OutboundExchange } from '../../../../src/outbound/exchange.js';
import { createOutboundMetrics } from '../../../../src/outbound/metrics.js';
import { compileRoutes, parseTarget, resolveRoute, type Target } from '../../../../src/outbound/routes.js';
import { createInlineSigner } from '../../../../src/outbound/signer.js';
import { signStage } from '../../../../src/outbound/stages/sign.js';
import { conformHeaders, compileFspiopHeaderRules } from '../../../../src/outbound/fspiop-headers.js';
import { compileHeaderPolicy } from '../../../../src/outbound/hub-headers.js';
import { loadSigningKey } from '../../../../src/crypto/jws/index.js';
import { createMetrics } from '../../../../src/metrics/registry.js';
import { createSilentLogger } from '../../../../src/shared/log.js';
import { outboundPki } from '../../../helpers/outbound-pki.js';

async function exchange(opts: { method: string; url: string; headers?: IncomingHttpHeaders; body?: string; sign?: boolean }): Promise<OutboundExchange> {
  const pki = await outboundPki();
  const key = loadSigningKey(pki.jwsRsa.privatePem);
  const { table } = compileRoutes({ default: 'https://hub.example/base/' }, { requireTls: true });
  const runtime = {
    dfspId: 'dfspa',
    sign: opts.sign ?? true,
    signPutParties: true,
    routes: table,
    identities: new Map(),
    headerPolicy: compileHeaderPolicy([]),
    fspiopHeaders: compileFspiopHeaderRules({ fspiopVersion: '1.1', fspiopVersions: {}, dateSkewSeconds: 300 }),
  } as unknown as OutboundRuntime;
  const target = parseTarget(opts.url) as Target;
  const headers = opts.headers ?? {};
  return {
    // As the gateway derives it (requestIdFrom): the core's x-request-id when it sent one.
    requestId: typeof headers['x-request-id'] === 'string' ? headers['x-request-id'] : 'r1',
    startedAt: 0n,
    req: { headers, url: opts.url } as never,
    res: {} as never,
    log: createSilentLogger(),
    upstreamNs: 0n,
    gen: { version: 1, runtime, token: undefined, pool: () => { throw new Error('no sockets here'); } },
    services: { signer: createInlineSigner(), metrics: createOutboundMetrics(createMetrics({ defaultMetrics: false }).registry) },
    method: opts.method,
    resource: 'quotes',
    target,
    route: resolveRoute(table, target.resource),
    identity: { fspId: 'dfspa', key },
    conformed: conformHeaders(headers, opts.method, target.resource, runtime.fspiopHeaders, Date.now()),
    timedOut: false,
    body: opts.body === undefined ? undefined : Buffer.from(opts.body),
    token: 'tok-1',
    hub: undefined,
    status: 0,
  };
}

describe('sign stage', () => {
  it('fixes the hub request: base path, canonical body, signature over it, our token, core credentials gone', async () => {
    const x = await exchange({
      method: 'POST',
      url: '/quotes?x=1',
      body: '{ "b": 1, "a": "é" }',
      headers: { 'fspiop-destination': 'dfspz', authorization: 'Bearer core', 'fspiop-signature': 'forged', 'x-request-id': 'abc' },
    });
    await signStage.run(x);
    const hub = x.hub!;
    expect(hub.path).toBe('/base/quotes?x=1');
    expect(hub.body!.toString('utf8')).toBe('{"a":"é","b":1}');
    expect(hub.headers.authorization).toBe('Bearer tok-1');
    expect(hub.headers['fspiop-uri']).toBe('/quotes');
    expect(hub.headers['fspiop-destination']).toBe('dfspz');
    expect(hub.headers['x-request-id']).toBe('abc');
    const sig = JSON.parse(hub.headers['fspiop-signature'] as string) as { signature: string; protectedHeader: string };
    const pki = await outboundPki();
    const ok = verify('sha256', Buffer.from(`${sig.protectedHeader}.${hub.body!.toString('base64url')}`), createPublicKey(pki.jwsRsa.publicPem), Buffer.from(sig.signature, 'base64url'));
    expect(ok).toBe(true);
    expect((await x.services.metrics.signDuration.get()).values.find((v) => v.metricName?.endsWith('_count'))?.value).toBe(1);
  });

  it('forwards a GET unsigned and bodiless', async () => {
    const x = await exchange({ method: 'GET', url: '/parties/MSISDN/1', body: '' });
    await signStage.run(x);
    expect(x.hub!.body).toBeUndefined();
    expect(x.hub!.headers['fspiop-signature']).toBeUndefined();
    expect(x.hub!.headers['fspiop-source']).toBe('dfspa');
  });

  it('with jws.sign off, forwards the raw bytes, with our source and a canonical Date', async () => {
    const iso = new Date(Date.now() - 60_000).toISOString(); // a zoned ISO date within the skew
    const x = await exchange({ method: 'POST', url: '/quotes', body: '{ "b": 1 }', sign: false, headers: { date: iso } });
    await signStage.run(x);
    expect(x.hub!.body!.toString()).toBe('{ "b": 1 }');
    expect(x.hub!.headers['fspiop-signature']).toBeUndefined();
    expect(x.hub!.headers['fspiop-source']).toBe('dfspa');
    expect(x.hub!.headers.date).toBe(new Date(iso).toUTCString());
  });

  it('refuses a body the engine cannot sign verifiably', async () => {
    const x = await exchange({ method: 'PUT', url: '/quotes/1', body: '{"n": 12345678901234567890}' });
    expect(() => signStage.run(x)).toThrow(expect.objectContaining({ code: 'UNSIGNABLE_BODY' }));
    expect(x.hub).toBeUndefined();
  });
});
