import { generateKeyPairSync } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { PkiInputError, createCsr, parseCsr, parseCsrPem } from '../../../../src/crypto/pki/index.js';
import { files, openssl } from './openssl.js';

function csrText(pem: string): string {
  const r = openssl(['req', '-noout', '-text', '-verify'], pem);
  if (r.code !== 0) throw new Error(r.stderr);
  return r.stdout + r.stderr;
}

describe('createCsr', () => {
  it('makes a CSR OpenSSL verifies, with CN, O, C and a clientAuth request', async () => {
    const { keyPem, csrPem } = await createCsr({ cn: 'payerfsp', o: 'Example Bank', c: 'ke', dns: ['payerfsp.example.com'] });
    const text = csrText(csrPem);
    expect(text).toMatch(/verify OK/i);
    expect(text).toContain('Subject: C = KE, O = Example Bank, CN = payerfsp');
    expect(text).toContain('Public-Key: (2048 bit)');
    expect(text).toContain('Signature Algorithm: sha256WithRSAEncryption');
    expect(text).toMatch(/X509v3 Extended Key Usage: \n\s+TLS Web Client Authentication/);
    expect(text).toMatch(/X509v3 Basic Constraints: critical\n\s+CA:FALSE/);
    expect(text).toContain('DNS:payerfsp.example.com');
    expect(keyPem).toMatch(/^-----BEGIN PRIVATE KEY-----/);
    // The key and the CSR belong together: OpenSSL derives the same public key from both.
    const f = files({ 'k.pem': keyPem, 'c.pem': csrPem });
    const fromKey = openssl(['pkey', '-in', f['k.pem'] as string, '-pubout']).stdout;
    const fromCsr = openssl(['req', '-in', f['c.pem'] as string, '-noout', '-pubkey']).stdout;
    expect(fromKey).toBe(fromCsr);
  });

  it('asks for serverAuth with the server profile and signs EC requests with ECDSA', async () => {
    const { csrPem } = await createCsr({ cn: 'dfsp.example.com', o: 'Bank', c: 'KE', profile: 'server', keyType: 'ec', ip: ['203.0.113.7'] });
    const text = csrText(csrPem);
    expect(text).toContain('TLS Web Server Authentication');
    expect(text).toContain('Signature Algorithm: ecdsa-with-SHA256');
    expect(text).toContain('IP Address:203.0.113.7');
    expect(text).toMatch(/X509v3 Key Usage: critical\n\s+Digital Signature\n/);
  });

  it('requires O and C and refuses a key below 2048 bits', async () => {
    await expect(createCsr({ cn: 'x', o: '', c: 'KE' })).rejects.toThrow(/CN, O and C/);
    await expect(createCsr({ cn: 'x', o: 'y', c: 'KE', keySize: 1024 })).rejects.toThrow(PkiInputError);
  });
});

describe('parseCsr', () => {
  it('reads an OpenSSL CSR, RSA or EC, PEM or DER', () => {
    const rsaKey = generateKeyPairSync('rsa', { modulusLength: 2048 }).privateKey.export({ type: 'pkcs8', format: 'pem' }) as string;
    const f = files({ 'rsa.key': rsaKey });
    const rsa = openssl(['req', '-new', '-key', f['rsa.key'] as string, '-subj', '/C=KE/O=Hub/CN=hub.example', '-addext', 'subjectAltName=DNS:hub.example,IP:10.1.2.3']);
    expect(rsa.code).toBe(0);
    const info = parseCsrPem(rsa.stdout, 'hub.csr');
    expect(info.subjectText).toBe('C=KE, O=Hub, CN=hub.example');
    expect(info.key.text).toBe('RSA 2048');
    expect(info.signatureAlgorithm).toBe('sha256WithRSAEncryption');
    expect(info.signatureValid).toBe(true);
    expect(info.extensions.subjectAltName).toMatchObject({ dns: ['hub.example'], ip: ['10.1.2.3'] });
    expect(parseCsr(info.der).spkiSha256).toBe(info.spkiSha256);

    const ec = openssl(['req', '-new', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:P-384', '-nodes', '-keyout', '/dev/null', '-subj', '/CN=ec']);
    expect(ec.code).toBe(0);
    const ecInfo = parseCsrPem(ec.stdout);
    expect(ecInfo.key.text).toBe('EC P-384');
    expect(ecInfo.signatureValid).toBe(true);
  });

  it('reports a CSR whose self-signature does not verify', async () => {
    const { csrPem } = await createCsr({ cn: 'x', o: 'y', c: 'KE', keyType: 'ec' });
    const der = parseCsrPem(csrPem).der;
    // Flip one byte inside the subject CN: structure intact, signature no longer matches.
    const at = der.indexOf(Buffer.from('x'));
    const tampered = Buffer.from(der);
    tampered[at] = 'z'.charCodeAt(0);
    const info = parseCsr(tampered);
    expect(info.subjectText).toBe('C=KE, O=y, CN=z');
    expect(info.signatureValid).toBe(false);
  });

  it('turns garbage, truncation and wrong types into input errors', async () => {
    const { csrPem } = await createCsr({ cn: 'x', o: 'y', c: 'KE', keyType: 'ec' });
    expect(() => parseCsrPem('hello')).toThrow(/no CERTIFICATE REQUEST block/);
    expect(() => parseCsrPem(csrPem.slice(0, 200))).toThrow(/no matching END line/);
    expect(() => parseCsr(Buffer.from('30820100deadbeef', 'hex'))).toThrow(PkiInputError);
    expect(() => parseCsr(Buffer.alloc(0))).toThrow(PkiInputError);
    const cert = openssl(['req', '-x509', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:P-256', '-nodes', '-keyout', '/dev/null', '-subj', '/CN=c', '-days', '1']);
    expect(() => parseCsrPem(cert.stdout)).toThrow(/no CERTIFICATE REQUEST block/);
    const certDer = Buffer.from(cert.stdout.replace(/-----[^-]+-----/g, '').replace(/\s/g, ''), 'base64');
    expect(() => parseCsr(certDer)).toThrow(/not a PKCS#10 certificate request/);
  });
});
