/**
 * The inbound invariant under generated attacks: every byte the core receives belongs to a request
 * whose signature covered it on the request line it was signed for, or to an exempt request
 * without a body (or an unsigned PUT /parties the default policy lets through, marked as such);
 * no generated request hangs the connection; the sidecar neither crashes nor keeps connections,
 * file descriptors or memory after the run.
 *
 * `npm test` runs a fixed-seed subset; `npm run fuzz` runs 10,000 with a fresh seed (printed, and
 * reproducible with FUZZ_SEED=<seed>). FUZZ_RUNS sets the count.
 */
import { readdirSync } from 'node:fs';
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { checkCoreHit, harnessPeerKeys, httpRequest, rawExchange, signedFor } from '../helpers/attack.js';
import { startInboundHarness, type InboundHarness } from '../helpers/inbound-harness.js';
import { fuzzRequests } from './fuzz/requests.js';

const RUNS = Number(process.env.FUZZ_RUNS ?? 300);
const SEED = process.env.FUZZ_SEED === 'random' ? Date.now() % 2 ** 31 : Number(process.env.FUZZ_SEED ?? 20_261_204);
const CLOSE_GRACE_MS = 500;

let h: InboundHarness;
beforeAll(async () => {
  h = await startInboundHarness({
    configure: (raw) => {
      raw.log = { level: 'silent' };
      raw.inbound.headersTimeoutMs = 2_000;
      raw.inbound.requestTimeoutMs = 4_000;
      raw.inbound.closeGraceMs = CLOSE_GRACE_MS;
    },
  });
});
afterAll(async () => {
  await h?.close();
});

const fds = (): number => readdirSync('/proc/self/fd').length;

async function until(condition: () => Promise<boolean>, capMs: number): Promise<boolean> {
  const cap = Date.now() + capMs;
  while (!(await condition())) {
    if (Date.now() > cap) return false;
    await new Promise((r) => setTimeout(r, 20));
  }
  return true;
}

describe(`inbound invariant under ${RUNS} generated requests (seed ${SEED})`, () => {
  it(
    'holds for every request the core receives; no hang, no crash, nothing kept',
    async () => {
      // eslint-disable-next-line no-console
      console.log(`fuzz: ${RUNS} runs, seed ${SEED} (rerun: FUZZ_SEED=${SEED} FUZZ_RUNS=${RUNS} npx vitest run test/security/fuzz-invariant.test.ts)`);
      const keys = harnessPeerKeys(h);
      const fdsBefore = fds();
      const rssBefore = process.memoryUsage().rss;
      let checked = 0;
      const statuses = new Map<number, number>();
      await fc.assert(
        fc.asyncProperty(fuzzRequests({ payer: h.pki.payerJws.privatePem, stranger: h.pki.strangerJws.privatePem }), async (req) => {
          const from = h.core.hits.length;
          const r = await rawExchange(h, req.bytes, { end: true, head: req.method === 'HEAD', waitMs: 10_000 });
          statuses.set(r.status, (statuses.get(r.status) ?? 0) + 1);
          // Never a silent hang: an answer, or a closed connection.
          if (r.status === 0 && !r.closed) throw new Error(`no answer and no close for: ${req.describe}`);
          // Pipelined leftovers may still be in the pipeline: let it settle before judging.
          await until(async () => (await h.metric('dfsp_sidecar_inbound_requests_in_flight')) === 0, 10_000);
          for (const hit of h.core.hits.slice(from)) {
            const broken = checkCoreHit(hit, keys);
            if (broken !== undefined) throw new Error(`invariant broken: ${broken}\n  request: ${req.describe}\n  bytes: ${JSON.stringify(req.bytes.toString('latin1').slice(0, 600))}`);
            checked++;
          }
        }),
        { numRuns: RUNS, seed: SEED, endOnFailure: true },
      );
      // eslint-disable-next-line no-console
      console.log(`fuzz: statuses ${JSON.stringify(Object.fromEntries([...statuses].sort((a, b) => a[0] - b[0])))}; ${checked} core requests checked`);

      // Still serving: a genuine request goes through.
      const signed = signedFor(h.pki.payerJws.privatePem, 'payerfsp', 'PUT', '/transfers/after-fuzz', '{"transferState":"COMMITTED"}');
      const ok = await rawExchange(h, httpRequest('PUT', '/transfers/after-fuzz', signed.headers, signed.body));
      expect(ok.status).toBe(200);
      expect(checkCoreHit(h.core.hits.at(-1)!, keys)).toBeUndefined();

      // Nothing kept: every connection closes (the grace after an end is the longest wait), fds come back.
      expect(await until(async () => (await h.metric('dfsp_sidecar_inbound_connections_open')) === 0, 30_000)).toBe(true);
      expect(await until(async () => fds() <= fdsBefore + 8, 10_000)).toBe(true);
      const grownMb = (process.memoryUsage().rss - rssBefore) / 2 ** 20;
      // eslint-disable-next-line no-console
      console.log(`fuzz: fds ${fdsBefore} -> ${fds()}, rss +${grownMb.toFixed(1)} MB (test process, includes the harness and fast-check)`);
      expect(grownMb).toBeLessThan(400);
    },
    RUNS * 200 + 120_000,
  );
});
