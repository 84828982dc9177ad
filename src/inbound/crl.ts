/**
 * The one thing the listener needs to know about a CRL before handing it to OpenSSL: its update
 * window. OpenSSL refuses every client a CRL covers once the CRL has passed nextUpdate
 * (CRL_HAS_EXPIRED), so compile reports an expired CRL instead of loading an outage. Parsing goes
 * through the PKI toolkit's DER layer (RFC 5280 §5.1: TBSCertList = version?, signature, issuer,
 * thisUpdate, nextUpdate?, ...).
 */
import { children, readDer, readTime, Type } from '../crypto/pki/der.js';

export interface CrlWindow {
  readonly thisUpdate: Date;
  readonly nextUpdate: Date | undefined;
}

const PEM_CRL = /-----BEGIN X509 CRL-----([\s\S]+?)-----END X509 CRL-----/g;

/** Every CRL in a PEM text; throws with a readable message for one that does not parse. */
export function parseCrlWindows(pem: string): CrlWindow[] {
  const out: CrlWindow[] = [];
  for (const m of pem.matchAll(PEM_CRL)) {
    const der = Buffer.from((m[1] as string).replace(/[^A-Za-z0-9+/=]/g, ''), 'base64');
    const [tbs] = children(readDer(der, 'CRL'), 'CRL');
    const times = children(tbs, 'CRL tbsCertList').filter((n) => n.type === Type.UTCTIME || n.type === Type.GENERALIZEDTIME);
    if (times.length === 0) throw new Error('CRL has no thisUpdate');
    out.push({ thisUpdate: readTime(times[0], 'CRL thisUpdate'), nextUpdate: times[1] ? readTime(times[1], 'CRL nextUpdate') : undefined });
  }
  return out;
}
