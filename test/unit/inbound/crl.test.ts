import { describe, expect, it } from 'vitest';
import { parseCrlWindows } from '../../../src/inbound/crl.js';
import { inboundPki, makeCrl } from '../../helpers/inbound-pki.js';

describe('parseCrlWindows', () => {
  it('reads thisUpdate and nextUpdate of every CRL in a PEM text (openssl-made)', async () => {
    const pki = await inboundPki();
    const two = pki.crlPem + makeCrl(pki.hubCa2, [], 5);
    const windows = parseCrlWindows(two);
    expect(windows).toHaveLength(2);
    const [a, b] = windows as [{ thisUpdate: Date; nextUpdate: Date }, { thisUpdate: Date; nextUpdate: Date }];
    expect(Math.abs(a.thisUpdate.getTime() - Date.now())).toBeLessThan(120_000);
    expect(Math.round((a.nextUpdate.getTime() - a.thisUpdate.getTime()) / 86_400_000)).toBe(2);
    expect(Math.round((b.nextUpdate.getTime() - b.thisUpdate.getTime()) / 86_400_000)).toBe(5);
  });

  it('finds nothing in text without a CRL, and throws a readable error on a broken one', () => {
    expect(parseCrlWindows('nothing here')).toEqual([]);
    expect(() => parseCrlWindows('-----BEGIN X509 CRL-----\nAAAA\n-----END X509 CRL-----')).toThrow(/CRL/);
  });
});
