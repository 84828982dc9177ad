/**
 * The re-serialisations peers sign, applied to a parsed received body when its raw bytes do not
 * verify (reference §4.4 step 6): `stringifySorted` (SDK ≥ 19.18.9, safe-stable-stringify) and
 * plain `JSON.stringify` (older SDKs: JSON.stringify, or fast-safe-stringify, which is the same
 * for parsed JSON).
 */

function sortedInto(v: unknown, depth: number): string {
  if (v === null) return 'null';
  switch (typeof v) {
    case 'string':
      return JSON.stringify(v);
    case 'number':
      return Number.isFinite(v) ? String(v) : 'null';
    case 'boolean':
      return v ? 'true' : 'false';
    case 'object': {
      if (depth > 512) throw new RangeError('nesting too deep to re-serialise');
      if (Array.isArray(v)) {
        let out = '[';
        for (let i = 0; i < v.length; i++) {
          if (i > 0) out += ',';
          out += sortedInto(v[i], depth + 1);
        }
        return `${out}]`;
      }
      const o = v as Record<string, unknown>;
      const keys = Object.keys(o).sort();
      let out = '{';
      for (let i = 0; i < keys.length; i++) {
        if (i > 0) out += ',';
        const k = keys[i]!;
        out += `${JSON.stringify(k)}:${sortedInto(o[k], depth + 1)}`;
      }
      return `${out}}`;
    }
    default:
      return 'null';
  }
}

/**
 * `safe-stable-stringify` of a `JSON.parse` result, which SDK ≥ 19.18.9 signs and validates:
 * names sorted by UTF-16 code units, `JSON.stringify` string escaping, non-finite numbers as null.
 * Throws RangeError beyond 512 levels of nesting.
 */
export function stringifySorted(value: unknown): string {
  return sortedInto(value, 0);
}
