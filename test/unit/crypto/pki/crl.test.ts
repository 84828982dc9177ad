import { describe, expect, it } from 'vitest';
import { EMPTY_REVOCATION_DB, createCa, createClientCert, issueCrl, loadCa, parseCertificates, parseRevocationDb, revoke } from '../../../../src/crypto/pki/index.js';
import { parseCrlWindows } from '../../../../src/inbound/crl.js';
import { files, openssl } from './openssl.js';

const ca = await createCa({ cn: 'CRL Test CA', o: 'Test', c: 'ZZ', keySize: 2048 });
const loaded = loadCa(ca);
const leaf = async (notAfter?: Date) =>
  parseCertificates((await createClientCert({ ca, cn: 'hub.test', keySize: 2048, ...(notAfter ? { notBefore: new Date(notAfter.getTime() - 86_400_000), notAfter } : { days: 7 }) })).certPem)[0]!;

function verifiedText(pem: string): string {
  const f = files({ 'crl.pem': pem, 'ca.pem': ca.certPem });
  const v = openssl(['crl', '-in', f['crl.pem']!, '-CAfile', f['ca.pem']!, '-noout', '-verify']);
  expect(v.stderr).toMatch(/verify OK/);
  return openssl(['crl', '-in', f['crl.pem']!, '-noout', '-text']).stdout;
}

describe('CRL', () => {
  it('an empty list makes a valid empty CRL with CRL number and the window the gateway reads', () => {
    const now = new Date('2026-12-01T00:00:00Z');
    const crl = issueCrl(loaded, EMPTY_REVOCATION_DB, { days: 10, now });
    const text = verifiedText(crl.pem);
    expect(text).toMatch(/No Revoked Certificates/);
    expect(text).toMatch(/X509v3 Authority Key Identifier/);
    expect(parseCrlWindows(crl.pem)).toEqual([{ thisUpdate: now, nextUpdate: new Date('2026-12-11T00:00:00Z') }]);
    expect(crl.crlNumber).toBe(1);
  });

  it('lists revoked serials (any leading bit) with reasons, and leaves out expired certificates', async () => {
    const [a, b, gone] = await Promise.all([leaf(), leaf(), leaf(new Date(Date.now() - 3_600_000))]);
    let db = revoke(EMPTY_REVOCATION_DB, loaded, a, 'keyCompromise').db;
    db = revoke(db, loaded, b, 'superseded').db;
    db = revoke(db, loaded, gone, 'unspecified').db;
    // A serial with its top bit set must gain a leading zero octet to stay positive.
    db = { ...db, revoked: [...db.revoked, { serial: 'F0A1', revokedAt: new Date().toISOString(), reason: 'cessationOfOperation', subject: 'x', notAfter: new Date(Date.now() + 86_400_000).toISOString() }] };
    const crl = issueCrl(loaded, { ...db, crlNumber: 41 }, { days: 1 });
    expect(crl.crlNumber).toBe(42);
    expect(crl.entries).toBe(3);
    const text = verifiedText(crl.pem).replace(/\s+/g, ' ');
    expect(text).toContain(`Serial Number: ${a.serial.toUpperCase()}`);
    expect(text).toContain(`Serial Number: ${b.serial.toUpperCase()}`);
    expect(text).not.toContain(`Serial Number: ${gone.serial.toUpperCase()}`);
    expect(text).toContain('Serial Number: F0A1');
    expect(text).toMatch(/Key Compromise.*Superseded.*Cessation Of Operation/);
    expect(text).toMatch(/CRL Number: 42/);
  });

  it('revoking twice keeps the first record; another CA cannot revoke', async () => {
    const a = await leaf();
    const first = revoke(EMPTY_REVOCATION_DB, loaded, a, 'keyCompromise');
    const again = revoke(first.db, loaded, a, 'superseded');
    expect(again.already).toBe(true);
    expect(again.db.revoked).toHaveLength(1);
    expect(again.entry.reason).toBe('keyCompromise');
    const other = loadCa(await createCa({ cn: 'Other CA', o: 'Test', c: 'ZZ', keySize: 2048 }));
    expect(() => revoke(EMPTY_REVOCATION_DB, other, a, 'unspecified')).toThrow(/not issued by this CA/);
    expect(() => revoke(EMPTY_REVOCATION_DB, loaded, loaded.cert, 'unspecified')).toThrow(/is the CA itself/);
  });

  it('round-trips the list and refuses a malformed one or a validity out of range', () => {
    expect(parseRevocationDb(JSON.stringify({ crlNumber: 3, revoked: [] }), 'x')).toEqual({ crlNumber: 3, revoked: [] });
    expect(() => parseRevocationDb('{"crlNumber":1,"revoked":[{"serial":"zz"}]}', 'revoked.json')).toThrow(/malformed entry/);
    expect(() => parseRevocationDb('nope', 'revoked.json')).toThrow(/not JSON/);
    expect(() => issueCrl(loaded, EMPTY_REVOCATION_DB, { days: 0 })).toThrow(/1 to 366 days/);
  });
});
