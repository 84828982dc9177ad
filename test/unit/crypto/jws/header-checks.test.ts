import { describe, expect, it } from 'vitest';
import { checkSignedHeaders, type HttpSignedHeaders } from '../../../../src/crypto/jws/header-checks.js';
import type { ProtectedHeader } from '../../../../src/crypto/jws/signature-header.js';

const P: ProtectedHeader = { alg: 'RS256', uri: '/transfers/1', method: 'PUT', source: 'payee', destination: 'payer', date: 'Tue, 23 May 2017 21:12:31 GMT' };
const H: HttpSignedHeaders = { uri: '/transfers/1', method: 'PUT', source: 'payee', destination: 'payer', date: 'Tue, 23 May 2017 21:12:31 GMT' };

describe('checkSignedHeaders', () => {
  it('accepts equal headers under both destination policies', () => {
    expect(checkSignedHeaders(P, H, 'sdk-strict')).toBeUndefined();
    expect(checkSignedHeaders(P, H, 'spec')).toBeUndefined();
  });

  const table: Array<[string, Partial<ProtectedHeader>, Partial<HttpSignedHeaders>, string | undefined, string | undefined]> = [
    // name, protected overrides, http overrides, sdk-strict result, spec result
    ['URI differs', {}, { uri: '/transfers/2' }, 'uri_mismatch', 'uri_mismatch'],
    ['URI not protected', { uri: undefined }, {}, 'uri_mismatch', 'uri_mismatch'],
    ['method case differs', {}, { method: 'put' }, 'method_mismatch', 'method_mismatch'],
    ['method not protected', { method: undefined }, {}, 'method_mismatch', 'method_mismatch'],
    ['source case differs', {}, { source: 'Payee' }, 'source_mismatch', 'source_mismatch'],
    ['source not protected', { source: undefined }, {}, 'source_mismatch', 'source_mismatch'],
    ['date changed by one character', {}, { date: 'Tue, 23 May 2017 21:12:32 GMT' }, 'date_mismatch', 'date_mismatch'],
    ['protected date, HTTP date removed', {}, { date: undefined }, 'date_mismatch', 'date_mismatch'],
    ['HTTP date present, not protected', { date: undefined }, {}, undefined, undefined],
    ['HTTP destination added, not protected', { destination: undefined }, {}, 'destination_mismatch', undefined],
    ['protected destination, HTTP header removed', {}, { destination: undefined }, 'destination_mismatch', 'destination_mismatch'],
    ['destination differs', {}, { destination: 'other' }, 'destination_mismatch', 'destination_mismatch'],
    ['no destination anywhere', { destination: undefined }, { destination: undefined }, undefined, undefined],
  ];
  for (const [name, p, h, strict, spec] of table) {
    it(`${name}: sdk-strict → ${strict ?? 'ok'}, spec → ${spec ?? 'ok'}`, () => {
      expect(checkSignedHeaders({ ...P, ...p }, { ...H, ...h }, 'sdk-strict')?.reason).toBe(strict);
      expect(checkSignedHeaders({ ...P, ...p }, { ...H, ...h }, 'spec')?.reason).toBe(spec);
    });
  }

  it('quotes and bounds values in the detail', () => {
    const failure = checkSignedHeaders(P, { ...H, uri: `/x\r\n${'a'.repeat(200)}` }, 'sdk-strict');
    expect(failure?.detail).toContain('"/x\\r\\n');
    expect(failure?.detail.length).toBeLessThan(220);
  });
});
