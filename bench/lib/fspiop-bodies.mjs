/**
 * Realistic FSPIOP request bodies for the JWS bench, in the key order a DFSP core typically emits
 * (insertion order, not sorted), with some non-ASCII text:
 *   quote     POST /quotes, about 1.2 KB (the "1 KB" case of perf-baseline.md)
 *   bulkQuote POST /bulkQuotes with 16 individual quotes, about 10 KB (the "10 KB" case)
 */
const uuid = (n) => `b51ec534-ee48-4575-b6a9-${String(n).padStart(12, '0')}`;

function party(msisdn, fspId, first, middle, last, dob) {
  return {
    partyIdInfo: { partyIdType: 'MSISDN', partyIdentifier: msisdn, fspId },
    name: `${first} ${last}`,
    personalInfo: { complexName: { firstName: first, middleName: middle, lastName: last }, dateOfBirth: dob },
  };
}

export function quoteBody(n = 1) {
  return {
    quoteId: uuid(n),
    transactionId: uuid(n + 1000),
    transactionRequestId: uuid(n + 2000),
    payee: party('27713803912', 'payeefsp', 'Siméon', 'Kgosi', 'Ñúñez-Dlamini', '1984-01-01'),
    payer: party('27713803911', 'payerfsp', 'Henrik', 'Johannes', 'Karlsson', '1979-03-12'),
    amountType: 'SEND',
    amount: { amount: '150.25', currency: 'EUR' },
    fees: { amount: '1.5', currency: 'EUR' },
    transactionType: { scenario: 'TRANSFER', subScenario: 'P2P', initiator: 'PAYER', initiatorType: 'CONSUMER' },
    geoCode: { latitude: '59.3293', longitude: '18.0686' },
    note: 'Rent for March — thanks! Ref INV-2026-0042',
    expiration: '2026-12-01T12:00:00.000Z',
    extensionList: { extension: [{ key: 'channel', value: 'mobile-app' }, { key: 'deviceId', value: 'a1b2c3d4e5f6' }] },
  };
}

export function bulkQuoteBody(count = 16) {
  return {
    bulkQuoteId: uuid(9999),
    payer: party('27713803911', 'payerfsp', 'Henrik', 'Johannes', 'Karlsson', '1979-03-12'),
    geoCode: { latitude: '59.3293', longitude: '18.0686' },
    expiration: '2026-12-01T12:00:00.000Z',
    individualQuotes: Array.from({ length: count }, (_, i) => ({
      quoteId: uuid(i + 1),
      transactionId: uuid(i + 1001),
      payee: party(`277138039${String(i).padStart(2, '0')}`, 'payeefsp', 'Siméon', 'K', `Ñúñez ${i}`, '1984-01-01'),
      amountType: 'SEND',
      amount: { amount: `${10 + i}.50`, currency: 'EUR' },
      transactionType: { scenario: 'TRANSFER', initiator: 'PAYER', initiatorType: 'CONSUMER' },
      note: `Salary batch 2026-11, line ${i}`,
      extensionList: { extension: [{ key: 'payrollRef', value: `PR-2026-11-${String(i).padStart(4, '0')}` }] },
    })),
  };
}
