import { generateKeyPairSync, sign, verify } from 'node:crypto';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { derToJose, joseToDer } from '../../../../src/crypto/jws/ecdsa.js';

const { privateKey, publicKey } = generateKeyPairSync('ec', { namedCurve: 'P-256' });

describe('ES256 signature encodings', () => {
  it('DER from OpenSSL becomes the r||s that ieee-p1363 verification accepts, and back to DER that verifies', () => {
    for (let i = 0; i < 200; i++) {
      const data = Buffer.from(`message ${i}`);
      const der = sign('sha256', data, privateKey);
      const jose = derToJose(der)!;
      expect(jose).toHaveLength(64);
      expect(verify('sha256', data, { key: publicKey, dsaEncoding: 'ieee-p1363' }, jose)).toBe(true);
      expect(joseToDer(jose)!.equals(der)).toBe(true);
    }
  });

  it('round-trips any r||s, short integers and set top bits included', () => {
    fc.assert(
      fc.property(fc.uint8Array({ minLength: 64, maxLength: 64 }), (bytes) => {
        const jose = Buffer.from(bytes);
        expect(derToJose(joseToDer(jose)!)!.equals(jose)).toBe(true);
      }),
    );
    const zeros = Buffer.alloc(64);
    expect(derToJose(joseToDer(zeros)!)!.equals(zeros)).toBe(true);
    const high = Buffer.alloc(64, 0xff);
    expect(joseToDer(high)!.subarray(0, 5)).toEqual(Buffer.from([0x30, 0x46, 0x02, 0x21, 0x00]));
  });

  it('refuses what is not a P-256 signature, without throwing', () => {
    expect(joseToDer(Buffer.alloc(63))).toBeUndefined();
    expect(joseToDer(Buffer.alloc(96))).toBeUndefined();
    for (const bad of [Buffer.alloc(0), Buffer.from([0x30, 0x02, 0x02, 0x00]), Buffer.from([0x31, 0x06, 0x02, 0x01, 0x01, 0x02, 0x01, 0x01]), Buffer.from([0x30, 0x06, 0x02, 0x01, 0x01, 0x02, 0x05, 0x01])]) {
      expect(derToJose(bad)).toBeUndefined();
    }
    const tooLong = Buffer.concat([Buffer.from([0x30, 0x46, 0x02, 0x21, 0x01]), Buffer.alloc(32, 1), Buffer.from([0x02, 0x21, 0x00]), Buffer.alloc(32, 1)]);
    expect(derToJose(tooLong)).toBeUndefined();
  });
});
