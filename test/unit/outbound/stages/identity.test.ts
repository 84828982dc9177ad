import { describe, expect, it } from 'vitest';
import type { Identity } from '../../../../src/outbound/compile.js';
import { chooseIdentity } from '../../../../src/outbound/stages/identity.js';

const ids = new Map<string, Identity>([
  ['dfspa', { fspId: 'dfspa', key: undefined }],
  ['dfspb', { fspId: 'dfspb', key: undefined }],
]);

describe('chooseIdentity', () => {
  it('signs as dfspId when the core names nobody', () => {
    expect(chooseIdentity({}, ids, 'dfspa').fspId).toBe('dfspa');
    expect(chooseIdentity({ 'fspiop-source': '' }, ids, 'dfspa').fspId).toBe('dfspa');
  });

  it('signs as any configured identity the core names', () => {
    expect(chooseIdentity({ 'fspiop-source': 'dfspb' }, ids, 'dfspa').fspId).toBe('dfspb');
  });

  it('refuses anyone else, matching exactly (FSPIOP-Source is a case-sensitive key id)', () => {
    expect(() => chooseIdentity({ 'fspiop-source': 'dfspz' }, ids, 'dfspa')).toThrow(expect.objectContaining({ code: 'UNKNOWN_IDENTITY', reason: 'unknown_source' }));
    expect(() => chooseIdentity({ 'fspiop-source': 'DFSPB' }, ids, 'dfspa')).toThrow(expect.objectContaining({ code: 'UNKNOWN_IDENTITY' }));
  });

  it('refuses two FSPIOP-Source headers rather than guessing', () => {
    expect(() => chooseIdentity({ 'fspiop-source': ['dfspa', 'dfspb'] as unknown as string }, ids, 'dfspa')).toThrow(expect.objectContaining({ reason: 'ambiguous_source' }));
  });
});
