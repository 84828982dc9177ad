import { describe, expect, it } from 'vitest';
import { sameDecimalValue } from '../../../../src/crypto/jws/decimal.js';

describe('sameDecimalValue', () => {
  it('treats spellings of one value as equal', () => {
    for (const [a, b] of [['1.0', '1'], ['1e2', '100'], ['1E+2', '100'], ['0.50', '0.5'], ['100e-2', '1'], ['-0', '0'], ['0e99', '0'], ['000.0', '0'], ['1.5e-7', '1.5e-7'], ['1000000000000000000000', '1e+21']]) {
      expect(sameDecimalValue(a!, b!)).toBe(true);
    }
  });

  it('tells different values apart, however close', () => {
    for (const [a, b] of [['12345678901234567890', '12345678901234567000'], ['0.10000000000000001', '0.1'], ['-1', '1'], ['1e-400', '0'], ['9007199254740993', '9007199254740992'], ['2', '20']]) {
      expect(sameDecimalValue(a!, b!)).toBe(false);
    }
  });
});
