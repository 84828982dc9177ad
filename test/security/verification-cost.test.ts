/**
 * Attack: make verification expensive. A large body whose signature does not match its raw bytes
 * used to be parsed and re-serialised twice on the event loop (a 0.9 MB one cost tens of
 * milliseconds; eight in parallel stalled everyone else for seconds). Bodies above
 * `jws.reserialiseLimitBytes` are now verified over their raw bytes only and refused with their
 * own reason; below the limit the re-serialisations are still tried (old SDK peers need them).
 * The latency effect is measured in bench/ (mixed load), not asserted here.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { httpRequest, rawExchange, signedOver } from '../helpers/attack.js';
import { startInboundHarness, type InboundHarness } from '../helpers/inbound-harness.js';

let h: InboundHarness;
beforeAll(async () => {
  h = await startInboundHarness();
});
afterAll(async () => {
  await h?.close();
});

/** An unsorted JSON body of about `bytes` bytes, and its sorted form. */
function bodies(bytes: number): { unsorted: Buffer; sorted: Buffer } {
  const items = Array.from({ length: Math.ceil(bytes / 40) }, (_, i) => ({ z: i, a: 'x'.repeat(20) }));
  const unsorted = Buffer.from(JSON.stringify({ z: 1, items }));
  const sorted = Buffer.from(JSON.stringify({ items: items.map((it) => ({ a: it.a, z: it.z })), z: 1 }));
  return { unsorted, sorted };
}

describe('verification cost is bounded', () => {
  it('a 900 KB body that does not verify raw is refused without re-serialisation (too_large_to_reserialise)', async () => {
    const { unsorted, sorted } = bodies(900_000);
    const headers = signedOver(h.pki.payerJws.privatePem, 'payerfsp', 'PUT', '/transfers/1', sorted);
    const before = h.core.hits.length;
    const r = await rawExchange(h, httpRequest('PUT', '/transfers/1', headers, unsorted));
    expect(r.status).toBe(400);
    const info = JSON.parse(r.body).errorInformation;
    expect(info.errorCode).toBe('3105');
    expect(info.extensionList.extension).toContainEqual({ key: 'sidecarReason', value: 'too_large_to_reserialise' });
    expect(h.core.hits.length).toBe(before);
  });

  it('the same shape under the limit still verifies through the sorted re-serialisation', async () => {
    const { unsorted, sorted } = bodies(20_000);
    const headers = signedOver(h.pki.payerJws.privatePem, 'payerfsp', 'PUT', '/transfers/1', sorted);
    const r = await rawExchange(h, httpRequest('PUT', '/transfers/1', headers, unsorted));
    expect(r.status).toBe(200);
    expect(h.core.hits.at(-1)!.body.equals(sorted)).toBe(true);
  });

  it('a large body signed as sent verifies at any size (raw match)', async () => {
    const { sorted } = bodies(900_000);
    const headers = signedOver(h.pki.payerJws.privatePem, 'payerfsp', 'PUT', '/transfers/1', sorted);
    const r = await rawExchange(h, httpRequest('PUT', '/transfers/1', headers, sorted));
    expect(r.status).toBe(200);
    expect(h.core.hits.at(-1)!.headers['x-dfsp-sidecar-jws']).toBe('verified; matched=raw');
  });
});
