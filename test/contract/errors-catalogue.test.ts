/**
 * One error catalogue: every row is a real FSPIOP error with its standard name, every row is used by
 * the code, and the README table is exactly what the catalogue says.
 */
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { readmeSection, renderErrorTable } from '../../scripts/docs-tables.js';
import { CATALOGUE, errorInformation, type ErrorCode } from '../../src/shared/errors.js';

/** FSPIOP API Definition v1.1 §7.6 error codes and their names. */
const FSPIOP_CODES: Record<string, string> = {
  '1000': 'Communication error',
  '1001': 'Destination communication error',
  '2000': 'Generic server error',
  '2001': 'Internal server error',
  '2002': 'Not implemented',
  '2003': 'Service currently unavailable',
  '2004': 'Server timed out',
  '2005': 'Server busy',
  '3000': 'Generic client error',
  '3001': 'Unacceptable version',
  '3002': 'Unknown URI',
  '3100': 'Generic validation error',
  '3101': 'Malformed syntax',
  '3102': 'Missing mandatory element',
  '3103': 'Too many elements',
  '3104': 'Too large payload',
  '3105': 'Invalid signature',
  '3106': 'Modified request',
};

const root = new URL('../..', import.meta.url).pathname;
function sources(dir: string): string[] {
  return readdirSync(dir).flatMap((name) => {
    const full = join(dir, name);
    return statSync(full).isDirectory() ? sources(full) : full.endsWith('.ts') ? [full] : [];
  });
}

describe('error catalogue', () => {
  it('uses FSPIOP codes with their standard names, and error HTTP statuses', () => {
    for (const [code, e] of Object.entries(CATALOGUE)) {
      expect(FSPIOP_CODES[e.fspiopCode], `${code}: ${e.fspiopCode}`).toBe(e.description);
      expect(e.status, code).toBeGreaterThanOrEqual(400);
      expect(e.status, code).toBeLessThan(600);
      // FSPIOP error types: 1xxx/2xxx are server-side conditions, 3xxx client errors.
      expect(e.fspiopCode.startsWith('3') ? e.status < 500 : e.status >= 500, code).toBe(true);
      expect(e.description.length).toBeLessThanOrEqual(128);
    }
  });

  it('has no row the code never raises', () => {
    const text = sources(join(root, 'src'))
      .filter((f) => !f.endsWith('shared/errors.ts'))
      .map((f) => readFileSync(f, 'utf8'))
      .join('\n');
    const unused = (Object.keys(CATALOGUE) as ErrorCode[]).filter((code) => !text.includes(`'${code}'`));
    expect(unused).toEqual([]);
  });

  it('builds the FSPIOP body from the row, with the reason as an extension', () => {
    expect(errorInformation('INVALID_SIGNATURE')).toEqual({ errorInformation: { errorCode: '3105', errorDescription: 'Invalid signature' } });
    expect(errorInformation('BODY_TOO_LARGE', 'declared_too_large').errorInformation.extensionList).toEqual({ extension: [{ key: 'sidecarReason', value: 'declared_too_large' }] });
  });

  it('is exactly the README error table (regenerate: npx tsx scripts/docs-tables.ts)', () => {
    expect(readmeSection(readFileSync(join(root, 'README.md'), 'utf8'), 'errors')).toBe(renderErrorTable());
  });
});
