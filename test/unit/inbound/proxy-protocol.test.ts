import { describe, expect, it } from 'vitest';
import { parseProxyHeader, PROXY_V2_SIGNATURE } from '../../../src/inbound/proxy-protocol.js';

const TLS_START = Buffer.from([0x16, 0x03, 0x01, 0x00, 0x05]);

function v2(cmd: number, famProto: number, body: Buffer): Buffer {
  const len = Buffer.alloc(2);
  len.writeUInt16BE(body.length);
  return Buffer.concat([PROXY_V2_SIGNATURE, Buffer.from([0x20 | cmd, famProto]), len, body]);
}
function inet(src: number[], dst: number[], sport: number, dport: number, extra = Buffer.alloc(0)): Buffer {
  const ports = Buffer.alloc(4);
  ports.writeUInt16BE(sport, 0);
  ports.writeUInt16BE(dport, 2);
  return Buffer.concat([Buffer.from(src), Buffer.from(dst), ports, extra]);
}

describe('parseProxyHeader v1', () => {
  it('parses TCP4 and reports the header length so the TLS bytes after it are kept', () => {
    const line = Buffer.from('PROXY TCP4 203.0.113.9 10.0.0.1 51000 443\r\n');
    const r = parseProxyHeader(Buffer.concat([line, TLS_START]));
    expect(r).toEqual({ status: 'ok', version: 1, length: line.length, command: 'proxy', source: { address: '203.0.113.9', port: 51000 }, destination: { address: '10.0.0.1', port: 443 } });
  });

  it('parses TCP6', () => {
    const r = parseProxyHeader(Buffer.from('PROXY TCP6 2001:db8::1 2001:db8::2 1 2\r\n'));
    expect(r.status === 'ok' && r.source).toEqual({ address: '2001:db8::1', port: 1 });
  });

  it('treats UNKNOWN as a header without a client address', () => {
    const r = parseProxyHeader(Buffer.from('PROXY UNKNOWN ffff:f...f:ffff 1 2\r\nrest'));
    expect(r.status).toBe('ok');
    expect(r.status === 'ok' && r.source).toBeUndefined();
    expect(r.status === 'ok' && r.length).toBe('PROXY UNKNOWN ffff:f...f:ffff 1 2\r\n'.length);
  });

  it('asks for more bytes while the line is incomplete', () => {
    for (const partial of ['P', 'PROX', 'PROXY ', 'PROXY TCP4 1.2.3.4 5.6.7.8 1 2', 'PROXY TCP4 1.2.3.4 5.6.7.8 1 2\r']) {
      expect(parseProxyHeader(Buffer.from(partial)).status, partial).toBe('incomplete');
    }
    expect(parseProxyHeader(Buffer.alloc(0)).status).toBe('incomplete');
  });

  it('refuses a line longer than 107 bytes', () => {
    const r = parseProxyHeader(Buffer.from(`PROXY TCP4 ${'1'.repeat(120)}`));
    expect(r).toMatchObject({ status: 'invalid', reason: 'too_large' });
  });

  it('refuses malformed lines', () => {
    const cases: Array<[string, string]> = [
      ['PROXY TCP4 1.2.3.4 5.6.7.8 1\r\n', 'malformed'],
      ['PROXY TCP4 2001:db8::1 5.6.7.8 1 2\r\n', 'malformed'],
      ['PROXY TCP6 1.2.3.4 5.6.7.8 1 2\r\n', 'malformed'],
      ['PROXY TCP4 1.2.3.4 5.6.7.8 1 65536\r\n', 'malformed'],
      ['PROXY TCP4 1.2.3.4 5.6.7.8 01 2\r\n', 'malformed'],
      ['PROXY UDP4 1.2.3.4 5.6.7.8 1 2\r\n', 'unsupported'],
      ['PROXZ TCP4\r\n', 'not_proxy'],
      ['GET / HTTP/1.1\r\n', 'not_proxy'],
    ];
    for (const [text, reason] of cases) expect(parseProxyHeader(Buffer.from(text)), text).toMatchObject({ status: 'invalid', reason });
  });

  it('says not_proxy for a TLS ClientHello (a client that sent no header)', () => {
    expect(parseProxyHeader(TLS_START)).toMatchObject({ status: 'invalid', reason: 'not_proxy' });
  });
});

