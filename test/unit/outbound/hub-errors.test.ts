import { describe, expect, it } from 'vitest';
import { errors } from 'undici';
import { classifyHubError } from '../../../src/outbound/hub-errors.js';
import { SidecarError } from '../../../src/shared/errors.js';

const withCode = (code: string, cause?: unknown) => Object.assign(new Error(`failed: ${code}`), { code, ...(cause ? { cause } : {}) });

describe('classifyHubError', () => {
  it('maps hub timeouts to HUB_TIMEOUT (504) and everything else to HUB_UNREACHABLE (502)', () => {
    expect(classifyHubError(new errors.HeadersTimeoutError())).toMatchObject({ code: 'HUB_TIMEOUT', reason: 'headers_timeout' });
    expect(classifyHubError(new errors.BodyTimeoutError())).toMatchObject({ code: 'HUB_TIMEOUT', reason: 'body_timeout' });
    expect(classifyHubError(new errors.ConnectTimeoutError())).toMatchObject({ code: 'HUB_UNREACHABLE', reason: 'connect_timeout' });
    expect(classifyHubError(withCode('ECONNREFUSED'))).toMatchObject({ code: 'HUB_UNREACHABLE', reason: 'connection_refused' });
    expect(classifyHubError(withCode('ENOTFOUND'))).toMatchObject({ reason: 'dns' });
    expect(classifyHubError(new Error('no code at all'))).toMatchObject({ code: 'HUB_UNREACHABLE', reason: 'other' });
    expect(classifyHubError('a string')).toMatchObject({ code: 'HUB_UNREACHABLE', reason: 'other' });
  });

  it('tells an untrusted hub certificate from a hub that refuses our client certificate', () => {
    expect(classifyHubError(withCode('SELF_SIGNED_CERT_IN_CHAIN'))).toMatchObject({ reason: 'tls_untrusted_hub' });
    expect(classifyHubError(withCode('UNABLE_TO_VERIFY_LEAF_SIGNATURE'))).toMatchObject({ reason: 'tls_untrusted_hub' });
    expect(classifyHubError(withCode('ERR_TLS_CERT_ALTNAME_INVALID'))).toMatchObject({ reason: 'tls_name_mismatch' });
    expect(classifyHubError(withCode('CERT_HAS_EXPIRED'))).toMatchObject({ reason: 'tls_hub_cert_expired' });
    expect(classifyHubError(withCode('ERR_SSL_TLSV13_ALERT_CERTIFICATE_REQUIRED'))).toMatchObject({ reason: 'tls_refused_by_hub' });
    expect(classifyHubError(withCode('ERR_SSL_SSLV3_ALERT_BAD_CERTIFICATE'))).toMatchObject({ reason: 'tls_refused_by_hub' });
    expect(classifyHubError(withCode('ERR_SSL_WRONG_VERSION_NUMBER'))).toMatchObject({ reason: 'tls_error' });
  });

  it('looks through undici socket errors to the cause', () => {
    const wrapped = withCode('UND_ERR_SOCKET', withCode('ECONNRESET'));
    expect(classifyHubError(wrapped)).toMatchObject({ code: 'HUB_UNREACHABLE', reason: 'connection_reset' });
    expect(classifyHubError(withCode('UND_ERR_SOCKET'))).toMatchObject({ reason: 'connection_closed' });
  });

  it('passes a SidecarError through unchanged (our own deadline)', () => {
    const own = new SidecarError('HUB_TIMEOUT', 'deadline');
    expect(classifyHubError(own)).toBe(own);
  });
});
