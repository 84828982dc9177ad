/**
 * Real mutual-TLS handshakes on 127.0.0.1 with toolkit certificates, in both roles of the seed
 * procedure: the hub calling the DFSP's inbound listener with the client certificate the DFSP
 * signed from the hub's CSR, and the DFSP calling the hub with the certificate the hub signed from
 * the DFSP's CSR. Certificates from elsewhere, or expired, must be refused by the TLS stack itself.
 */
import { createServer, request } from 'node:https';
import type { AddressInfo } from 'node:net';
import type { TLSSocket } from 'node:tls';
import { describe, expect, it } from 'vitest';
import { createCsr, signCsr } from '../../../../src/crypto/pki/index.js';
import { makeTestPki } from '../../../helpers/pki.js';

interface Side {
  key: string;
  cert: string;
  ca: string;
}

interface Outcome {
  ok: boolean;
  /** CN of the client certificate, as the server saw it. */
  peer?: string;
  clientError?: string;
  serverError?: string;
}

async function handshake(server: Side, client: Side, options: { servername?: string; host?: string } = {}): Promise<Outcome> {
  let serverError: string | undefined;
  const srv = createServer({ ...server, requestCert: true, rejectUnauthorized: true }, (req, res) => {
    res.end((req.socket as TLSSocket).getPeerCertificate().subject.CN);
  });
  // Node verifies the client certificate after the handshake and drops the socket; the reason is
  // on the socket handed to tlsClientError, the error itself is only the reset.
  srv.on('tlsClientError', (err: NodeJS.ErrnoException, socket: TLSSocket) => {
    // Typed as Error, but node sets the OpenSSL verify code string (e.g. CERT_HAS_EXPIRED).
    const reason: unknown = socket.authorizationError;
    serverError = typeof reason === 'string' ? reason : (err.code ?? err.message);
  });
  await new Promise<void>((resolve) => srv.listen(0, '127.0.0.1', resolve));
  const { port } = srv.address() as AddressInfo;
  try {
    const outcome = await new Promise<Outcome>((resolve) => {
      const req = request(
        { host: options.host ?? '127.0.0.1', port, path: '/', ...client, agent: false, ...(options.servername ? { servername: options.servername } : {}) },
        (res) => {
          let body = '';
          res.setEncoding('utf8');
          res.on('data', (chunk: string) => (body += chunk));
          res.on('end', () => resolve({ ok: true, peer: body }));
        },
      );
      req.on('error', (err: NodeJS.ErrnoException) => resolve({ ok: false, clientError: err.code ?? err.message }));
      req.end();
    });
    // The server-side error event may trail the client's error by a tick.
    await new Promise((r) => setTimeout(r, 20));
    return { ...outcome, ...(serverError ? { serverError } : {}) };
  } finally {
    await new Promise((resolve) => srv.close(resolve));
  }
}

describe('mutual TLS with toolkit certificates', () => {
  it('DFSP role: our inbound listener accepts the hub client certificate we signed from the hub CSR', async () => {
    const pki = await makeTestPki();
    const hubCsr = await createCsr({ cn: 'hub.example', o: 'Hub Operator', c: 'KE' });
    const hubCert = signCsr({ ca: pki.dfspCa, csrPem: hubCsr.csrPem, days: 7 });
    const r = await handshake(
      { key: pki.dfspServer.keyPem, cert: pki.dfspServer.chainPem, ca: pki.dfspCa.certPem },
      { key: hubCsr.keyPem, cert: hubCert.certPem, ca: pki.dfspCa.certPem },
      { servername: 'localhost' },
    );
    expect(r).toEqual({ ok: true, peer: 'hub.example' });
  });

  it('hub role: the hub accepts our client certificate, signed by the hub CA from our CSR', async () => {
    const pki = await makeTestPki();
    const ours = await createCsr({ cn: pki.fspId, o: 'Example Bank', c: 'KE' });
    const signed = signCsr({ ca: pki.hubCa, csrPem: ours.csrPem, days: 7 });
    const r = await handshake(
      { key: pki.hubServer.keyPem, cert: pki.hubServer.chainPem, ca: pki.hubCa.certPem },
      { key: ours.keyPem, cert: signed.chainPem, ca: pki.hubCa.certPem },
    );
    expect(r).toEqual({ ok: true, peer: 'payerfsp' });
  });

  it('refuses a client certificate from another CA, and an expired one', async () => {
    const pki = await makeTestPki();
    const inbound = { key: pki.hubServer.keyPem, cert: pki.hubServer.chainPem, ca: pki.hubCa.certPem };
    const foreign = await handshake(inbound, { key: pki.foreignClient.keyPem, cert: pki.foreignClient.certPem, ca: pki.hubCa.certPem });
    expect(foreign.ok).toBe(false);
    expect(foreign).toMatchObject({ ok: false, serverError: 'UNABLE_TO_VERIFY_LEAF_SIGNATURE' });
    const expired = await handshake(inbound, { key: pki.expiredDfspClient.keyPem, cert: pki.expiredDfspClient.certPem, ca: pki.hubCa.certPem });
    expect(expired).toMatchObject({ ok: false, serverError: 'CERT_HAS_EXPIRED' });
    // The same listener still accepts a good certificate: the refusals were about the certificates.
    const good = await handshake(inbound, { key: pki.dfspClient.keyPem, cert: pki.dfspClient.certPem, ca: pki.hubCa.certPem });
    expect(good).toEqual({ ok: true, peer: 'payerfsp' });
  });

  it('a client refuses a server certificate from a CA it does not trust, or for another name', async () => {
    const pki = await makeTestPki();
    const server = { key: pki.dfspServer.keyPem, cert: pki.dfspServer.chainPem, ca: pki.hubCa.certPem };
    const wrongCa = await handshake(server, { key: pki.dfspClient.keyPem, cert: pki.dfspClient.certPem, ca: pki.hubCa.certPem });
    expect(wrongCa).toMatchObject({ ok: false, clientError: expect.stringMatching(/UNABLE_TO_VERIFY_LEAF_SIGNATURE|SELF_SIGNED|UNABLE_TO_GET_ISSUER/) });
    const wrongName = await handshake(server, { key: pki.dfspClient.keyPem, cert: pki.dfspClient.certPem, ca: pki.dfspCa.certPem }, { servername: 'dfsp.other.example' });
    expect(wrongName).toMatchObject({ ok: false, clientError: 'ERR_TLS_CERT_ALTNAME_INVALID' });
  });

  it('handshakes with EC P-256 certificates and over IPv6 (the ::1 SAN)', async () => {
    const pki = await makeTestPki();
    const r = await handshake(
      { key: pki.ec.dfspServer.keyPem, cert: pki.ec.dfspServer.chainPem, ca: pki.hubCa.certPem },
      { key: pki.ec.dfspClient.keyPem, cert: pki.ec.dfspClient.certPem, ca: pki.dfspCa.certPem },
    );
    expect(r).toEqual({ ok: true, peer: 'payerfsp' });
  });
});
