import { describe, expect, it } from 'vitest';
import { parseGrant } from '../../../src/outbound/token-client.js';
import { TokenFetchError } from '../../../src/outbound/token-source.js';

const outcome = (text: string) => {
  try {
    parseGrant(text);
    return 'parsed';
  } catch (err) {
    return err instanceof TokenFetchError ? err.outcome : 'threw something else';
  }
};

describe('parseGrant', () => {
  it('reads access_token and a numeric expires_in', () => {
    expect(parseGrant('{"access_token":"abc.def-ghi","token_type":"Bearer","expires_in":300,"scope":"x"}')).toEqual({ accessToken: 'abc.def-ghi', expiresInSeconds: 300 });
  });

  it('reads a numeric-string expires_in instead of treating the token as immortal', () => {
    expect(parseGrant('{"access_token":"t","expires_in":"3600"}').expiresInSeconds).toBe(3600);
  });

  it('treats a missing or non-numeric expires_in as no lifetime, like the SDK', () => {
    expect(parseGrant('{"access_token":"t"}').expiresInSeconds).toBeUndefined();
    expect(parseGrant('{"access_token":"t","expires_in":"soon"}').expiresInSeconds).toBeUndefined();
  });

  it('refuses responses no hub would accept the token from', () => {
    expect(outcome('not json')).toBe('invalid_response');
    expect(outcome('[]')).toBe('invalid_response');
    expect(outcome('{"token":"t"}')).toBe('invalid_response');
    expect(outcome('{"access_token":""}')).toBe('invalid_response');
    expect(outcome('{"access_token":"a b"}')).toBe('invalid_response');
    expect(outcome('{"access_token":"a\\r\\nX-Injected: 1"}')).toBe('invalid_response');
    expect(outcome('{"access_token":"t","token_type":"DPoP"}')).toBe('invalid_response');
    expect(outcome('{"access_token":"t","token_type":"bearer"}')).toBe('parsed');
  });

  it('never puts the token into an error message', () => {
    try {
      parseGrant('{"access_token":"SECRET TOKEN"}');
      expect.unreachable();
    } catch (err) {
      expect((err as Error).message).not.toContain('SECRET');
    }
  });
});
