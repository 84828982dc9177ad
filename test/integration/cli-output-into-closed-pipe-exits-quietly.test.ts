/**
 * `dfsp-sidecar ... | head` closes the pipe before the command is done writing. The command stops
 * quietly (no unhandled EPIPE stack trace), like any Unix tool.
 */
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { describe, expect, it } from 'vitest';
import { CLI } from '../helpers/sidecar-process.js';

async function intoClosedPipe(args: string[]): Promise<{ code: number | null; stderr: string }> {
  const child = spawn(process.execPath, [CLI, ...args], { stdio: ['ignore', 'pipe', 'pipe'], env: { PATH: process.env.PATH } });
  // Close our reading end before the child has written anything: every write it makes meets EPIPE.
  child.stdout.destroy();
  let stderr = '';
  child.stderr.on('data', (c: Buffer) => (stderr += c.toString()));
  const [code] = (await once(child, 'exit')) as [number | null];
  return { code, stderr };
}

describe('output piped into a reader that went away', () => {
  it('exits without a stack trace (usage)', async () => {
    const r = await intoClosedPipe(['--help']);
    expect(r.stderr).not.toMatch(/EPIPE|\n\s+at /);
    expect(r.code).toBe(0);
  });

  it('exits without a stack trace (a command with long output)', async () => {
    const r = await intoClosedPipe(['pki', '--help']);
    expect(r.stderr).not.toMatch(/EPIPE|\n\s+at /);
    expect(r.code).toBe(0);
  });
});
