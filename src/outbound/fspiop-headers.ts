/**
 * FSPIOP header conformance for what the core sends (API Definition v1.1 §3.2.1): the hub routes
 * and validates by these headers, so a request without them, or with generic ones, is refused or,
 * worse, matched to a non-FSPIOP API and answered synchronously, and no callback ever comes
 * (seen with the Mojaloop Testing Toolkit and curl's `Accept: *\/*`).
 *
 * - Content-Type: absent → `application/vnd.interoperability.<resource>+json;version=<v>` (every
 *   request, GET included: validators require it); present → it must be that media type for the
 *   path's resource, with a `major.minor` version, else INVALID_HEADER (`content_type_not_fspiop`).
 * - Accept: absent on a request → added the same way, `version=<v>`; a PUT is a callback, which
 *   carries no Accept (§3.2.1.3; the SDK sends none), so none is added there. Present (on any
 *   method) → every listed media type must be the resource's FSPIOP one with a version, else
 *   INVALID_HEADER (`accept_not_fspiop`).
 * - Date: absent → the signer adds the current time (as before); present → it must parse as an
 *   HTTP date (IMF-fixdate, RFC 850, asctime) or an ISO 8601 timestamp with a zone, and lie within
 *   `dateSkewSeconds` of our clock, else INVALID_HEADER (`date_malformed`, `date_out_of_skew`).
 *   A valid Date is normalised to IMF-fixdate, the form every validator keeps unchanged.
 * - A path with no FSPIOP resource (served by the default route) gets no media-type rules: there
 *   is no resource to name; its Date is still checked.
 *
 * Pure (the clock is passed in) so every rule is unit-tested; compiled media types per resource
 * mean the hot path is a few string comparisons.
 */
import { FSPIOP_RESOURCES, type FspiopResource } from '../crypto/jws/index.js';
import { SidecarError } from '../shared/errors.js';

export interface FspiopHeaderRules {
  /** Per resource: the media type added when missing, and the lower-case type/subtype a present one must have. */
  readonly media: ReadonlyMap<string, { readonly added: string; readonly base: string }>;
  readonly dateSkewMs: number;
}

export interface Conformed {
  /** Headers to add because the core left them out (undefined: none). */
  readonly added: Record<string, string> | undefined;
  /** The core's Date, validated and normalised; undefined when it sent none. */
  readonly date: string | undefined;
}

export function compileFspiopHeaderRules(opts: { fspiopVersion: string; fspiopVersions: Readonly<Record<string, string | undefined>>; dateSkewSeconds: number }): FspiopHeaderRules {
  const media = new Map<string, { added: string; base: string }>();
  for (const resource of FSPIOP_RESOURCES) {
    const version = opts.fspiopVersions[resource] ?? opts.fspiopVersion;
    const base = `application/vnd.interoperability.${resource}+json`;
    media.set(resource, { added: `${base};version=${version}`, base: base.toLowerCase() });
  }
  return { media, dateSkewMs: opts.dateSkewSeconds * 1000 };
}

const MAJOR_MINOR = /^\d+\.\d+$/;
const MAJOR_OR_MAJOR_MINOR = /^\d+(\.\d+)?$/;

/**
 * Whether `value` is one media type `base` with a `version` parameter matching `version` (other
 * parameters allowed, e.g. charset). Type, subtype and parameter names are case-insensitive.
 */
function isMediaType(value: string, base: string, version: RegExp): boolean {
  const parts = value.split(';');
  if ((parts[0] as string).trim().toLowerCase() !== base) return false;
  for (let i = 1; i < parts.length; i++) {
    const p = parts[i] as string;
    const eq = p.indexOf('=');
    if (eq === -1 || p.slice(0, eq).trim().toLowerCase() !== 'version') continue;
    return version.test(p.slice(eq + 1).trim().replace(/^"(.*)"$/, '$1'));
  }
  return false;
}

function single(v: string | string[] | undefined): string | undefined {
  return Array.isArray(v) ? v.join(', ') : v;
}

export function conformHeaders(
  headers: Readonly<Record<string, string | string[] | undefined>>,
  method: string,
  resource: FspiopResource | undefined,
  rules: FspiopHeaderRules,
  nowMs: number,
): Conformed {
  let added: Record<string, string> | undefined;
  const media = resource === undefined ? undefined : rules.media.get(resource);
  if (media) {
    const contentType = single(headers['content-type']);
    if (contentType === undefined || contentType.trim() === '') (added ??= {})['content-type'] = media.added;
    else if (!isMediaType(contentType, media.base, MAJOR_MINOR)) {
      throw new SidecarError('INVALID_HEADER', 'content_type_not_fspiop', `Content-Type '${contentType.slice(0, 120)}' is not '${media.base};version=<major.minor>' for /${resource}`);
    }
    const accept = single(headers.accept);
    if (accept === undefined || accept.trim() === '') {
      if (method !== 'PUT') (added ??= {}).accept = media.added;
    } else if (!accept.split(',').every((t) => isMediaType(t, media.base, MAJOR_OR_MAJOR_MINOR))) {
      throw new SidecarError('INVALID_HEADER', 'accept_not_fspiop', `Accept '${accept.slice(0, 120)}' is not '${media.base};version=<v>' for /${resource}`);
    }
  }
  const rawDate = single(headers.date);
  if (rawDate === undefined || rawDate === '') return { added, date: undefined };
  const at = parseHttpDate(rawDate);
  if (at === undefined) throw new SidecarError('INVALID_HEADER', 'date_malformed', `Date '${rawDate.slice(0, 64)}' is not an HTTP date`);
  if (Math.abs(at - nowMs) > rules.dateSkewMs) {
    throw new SidecarError('INVALID_HEADER', 'date_out_of_skew', `Date '${rawDate.slice(0, 64)}' is ${Math.round((at - nowMs) / 1000)} s from the sidecar's clock (outbound.headers.dateSkewSeconds: ${rules.dateSkewMs / 1000})`);
  }
  return { added, date: new Date(at).toUTCString() };
}

const DAY = '(?:Mon|Tue|Wed|Thu|Fri|Sat|Sun)';
const MONTH = '(?:Jan|Feb|Mar|Apr|May|Jun|Jul|Aug|Sep|Oct|Nov|Dec)';
/** RFC 9110 §5.6.7: IMF-fixdate, and the two obsolete forms a recipient must accept. */
const HTTP_DATE = new RegExp(
  `^(?:${DAY}, \\d{2} ${MONTH} \\d{4} \\d{2}:\\d{2}:\\d{2} GMT` +
    `|(?:Monday|Tuesday|Wednesday|Thursday|Friday|Saturday|Sunday), \\d{2}-${MONTH}-\\d{2} \\d{2}:\\d{2}:\\d{2} GMT` +
    `|${DAY} ${MONTH} [ \\d]\\d \\d{2}:\\d{2}:\\d{2} \\d{4})$`,
);
/** ISO 8601 with an explicit zone: never read as local time. */
const ISO_ZONED = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(:\d{2}(\.\d{1,9})?)?(Z|[+-]\d{2}:\d{2})$/;

/** Epoch ms of an HTTP or zoned ISO 8601 date, or undefined. */
export function parseHttpDate(value: string): number | undefined {
  let v = value.trim();
  if (HTTP_DATE.test(v)) {
    // asctime has no zone and is GMT by definition; Date.parse would read it as local time.
    if (!v.endsWith('GMT')) v = `${v} GMT`;
  } else if (!ISO_ZONED.test(v)) return undefined;
  const t = Date.parse(v);
  return Number.isNaN(t) ? undefined : t;
}
