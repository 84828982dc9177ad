import { describe, expect, it } from 'vitest';
import { SidecarError } from '../../../../src/shared/errors.js';
import { verdictOf } from '../../../../src/inbound/stages/verify-jws.js';
import { jwsHeaderValue } from '../../../../src/inbound/stages/forward-to-core.js';
import type { InboundExchange } from '../../../../src/inbound/exchange.js';

describe('verdictOf', () => {
  it('turns a verification into a verdict naming the source and encoding', () => {
    expect(verdictOf({ ok: true, verified: true, matched: 'sorted', source: 'payerfsp', alg: 'RS256', keyFingerprint: 'AA' })).toEqual({ outcome: 'verified', source: 'payerfsp', matched: 'sorted' });
  });

  it('turns an exemption into a verdict, keeping a recorded /ping failure', () => {
    expect(verdictOf({ ok: true, verified: false, exemption: 'get' })).toEqual({ outcome: 'exempt', reason: 'get' });
    const ping = verdictOf({ ok: true, verified: false, exemption: 'ping', failure: { ok: false, reason: 'signature_mismatch', code: 'INVALID_SIGNATURE', detail: 'x' } });
    expect(ping).toEqual({ outcome: 'exempt', reason: 'ping', failure: 'signature_mismatch' });
  });

  it('throws the catalogued error for a failure, with the reason and detail', () => {
    let thrown: unknown;
    try {
      verdictOf({ ok: false, reason: 'missing_source', code: 'MISSING_HEADER', detail: 'no FSPIOP-Source header' });
    } catch (err) {
      thrown = err;
    }
    expect(thrown).toBeInstanceOf(SidecarError);
    expect(thrown).toMatchObject({ code: 'MISSING_HEADER', reason: 'missing_source', detail: 'no FSPIOP-Source header' });
  });
});

describe('jwsHeaderValue', () => {
  const ex = (jws: InboundExchange['jws']) => ({ jws }) as InboundExchange;
  it('says verified or exempt:<why>, with a recorded failure as a parameter', () => {
    expect(jwsHeaderValue(ex({ outcome: 'verified', source: 'a', matched: 'raw' }))).toBe('verified');
    expect(jwsHeaderValue(ex({ outcome: 'exempt', reason: 'put-parties-unsigned' }))).toBe('exempt:put-parties-unsigned');
    expect(jwsHeaderValue(ex({ outcome: 'exempt', reason: 'ping', failure: 'signature_mismatch' }))).toBe('exempt:ping; failure=signature_mismatch');
  });
  it('fails loudly when the pipeline skipped verification', () => {
    expect(() => jwsHeaderValue(ex(undefined))).toThrow(/pipeline_order|needs 'jws'/);
  });
});
