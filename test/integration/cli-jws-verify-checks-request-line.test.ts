/**
 * `dfsp-sidecar jws verify` on a captured request that has a request line checks it against
 * FSPIOP-HTTP-Method and FSPIOP-URI, as the inbound gateway does by default: a signed message
 * replayed to another path is invalid. Run as the built CLI.
 */
import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { createJwsKeys } from '../../src/crypto/pki/index.js';
import { startSidecarProcess } from '../helpers/sidecar-process.js';

const dir = mkdtempSync(join(tmpdir(), 'sidecar-jws-line-'));
let signed: { headers: Record<string, string>; body: string };

async function cli(args: string[]): Promise<{ code: number | null; out: string; err: string }> {
  const proc = startSidecarProcess(['jws', ...args], { cwd: dir });
  const exit = await proc.exited();
  return { code: exit.code, out: proc.stdout(), err: proc.stderr() };
}

function rawCapture(name: string, requestLine: string): string {
  const head = [requestLine, 'Host: payeefsp.example', 'Content-Type: application/vnd.interoperability.transfers+json;version=1.1', ...Object.entries(signed.headers).map(([k, v]) => `${k}: ${v}`)];
  // A capture usually ends with a newline after the body; Content-Length says where the body ends.
  writeFileSync(join(dir, name), `${head.join('\r\n')}\r\n\r\n${signed.body}\n`);
  return name;
}

beforeAll(async () => {
  const keys = await createJwsKeys({ fspId: 'payerfsp', alg: 'RS256', days: 7 });
  writeFileSync(join(dir, 'signing.pem'), keys.privateKeyPem, { mode: 0o600 });
  mkdirSync(join(dir, 'peers'));
  writeFileSync(join(dir, 'peers', 'payerfsp.pem'), keys.publicKeyPem);
  writeFileSync(join(dir, 'transfer.json'), JSON.stringify({ transferState: 'COMMITTED', completedTimestamp: '2026-12-04T10:00:00.000Z' }));
  const r = await cli(['sign', '--key', 'signing.pem', '--source', 'payerfsp', '--destination', 'payeefsp', '--method', 'PUT', '--uri', '/transfers/b51ec534', '--body', 'transfer.json', '--json']);
  expect(r.code).toBe(0);
  signed = JSON.parse(r.out) as typeof signed;
});

describe('jws verify and the request line', () => {
  it('accepts the request where it was signed for, saying the line was checked', async () => {
    const r = await cli(['verify', '--keys', 'peers', '--request', rawCapture('right.http', 'PUT /transfers/b51ec534 HTTP/1.1')]);
    expect(r.code).toBe(0);
    expect(r.out).toMatch(/^valid: signature of payerfsp verified/);
    expect(r.out).toContain('request line PUT /transfers/b51ec534 matches FSPIOP-HTTP-Method and FSPIOP-URI');
  });

  it('refuses the same signed message replayed to another path or method', async () => {
    const path = await cli(['verify', '--keys', 'peers', '--request', rawCapture('replayed.http', 'PUT /transfers/0000-other HTTP/1.1'), '--json']);
    expect(path.code).toBe(1);
    expect(JSON.parse(path.out)).toMatchObject({ valid: false, reason: 'request_mismatch', requestLine: 'PUT /transfers/0000-other' });
    const method = await cli(['verify', '--keys', 'peers', '--request', rawCapture('post.http', 'POST /transfers/b51ec534 HTTP/1.1')]);
    expect(method.code).toBe(1);
    expect(method.out).toMatch(/^invalid: request_mismatch/);
  });

  it('checks --method with --path the same way, and --ignore-request-line skips the check', async () => {
    writeFileSync(join(dir, 'h.json'), JSON.stringify(signed.headers));
    writeFileSync(join(dir, 'b.json'), signed.body);
    const base = ['verify', '--keys', 'peers', '--headers', 'h.json', '--body', 'b.json'];
    expect((await cli([...base, '--method', 'PUT', '--path', '/transfers/0000-other'])).code).toBe(1);
    expect((await cli([...base, '--method', 'PUT', '--path', '/transfers/0000-other', '--ignore-request-line'])).code).toBe(0);
    // Headers alone have no request line: nothing to check it against, and the output says so.
    const alone = await cli(base);
    expect(alone.code).toBe(0);
    expect(alone.out).toContain('request line not checked');
  });
});
