/**
 * Which FSPIOP resource a request path addresses, and the service-relative FSPIOP-URI for it.
 *
 * Both gateways need this: the signer puts the URI into FSPIOP-URI and the protected header, the
 * verifier applies the PUT /parties and /ping policies, and metrics label by resource.
 *
 * FSPIOP-URI "starts with the service in the URI value" (API Definition v1.1, Table 1): no host,
 * no gateway base path, no query (reference §2.1, trap T4). The hub overwrites it with that form on
 * transfer callbacks, so any other value fails at the receiver.
 *
 * We take the *left-most* path segment that names a resource. The SDK signer takes the right-most
 * one with a greedy regex, which turns `/parties/MSISDN/quotes` (an id that equals a resource name)
 * into `/quotes`; left-most gets that right and still drops a base path such as `/api/fspiop`.
 */

export const FSPIOP_RESOURCES = [
  'participants',
  'parties',
  'quotes',
  'bulkQuotes',
  'transfers',
  'bulkTransfers',
  'transactionRequests',
  'authorizations',
  'fxQuotes',
  'fxTransfers',
  'thirdpartyRequests',
  'consents',
  'consentRequests',
  'services',
  'ping',
] as const;

export type FspiopResource = (typeof FSPIOP_RESOURCES)[number];

const RESOURCE_SET: ReadonlySet<string> = new Set(FSPIOP_RESOURCES);

interface Located {
  readonly resource: FspiopResource | undefined;
  /** Offset in the query-less path where the resource segment's `/` starts (0 when not found). */
  readonly start: number;
  readonly pathOnly: string;
}

function locate(path: string): Located {
  let end = path.length;
  const q = path.indexOf('?');
  if (q !== -1) end = q;
  const h = path.indexOf('#');
  if (h !== -1 && h < end) end = h;
  const pathOnly = end === path.length ? path : path.slice(0, end);
  let segStart = pathOnly.indexOf('/');
  while (segStart !== -1) {
    let segEnd = pathOnly.indexOf('/', segStart + 1);
    if (segEnd === -1) segEnd = pathOnly.length;
    const segment = pathOnly.slice(segStart + 1, segEnd);
    if (RESOURCE_SET.has(segment)) {
      return { resource: segment as FspiopResource, start: segStart, pathOnly };
    }
    segStart = segEnd === pathOnly.length ? -1 : segEnd;
  }
  return { resource: undefined, start: 0, pathOnly };
}

/** The FSPIOP resource a path addresses (`/api/transfers/1/error` → `transfers`), or undefined. */
export function fspiopResource(path: string): FspiopResource | undefined {
  return locate(path).resource;
}

/**
 * The service-relative FSPIOP-URI for a request path: from the resource segment on, without query
 * or fragment. A path with no known resource segment is kept whole (minus query), with a leading
 * `/` guaranteed, so that signer and receiver still agree on it.
 */
export function fspiopUri(path: string): string {
  const { resource, start, pathOnly } = locate(path);
  if (resource !== undefined) return start === 0 ? pathOnly : pathOnly.slice(start);
  if (pathOnly.startsWith('/')) return pathOnly;
  return `/${pathOnly}`;
}

/**
 * The resource named by the first segment of a service-relative path (`/parties/MSISDN/1` →
 * `parties`), or undefined. The inbound policy decides exemptions on this, not on the left-most
 * resource anywhere in the path: the core routes on the first segment.
 */
export function leadingResource(path: string): FspiopResource | undefined {
  if (path.charCodeAt(0) !== 0x2f /* / */) return undefined;
  let end = 1;
  while (end < path.length) {
    const c = path.charCodeAt(end);
    if (c === 0x2f || c === 0x3f || c === 0x23) break; // / ? #
    end++;
  }
  const segment = path.slice(1, end);
  return RESOURCE_SET.has(segment) ? (segment as FspiopResource) : undefined;
}
