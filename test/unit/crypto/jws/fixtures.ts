/**
 * Shared test material for the JWS engine: keys generated per run with node:crypto (RSA 2048 and
 * P-256), key sets built from PEM text through the real loader, and realistic FSPIOP bodies.
 */
import { createHash, generateKeyPairSync, type KeyObject } from 'node:crypto';
import { buildPeerKeySet, loadSigningKey, type PeerKeySet, type SigningKey } from '../../../../src/crypto/jws/index.js';

export const SOURCE = 'payerfsp';
export const DESTINATION = 'payeefsp';
export const DATE = 'Tue, 05 Nov 2024 10:00:00 GMT';

export interface TestKeyPair {
  readonly alg: 'RS256' | 'ES256';
  readonly privateKey: KeyObject;
  readonly publicKey: KeyObject;
  /** PKCS#1 (RSA) or SEC1 (EC): the forms the SDK signer understands. */
  readonly privatePem: string;
  readonly pkcs8Pem: string;
  readonly publicPem: string;
  readonly signingKey: SigningKey;
}

function pair(alg: 'RS256' | 'ES256'): TestKeyPair {
  const { privateKey, publicKey } = alg === 'RS256' ? generateKeyPairSync('rsa', { modulusLength: 2048 }) : generateKeyPairSync('ec', { namedCurve: 'P-256' });
  const privatePem = privateKey.export({ type: alg === 'RS256' ? 'pkcs1' : 'sec1', format: 'pem' }) as string;
  return {
    alg,
    privateKey,
    publicKey,
    privatePem,
    pkcs8Pem: privateKey.export({ type: 'pkcs8', format: 'pem' }) as string,
    publicPem: publicKey.export({ type: 'spki', format: 'pem' }) as string,
    signingKey: loadSigningKey(privatePem),
  };
}

const cache = new Map<string, TestKeyPair>();

/** A key pair per (alg, name), generated once per test file. */
export function keyPair(alg: 'RS256' | 'ES256', name = 'default'): TestKeyPair {
  const id = `${alg}:${name}`;
  let kp = cache.get(id);
  if (kp === undefined) {
    kp = pair(alg);
    cache.set(id, kp);
  }
  return kp;
}

/** A key set from file name → content, through the same builder the directory loader uses. */
export function keySetFrom(files: Record<string, string | Buffer>, previous?: PeerKeySet): { keySet: PeerKeySet; errors: ReturnType<typeof buildPeerKeySet>['errors'] } {
  const scanned = new Map(
    Object.entries(files).map(([name, content]) => {
      const bytes = Buffer.isBuffer(content) ? content : Buffer.from(content);
      return [name, { hash: createHash('sha256').update(bytes).digest('hex'), bytes, readError: undefined }] as const;
    }),
  );
  const digest = createHash('sha256').update(JSON.stringify([...scanned].map(([n, f]) => [n, f.hash]))).digest('hex');
  const load = buildPeerKeySet({ files: scanned, digest }, previous);
  return { keySet: load.keySet, errors: load.errors };
}

const uuid = (n: number): string => `b51ec534-ee48-4575-b6a9-${String(n).padStart(12, '0')}`;

function party(msisdn: string, fspId: string, first: string, last: string): Record<string, unknown> {
  return {
    partyIdInfo: { partyIdType: 'MSISDN', partyIdentifier: msisdn, fspId },
    name: `${first} ${last}`,
    personalInfo: { complexName: { firstName: first, lastName: last }, dateOfBirth: '1984-01-01' },
  };
}

/** POST /quotes body in the insertion order a core emits, with non-ASCII names. ~1 KB. */
export function quoteBody(n = 1): Record<string, unknown> {
  return {
    quoteId: uuid(n),
    transactionId: uuid(n + 1000),
    payee: party('27713803912', DESTINATION, 'Siméon', 'Ñúñez-Dlamini'),
    payer: party('27713803911', SOURCE, 'Henrik', 'Karlsson'),
    amountType: 'SEND',
    amount: { amount: '150.25', currency: 'EUR' },
    transactionType: { scenario: 'TRANSFER', initiator: 'PAYER', initiatorType: 'CONSUMER' },
    note: 'Rent for March — thanks! 🏠',
    expiration: '2026-12-01T12:00:00.000Z',
    extensionList: { extension: [{ key: 'channel', value: 'mobile-app' }] },
  };
}

/** POST /bulkQuotes body with `count` individual quotes. */
export function bulkQuoteBody(count = 16): Record<string, unknown> {
  return {
    bulkQuoteId: uuid(9999),
    payer: party('27713803911', SOURCE, 'Henrik', 'Karlsson'),
    expiration: '2026-12-01T12:00:00.000Z',
    individualQuotes: Array.from({ length: count }, (_, i) => ({
      quoteId: uuid(i + 1),
      transactionId: uuid(i + 1001),
      payee: party(`2771380390${i % 10}`, DESTINATION, 'Siméon', `Ñúñez ${i}`),
      amountType: 'SEND',
      amount: { amount: `${10 + i}.50`, currency: 'EUR' },
      transactionType: { scenario: 'TRANSFER', initiator: 'PAYER', initiatorType: 'CONSUMER' },
    })),
  };
}

/** A representative path per FSPIOP resource and method (ids are arbitrary). */
export const RESOURCE_PATHS: Readonly<Record<string, { POST: string; PUT: string; PATCH: string }>> = {
  parties: { POST: '/parties/MSISDN/27713803912', PUT: '/parties/MSISDN/27713803912', PATCH: '/parties/MSISDN/27713803912' },
  participants: { POST: '/participants', PUT: '/participants/MSISDN/27713803912', PATCH: '/participants/MSISDN/27713803912' },
  quotes: { POST: '/quotes', PUT: `/quotes/${uuid(1)}`, PATCH: `/quotes/${uuid(1)}` },
  transfers: { POST: '/transfers', PUT: `/transfers/${uuid(2)}`, PATCH: `/transfers/${uuid(2)}` },
  bulkQuotes: { POST: '/bulkQuotes', PUT: `/bulkQuotes/${uuid(3)}`, PATCH: `/bulkQuotes/${uuid(3)}` },
  bulkTransfers: { POST: '/bulkTransfers', PUT: `/bulkTransfers/${uuid(4)}`, PATCH: `/bulkTransfers/${uuid(4)}` },
  transactionRequests: { POST: '/transactionRequests', PUT: `/transactionRequests/${uuid(5)}`, PATCH: `/transactionRequests/${uuid(5)}` },
  authorizations: { POST: '/authorizations', PUT: `/authorizations/${uuid(6)}`, PATCH: `/authorizations/${uuid(6)}` },
  fxQuotes: { POST: '/fxQuotes', PUT: `/fxQuotes/${uuid(7)}`, PATCH: `/fxQuotes/${uuid(7)}` },
  fxTransfers: { POST: '/fxTransfers', PUT: `/fxTransfers/${uuid(8)}/error`, PATCH: `/fxTransfers/${uuid(8)}` },
};
