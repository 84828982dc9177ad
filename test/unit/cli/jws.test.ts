import { execFile } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { promisify } from 'node:util';
import { afterAll, describe, expect, it } from 'vitest';
import { createJwsCommand, jwsCommand } from '../../../src/cli/jws.js';
import type { Io } from '../../../src/cli/io.js';
import { DESTINATION, keyPair, quoteBody, SOURCE } from '../crypto/jws/fixtures.js';

const dir = mkdtempSync(join(tmpdir(), 'jws-cli-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const rsa = keyPair('RS256');
const ec = keyPair('ES256');
writeFileSync(join(dir, 'signing.pem'), rsa.privatePem, { mode: 0o600 });
writeFileSync(join(dir, 'ec-signing.pem'), ec.pkcs8Pem, { mode: 0o600 });
writeFileSync(join(dir, 'body.json'), JSON.stringify(quoteBody(), null, 2));
writeFileSync(join(dir, 'big-int.json'), '{"amount":12345678901234567890}');
writeFileSync(join(dir, 'not-json.txt'), 'amount=10');
mkdirSync(join(dir, 'keys'));
writeFileSync(join(dir, 'keys', `${SOURCE}.pem`), rsa.publicPem);
writeFileSync(join(dir, 'keys', `${SOURCE}.next.json`), JSON.stringify(ec.publicKey.export({ format: 'jwk' })));
writeFileSync(join(dir, 'keys', 'broken.pem'), 'junk');

interface Run {
  code: number;
  stdout: string;
  stderr: string;
}

async function run(argv: string[], stdin = ''): Promise<Run> {
  let stdout = '';
  let stderr = '';
  const io: Io = { stdout: (t) => (stdout += t), stderr: (t) => (stderr += t), env: {}, cwd: dir };
  const command = createJwsCommand({ readStdin: async () => Buffer.from(stdin) });
  const code = await command(argv, io);
  return { code, stdout, stderr };
}

const SIGN = ['sign', '--key', 'signing.pem', '--source', SOURCE, '--destination', DESTINATION, '--method', 'PUT', '--uri', '/transfers/b51ec534', '--body', 'body.json'];

/** Writes a `jws sign --json` result as a captured request: headers file and exact body file. */
function capture(doc: { headers: Record<string, string>; body: string }, name: string, body = doc.body): void {
  writeFileSync(join(dir, `${name}.headers.json`), JSON.stringify(doc.headers));
  writeFileSync(join(dir, `${name}.body`), body);
}

describe('jws sign', () => {
  it('prints the headers, a blank line and the exact canonical body', async () => {
    const r = await run(SIGN);
    expect(r.code).toBe(0);
    const [head, body] = r.stdout.split('\n\n') as [string, string];
    const headers = Object.fromEntries(head.split('\n').map((l) => [l.slice(0, l.indexOf(':')), l.slice(l.indexOf(':') + 2)]));
    expect(Object.keys(headers).sort()).toEqual(['content-length', 'date', 'fspiop-destination', 'fspiop-http-method', 'fspiop-signature', 'fspiop-source', 'fspiop-uri']);
    expect(headers['fspiop-uri']).toBe('/transfers/b51ec534');
    expect(body.endsWith('}')).toBe(true);
    expect(Buffer.byteLength(body)).toBe(Number(headers['content-length']));
    expect(JSON.parse(body)).toEqual(quoteBody());
  });

  it('--json gives {headers, body, signed}', async () => {
    const r = await run([...SIGN, '--json', '--date', 'Tue, 23 May 2017 21:12:31 GMT']);
    expect(r.code).toBe(0);
    const doc = JSON.parse(r.stdout) as { headers: Record<string, string>; body: string; signed: boolean };
    expect(doc.signed).toBe(true);
    expect(doc.headers.date).toBe('Tue, 23 May 2017 21:12:31 GMT');
    expect(doc.headers['fspiop-http-method']).toBe('PUT');
    expect(typeof doc.body).toBe('string');
  });

  it('reads the body from stdin with --body -', async () => {
    const r = await run([...SIGN.slice(0, -1), '-', '--json'], '{"b":1,"a":2}');
    expect(r.code).toBe(0);
    expect((JSON.parse(r.stdout) as { body: string }).body).toBe('{"a":2,"b":1}');
  });

  it('signs ES256 with a PKCS#8 P-256 key', async () => {
    const r = await run(['sign', '--key', 'ec-signing.pem', '--source', SOURCE, '--method', 'POST', '--uri', '/quotes', '--body', 'body.json', '--json']);
    const doc = JSON.parse(r.stdout) as { headers: Record<string, string> };
    const ph = JSON.parse(Buffer.from((JSON.parse(doc.headers['fspiop-signature']!) as { protectedHeader: string }).protectedHeader, 'base64url').toString()) as { alg: string };
    expect(ph.alg).toBe('ES256');
  });

  it('prints GET headers without a signature, and says so', async () => {
    const r = await run(['sign', '--key', 'signing.pem', '--source', SOURCE, '--method', 'GET', '--uri', '/parties/MSISDN/1']);
    expect(r.code).toBe(0);
    expect(r.stdout).not.toContain('fspiop-signature');
    expect(r.stderr).toMatch(/not signed/);
  });

  it('exit 1 for a body refused by policy, 2 for a body that is not JSON', async () => {
    const big = await run([...SIGN.slice(0, -1), 'big-int.json', '--json']);
    expect(big.code).toBe(1);
    expect(JSON.parse(big.stdout)).toMatchObject({ signed: false, error: { code: 'UNSIGNABLE_BODY', fspiopCode: '3101', reason: 'unsafe_number' } });
    const bad = await run([...SIGN.slice(0, -1), 'not-json.txt']);
    expect(bad.code).toBe(2);
    expect(bad.stderr).toMatch(/cannot sign \(invalid_json\)/);
  });

  it('exit 2 for usage and input errors, with one line and no key material', async () => {
    const cases: Array<[string[], RegExp]> = [
      [['sign', '--source', SOURCE, '--method', 'POST', '--uri', '/quotes', '--body', 'body.json'], /--key is required/],
      [[...SIGN.slice(0, -2)], /--body is required for PUT/],
      [[...SIGN, '--bogus'], /Unknown option '--bogus'/],
      [['sign', '--key', 'missing.pem', '--source', SOURCE, '--method', 'POST', '--uri', '/quotes', '--body', 'body.json'], /cannot read --key missing.pem: no such file/],
      [['sign', '--key', 'keys', '--source', SOURCE, '--method', 'POST', '--uri', '/quotes', '--body', 'body.json'], /not a regular file/],
      [['sign', '--key', `keys/${SOURCE}.pem`, '--source', SOURCE, '--method', 'POST', '--uri', '/quotes', '--body', 'body.json'], /public key, not a private key/],
    ];
    for (const [argv, message] of cases) {
      const r = await run(argv);
      expect(r.code).toBe(2);
      expect(r.stderr).toMatch(message);
      expect(r.stderr).not.toContain('BEGIN');
      expect(r.stderr).not.toMatch(/\n\s+at /);
    }
  });
});

describe('jws verify', () => {
  it('sign → verify round trip through the commands: exit 0 and the --json shape', async () => {
    const signed = JSON.parse((await run([...SIGN, '--json'])).stdout) as { headers: Record<string, string>; body: string };
    capture(signed, 'good');
    const r = await run(['verify', '--keys', 'keys', '--headers', 'good.headers.json', '--body', 'good.body', '--json']);
    expect(r.code).toBe(0);
    expect(JSON.parse(r.stdout)).toEqual({ valid: true, reason: 'verified', matched: 'raw', source: SOURCE, alg: 'RS256', keyFingerprint: rsa.signingKey.fingerprint, requestLine: null, keyErrors: [{ file: 'broken.pem', message: expect.any(String) }] });
    const text = await run(['verify', '--keys', 'keys', '--headers', 'good.headers.json', '--body', 'good.body']);
    expect(text.code).toBe(0);
    expect(text.stdout).toMatch(/^valid: signature of payerfsp verified \(RS256, key [0-9A-F:]+, matched the raw body\)/);
    expect(text.stderr).toMatch(/warning: key file broken.pem/);
  });

  it('accepts the `jws sign --json` document itself as --headers, and the body on stdin', async () => {
    const out = (await run([...SIGN, '--json'])).stdout;
    writeFileSync(join(dir, 'signed.json'), out);
    const body = (JSON.parse(out) as { body: string }).body;
    const r = await run(['verify', '--keys', 'keys', '--headers', 'signed.json', '--body', '-', '--json'], body);
    expect(JSON.parse(r.stdout)).toMatchObject({ valid: true, matched: 'raw' });
  });

  it('a re-ordered body still verifies and says which encoding matched', async () => {
    const signed = JSON.parse((await run([...SIGN, '--json'])).stdout) as { headers: Record<string, string>; body: string };
    capture(signed, 'reordered', JSON.stringify(quoteBody(), null, 2));
    const r = await run(['verify', '--keys', 'keys', '--headers', 'reordered.headers.json', '--body', 'reordered.body', '--json']);
    expect(JSON.parse(r.stdout)).toMatchObject({ valid: true, matched: 'sorted' });
  });

  it('exit 1 with the failed check and why, in text and --json', async () => {
    const signed = JSON.parse((await run([...SIGN, '--json'])).stdout) as { headers: Record<string, string>; body: string };
    capture(signed, 'tampered', signed.body.replace('150.25', '999.99'));
    const r = await run(['verify', '--keys', 'keys', '--headers', 'tampered.headers.json', '--body', 'tampered.body', '--json']);
    expect(r.code).toBe(1);
    expect(JSON.parse(r.stdout)).toMatchObject({ valid: false, reason: 'signature_mismatch', matched: null, code: 'INVALID_SIGNATURE', fspiopCode: '3105' });

    capture({ ...signed, headers: { ...signed.headers, 'FSPIOP-Destination': 'someone-else' } }, 'redirected');
    const t = await run(['verify', '--keys', 'keys', '--headers', 'redirected.headers.json', '--body', 'redirected.body']);
    expect(t.code).toBe(1);
    expect(t.stdout).toMatch(/^invalid: destination_mismatch → 400 3105 Invalid signature\n {2}FSPIOP-Destination: HTTP header "someone-else" vs protected header "payeefsp"/);
  });

  it('policy flags change the outcome', async () => {
    const signed = JSON.parse((await run(['sign', '--key', 'signing.pem', '--source', SOURCE, '--method', 'POST', '--uri', '/quotes', '--body', 'body.json', '--json'])).stdout) as { headers: Record<string, string>; body: string };
    capture({ ...signed, headers: { ...signed.headers, 'fspiop-destination': DESTINATION } }, 'added-destination');
    const args = ['verify', '--keys', 'keys', '--headers', 'added-destination.headers.json', '--body', 'added-destination.body', '--json'];
    expect((await run(args)).code).toBe(1);
    expect((await run([...args, '--destination-policy', 'spec'])).code).toBe(0);
    expect((await run([...args, '--destination-policy', 'spec', '--algorithms', 'ES256'])).code).toBe(1);
    expect((await run([...args, '--destination-policy', 'spec', '--path', '/elsewhere', '--check-request-line'])).code).toBe(1);
  });

  it('exit 2 for usage and input errors', async () => {
    const signed = JSON.parse((await run([...SIGN, '--json'])).stdout) as { headers: Record<string, string>; body: string };
    capture(signed, 'ok');
    writeFileSync(join(dir, 'list.json'), '["fspiop-source"]');
    writeFileSync(join(dir, 'nomethod.json'), JSON.stringify({ 'fspiop-source': SOURCE }));
    const cases: Array<[string[], RegExp]> = [
      [['verify', '--headers', 'ok.headers.json', '--body', 'ok.body'], /--keys is required/],
      [['verify', '--keys', 'nope', '--headers', 'ok.headers.json', '--body', 'ok.body'], /cannot list .*nope: ENOENT/],
      [['verify', '--keys', 'keys', '--headers', 'list.json', '--body', 'ok.body'], /expected a JSON object/],
      [['verify', '--keys', 'keys', '--headers', 'body.json', '--body', 'ok.body'], /value of 'quoteId' must be a string|must be a string/],
      [['verify', '--keys', 'keys', '--headers', 'nomethod.json', '--body', 'ok.body'], /--method is required/],
      [['verify', '--keys', 'keys', '--headers', 'ok.headers.json', '--body', 'ok.body', '--destination-policy', 'loose'], /must be one of sdk-strict, spec/],
      [['verify', '--keys', 'keys', '--headers', 'ok.headers.json', '--body', 'ok.body', '--algorithms', 'HS256'], /unknown algorithm 'HS256'/],
      [['verify', '--keys', 'keys', '--headers', 'ok.headers.json', '--body', 'ok.body', '--allow-unsigned-hub'], /needs --hub-id/],
    ];
    for (const [argv, message] of cases) {
      const r = await run(argv);
      expect(r.code, argv.join(' ')).toBe(2);
      expect(r.stderr).toMatch(message);
    }
  });
});

describe('jws command', () => {
  it('prints help (0) and refuses unknown or missing subcommands (2)', async () => {
    expect((await run(['--help'])).code).toBe(0);
    expect((await run(['sign', '--help'])).stdout).toMatch(/usage: dfsp-sidecar jws sign/);
    expect((await run([])).code).toBe(2);
    expect((await run(['frobnicate'])).stderr).toMatch(/unknown subcommand 'frobnicate'/);
    expect(typeof jwsCommand).toBe('function');
  });

  it('works as a real process through the dispatcher, body on stdin', async () => {
    // tsx compiles src/cli.ts on the fly; resolved by absolute URL since cwd is the temp dir.
    const tsx = pathToFileURL(join(process.cwd(), 'node_modules/tsx/dist/loader.mjs')).href;
    const child = promisify(execFile)(process.execPath, ['--import', tsx, join(process.cwd(), 'src/cli.ts'), 'jws', ...SIGN.slice(0, -1), '-', '--json'], { cwd: dir, timeout: 20_000 });
    child.child.stdin!.end('{"z":[1,2],"a":"é"}');
    const { stdout } = await child;
    expect((JSON.parse(stdout) as { body: string }).body).toBe('{"a":"é","z":[1,2]}');
  }, 30_000);
});
