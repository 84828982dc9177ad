import { describe, expect, it } from 'vitest';
import { coreError } from '../../../../src/inbound/stages/forward-to-core.js';

function err(code: string): Error {
  return Object.assign(new Error(`boom ${code}`), { code });
}

describe('coreError', () => {
  it('maps timeouts to CORE_TIMEOUT (504)', () => {
    for (const code of ['UND_ERR_HEADERS_TIMEOUT', 'UND_ERR_BODY_TIMEOUT']) {
      const e = coreError(err(code));
      expect(e.code).toBe('CORE_TIMEOUT');
      expect(e.entry.status).toBe(504);
    }
  });
  it('maps connection failures to CORE_UNREACHABLE (502) with a reason', () => {
    expect(coreError(err('ECONNREFUSED')).reason).toBe('connection_refused');
    expect(coreError(err('UND_ERR_SOCKET')).reason).toBe('connection_reset');
    expect(coreError(err('UND_ERR_CONNECT_TIMEOUT')).reason).toBe('connect_timeout');
    expect(coreError(err('ERR_SSL_WRONG_VERSION_NUMBER')).reason).toBe('tls');
    expect(coreError(new Error('no code')).code).toBe('CORE_UNREACHABLE');
    expect(coreError(err('ECONNREFUSED')).entry.status).toBe(502);
  });
  it('treats an argument undici refuses as our fault (500), keeping the cause', () => {
    const cause = err('UND_ERR_INVALID_ARG');
    const e = coreError(cause);
    expect(e.code).toBe('INTERNAL');
    expect(e.cause).toBe(cause);
  });
});
