import { describe, expect, it } from 'vitest';
import { rawErrorResponse } from '../../../src/inbound/server.js';

describe('rawErrorResponse', () => {
  it('is a complete HTTP/1.1 response with the FSPIOP body and Connection: close', () => {
    const text = rawErrorResponse('REQUEST_TIMEOUT', 'request_timeout');
    const [head, body] = text.split('\r\n\r\n') as [string, string];
    expect(head.split('\r\n')[0]).toBe('HTTP/1.1 408 Request Timeout');
    expect(head).toContain('connection: close');
    expect(head).toContain(`content-length: ${Buffer.byteLength(body)}`);
    expect(JSON.parse(body)).toEqual({ errorInformation: { errorCode: '3000', errorDescription: 'Generic client error', extensionList: { extension: [{ key: 'sidecarReason', value: 'request_timeout' }] } } });
    expect(rawErrorResponse('BODY_MALFORMED', 'bad_http').startsWith('HTTP/1.1 400 Bad Request\r\n')).toBe(true);
  });
});
