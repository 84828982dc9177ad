/**
 * The worker-thread signer on its own: same output as the event-loop signer, keys handed to
 * workers on first use (and again after being forgotten), engine refusals carried back with their
 * catalogue code, and no jobs after close.
 */
import { verify } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadSigningKey, type SigningKey } from '../../../src/crypto/jws/index.js';
import { createWorkerSigner } from '../../../src/outbound/sign-pool.js';
import { createInlineSigner, type SignJob, type Signer } from '../../../src/outbound/signer.js';
import { createSilentLogger } from '../../../src/shared/log.js';
import { outboundPki } from '../../helpers/outbound-pki.js';

let rsa: SigningKey;
let ec: SigningKey;
let pool: Signer;

beforeAll(async () => {
  const pki = await outboundPki();
  rsa = loadSigningKey(pki.jwsRsa.privatePem);
  ec = loadSigningKey(pki.jwsEc.privatePem);
  pool = createWorkerSigner({ threads: 2, log: createSilentLogger() });
});
afterAll(async () => {
  await pool?.close();
});

const job = (key: SigningKey, body: string, date = 'Tue, 01 Jan 2030 00:00:00 GMT'): SignJob => ({
  method: 'POST',
  path: '/quotes',
  headers: { date, 'fspiop-destination': 'dfspz' },
  body: Buffer.from(body),
  source: 'dfspa',
  key,
  signPutParties: true,
});

describe('worker signer', () => {
  it('produces what the event-loop signer produces (RS256 is deterministic)', async () => {
    const inline = createInlineSigner();
    const j = job(rsa, '{"b":[1,{"d":2,"c":3}],"a":"ü"}');
    const [fromWorker, here] = [await pool.sign(j), await inline.sign(j)];
    expect(fromWorker.body!.equals(here.body!)).toBe(true);
    expect(fromWorker.headers).toEqual(here.headers);
    expect(fromWorker.signed).toBe(true);
  });

  it('signs many jobs in parallel across workers with both keys, each verifiable', async () => {
    const outs = await Promise.all(Array.from({ length: 40 }, (_, i) => pool.sign(job(i % 2 ? ec : rsa, JSON.stringify({ n: i })))));
    outs.forEach((o, i) => {
      const key = i % 2 ? ec : rsa;
      const { signature, protectedHeader } = JSON.parse(o.headers['fspiop-signature']!) as { signature: string; protectedHeader: string };
      const input = Buffer.from(`${protectedHeader}.${o.body!.toString('base64url')}`);
      const ok = verify('sha256', input, key.alg === 'ES256' ? { key: key.publicKey, dsaEncoding: 'ieee-p1363' } : key.publicKey, Buffer.from(signature, 'base64url'));
      expect(ok, `job ${i}`).toBe(true);
      expect(JSON.parse(o.body!.toString())).toEqual({ n: i });
    });
  });

  it('sends a key again after the workers were told to forget it', async () => {
    pool.retainKeys(new Set([ec.fingerprint]));
    const out = await pool.sign(job(rsa, '{"after":"retain"}'));
    expect(out.signed).toBe(true);
  });

  it('carries engine refusals back with their catalogue code', async () => {
    await expect(pool.sign(job(rsa, '{"a":1,"a":2}'))).rejects.toMatchObject({ code: 'UNSIGNABLE_BODY' });
  });

  it('takes no jobs once closed', async () => {
    const p = createWorkerSigner({ threads: 1, log: createSilentLogger() });
    expect((await p.sign(job(rsa, '{}'))).signed).toBe(true);
    await p.close();
    await expect(p.sign(job(rsa, '{}'))).rejects.toMatchObject({ code: 'SIGNING_FAILED', reason: 'no_workers' });
    expect(p.healthy()).toBe(false);
  });
});
