/**
 * FSPIOP header conformance rules, pure: what is added when missing, what is refused (naming the
 * header), which dates parse and which lie too far from the clock.
 */
import { describe, expect, it } from 'vitest';
import { SidecarError } from '../../../src/shared/errors.js';
import { compileFspiopHeaderRules, conformHeaders, parseHttpDate } from '../../../src/outbound/fspiop-headers.js';

const rules = compileFspiopHeaderRules({ fspiopVersion: '1.1', fspiopVersions: { fxQuotes: '2.0' }, dateSkewSeconds: 300 });
const NOW = Date.parse('2026-12-04T12:00:00Z');

function refusal(fn: () => unknown): { code: string; reason: string } {
  try {
    fn();
  } catch (err) {
    if (err instanceof SidecarError) return { code: err.code, reason: err.reason };
    throw err;
  }
  throw new Error('expected a refusal');
}

describe('Accept and Content-Type', () => {
  it('adds both for the resource when the core sent neither (GET included)', () => {
    expect(conformHeaders({}, 'GET', 'parties', rules, NOW).added).toEqual({
      accept: 'application/vnd.interoperability.parties+json;version=1.1',
      'content-type': 'application/vnd.interoperability.parties+json;version=1.1',
    });
  });

  it('takes the version from config, per resource where configured', () => {
    expect(conformHeaders({}, 'POST', 'fxQuotes', rules, NOW).added?.['content-type']).toBe('application/vnd.interoperability.fxQuotes+json;version=2.0');
  });

  it('adds no Accept to a PUT callback, which carries none', () => {
    expect(conformHeaders({}, 'PUT', 'quotes', rules, NOW).added).toEqual({ 'content-type': 'application/vnd.interoperability.quotes+json;version=1.1' });
  });

  it('passes the core\'s own FSPIOP media types unchanged, any version, case and spacing as HTTP allows', () => {
    const headers = {
      'content-type': 'Application/VND.interoperability.quotes+json; Version=1.0; charset=utf-8',
      accept: 'application/vnd.interoperability.quotes+json;version=1, application/vnd.interoperability.quotes+json;version=1.1',
    };
    expect(conformHeaders(headers, 'POST', 'quotes', rules, NOW).added).toBeUndefined();
  });

  it('refuses a Content-Type that is not the resource\'s FSPIOP media type, naming the header', () => {
    for (const ct of ['application/json', 'application/vnd.interoperability.transfers+json;version=1.1', 'application/vnd.interoperability.quotes+json', 'application/vnd.interoperability.quotes+json;version=1', 'text/plain;version=1.1']) {
      expect(refusal(() => conformHeaders({ 'content-type': ct }, 'POST', 'quotes', rules, NOW)), ct).toEqual({ code: 'INVALID_HEADER', reason: 'content_type_not_fspiop' });
    }
  });

  it('refuses an Accept with any non-FSPIOP media type in it (curl\'s */* made the hub answer synchronously)', () => {
    for (const accept of ['*/*', 'application/json', 'application/vnd.interoperability.parties+json;version=1.1, */*', 'application/vnd.interoperability.quotes+json']) {
      expect(refusal(() => conformHeaders({ accept }, 'GET', 'parties', rules, NOW)), accept).toEqual({ code: 'INVALID_HEADER', reason: 'accept_not_fspiop' });
    }
  });

  it('applies no media-type rule to a path without an FSPIOP resource', () => {
    expect(conformHeaders({ 'content-type': 'application/json', accept: '*/*' }, 'GET', undefined, rules, NOW).added).toBeUndefined();
  });
});

describe('Date', () => {
  it('is left to the signer when absent', () => {
    expect(conformHeaders({}, 'POST', 'quotes', rules, NOW).date).toBeUndefined();
  });

  it('is kept, normalised to IMF-fixdate, when it parses and lies within the skew', () => {
    expect(conformHeaders({ date: 'Fri, 04 Dec 2026 11:56:00 GMT' }, 'POST', 'quotes', rules, NOW).date).toBe('Fri, 04 Dec 2026 11:56:00 GMT');
    expect(conformHeaders({ date: '2026-12-04T13:04:00+01:00' }, 'POST', 'quotes', rules, NOW).date).toBe('Fri, 04 Dec 2026 12:04:00 GMT');
  });

  it('is refused when it does not parse, naming the header', () => {
    for (const date of ['yesterday', '1990', '2026-12-04T12:00:00', 'Fri, 04 Dec 2026 12:00:00 CET', 'Fri, 32 Dec 2026 12:00:00 GMT']) {
      expect(refusal(() => conformHeaders({ date }, 'POST', 'quotes', rules, NOW)), date).toEqual({ code: 'INVALID_HEADER', reason: 'date_malformed' });
    }
  });

  it('is refused when further from the clock than the configured skew, either way', () => {
    expect(refusal(() => conformHeaders({ date: 'Mon, 01 Jan 1990 00:00:00 GMT' }, 'POST', 'quotes', rules, NOW))).toEqual({ code: 'INVALID_HEADER', reason: 'date_out_of_skew' });
    expect(refusal(() => conformHeaders({ date: 'Fri, 04 Dec 2026 12:05:01 GMT' }, 'POST', 'quotes', rules, NOW))).toEqual({ code: 'INVALID_HEADER', reason: 'date_out_of_skew' });
    expect(conformHeaders({ date: 'Fri, 04 Dec 2026 12:05:00 GMT' }, 'POST', 'quotes', rules, NOW).date).toBeDefined();
  });
});

describe('parseHttpDate', () => {
  it('reads the three HTTP date forms as GMT', () => {
    const t = Date.parse('1994-11-06T08:49:37Z');
    expect(parseHttpDate('Sun, 06 Nov 1994 08:49:37 GMT')).toBe(t);
    expect(parseHttpDate('Sunday, 06-Nov-94 08:49:37 GMT')).toBe(t);
    expect(parseHttpDate('Sun Nov  6 08:49:37 1994')).toBe(t);
  });
});
