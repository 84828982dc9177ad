/**
 * The core's answer is streamed back unchanged, with back-pressure: a 24 MB chunked response to a
 * client that stops reading for a while arrives byte for byte, and the sidecar does not buffer it
 * whole meanwhile: the core connection is paused while the client's socket is full, so the core
 * cannot finish writing until the client reads on.
 */
import { createHash } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { mtlsPool } from '../helpers/inbound-client.js';
import { startCore, type CoreStandIn } from '../helpers/inbound-core.js';
import { startInboundHarness, type InboundHarness } from '../helpers/inbound-harness.js';

const CHUNK = Buffer.alloc(64 * 1024);
for (let i = 0; i < CHUNK.length; i++) CHUNK[i] = (i * 31) & 0xff;
const CHUNKS = 384;

let core: CoreStandIn;
let h: InboundHarness;
let coreWrites = 0;
beforeAll(async () => {
  core = await startCore((_hit, res) => {
    res.writeHead(200, { 'content-type': 'application/octet-stream' });
    let i = 0;
    const pump = () => {
      while (i < CHUNKS) {
        i++;
        coreWrites++;
        if (!res.write(CHUNK)) {
          res.once('drain', pump);
          return;
        }
      }
      res.end();
    };
    pump();
  });
  h = await startInboundHarness({ core });
});
afterAll(async () => {
  await h?.close();
  await core?.close();
});

describe('a large core response', () => {
  it('arrives byte for byte at a stalled reader, with back-pressure through the sidecar', async () => {
    const pool = mtlsPool(h.port, h.pki.dfspCa.certPem, { cert: h.pki.client.chainPem, key: h.pki.client.keyPem }, 1);
    const r = await pool.request({ method: 'GET', path: '/parties/MSISDN/big' });
    const digest = createHash('sha256');
    let received = 0;
    let writesDuringStall: number | undefined;
    for await (const chunk of r.body) {
      digest.update(chunk as Buffer);
      received += (chunk as Buffer).length;
      if (writesDuringStall === undefined) {
        // Stop reading: every buffer between the core and us fills up, then the core must wait.
        await new Promise((resolve) => setTimeout(resolve, 800));
        writesDuringStall = coreWrites;
      }
    }
    await pool.close();
    const expected = createHash('sha256');
    for (let i = 0; i < CHUNKS; i++) expected.update(CHUNK);
    expect(r.statusCode).toBe(200);
    expect(r.headers['content-type']).toBe('application/octet-stream');
    expect(received).toBe(CHUNK.length * CHUNKS);
    expect(digest.digest('hex')).toBe(expected.digest('hex'));
    expect(coreWrites).toBe(CHUNKS);
    // While we were not reading, the core could not get far: the sidecar did not soak it all up.
    expect(writesDuringStall).toBeLessThan(CHUNKS / 2);
  });
});
