/**
 * The hub side of the wire, signed by the real Mojaloop SDK signer (sdk-standard-components
 * 19.19.x, which signs a key-sorted body, and 19.18.8, which signs insertion order), loaded as the
 * CommonJS packages they are. The result is exactly what that SDK would put on the wire: its
 * headers and its body string.
 */
import { createRequire } from 'node:module';

const requireCjs = createRequire(import.meta.url);

export type SdkVersion = 'latest' | '19.18.8';
export const SDK_VERSIONS: readonly SdkVersion[] = ['latest', '19.18.8'];

interface SdkSigner {
  sign(requestOptions: { method: string; uri: string; headers: Record<string, string>; body: unknown }): void;
}

const silentSdkLogger = {
  child() {
    return silentSdkLogger;
  },
  isDebugEnabled: false,
  debug() {},
  info() {},
  warn() {},
  error() {},
  push() {
    return silentSdkLogger;
  },
  log() {},
};

function jwsModule(version: SdkVersion): { signer: new (config: { signingKey: string; logger: unknown }) => SdkSigner } {
  // The jws module alone: the package root pulls in the whole SDK (a second of start-up per file).
  return requireCjs(version === 'latest' ? 'mojaloop-sdk-latest/src/lib/jws' : 'mojaloop-sdk-19-18-8/src/lib/jws');
}

export interface SignedRequest {
  readonly method: string;
  readonly path: string;
  readonly headers: Record<string, string>;
  /** The exact body string the SDK sends. */
  readonly body: string;
}

export function sdkSign(
  version: SdkVersion,
  input: { privatePem: string; method: string; path: string; source: string; destination?: string; body: unknown; date?: string; contentType?: string },
): SignedRequest {
  const { signer: Signer } = jwsModule(version);
  const signer = new Signer({ signingKey: input.privatePem, logger: silentSdkLogger });
  const resource = /^\/([A-Za-z]+)/.exec(input.path)?.[1] ?? 'parties';
  const headers: Record<string, string> = {
    'content-type': input.contentType ?? `application/vnd.interoperability.${resource}+json;version=1.1`,
    accept: `application/vnd.interoperability.${resource}+json;version=1.1`,
    date: input.date ?? new Date().toUTCString(),
    'fspiop-source': input.source,
  };
  if (input.destination !== undefined) headers['fspiop-destination'] = input.destination;
  const options = { method: input.method, uri: `https://127.0.0.1:4000${input.path}`, headers, body: input.body };
  signer.sign(options);
  // 19.19.x replaces the body with the string it signed; 19.18.8 signs JSON.stringify(body) and
  // sends fast-safe-stringify(body), the same bytes for plain data.
  const body = typeof options.body === 'string' ? options.body : JSON.stringify(options.body);
  return { method: input.method, path: input.path, headers: options.headers, body };
}

/** A typical FSPIOP PUT /transfers/{id} callback body (keys deliberately not in sorted order). */
export function transferFulfil(id = 'b51ec534-ee48-4575-b6a9-ead2955b8069'): Record<string, unknown> {
  return {
    transferState: 'COMMITTED',
    fulfilment: 'WLctttbu2HvTsa1XWvUoGRcQozHsqeu9Ahl2JW9Bsu8',
    completedTimestamp: '2024-11-05T10:00:00.000Z',
    extensionList: { extension: [{ key: 'ref', value: id }] },
  };
}

/** A typical FSPIOP POST /quotes body, about 1 KB. */
export function quoteRequest(id = 'b51ec534-ee48-4575-b6a9-ead2955b8101'): Record<string, unknown> {
  const party = (fsp: string, msisdn: string, first: string, last: string) => ({
    partyIdInfo: { partyIdType: 'MSISDN', partyIdentifier: msisdn, fspId: fsp },
    name: `${first} ${last}`,
    personalInfo: { complexName: { firstName: first, middleName: 'M', lastName: last }, dateOfBirth: '1984-01-01' },
  });
  return {
    quoteId: id,
    transactionId: 'b51ec534-ee48-4575-b6a9-ead2955b8102',
    payee: party('payeefsp', '27713803912', 'Mats', 'Hagman'),
    payer: party('payerfsp', '27713803913', 'Henrik', 'Karlsson'),
    amountType: 'RECEIVE',
    amount: { currency: 'USD', amount: '123.45' },
    transactionType: { scenario: 'TRANSFER', initiator: 'PAYER', initiatorType: 'CONSUMER' },
    note: 'Payment for the delivery of goods, invoice 2024-000123 – café ✓',
    expiration: '2030-12-31T23:59:59.999Z',
  };
}
