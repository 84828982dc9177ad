import { describe, expect, it } from 'vitest';
import { canonicalTarget } from '../../../../src/inbound/stages/parse-target.js';

const reason = (t: string, base = ''): string => {
  const r = canonicalTarget(t, base);
  return r.ok ? `ok:${r.path}` : r.reason;
};

describe('canonicalTarget', () => {
  it('accepts canonical origin-form targets, with or without a query', () => {
    for (const t of ['/', '/transfers/1', '/parties/MSISDN/123?currency=USD', '/parties/EMAIL/a.b@c.example', '/parties/MSISDN/%2B27713803912', '/quotes/abc/error', '/transfers/b51ec534-ee48-4575-b6a9-ead2955b8069']) {
      expect(reason(t), t).toBe(`ok:${t}`);
    }
  });

  it('refuses absolute-form, asterisk, empty and relative targets', () => {
    for (const t of ['http://core/transfers', '*', '', 'transfers']) expect(reason(t), t).toBe('not_origin_form');
  });

  it('refuses literal dot segments anywhere', () => {
    for (const t of ['/parties/../transfers/1', '/ping/../transfers', '/./transfers/1', '/transfers/1/.', '/transfers/..', '/transfers/1/..?x=1']) expect(reason(t), t).toBe('dot_segment');
  });

  it('refuses percent-encoded dots, slashes, backslashes, percents and control characters in the path', () => {
    expect(reason('/parties/%2e%2e/transfers/1')).toBe('encoded_dot');
    expect(reason('/parties/.%2E/transfers/1')).toBe('encoded_dot');
    expect(reason('/parties/a%2Fb')).toBe('encoded_slash');
    expect(reason('/parties/a%2fb')).toBe('encoded_slash');
    expect(reason('/parties/a%5Cb')).toBe('encoded_backslash');
    expect(reason('/parties/%252e%252e/x')).toBe('encoded_percent');
    expect(reason('/parties/a%00b')).toBe('encoded_control');
    expect(reason('/parties/a%0ab')).toBe('encoded_control');
    expect(reason('/parties/a%zzb')).toBe('bad_percent_encoding');
    expect(reason('/parties/a%2')).toBe('bad_percent_encoding');
  });

  it('refuses backslashes, empty segments, path parameters, fragments and characters outside RFC 3986', () => {
    expect(reason('/parties\\..\\transfers')).toBe('backslash');
    expect(reason('/transfers//1')).toBe('empty_segment');
    expect(reason('//evil.example/x')).toBe('empty_segment');
    expect(reason('/transfers/1/')).toBe('empty_segment');
    expect(reason('/parties/..;/transfers/1')).toBe('path_parameter');
    expect(reason('/transfers/1;jsessionid=x')).toBe('path_parameter');
    expect(reason('/transfers/1#frag')).toBe('fragment');
    for (const t of ['/transfers/a b', '/transfers/a"b', '/transfers/<x>', '/transfers/{x}', '/transfers/a|b', '/transfers/caf\u00e9', '/transfers/a\u0000b', '/transfers/a`b', '/transfers/a^b']) {
      expect(reason(t), JSON.stringify(t)).toBe('bad_character');
    }
  });

  it('leaves the query alone beyond its characters (dots and slashes are data there)', () => {
    expect(reason('/parties/MSISDN/1?a=../b&c=%2e%2F')).toBe('ok:/parties/MSISDN/1?a=../b&c=%2e%2F');
    expect(reason('/parties/MSISDN/1?a=%00')).toBe('encoded_control');
    expect(reason('/parties/MSISDN/1?a=b c')).toBe('bad_character');
  });

  it('refuses anything a WHATWG parser would rewrite (catch-all)', () => {
    expect(reason('/transfers/1?')).toBe('not_normalised');
  });

  it('strips inbound.basePath and refuses targets outside it', () => {
    expect(reason('/api/transfers/1', '/api')).toBe('ok:/transfers/1');
    expect(reason('/api/fspiop/transfers/1?x=1', '/api/fspiop')).toBe('ok:/transfers/1?x=1');
    expect(reason('/transfers/1', '/api')).toBe('outside_base_path');
    expect(reason('/apix/transfers/1', '/api')).toBe('outside_base_path');
    expect(reason('/api', '/api')).toBe('outside_base_path');
    expect(reason('/api/../transfers/1', '/api')).toBe('dot_segment');
  });
});
