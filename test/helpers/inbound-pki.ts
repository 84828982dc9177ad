/**
 * Certificates and keys for the inbound tests, made by our own PKI toolkit and cached per test
 * process. Our side is RSA-2048 as the scheme requires; the hub side uses P-256, which the toolkit
 * signs a hundred times faster (a second saved per test file) and which exercises mixed chains: the DFSP's CA and server certificates (ours), the hub's CA and the client certificates
 * the hub presents (plus a second hub CA for bundle rotation), an expired client certificate, a
 * client certificate from a CA nobody trusts, one outside the identity allowlist, one to revoke,
 * and the peers' JWS key pairs (RSA-2048, and P-256 in the SEC1 form the SDK signer needs).
 */
import { execFileSync } from 'node:child_process';
import { generateKeyPair } from 'node:crypto';
import { promisify } from 'node:util';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createCa, createClientCert, createServerCert, type CaMaterial, type IssuedCert } from '../../src/crypto/pki/certificate.js';

export interface JwsPair {
  readonly privatePem: string;
  readonly publicPem: string;
}

export interface InboundPki {
  /** Our CA and the server certificate the inbound listener presents (SAN 127.0.0.1, localhost). */
  readonly dfspCa: CaMaterial;
  readonly server: IssuedCert;
  /** A second server certificate from the same CA (rotation). */
  readonly server2: IssuedCert;
  /** The hub's CA and the client certificate the hub presents (CN hub-client). */
  readonly hubCa: CaMaterial;
  readonly client: IssuedCert;
  /** A second hub CA and a client certificate from it (CA bundle rotation). */
  readonly hubCa2: CaMaterial;
  readonly client2: IssuedCert;
  /** From the hub CA, but expired yesterday. */
  readonly expiredClient: IssuedCert;
  /** From the hub CA, CN not-the-hub: outside a peer-identity allowlist. */
  readonly outsiderClient: IssuedCert;
  /** From the hub CA, revoked by `crlPem`. */
  readonly revokedClient: IssuedCert;
  /** A CRL from the hub CA (made by the openssl CLI) that revokes revokedClient. */
  readonly crlPem: string;
  /** A CA nobody trusts, and a client certificate from it. */
  readonly foreignCa: CaMaterial;
  readonly foreignClient: IssuedCert;
  /** Peer JWS keys: payerfsp (RSA), its rotated key, payeefsp (P-256, SEC1), and an unrelated RSA key. */
  readonly payerJws: JwsPair;
  readonly payerJws2: JwsPair;
  readonly payeeJwsEc: JwsPair;
  readonly strangerJws: JwsPair;
}

let cached: Promise<InboundPki> | undefined;

export function inboundPki(): Promise<InboundPki> {
  cached ??= make();
  return cached;
}

async function make(): Promise<InboundPki> {
  const day = 86_400_000;
  const [dfspCa, hubCa, hubCa2, foreignCa] = await Promise.all([
    createCa({ cn: 'Test DFSP CA', o: 'DFSP', c: 'ZZ', days: 3 }),
    // Valid since three days ago, so it can issue a certificate that has already expired.
    createCa({ cn: 'Test Hub CA', o: 'Hub', c: 'ZZ', notBefore: new Date(Date.now() - 3 * day), notAfter: new Date(Date.now() + 3 * day), keyType: 'ec' }),
    createCa({ cn: 'Test Hub CA 2', o: 'Hub', c: 'ZZ', days: 3, keyType: 'ec' }),
    createCa({ cn: 'Impostor CA', o: 'Nobody', c: 'ZZ', days: 3, keyType: 'ec' }),
  ]);
  // Key generation runs on the libuv thread pool, alongside the certificate work.
  const jws = Promise.all([rsa(), rsa(), ec(), rsa()]);
  const server = () => createServerCert({ ca: dfspCa, cn: 'localhost', dns: ['localhost'], ip: ['127.0.0.1'], days: 2 });
  const [s1, s2, client, client2, expiredClient, outsiderClient, revokedClient, foreignClient] = await Promise.all([
    server(),
    server(),
    createClientCert({ ca: hubCa, cn: 'hub-client', dns: ['hub.example'], days: 2, keyType: 'ec' }),
    createClientCert({ ca: hubCa2, cn: 'hub-client-2', days: 2, keyType: 'ec' }),
    createClientCert({ ca: hubCa, cn: 'hub-client', notBefore: new Date(Date.now() - 2 * day), notAfter: new Date(Date.now() - day), keyType: 'ec' }),
    createClientCert({ ca: hubCa, cn: 'not-the-hub', days: 2, keyType: 'ec' }),
    createClientCert({ ca: hubCa, cn: 'hub-client', days: 2, keyType: 'ec' }),
    createClientCert({ ca: foreignCa, cn: 'hub-client', days: 2, keyType: 'ec' }),
  ]);
  const [payerJws, payerJws2, payeeJwsEc, strangerJws] = await jws;
  return {
    dfspCa,
    server: s1,
    server2: s2,
    hubCa,
    client,
    hubCa2,
    client2,
    expiredClient,
    outsiderClient,
    revokedClient,
    crlPem: makeCrl(hubCa, [revokedClient.certPem]),
    foreignCa,
    foreignClient,
    payerJws,
    payerJws2,
    payeeJwsEc,
    strangerJws,
  };
}

const generate = promisify(generateKeyPair);

async function rsa(): Promise<JwsPair> {
  const { privateKey, publicKey } = await generate('rsa', { modulusLength: 2048 });
  return { privatePem: privateKey.export({ type: 'pkcs8', format: 'pem' }) as string, publicPem: publicKey.export({ type: 'spki', format: 'pem' }) as string };
}

async function ec(): Promise<JwsPair> {
  const { privateKey, publicKey } = await generate('ec', { namedCurve: 'P-256' });
  // SEC1 ("BEGIN EC PRIVATE KEY"): the only form from which the SDK signer picks ES256.
  return { privatePem: privateKey.export({ type: 'sec1', format: 'pem' }) as string, publicPem: publicKey.export({ type: 'spki', format: 'pem' }) as string };
}

/** A CRL signed by `ca` revoking `revoked`, made with `openssl ca` (an independent implementation). */
export function makeCrl(ca: CaMaterial, revoked: string[], days = 2): string {
  const dir = mkdtempSync(join(tmpdir(), 'inbound-crl-'));
  try {
    const p = (f: string) => join(dir, f);
    writeFileSync(p('ca.key'), ca.keyPem, { mode: 0o600 });
    writeFileSync(p('ca.crt'), ca.certPem);
    writeFileSync(p('index.txt'), '');
    writeFileSync(p('crlnumber'), '01\n');
    writeFileSync(
      p('ca.cnf'),
      `[ca]\ndefault_ca=d\n[d]\ndatabase=${p('index.txt')}\ncrlnumber=${p('crlnumber')}\ndefault_md=sha256\ndefault_crl_days=${days}\ncertificate=${p('ca.crt')}\nprivate_key=${p('ca.key')}\n`,
    );
    revoked.forEach((pem, i) => {
      writeFileSync(p(`r${i}.crt`), pem);
      execFileSync('openssl', ['ca', '-config', p('ca.cnf'), '-revoke', p(`r${i}.crt`)], { stdio: 'pipe' });
    });
    execFileSync('openssl', ['ca', '-config', p('ca.cnf'), '-gencrl', '-out', p('crl.pem')], { stdio: 'pipe' });
    return readFileSync(p('crl.pem'), 'utf8');
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}
