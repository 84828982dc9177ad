import { describe, expect, it } from 'vitest';
import { SidecarError } from '../../../../src/shared/errors.js';
import { bytesForCore, verdictOf } from '../../../../src/inbound/stages/verify-jws.js';
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

describe('bytesForCore', () => {
  const received = Buffer.from('{"b":1,"a":1,"a":2}');
  it('gives the core the received bytes for a raw match or a clean exemption', () => {
    expect(bytesForCore({ ok: true, verified: true, matched: 'raw', source: 's', alg: 'RS256', keyFingerprint: 'F' }, received)).toBe(received);
    expect(bytesForCore({ ok: true, verified: false, exemption: 'put-parties-unsigned' }, received)).toBe(received);
  });
  it('gives the core the re-serialised bytes the signature covers when those matched', () => {
    const signed = Buffer.from('{"a":2,"b":1}');
    expect(bytesForCore({ ok: true, verified: true, matched: 'sorted', source: 's', alg: 'RS256', keyFingerprint: 'F', bytes: signed }, received)).toBe(signed);
  });
  it('gives the core no body for a verification failure the ping policy lets through', () => {
    const r = bytesForCore({ ok: true, verified: false, exemption: 'ping', failure: { ok: false, reason: 'signature_mismatch', code: 'INVALID_SIGNATURE', detail: '' } }, received);
    expect(r.length).toBe(0);
  });
});

describe('jwsHeaderValue', () => {
  const ex = (jws: InboundExchange['jws']) => ({ jws }) as InboundExchange;
  it('says verified with the encoding that matched, or exempt:<why>, with a recorded failure as a parameter', () => {
    expect(jwsHeaderValue(ex({ outcome: 'verified', source: 'a', matched: 'raw' }))).toBe('verified; matched=raw');
    expect(jwsHeaderValue(ex({ outcome: 'verified', source: 'a', matched: 'sorted' }))).toBe('verified; matched=sorted');
    expect(jwsHeaderValue(ex({ outcome: 'verified', source: 'a', matched: 'insertion', requestLineMismatch: true }))).toBe('verified; matched=insertion; request-line=mismatch');
    expect(jwsHeaderValue(ex({ outcome: 'exempt', reason: 'put-parties-unsigned' }))).toBe('exempt:put-parties-unsigned');
    expect(jwsHeaderValue(ex({ outcome: 'exempt', reason: 'ping', failure: 'signature_mismatch' }))).toBe('exempt:ping; failure=signature_mismatch');
  });
  it('fails loudly when the pipeline skipped verification', () => {
    expect(() => jwsHeaderValue(ex(undefined))).toThrow(/pipeline_order|needs 'jws'/);
  });
});

describe('the verify-jws stage (batched per event-loop turn)', () => {
  it('verifies each request of a batch on its own: one passes, one fails with 3105, one is exempt', async () => {
    const { generateKeyPairSync, sign } = await import('node:crypto');
    const { mkdtempSync, mkdirSync, writeFileSync, rmSync } = await import('node:fs');
    const { tmpdir } = await import('node:os');
    const { join } = await import('node:path');
    const { createVerifyPolicy, loadPeerKeys } = await import('../../../../src/crypto/jws/index.js');
    const { createVerifyJws } = await import('../../../../src/inbound/stages/verify-jws.js');
    const dir = mkdtempSync(join(tmpdir(), 'verify-stage-'));
    try {
      mkdirSync(join(dir, 'peers'));
      const kp = generateKeyPairSync('rsa', { modulusLength: 2048 });
      writeFileSync(join(dir, 'peers', 'payerfsp.pem'), kp.publicKey.export({ type: 'spki', format: 'pem' }));
      const keys = (await loadPeerKeys(join(dir, 'peers'))).keySet;
      const policy = createVerifyPolicy({});
      const body = Buffer.from('{"transferState":"COMMITTED"}');
      const ph = Buffer.from(JSON.stringify({ alg: 'RS256', 'FSPIOP-URI': '/transfers/1', 'FSPIOP-HTTP-Method': 'PUT', 'FSPIOP-Source': 'payerfsp' })).toString('base64url');
      const signature = sign('sha256', Buffer.from(`${ph}.${body.toString('base64url')}`), kp.privateKey).toString('base64url');
      const headers = { 'fspiop-source': 'payerfsp', 'fspiop-uri': '/transfers/1', 'fspiop-http-method': 'PUT', 'fspiop-signature': JSON.stringify({ signature, protectedHeader: ph }) };
      const make = (method: string, b: Buffer) => ({ method, target: '/transfers/1', path: '/transfers/1', body: b, req: { headers }, rt: { jws: { keys, policy } }, jws: undefined }) as unknown as InboundExchange;
      const good = make('PUT', body);
      const tampered = make('PUT', Buffer.from('{"transferState":"ABORTED"}'));
      const get = make('GET', Buffer.alloc(0));
      const stage = createVerifyJws();
      const results = await Promise.allSettled([stage.run(good), stage.run(tampered), stage.run(get)]);
      expect(results.map((r) => r.status)).toEqual(['fulfilled', 'rejected', 'fulfilled']);
      expect(good.jws).toEqual({ outcome: 'verified', source: 'payerfsp', matched: 'raw' });
      expect((results[1] as PromiseRejectedResult).reason).toMatchObject({ code: 'INVALID_SIGNATURE' });
      expect(tampered.jws).toBeUndefined();
      expect(get.jws).toEqual({ outcome: 'exempt', reason: 'get' });
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('runs the batch after the current turn, not synchronously', async () => {
    const { createVerifyJws } = await import('../../../../src/inbound/stages/verify-jws.js');
    const ex = { method: 'GET', target: '/parties/x', path: '/parties/x', body: Buffer.alloc(0), req: { headers: {} }, rt: { jws: { keys: { bySource: new Map() }, policy: (await import('../../../../src/crypto/jws/index.js')).createVerifyPolicy({}) } }, jws: undefined } as unknown as InboundExchange;
    const p = createVerifyJws().run(ex);
    expect(ex.jws).toBeUndefined();
    await p;
    expect(ex.jws).toEqual({ outcome: 'exempt', reason: 'get' });
  });
});
