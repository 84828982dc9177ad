import { readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { KEY_MODE, PkiInputError, writeFileSafe, writeFilesSafe } from '../../../../src/crypto/pki/index.js';
import { tempDir } from './openssl.js';

const mode = (path: string): number => statSync(path).mode & 0o777;

describe('writeFileSafe', () => {
  let previousUmask: number;
  beforeEach(() => {
    // A permissive umask must not make a key readable by others.
    previousUmask = process.umask(0o000);
  });
  afterEach(() => {
    process.umask(previousUmask);
  });

  it('writes private keys 0600 and public files 0644 regardless of the umask', async () => {
    const dir = tempDir();
    await writeFileSafe(join(dir, 'k.pem'), 'secret', { mode: KEY_MODE });
    await writeFileSafe(join(dir, 'c.pem'), 'public');
    expect(mode(join(dir, 'k.pem'))).toBe(0o600);
    expect(mode(join(dir, 'c.pem'))).toBe(0o644);
    expect(readFileSync(join(dir, 'k.pem'), 'utf8')).toBe('secret');
  });

  it('never replaces an existing file without force, and leaves no temporary file behind', async () => {
    const dir = tempDir();
    const path = join(dir, 'k.pem');
    writeFileSync(path, 'original');
    const err = await writeFileSafe(path, 'new', { mode: KEY_MODE }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(PkiInputError);
    expect((err as PkiInputError).code).toBe('EEXIST');
    expect((err as Error).message).toMatch(/--force/);
    expect(readFileSync(path, 'utf8')).toBe('original');
    expect(readdirSync(dir)).toEqual(['k.pem']);
  });

  it('replaces atomically with force, taking the requested mode', async () => {
    const dir = tempDir();
    const path = join(dir, 'k.pem');
    writeFileSync(path, 'original', { mode: 0o666 });
    await writeFileSafe(path, 'new', { mode: KEY_MODE, force: true });
    expect(readFileSync(path, 'utf8')).toBe('new');
    expect(mode(path)).toBe(0o600);
    expect(readdirSync(dir)).toEqual(['k.pem']);
  });

  it('refuses a whole set when one target exists, writing none of it', async () => {
    const dir = tempDir();
    writeFileSync(join(dir, 'b.pem'), 'there');
    const files = [
      { path: join(dir, 'a.pem'), data: 'a', secret: true, label: 'out/a.pem' },
      { path: join(dir, 'b.pem'), data: 'b', label: 'out/b.pem' },
    ];
    await expect(writeFilesSafe(files)).rejects.toThrow(/refusing to overwrite out\/b\.pem/);
    expect(readdirSync(dir)).toEqual(['b.pem']);
    await writeFilesSafe(files, { force: true });
    expect(readFileSync(join(dir, 'b.pem'), 'utf8')).toBe('b');
    expect(mode(join(dir, 'a.pem'))).toBe(0o600);
  });

  it('races safely: of two writers without force exactly one wins', async () => {
    const dir = tempDir();
    const path = join(dir, 'k.pem');
    const results = await Promise.allSettled([writeFileSafe(path, 'one'), writeFileSafe(path, 'two')]);
    expect(results.filter((r) => r.status === 'fulfilled')).toHaveLength(1);
    expect(['one', 'two']).toContain(readFileSync(path, 'utf8'));
    expect(readdirSync(dir)).toEqual(['k.pem']);
  });
});