describe('parseProxyHeader v2', () => {
  it('parses PROXY over TCP/IPv4 with TLVs and keeps what follows', () => {
    const tlv = Buffer.from([0x04, 0x00, 0x03, 0x61, 0x62, 0x63]);
    const hdr = v2(1, 0x11, inet([198, 51, 100, 7], [10, 0, 0, 2], 40000, 4000, tlv));
    const r = parseProxyHeader(Buffer.concat([hdr, TLS_START]));
    expect(r).toEqual({ status: 'ok', version: 2, length: hdr.length, command: 'proxy', source: { address: '198.51.100.7', port: 40000 }, destination: { address: '10.0.0.2', port: 4000 } });
  });

  it('parses PROXY over TCP/IPv6', () => {
    const src = [0x20, 0x01, 0x0d, 0xb8, ...Array(11).fill(0), 1];
    const dst = [0x20, 0x01, 0x0d, 0xb8, ...Array(11).fill(0), 2];
    const r = parseProxyHeader(v2(1, 0x21, inet(src, dst, 1, 2)));
    expect(r.status === 'ok' && r.source?.address).toBe('2001:db8:0:0:0:0:0:1');
  });

  it('treats LOCAL and UNSPEC as carrying no client address', () => {
    expect(parseProxyHeader(v2(0, 0x00, Buffer.alloc(0)))).toMatchObject({ status: 'ok', command: 'local', length: 16 });
    const r = parseProxyHeader(v2(1, 0x00, Buffer.alloc(0)));
    expect(r.status === 'ok' && r.source).toBeUndefined();
  });

  it('asks for more bytes until the announced length has arrived', () => {
    const hdr = v2(1, 0x11, inet([1, 2, 3, 4], [5, 6, 7, 8], 1, 2));
    for (let n = 1; n < hdr.length; n++) expect(parseProxyHeader(hdr.subarray(0, n)).status, `${n} bytes`).toBe('incomplete');
    expect(parseProxyHeader(hdr).status).toBe('ok');
  });

  it('refuses oversized headers before reading them', () => {
    const big = Buffer.concat([PROXY_V2_SIGNATURE, Buffer.from([0x21, 0x11, 0xff, 0xff])]);
    expect(parseProxyHeader(big)).toMatchObject({ status: 'invalid', reason: 'too_large' });
    const hdr = v2(1, 0x11, inet([1, 2, 3, 4], [5, 6, 7, 8], 1, 2, Buffer.alloc(100)));
    expect(parseProxyHeader(hdr, 64)).toMatchObject({ status: 'invalid', reason: 'too_large' });
  });

  it('refuses other versions, commands, transports, families and short address blocks', () => {
    const bad = (b: Buffer) => parseProxyHeader(b);
    const wrongVersion = v2(1, 0x11, inet([1, 2, 3, 4], [5, 6, 7, 8], 1, 2));
    wrongVersion[12] = 0x11;
    expect(bad(wrongVersion)).toMatchObject({ status: 'invalid', reason: 'unsupported' });
    expect(bad(v2(2, 0x11, inet([1, 2, 3, 4], [5, 6, 7, 8], 1, 2)))).toMatchObject({ status: 'invalid', reason: 'unsupported' });
    expect(bad(v2(1, 0x12, inet([1, 2, 3, 4], [5, 6, 7, 8], 1, 2)))).toMatchObject({ status: 'invalid', reason: 'unsupported' });
    expect(bad(v2(1, 0x31, Buffer.alloc(216)))).toMatchObject({ status: 'invalid', reason: 'unsupported' });
    expect(bad(v2(1, 0x11, Buffer.alloc(8)))).toMatchObject({ status: 'invalid', reason: 'malformed' });
    expect(bad(v2(1, 0x21, Buffer.alloc(12)))).toMatchObject({ status: 'invalid', reason: 'malformed' });
    const sig = Buffer.from(PROXY_V2_SIGNATURE);
    sig[5] = 0x0c;
    expect(bad(sig)).toMatchObject({ status: 'invalid', reason: 'not_proxy' });
  });

  it('never throws on arbitrary bytes', () => {
    for (let i = 0; i < 2000; i++) {
      const len = (i * 7919) % 300;
      const b = Buffer.alloc(len);
      for (let j = 0; j < len; j++) b[j] = (i * 31 + j * 17) & 0xff;
      if (i % 3 === 0 && len >= 12) PROXY_V2_SIGNATURE.copy(b);
      if (i % 3 === 1 && len >= 6) b.write('PROXY ', 0, 'latin1');
      expect(() => parseProxyHeader(b)).not.toThrow();
    }
  });
});
