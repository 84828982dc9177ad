/**
 * Generated attacks on the inbound listener, as raw request bytes: method spellings, targets built
 * from resource names and path tricks (dot segments, encodings, backslashes, path parameters,
 * empty segments, queries, fragments, stray percent signs), every signature situation (none,
 * genuine, replayed on another line, over a re-serialisation of a tampered body, the wrong key,
 * garbage), JSON bodies and their dangerous variants (duplicate keys, big integers, invalid
 * UTF-8, whitespace), hostile headers (method overrides, Connection tricks, spoofed addresses,
 * underscore twins, forged verdicts, floods) and framings (Content-Length, chunked, both, a short
 * Content-Length that smuggles a second request, none, bare LF line ends).
 *
 * The oracle is not here: whatever these produce, every request the core receives must satisfy
 * checkCoreHit (test/helpers/attack.ts).
 */
import fc from 'fast-check';
import { stringifySorted } from '../../../src/crypto/jws/reserialise.js';
import { signedOver } from '../../helpers/attack.js';

export interface FuzzKeys {
  /** RSA private key of `payerfsp`, whose public key the sidecar holds. */
  readonly payer: string;
  /** An RSA key nobody trusts. */
  readonly stranger: string;
}

export interface FuzzRequest {
  readonly bytes: Buffer;
  /** The method as sent (a HEAD answer has no body to wait for). */
  readonly method: string;
  readonly describe: string;
}

const methods = fc.constantFrom('GET', 'HEAD', 'OPTIONS', 'DELETE', 'POST', 'PUT', 'PATCH', 'PUT', 'POST', 'TRACE', 'get', 'PROPFIND');
const resources = fc.constantFrom('parties', 'transfers', 'quotes', 'ping', 'participants', 'bulkTransfers', 'fxTransfers', 'Transfers', 'PING', 'api', 'x');
const ids = fc.oneof(fc.uuid(), fc.constantFrom('MSISDN', '27713803912', 'A', 'error', 'quotes', 'transfers', 'parties'), fc.stringMatching(/^[A-Za-z0-9._~-]{1,10}$/));
const tricks = fc.constantFrom('..', '.', '%2e%2e', '%2E.', '.%2e', '..;', '..%2f', '%2F', '%5c', '\\..', '', 'x;y', '%252e%252e', '%00', 'a b', 'caf\u00e9', '%41', '%', '%zz', '..%5c', '%2e');
const suffixes = fc.constantFrom('', '', '', '?x=1', '?x=../y', '?', '#f', '/', '//');

const canonical = fc.tuple(resources, fc.array(ids, { maxLength: 3 })).map(([r, segs]) => `/${[r, ...segs].join('/')}`);
const tricky = fc.tuple(resources, fc.array(fc.oneof({ weight: 3, arbitrary: ids }, { weight: 2, arbitrary: tricks }), { maxLength: 4 }), suffixes).map(([r, segs, suffix]) => `/${[r, ...segs].join('/')}${suffix}`);
const target = fc.oneof({ weight: 3, arbitrary: canonical }, { weight: 2, arbitrary: tricky });

type BodyVariant = 'as-signed' | 'reordered' | 'duplicate-key' | 'big-integer' | 'invalid-utf8' | 'whitespace' | 'tampered' | 'not-json';

const objects = fc.dictionary(fc.stringMatching(/^[a-zA-Z]{1,6}$/), fc.oneof(fc.string({ maxLength: 8 }), fc.integer(), fc.boolean(), fc.constant(null)), { minKeys: 1, maxKeys: 5 });

