/**
 * Exact comparison of the decimal values two JSON number texts denote.
 *
 * The signer re-serialises numbers the way every Mojaloop validator will (`String(Number(text))`).
 * That is fine when only the spelling changes (`1.0` → `1`, `1E2` → `100`) and wrong when the value
 * changes (`9007199254740993` → `9007199254740992`, `1e400` → `null`). Comparing the two texts as
 * exact decimals, not as doubles, is what tells those cases apart.
 */

interface DecimalParts {
  readonly negative: boolean;
  /** Significant digits, no leading or trailing zeros; '' for zero. */
  readonly digits: string;
  /** value = digits × 10^exponent */
  readonly exponent: number;
}

/** `text` must already match the JSON number grammar (RFC 8259 §6). */
function decimalParts(text: string): DecimalParts {
  let i = 0;
  const negative = text.charCodeAt(0) === 0x2d;
  if (negative) i = 1;
  let intEnd = i;
  while (intEnd < text.length && text.charCodeAt(intEnd) >= 0x30 && text.charCodeAt(intEnd) <= 0x39) intEnd++;
  let fraction = '';
  let next = intEnd;
  if (text.charCodeAt(next) === 0x2e) {
    let fracEnd = next + 1;
    while (fracEnd < text.length && text.charCodeAt(fracEnd) >= 0x30 && text.charCodeAt(fracEnd) <= 0x39) fracEnd++;
    fraction = text.slice(next + 1, fracEnd);
    next = fracEnd;
  }
  // An exponent too long to hold exactly can only belong to a number that overflows or
  // underflows a double; the caller has rejected or zeroed it already, so approximate is fine.
  const exp = next < text.length ? Number(text.slice(next + 1)) : 0;
  let digits = text.slice(i, intEnd) + fraction;
  let exponent = exp - fraction.length;
  let lead = 0;
  while (lead < digits.length && digits.charCodeAt(lead) === 0x30) lead++;
  digits = digits.slice(lead);
  if (digits.length === 0) return { negative: false, digits: '', exponent: 0 };
  let trail = digits.length;
  while (digits.charCodeAt(trail - 1) === 0x30) trail--;
  exponent += digits.length - trail;
  digits = digits.slice(0, trail);
  return { negative, digits, exponent };
}

/** True when both JSON number texts denote exactly the same decimal number (`-0` equals `0`). */
export function sameDecimalValue(a: string, b: string): boolean {
  const x = decimalParts(a);
  const y = decimalParts(b);
  return x.negative === y.negative && x.digits === y.digits && x.exponent === y.exponent;
}
