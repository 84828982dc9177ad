import { describe, expect, it } from 'vitest';
import { compileAddressMatcher, normaliseAddress, parseAddress } from '../../../src/inbound/address-matcher.js';

describe('compileAddressMatcher', () => {
  it('matches IPv4 CIDRs and single addresses', () => {
    const m = compileAddressMatcher(['10.0.0.0/8', '192.168.1.7']);
    expect(m.size).toBe(2);
    expect(m.match('10.200.3.4')).toBe(true);
    expect(m.match('11.0.0.1')).toBe(false);
    expect(m.match('192.168.1.7')).toBe(true);
    expect(m.match('192.168.1.8')).toBe(false);
  });

  it('normalises IPv4-mapped IPv6 peers to IPv4', () => {
    const m = compileAddressMatcher(['127.0.0.1/32']);
    expect(m.match('::ffff:127.0.0.1')).toBe(true);
    expect(m.match('::ffff:127.0.0.2')).toBe(false);
  });

  it('accepts IPv4-mapped entries and applies them to IPv4 peers', () => {
    const m = compileAddressMatcher(['::ffff:10.0.0.0/104']);
    expect(m.match('10.1.2.3')).toBe(true);
    expect(m.match('::ffff:10.1.2.3')).toBe(true);
    expect(m.match('11.1.2.3')).toBe(false);
  });

  it('matches IPv6 ranges and ignores zone ids', () => {
    const m = compileAddressMatcher(['2001:db8::/32', 'fe80::/10']);
    expect(m.match('2001:db8:1::5')).toBe(true);
    expect(m.match('2001:db9::1')).toBe(false);
    expect(m.match('fe80::1%eth0')).toBe(true);
  });

  it('never lets an IPv4 entry match an IPv6 peer (other than mapped) or the reverse', () => {
    const m = compileAddressMatcher(['0.0.0.0/0']);
    expect(m.match('::1')).toBe(false);
    const m6 = compileAddressMatcher(['::/0']);
    expect(m6.match('127.0.0.1')).toBe(false);
  });

  it('fails closed: empty list, garbage and undefined-looking addresses never match', () => {
    expect(compileAddressMatcher([]).match('127.0.0.1')).toBe(false);
    const m = compileAddressMatcher(['0.0.0.0/0']);
    expect(m.match('')).toBe(false);
    expect(m.match('not-an-ip')).toBe(false);
    expect(m.match('1.2.3.4.5')).toBe(false);
  });

  it('reports invalid entries through onInvalid and skips them', () => {
    const bad: string[] = [];
    const m = compileAddressMatcher(['::ffff:10.0.0.0/64', 'nonsense', '127.0.0.1'], (e) => bad.push(e));
    expect(bad).toEqual(['::ffff:10.0.0.0/64', 'nonsense']);
    expect(m.size).toBe(1);
  });
});

describe('normaliseAddress', () => {
  it('gives dotted IPv4 for mapped addresses and RFC 5952 text for IPv6', () => {
    expect(normaliseAddress('::ffff:10.0.0.1')).toBe('10.0.0.1');
    expect(normaliseAddress('2001:0db8:0000:0000:0000:0000:0000:0001')).toBe('2001:db8::1');
    expect(normaliseAddress('junk')).toBeUndefined();
    expect(parseAddress('127.0.0.1')?.kind()).toBe('ipv4');
  });
});
