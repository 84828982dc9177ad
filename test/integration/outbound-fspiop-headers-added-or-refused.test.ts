/**
 * Behaviour: every request reaches the hub with the FSPIOP Accept and Content-Type of its resource
 * (added when the core left them out, GET included; version from config), a request with generic
 * media types is refused with 400/3101 naming the header instead of being sent to be misrouted,
 * and a core Date must parse and lie within the configured skew (else refused; absent, added).
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startOutboundHub, type OutboundHub } from '../helpers/outbound-hub.js';
import { outboundPki } from '../helpers/outbound-pki.js';
import { quoteBody, startOutboundSidecar, total, type OutboundSidecar } from '../helpers/outbound-sidecar.js';

let hub: OutboundHub;
let sidecar: OutboundSidecar;

beforeAll(async () => {
  const pki = await outboundPki();
  hub = await startOutboundHub({ cert: pki.hubServer, clientCaPem: pki.hubCa.certPem, keys: { dfspa: pki.jwsRsa.publicPem } });
  sidecar = await startOutboundSidecar({ pki, hub: hub.url, tweak: (raw) => void (raw.outbound.headers = { fspiopVersion: '1.0', dateSkewSeconds: 60 }) });
});
afterAll(async () => {
  await sidecar?.close();
  await hub?.close();
});

describe('FSPIOP header conformance', () => {
  it('adds Accept and Content-Type of the resource to a GET that has neither', async () => {
    const res = await sidecar.send('/parties/MSISDN/123', { method: 'GET', headers: { 'content-type': '' } });
    expect(res.status).toBe(202);
    const got = hub.requests.at(-1)!;
    expect(got.headers.accept).toBe('application/vnd.interoperability.parties+json;version=1.0');
    expect(got.headers['content-type']).toBe('application/vnd.interoperability.parties+json;version=1.0');
    expect(got.headers.date).toMatch(/^\w{3}, \d{2} \w{3} \d{4} \d{2}:\d{2}:\d{2} GMT$/);
  });

  it('keeps the core\'s own FSPIOP media types and Date, and the hub validates the signature over them', async () => {
    const date = new Date(Date.now() - 10_000).toUTCString();
    const headers = { accept: 'application/vnd.interoperability.quotes+json;version=1.1', 'content-type': 'application/vnd.interoperability.quotes+json;version=1.1', date };
    const res = await sidecar.send('/quotes', { body: quoteBody(), headers });
    expect(res.status).toBe(202);
    const got = hub.requests.at(-1)!;
    expect(got.headers.accept).toBe(headers.accept);
    expect(got.headers['content-type']).toBe(headers['content-type']);
    expect(got.headers.date).toBe(date);
    expect(got.sdkLatest).toBe('valid');
  });

  for (const [name, headers, reason] of [
    ['Content-Type application/json', { 'content-type': 'application/json' }, 'content_type_not_fspiop'],
    ['Content-Type of another resource', { 'content-type': 'application/vnd.interoperability.transfers+json;version=1.1' }, 'content_type_not_fspiop'],
    ["curl's Accept: */*", { accept: '*/*' }, 'accept_not_fspiop'],
    ['a Date of 1990', { date: 'Mon, 01 Jan 1990 00:00:00 GMT' }, 'date_out_of_skew'],
    ['a Date that does not parse', { date: 'tomorrow' }, 'date_malformed'],
  ] as const) {
    it(`refuses ${name} with 400/3101 naming the header, and sends nothing to the hub`, async () => {
      const before = hub.requests.length;
      const res = await sidecar.send('/quotes', { body: quoteBody(), headers });
      expect(res.status).toBe(400);
      expect(res.json().errorInformation).toEqual({
        errorCode: '3101',
        errorDescription: 'Malformed syntax',
        extensionList: { extension: [{ key: 'sidecarReason', value: reason }] },
      });
      expect(hub.requests.length).toBe(before);
      expect(total(await sidecar.samples('dfsp_sidecar_outbound_requests_total'), { outcome: 'INVALID_HEADER', status: '400' })).toBeGreaterThanOrEqual(1);
    });
  }
});
