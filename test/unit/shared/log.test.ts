import { generateKeyPairSync } from 'node:crypto';
import { Writable } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { createLogger, scrubText } from '../../../src/shared/log.js';

function capture() {
  const lines: string[] = [];
  const stream = new Writable({
    write(chunk: Buffer, _enc, cb) {
      lines.push(chunk.toString());
      cb();
    },
  });
  return { lines, log: createLogger({ level: 'trace', destination: stream as unknown as import('pino').DestinationStream }) };
}

const TOKEN = 'eyJhbGciOiJSUzI1NiJ9.c2VjcmV0LXRva2Vu.sig-AbC123';
const { privateKey } = generateKeyPairSync('rsa', { modulusLength: 1024 });
const KEY_PEM = privateKey.export({ type: 'pkcs8', format: 'pem' }) as string;
const KEY_BODY_LINE = KEY_PEM.split('\n')[1] as string;

describe('createLogger redaction', () => {
  it('never writes a bearer token, a client secret or key material, wherever they sit', () => {
    const { lines, log } = capture();
    log.info({ headers: { authorization: `Bearer ${TOKEN}`, 'fspiop-source': 'payerfsp' } }, 'request');
    log.info({ req: { headers: { authorization: `Bearer ${TOKEN}` } } }, 'nested');
    log.info({ oauth: { clientSecret: 'hunter2', staticToken: TOKEN, clientKey: 'ck' } }, 'config');
    log.info({ token: TOKEN, access_token: TOKEN }, 'token');
    log.info({ tls: { key: KEY_PEM, privateKey: KEY_PEM } }, 'tls');
    log.error({ err: new Error(`upstream said: Authorization: Bearer ${TOKEN} and key ${KEY_PEM}`) }, 'failure');
    log.warn(`free text with Bearer ${TOKEN} inside`);
    const out = lines.join('');
    expect(lines).toHaveLength(7);
    for (const secret of [TOKEN, 'hunter2', KEY_BODY_LINE, 'BEGIN PRIVATE KEY']) expect(out).not.toContain(secret);
    expect(out).toContain('"fspiop-source":"payerfsp"');
    expect(out).toContain('[redacted]');
  });

  it('writes JSON lines with a string level and the message', () => {
    const { lines, log } = capture();
    log.info({ requestId: 'r1' }, 'hello');
    const entry = JSON.parse(lines[0] as string) as Record<string, unknown>;
    expect(entry).toMatchObject({ level: 'info', msg: 'hello', requestId: 'r1', name: 'dfsp-sidecar' });
  });
});

describe('scrubText', () => {
  it('masks PEM private keys and Bearer/Basic credentials and keeps the rest', () => {
    expect(scrubText(`a ${KEY_PEM.trim()} b`)).toBe('a [redacted private key] b');
    expect(scrubText('Authorization: Basic dXNlcjpwYXNz')).toBe('Authorization: Basic [redacted]');
    expect(scrubText('nothing secret')).toBe('nothing secret');
  });
});
