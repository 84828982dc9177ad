import { describe, expect, it } from 'vitest';
import { fspiopResource, fspiopUri } from '../../../../src/crypto/jws/resource.js';

describe('fspiopResource / fspiopUri', () => {
  const cases: Array<[string, string | undefined, string]> = [
    ['/transfers/abc', 'transfers', '/transfers/abc'],
    ['/transfers/abc/error', 'transfers', '/transfers/abc/error'],
    ['/prefix/transfers/abc', 'transfers', '/transfers/abc'],
    ['/api/fspiop/v1/quotes?x=1', 'quotes', '/quotes'],
    ['/quotes#frag', 'quotes', '/quotes'],
    // An id equal to a resource name: the SDK's right-most match yields /quotes; we keep the service.
    ['/parties/MSISDN/quotes', 'parties', '/parties/MSISDN/quotes'],
    ['/parties/MSISDN/123/', 'parties', '/parties/MSISDN/123/'],
    ['/bulkQuotes/1', 'bulkQuotes', '/bulkQuotes/1'],
    ['/fxTransfers/1/error', 'fxTransfers', '/fxTransfers/1/error'],
    ['/ping/abc', 'ping', '/ping/abc'],
    ['/participants', 'participants', '/participants'],
    ['/Transfers/abc', undefined, '/Transfers/abc'],
    ['/transfersX/abc', undefined, '/transfersX/abc'],
    ['/health?ready', undefined, '/health'],
    ['no-slash', undefined, '/no-slash'],
    ['', undefined, '/'],
  ];
  for (const [path, resource, uri] of cases) {
    it(`${JSON.stringify(path)} → ${resource ?? 'none'}, ${uri}`, () => {
      expect(fspiopResource(path)).toBe(resource);
      expect(fspiopUri(path)).toBe(uri);
    });
  }
});
