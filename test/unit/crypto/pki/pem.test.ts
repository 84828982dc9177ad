import { describe, expect, it } from 'vitest';
import { PkiInputError } from '../../../../src/crypto/pki/index.js';
import { looksLikePem, parsePem, toPem } from '../../../../src/crypto/pki/pem.js';

describe('PEM framing', () => {
  it('round-trips DER through PEM with 64-column lines, ignoring text around blocks and CRLF', () => {
    const der = Buffer.from(Array.from({ length: 100 }, (_, i) => i));
    const pem = toPem(der, 'CERTIFICATE');
    expect(pem.split('\n')[1]).toHaveLength(64);
    const blocks = parsePem(`Bag Attributes\r\n  friendlyName: x\r\n${pem.replace(/\n/g, '\r\n')}trailing words\n${toPem(Buffer.from([1, 2, 3]), 'PUBLIC KEY')}`);
    expect(blocks.map((b) => b.label)).toEqual(['CERTIFICATE', 'PUBLIC KEY']);
    expect(blocks[0]?.der.equals(der)).toBe(true);
    expect(looksLikePem(Buffer.from(pem))).toBe(true);
    expect(looksLikePem(der)).toBe(false);
  });

  it('keeps RFC 1421 headers of legacy encrypted keys', () => {
    const pem = '-----BEGIN RSA PRIVATE KEY-----\nProc-Type: 4,ENCRYPTED\nDEK-Info: AES-128-CBC,00112233445566778899AABBCCDDEEFF\n\nAAAA\n-----END RSA PRIVATE KEY-----\n';
    expect(parsePem(pem)[0]?.headers).toEqual({ 'Proc-Type': '4,ENCRYPTED', 'DEK-Info': 'AES-128-CBC,00112233445566778899AABBCCDDEEFF' });
  });

  it('refuses truncated, mismatched, empty and non-base64 blocks', () => {
    const bad: Array<[string, RegExp]> = [
      ['-----BEGIN CERTIFICATE-----\nAAAA\n', /no matching END/],
      ['-----BEGIN CERTIFICATE-----\nAAAA\n-----END PUBLIC KEY-----\n', /no matching END/],
      ['-----BEGIN CERTIFICATE-----\nAAAA\n-----BEGIN CERTIFICATE-----\nAAAA\n-----END CERTIFICATE-----\n', /no matching END/],
      ['-----BEGIN CERTIFICATE-----\n-----END CERTIFICATE-----\n', /is empty/],
      ['-----BEGIN CERTIFICATE-----\nAA*A\n-----END CERTIFICATE-----\n', /not valid base64/],
      ['-----BEGIN CERTIFICATE-----\nAA==AAAA\n-----END CERTIFICATE-----\n', /padding/],
      ['-----BEGIN CERTIFICATE-----\nAAAAA\n-----END CERTIFICATE-----\n', /wrong length/],
    ];
    for (const [text, message] of bad) {
      expect(() => parsePem(text, 'x.pem'), text).toThrow(PkiInputError);
      expect(() => parsePem(text, 'x.pem'), text).toThrow(message);
    }
  });
});
