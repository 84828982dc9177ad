/**
 * A bare `dfsp-sidecar` starts nothing: it prints the usage on stderr and exits 2, and writes no
 * dev PKI into the directory it was run from.
 */
import { existsSync, mkdtempSync, readdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { startSidecarProcess } from '../helpers/sidecar-process.js';

describe('bare dfsp-sidecar', () => {
  it('prints the usage, exits 2 and writes nothing', async () => {
    const cwd = mkdtempSync(join(tmpdir(), 'sidecar-bare-'));
    const proc = startSidecarProcess([], { cwd });
    const exit = await proc.exited();
    expect(exit.code).toBe(2);
    expect(proc.stderr()).toMatch(/^usage: dfsp-sidecar <command> \[options\]/);
    expect(proc.stderr()).toContain('check-config');
    expect(proc.stdout()).toBe('');
    expect(existsSync(join(cwd, '.dev'))).toBe(false);
    expect(readdirSync(cwd)).toEqual([]);
  });

  it('still prints the usage on stdout and exits 0 when asked with --help', async () => {
    const proc = startSidecarProcess(['--help']);
    expect((await proc.exited()).code).toBe(0);
    expect(proc.stdout()).toMatch(/^usage: dfsp-sidecar/);
  });
});
