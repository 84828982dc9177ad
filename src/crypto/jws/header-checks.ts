/**
 * Cross-checks between the protected header and the HTTP headers (reference §4.2 steps 8–10,
 * §4.4 step 7). Pure; exact string comparison throughout, as every Mojaloop validator does.
 *
 * - FSPIOP-URI, FSPIOP-HTTP-Method, FSPIOP-Source: required in both and equal. The method is
 *   compared as sent: a lower-case `put` header against a protected `PUT` fails (trap T7).
 * - Date: if protected, the HTTP `date` must be present and byte-equal; if not protected, unchecked.
 * - FSPIOP-Destination, policy `sdk-strict` (default; what SDK receivers enforce): if either side
 *   has it, both must, equal. Policy `spec` (Signature_v1.1): a protected Destination must match the
 *   HTTP header, but an unprotected HTTP Destination is allowed (the hub fills it in, trap T6).
 * Protected members other than these (typ, kid, FSPIOP-Encryption) are not checked, like the SDK.
 */
import type { ProtectedHeader } from './signature-header.js';

export type DestinationPolicy = 'sdk-strict' | 'spec';

export type HeaderCheckReason = 'uri_mismatch' | 'method_mismatch' | 'source_mismatch' | 'date_mismatch' | 'destination_mismatch';

export interface HttpSignedHeaders {
  readonly uri: string;
  readonly method: string;
  readonly source: string;
  readonly destination: string | undefined;
  readonly date: string | undefined;
}

export interface HeaderCheckFailure {
  readonly reason: HeaderCheckReason;
  readonly detail: string;
}

/** Quoted and bounded, so a hostile header value cannot flood or forge a log line. */
export function quote(value: string | undefined): string {
  if (value === undefined) return '(absent)';
  return JSON.stringify(value.length > 80 ? `${value.slice(0, 80)}…` : value);
}

function mismatch(reason: HeaderCheckReason, name: string, http: string | undefined, prot: string | undefined): HeaderCheckFailure {
  return { reason, detail: `${name}: HTTP header ${quote(http)} vs protected header ${quote(prot)}` };
}

export function checkSignedHeaders(p: ProtectedHeader, h: HttpSignedHeaders, destinationPolicy: DestinationPolicy): HeaderCheckFailure | undefined {
  if (p.uri === undefined || p.uri !== h.uri) return mismatch('uri_mismatch', 'FSPIOP-URI', h.uri, p.uri);
  if (p.method === undefined || p.method !== h.method) return mismatch('method_mismatch', 'FSPIOP-HTTP-Method', h.method, p.method);
  if (p.source === undefined || p.source !== h.source) return mismatch('source_mismatch', 'FSPIOP-Source', h.source, p.source);
  if (p.date !== undefined && p.date !== h.date) return mismatch('date_mismatch', 'Date', h.date, p.date);
  if (p.destination !== undefined) {
    if (p.destination !== h.destination) return mismatch('destination_mismatch', 'FSPIOP-Destination', h.destination, p.destination);
  } else if (h.destination !== undefined && destinationPolicy === 'sdk-strict') {
    return { reason: 'destination_mismatch', detail: `FSPIOP-Destination ${quote(h.destination)} is sent but not protected (destination policy sdk-strict)` };
  }
  return undefined;
}
