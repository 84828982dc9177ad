import { describe, expect, it } from 'vitest';
import { targetProblem } from '../../../../src/inbound/stages/parse-target.js';

describe('targetProblem', () => {
  it('accepts origin-form paths with or without a query', () => {
    for (const t of ['/', '/transfers/1', '/parties/MSISDN/123?currency=USD', '/api/quotes/abc/error']) expect(targetProblem(t), t).toBeUndefined();
  });
  it('refuses absolute-form, asterisk, empty and protocol-relative targets', () => {
    for (const t of ['http://core/transfers', '*', '', '//evil.example/x', 'transfers']) expect(targetProblem(t), t).toBeDefined();
  });
});