function variant(obj: Record<string, unknown>, v: BodyVariant): Buffer {
  const keys = Object.keys(obj);
  switch (v) {
    case 'as-signed':
      return Buffer.from(stringifySorted(obj));
    case 'reordered':
      return Buffer.from(JSON.stringify(obj, [...keys].reverse()));
    case 'duplicate-key':
      return Buffer.from(`{"${keys[0]}":"attacker",${stringifySorted(obj).slice(1)}`);
    case 'big-integer':
      return Buffer.from(stringifySorted(obj).replace(/^\{/, '{"zzBig":9007199254740993,'));
    case 'invalid-utf8':
      return Buffer.concat([Buffer.from(stringifySorted(obj).slice(0, -1)), Buffer.from(',"zzNote":"a'), Buffer.from([0xff, 0xfe]), Buffer.from('"}')]);
    case 'whitespace':
      return Buffer.from(JSON.stringify(obj, null, 2));
    case 'tampered':
      return Buffer.from(stringifySorted({ ...obj, [keys[0] as string]: 'tampered' }));
    case 'not-json':
      return Buffer.from('{"a":');
  }
}

/** What the signature covers for a body variant (a peer signs the sorted, compact form). */
function signedForm(obj: Record<string, unknown>, v: BodyVariant): Buffer {
  if (v === 'big-integer') return Buffer.from(stringifySorted(obj).replace(/^\{/, '{"zzBig":9007199254740992,'));
  if (v === 'invalid-utf8') return Buffer.concat([Buffer.from(stringifySorted(obj).slice(0, -1)), Buffer.from(',"zzNote":"a\uFFFD\uFFFD"}', 'utf8')]);
  return Buffer.from(stringifySorted(obj));
}

type Signing = 'none' | 'genuine' | 'replayed-path' | 'replayed-method' | 'wrong-key' | 'garbage' | 'unknown-source';

const hostileHeaders: Array<[string, string]> = [
  ['X-HTTP-Method-Override', 'PUT'],
  ['Connection', 'keep-alive, fspiop-signature'],
  ['Connection', 'close'],
  ['Connection', 'x-custom'],
  ['Forwarded', 'for=6.6.6.6'],
  ['X-Forwarded-For', '6.6.6.6'],
  ['x_forwarded_for', '6.6.6.6'],
  ['fspiop_source', 'Hub'],
  ['X-Original-URL', '/transfers/1'],
  ['Content-Encoding', 'gzip'],
  ['x-dfsp-sidecar-jws', 'verified'],
  ['FSPIOP-Source', 'payerfsp'],
  ['FSPIOP-URI', '/transfers/other'],
  ['Expect', '100-continue'],
  ['Content-Type', 'text/plain'],
];

type Framing = 'content-length' | 'chunked' | 'both' | 'short-length' | 'none' | 'bare-lf';

export function fuzzRequests(keys: FuzzKeys): fc.Arbitrary<FuzzRequest> {
  return fc
    .record({
      method: methods,
      target,
      signing: fc.constantFrom<Signing>('none', 'none', 'genuine', 'genuine', 'genuine', 'genuine', 'genuine', 'replayed-path', 'replayed-method', 'wrong-key', 'garbage', 'unknown-source'),
      body: fc.option(objects, { freq: 5 }),
      bodyVariant: fc.constantFrom<BodyVariant>('as-signed', 'as-signed', 'as-signed', 'reordered', 'reordered', 'duplicate-key', 'big-integer', 'invalid-utf8', 'whitespace', 'tampered', 'not-json'),
      extra: fc.oneof({ weight: 4, arbitrary: fc.constant([] as Array<[string, string]>) }, { weight: 1, arbitrary: fc.subarray(hostileHeaders, { maxLength: 3 }) }),
      flood: fc.oneof({ weight: 9, arbitrary: fc.constant(0) }, { weight: 1, arbitrary: fc.integer({ min: 50, max: 1_100 }) }),
      framing: fc.constantFrom<Framing>('content-length', 'content-length', 'content-length', 'content-length', 'content-length', 'chunked', 'chunked', 'both', 'short-length', 'none', 'bare-lf'),
      wellFormed: fc.boolean(),
      wellFormedMethod: fc.constantFrom('PUT', 'POST', 'PATCH', 'PUT', 'GET', 'DELETE'),
      wellFormedTarget: canonical,
      smuggled: fc.constantFrom('PUT /transfers/1 HTTP/1.1\r\nhost: x\r\ncontent-length: 2\r\n\r\n{}', 'GET /parties/MSISDN/1 HTTP/1.1\r\nhost: x\r\n\r\n', 'garbage\r\n\r\n'),
    })
    .map((raw) => {
      // Half the requests are well formed FSPIOP requests (with whatever signing, body variant and
      // hostile headers were drawn), so the invariant is tested on requests that reach the core.
      const bodyless = raw.wellFormedMethod === 'GET' || raw.wellFormedMethod === 'DELETE';
      const g = raw.wellFormed
        ? { ...raw, method: raw.wellFormedMethod, target: raw.wellFormedTarget, framing: 'content-length' as Framing, flood: 0, body: bodyless ? null : (raw.body ?? { a: 1 }) }
        : raw;
      const obj = g.body ?? undefined;
      const body = obj === undefined ? Buffer.alloc(0) : variant(obj, g.bodyVariant);
      const covered = obj === undefined ? Buffer.alloc(0) : signedForm(obj, g.bodyVariant);
      const path = g.target.split('#')[0] as string;
      const headers: Array<[string, string]> = [['host', '127.0.0.1']];
      const sign = (key: string, source: string, method: string, uri: string) => headers.push(...signedOver(key, source, method, uri, covered));
      switch (g.signing) {
        case 'genuine':
          sign(keys.payer, 'payerfsp', g.method.toUpperCase(), path);
          break;
        case 'replayed-path':
          sign(keys.payer, 'payerfsp', g.method.toUpperCase(), '/transfers/b51ec534-ee48-4575-b6a9-ead2955b8069');
          break;
        case 'replayed-method':
          sign(keys.payer, 'payerfsp', g.method.toUpperCase() === 'PUT' ? 'POST' : 'PUT', path);
          break;
        case 'wrong-key':
          sign(keys.stranger, 'payerfsp', g.method.toUpperCase(), path);
          break;
        case 'unknown-source':
          sign(keys.payer, 'nobodyfsp', g.method.toUpperCase(), path);
          break;
        case 'garbage':
          headers.push(['fspiop-source', 'payerfsp'], ['fspiop-signature', '{"signature":"AAAA","protectedHeader":"e30"}'], ['fspiop-uri', path], ['fspiop-http-method', g.method]);
          break;
        case 'none':
          headers.push(['fspiop-source', 'payerfsp'], ['content-type', 'application/json']);
          break;
      }
      headers.push(...g.extra);
      for (let i = 0; i < g.flood; i++) headers.push([`x-flood-${i}`, 'v']);
      const eol = g.framing === 'bare-lf' ? '\n' : '\r\n';
      let framed: Buffer = body;
      switch (g.framing) {
        case 'content-length':
        case 'bare-lf':
          if (body.length > 0 || g.method === 'POST' || g.method === 'PUT') headers.push(['content-length', String(body.length)]);
          break;
        case 'chunked':
          headers.push(['transfer-encoding', 'chunked']);
          framed = Buffer.concat([Buffer.from(body.length > 0 ? `${body.length.toString(16)}\r\n` : ''), body, Buffer.from(body.length > 0 ? '\r\n0\r\n\r\n' : '0\r\n\r\n')]);
          break;
        case 'both':
          headers.push(['content-length', String(body.length)], ['transfer-encoding', 'chunked']);
          break;
        case 'short-length':
          headers.push(['content-length', String(Math.floor(body.length / 2))]);
          framed = Buffer.concat([body, Buffer.from(g.smuggled)]);
          break;
        case 'none':
          break;
      }
      const head = `${g.method} ${g.target} HTTP/1.1${eol}${headers.map(([n, v]) => `${n}: ${v}`).join(eol)}${eol}${eol}`;
      return {
        bytes: Buffer.concat([Buffer.from(head, 'latin1'), framed]),
        method: g.method,
        describe: `${g.method} ${g.target} signing=${g.signing} body=${obj === undefined ? 'none' : g.bodyVariant} framing=${g.framing} extra=${g.extra.map(([n]) => n).join(',')} flood=${g.flood}`,
      };
    });
}
