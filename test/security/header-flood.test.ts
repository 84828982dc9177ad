/**
 * Attack: push the sidecar's own headers out of the core's view. Node (and many frameworks) keep
 * only the first N header lines of a request; a peer sending 1,020 small headers used to push the
 * sidecar's verdict and client address, appended at the end, past a default Node core's limit.
 * Now: more than `inbound.maxHeaderCount` lines is refused with 431/3103, too many header bytes
 * likewise, and the sidecar's headers always come first, exactly once.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { httpRequest, rawExchange } from '../helpers/attack.js';
import { startInboundHarness, type InboundHarness } from '../helpers/inbound-harness.js';

let h: InboundHarness;
beforeAll(async () => {
  h = await startInboundHarness();
});
afterAll(async () => {
  await h?.close();
});

function padding(n: number): Array<[string, string]> {
  return Array.from({ length: n }, (_, i) => [`x-pad-${i}`, 'v'] as [string, string]);
}

describe('header floods', () => {
  it('1,020 header lines: 431/3103, the core receives nothing', async () => {
    const before = h.core.hits.length;
    const r = await rawExchange(h, httpRequest('GET', '/parties/MSISDN/1', padding(1_020)));
    expect(r.status).toBe(431);
    const info = JSON.parse(r.body).errorInformation;
    expect(info.errorCode).toBe('3103');
    // Node 20 parses all 1,020 lines and the cap refuses them; Node 22's parser may stop at its
    // header-size limit first. Either way: 431, nothing forwarded.
    expect(['too_many_headers', 'headers_too_large']).toContain(info.extensionList.extension[0].value);
    expect(h.core.hits.length).toBe(before);
  });

  it('one line over inbound.maxHeaderCount (64) is refused; at the cap it passes', async () => {
    // httpRequest adds host; the cap counts every line the client sent.
    expect((await rawExchange(h, httpRequest('GET', '/parties/MSISDN/1', padding(64)))).status).toBe(431);
    expect((await rawExchange(h, httpRequest('GET', '/parties/MSISDN/1', padding(63)))).status).toBe(200);
  });

  it('more header bytes than inbound.maxHeaderBytes: 431/3103 with an FSPIOP body', async () => {
    const before = h.core.hits.length;
    const r = await rawExchange(h, httpRequest('GET', '/parties/MSISDN/1', [['x-big', 'a'.repeat(20_000)]]));
    expect(r.status).toBe(431);
    expect(JSON.parse(r.body).errorInformation.errorCode).toBe('3103');
    expect(h.core.hits.length).toBe(before);
  });

  it("the sidecar's own headers reach the core first and once, ahead of every client header (a forged verdict among them)", async () => {
    const forged: Array<[string, string]> = [...padding(40), ['x-dfsp-sidecar-jws', 'verified'], ['x-forwarded-for', '6.6.6.6']];
    const r = await rawExchange(h, httpRequest('GET', '/parties/MSISDN/1', forged));
    expect(r.status).toBe(200);
    const seen = h.core.hits.at(-1)!.rawHeaders;
    const names = seen.filter((_, i) => i % 2 === 0).map((n) => n.toLowerCase());
    // undici writes its own host and connection lines first; the sidecar's come next, before any of
    // the client's: a core that keeps only the first N header lines (Node 20 keeps 1,000) still sees them.
    expect(names.slice(0, 2)).toEqual(['host', 'connection']);
    expect(names.slice(2, 6)).toEqual(['x-dfsp-sidecar-jws', 'x-request-id', 'x-forwarded-for', 'x-forwarded-proto']);
    expect(seen[names.indexOf('x-dfsp-sidecar-jws') * 2 + 1]).toBe('exempt:get');
    expect(seen[names.indexOf('x-forwarded-for') * 2 + 1]).toBe('127.0.0.1');
    expect(names.filter((n) => n === 'x-dfsp-sidecar-jws')).toHaveLength(1);
    expect(names.filter((n) => n === 'x-forwarded-for')).toHaveLength(1);
    expect(names.indexOf('x-pad-0')).toBeGreaterThan(names.indexOf('x-dfsp-sidecar-peer-cn'));
  });
});
