/**
 * The stand-in MCM against mcm-api.md, over real HTTPS (undici, the stand-in's TLS CA): the
 * token flow and the auth rules of §3, the §4.2 sequence done by hand with our PKI, the
 * validator's 400/404/405, endpoints, JWS list semantics and the failure switches.
 */
import { createPublicKey, generateKeyPairSync } from 'node:crypto';
import { SignJWT, decodeJwt, importJWK, jwtVerify } from 'jose';
import { Agent, request } from 'undici';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createCa, createClientCert, createServerCert, parseCertificates } from '../../src/crypto/pki/certificate.js';
import { verifyChain } from '../../src/crypto/pki/chain.js';
import { createCsr, parseCsrPem } from '../../src/crypto/pki/csr.js';
import { publicKeyPem, spkiSha256 } from '../../src/crypto/pki/keys.js';
import { createCsrRequesting, signCsrWithSubject, startMcmStandIn, type Enrollment, type McmStandIn } from './mcm-standin.js';

interface Answer {
  status: number;
  // Response bodies are asserted field by field.
  json: any;
  text: string;
}

function client(standIn: McmStandIn) {
  const agent = new Agent({ connect: { ca: standIn.tlsCaPem } });
  const call = async (method: string, path: string, opts: { token?: string; body?: unknown; headers?: Record<string, string> } = {}): Promise<Answer> => {
    const headers: Record<string, string> = { accept: 'application/json', ...(opts.headers ?? {}) };
    if (opts.token) headers['authorization'] = `Bearer ${opts.token}`;
    if (opts.body !== undefined) headers['content-type'] = 'application/json';
    const res = await request(`${standIn.apiUrl}${path}`, {
      dispatcher: agent,
      method: method as 'GET',
      headers,
      ...(opts.body !== undefined ? { body: JSON.stringify(opts.body) } : {}),
    });
    const text = await res.body.text();
    let json: unknown;
    try {
      json = text ? JSON.parse(text) : undefined;
    } catch {
      json = undefined;
    }
    return { status: res.statusCode, json, text };
  };
  const tokenRequest = async (form: Record<string, string>, headers: Record<string, string> = {}): Promise<Answer> => {
    const res = await request(standIn.tokenUrl, {
      dispatcher: agent,
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded', ...headers },
      body: new URLSearchParams(form).toString(),
    });
    const text = await res.body.text();
    return { status: res.statusCode, json: JSON.parse(text), text };
  };
  const login = async (creds: { clientId: string; clientSecret: string }): Promise<string> => {
    const res = await tokenRequest({ grant_type: 'client_credentials', client_id: creds.clientId, client_secret: creds.clientSecret });
    expect(res.status).toBe(200);
    return res.json.access_token as string;
  };
  return { agent, call, tokenRequest, login };
}

type Client = ReturnType<typeof client>;

function expectBodyA(res: Answer, status: number, message: string | RegExp): void {
  expect(res.status).toBe(status);
  expect(Object.keys(res.json).sort()).toEqual(['errors', 'message']);
  if (typeof message === 'string') expect(res.json.message).toBe(message);
  else expect(res.json.message).toMatch(message);
  expect(res.json.errors.length).toBeGreaterThan(0);
}

function expectBodyB(res: Answer, status: number, id: string, message: string): void {
  expect(res.status).toBe(status);
  expect(res.json).toEqual({ payload: expect.objectContaining({ id, message }), message });
}

function createServerCertFor(ca: { certPem: string; keyPem: string }) {
  return createServerCert({ ca, cn: 'dfsp5.example', dns: ['dfsp5.example'] });
}

function codes(enrollment: Enrollment): Record<string, string> {
  return Object.fromEntries((enrollment.validations ?? []).map((v) => [String(v.validationCode), v.result]));
}

describe('MCM stand-in', () => {
  let mcm: McmStandIn;
  let c: Client;
  let dfsp1: { clientId: string; clientSecret: string };
  let dfsp1Token: string;
  let ptaToken: string;

  beforeAll(async () => {
    mcm = await startMcmStandIn();
    c = client(mcm);
    [dfsp1] = await Promise.all([mcm.createDfsp('DFSP1'), mcm.createDfsp('DFSP2')]);
    [dfsp1Token, ptaToken] = await Promise.all([c.login(dfsp1), c.login(mcm.ptaClient)]);
  });
  afterAll(async () => {
    await mcm?.close();
    await c?.agent.close();
  });

  describe('transport and tokens', () => {
    it('serves HTTPS on 127.0.0.1 with a certificate that only its TLS CA verifies, for 127.0.0.1 and localhost', async () => {
      expect(mcm.apiUrl).toMatch(/^https:\/\/127\.0\.0\.1:\d+\/api$/);
      expect(mcm.tokenUrl).toBe(mcm.apiUrl.replace(/\/api$/, '/realms/dfsps/protocol/openid-connect/token'));
      const byName = new Agent({ connect: { ca: mcm.tlsCaPem, servername: 'localhost' } });
      const res = await request(mcm.apiUrl.replace('127.0.0.1', 'localhost') + '/hub/ca', { dispatcher: byName, headers: { authorization: `Bearer ${dfsp1Token}` } });
      expect(res.statusCode).toBe(200);
      await res.body.dump();
      await byName.close();
      const untrusting = new Agent({ connect: { ca: mcm.hubCa.certPem } });
      // The server sends its chain up to the TLS CA, so an agent trusting another CA sees that root.
      await expect(request(`${mcm.apiUrl}/hub/ca`, { dispatcher: untrusting })).rejects.toMatchObject({ code: 'SELF_SIGNED_CERT_IN_CHAIN' });
      await untrusting.close();
    });

    it('issues RS256 JWTs for form-posted client credentials: iss, aud connection-manager-api, exp, groups; verifiable with the realm JWKS', async () => {
      const res = await c.tokenRequest({ grant_type: 'client_credentials', client_id: dfsp1.clientId, client_secret: dfsp1.clientSecret });
      expect(res.status).toBe(200);
      expect(res.json).toMatchObject({ token_type: 'Bearer', expires_in: 300 });
      expect(typeof res.json.refresh_token).toBe('string');
      const jwksRes = await request(mcm.issuer + '/protocol/openid-connect/certs', { dispatcher: c.agent });
      const jwks = (await jwksRes.body.json()) as { keys: Array<Record<string, unknown>> };
      expect(jwks.keys[0]).not.toHaveProperty('d');
      const key = await importJWK(jwks.keys[0] as Parameters<typeof importJWK>[0], 'RS256');
      const { payload, protectedHeader } = await jwtVerify(res.json.access_token, key, { issuer: mcm.issuer, audience: 'connection-manager-api' });
      expect(protectedHeader.alg).toBe('RS256');
      expect(payload.groups).toEqual(['/Application/DFSP:DFSP1']);
      expect(payload.aud).toEqual(['connection-manager-api']);
      expect((payload.exp as number) - (payload.iat as number)).toBe(300);
    });

    it('accepts HTTP Basic client authentication and refuses a wrong secret or grant the way Keycloak does', async () => {
      const basic = Buffer.from(`${dfsp1.clientId}:${dfsp1.clientSecret}`).toString('base64');
      const ok = await c.tokenRequest({ grant_type: 'client_credentials' }, { authorization: `Basic ${basic}` });
      expect(ok.status).toBe(200);
      const bad = await c.tokenRequest({ grant_type: 'client_credentials', client_id: dfsp1.clientId, client_secret: 'wrong' });
      expect(bad.status).toBe(401);
      expect(bad.json.error).toBe('invalid_client');
      const grant = await c.tokenRequest({ grant_type: 'password', client_id: dfsp1.clientId, client_secret: dfsp1.clientSecret });
      expect(grant.status).toBe(400);
      expect(grant.json.error).toBe('unsupported_grant_type');
    });

    it('refreshes with grant_type=refresh_token; the refresh token itself is no API token', async () => {
      const first = await c.tokenRequest({ grant_type: 'client_credentials', client_id: dfsp1.clientId, client_secret: dfsp1.clientSecret });
      const refreshed = await c.tokenRequest({ grant_type: 'refresh_token', refresh_token: first.json.refresh_token, client_id: dfsp1.clientId, client_secret: dfsp1.clientSecret });
      expect(refreshed.status).toBe(200);
      expect((await c.call('GET', '/dfsps/DFSP1/ca', { token: refreshed.json.access_token })).status).toBe(200);
      expectBodyA(await c.call('GET', '/dfsps/DFSP1/ca', { token: first.json.refresh_token }), 401, 'Authentication required');
      const garbage = await c.tokenRequest({ grant_type: 'refresh_token', refresh_token: first.json.access_token, client_id: dfsp1.clientId, client_secret: dfsp1.clientSecret });
      expect(garbage.status).toBe(400);
      expect(garbage.json.error).toBe('invalid_grant');
    });
  });

  describe('authorization (§3.3, §3.4)', () => {
    it('lets a DFSP token reach its own /dfsps/<id>/..., GET /hub/ca and GET /dfsps/jwscerts', async () => {
      const ca = await c.call('GET', '/dfsps/DFSP1/ca', { token: dfsp1Token });
      expect(ca.status).toBe(200);
      expect(ca.json).toEqual({ rootCertificate: null, intermediateChain: null, validations: [], validationState: 'NOT_AVAILABLE' });
      const hubCa = await c.call('GET', '/hub/ca', { token: dfsp1Token });
      expect(hubCa.json).toEqual({ rootCertificate: mcm.hubCa.certPem, validationState: 'VALID', type: 'INTERNAL' });
      expect((await c.call('GET', '/dfsps/jwscerts', { token: dfsp1Token })).status).toBe(200);
      const list = await c.call('GET', '/dfsps', { token: dfsp1Token });
      expect(list.json.map((d: { id: string }) => d.id)).toEqual(['DFSP1']);
      expect(list.json[0]).toMatchObject({ id: 'DFSP1', securityGroup: 'Application/DFSP:DFSP1' });
    });

    it('refuses with 401 in body A: other DFSP, unknown DFSP, hub-only routes, no token', async () => {
      expectBodyA(await c.call('GET', '/dfsps/DFSP2/ca', { token: dfsp1Token }), 401, 'user does not have the required role Application/DFSP:DFSP2');
      expectBodyA(await c.call('GET', '/dfsps/NOPE1/ca', { token: dfsp1Token }), 401, 'DFSP with id NOPE1 not found');
      expectBodyA(await c.call('GET', '/hub/jwscerts', { token: dfsp1Token }), 401, 'user does not have the required roles mta,pta');
      expectBodyA(await c.call('POST', '/external-dfsps/jwscerts', { token: dfsp1Token, body: [{ dfspId: 'X', publicKey: 'k' }] }), 401, 'user does not have the required roles mta,pta');
      expectBodyA(await c.call('POST', '/dfsps', { token: dfsp1Token, body: { dfspId: 'DFSP9', name: 'n' } }), 401, 'user does not have the required roles pta');
      expectBodyA(await c.call('GET', '/dfsps/DFSP1/ca'), 401, 'Authentication required');
      expect(mcm.calls.at(-1)).toMatchObject({ method: 'GET', path: '/api/dfsps/DFSP1/ca', status: 401, auth: 'none' });
    });

    it('ignores spec scopes on DFSP-scoped routes: a DFSP token may call its own pta-only …/sign', async () => {
      const { csrPem } = await createCsr({ cn: 'DFSP1', o: 'DFSP One', c: 'ZZ' });
      const created = await c.call('POST', '/dfsps/DFSP1/enrollments/inbound', { token: dfsp1Token, body: { clientCSR: csrPem } });
      const signed = await c.call('POST', `/dfsps/DFSP1/enrollments/inbound/${created.json.id}/sign`, { token: dfsp1Token });
      expect(signed.status).toBe(200);
      expect(signed.json.state).toBe('CERT_SIGNED');
    });

    it('treats an expired (beyond 60 s), foreign-signed, wrong-audience, wrong-issuer or revoked token as no user', async () => {
      const within = await mcm.mintToken({ clientId: 'DFSP1', expiresInSeconds: -30 });
      expect((await c.call('GET', '/dfsps/DFSP1/ca', { token: within })).status).toBe(200);
      const expired = await mcm.mintToken({ clientId: 'DFSP1', expiresInSeconds: -90 });
      expectBodyA(await c.call('GET', '/dfsps/DFSP1/ca', { token: expired }), 401, 'Authentication required');
      expect(mcm.calls.at(-1)?.auth).toBe('invalid');
      const otherAud = await mcm.mintToken({ clientId: 'DFSP1', audience: 'account' });
      expectBodyA(await c.call('GET', '/dfsps/DFSP1/ca', { token: otherAud }), 401, 'Authentication required');
      const otherIss = await mcm.mintToken({ clientId: 'DFSP1', issuer: 'https://127.0.0.1/realms/hub-operators' });
      expectBodyA(await c.call('GET', '/dfsps/DFSP1/ca', { token: otherIss }), 401, 'Authentication required');
      const { privateKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });
      const claims = decodeJwt(dfsp1Token);
      const forged = await new SignJWT(claims).setProtectedHeader({ alg: 'RS256' }).sign(privateKey);
      expectBodyA(await c.call('GET', '/dfsps/DFSP1/ca', { token: forged }), 401, 'Authentication required');

      const before = await c.login(dfsp1);
      mcm.revokeTokens();
      expectBodyA(await c.call('GET', '/dfsps/DFSP1/ca', { token: before }), 401, 'Authentication required');
      dfsp1Token = await c.login(dfsp1);
      ptaToken = await c.login(mcm.ptaClient);
      expect((await c.call('GET', '/dfsps/DFSP1/ca', { token: dfsp1Token })).status).toBe(200);
    });

    it('needs no auth for POST /dfsps/{id}/states: upsert {code:1} then {code:2}, schema enforced', async () => {
      const now = new Date().toISOString();
      const first = await c.call('POST', '/dfsps/DFSP2/states', { body: { DFSP_CA: { status: 'completed', lastUpdated: now, stateDescription: 'DFSP_CA_PROPAGATED' } } });
      expect(first.status).toBe(200);
      expect(first.json).toEqual({ code: 1 });
      const second = await c.call('POST', '/dfsps/DFSP2/states', { body: { HUB_CA: { status: 'inError', lastUpdated: now, errorDescription: 'x' } } });
      expect(second.json).toEqual({ code: 2 });
      expect(mcm.state('DFSP2').states).toMatchObject({ DFSP_CA: { status: 'completed' }, HUB_CA: { status: 'inError' } });
      expectBodyA(await c.call('POST', '/dfsps/DFSP2/states', { body: { NOT_A_STATE: { status: 'completed', lastUpdated: now } } }), 400, 'request.body should NOT have additional properties');
      expectBodyA(await c.call('POST', '/dfsps/DFSP2/states', { body: { HUB_CA: { status: 'done', lastUpdated: now } } }), 400, /request\.body\.HUB_CA\.status should be equal to one of the allowed values/);
      expectBodyB(await c.call('POST', '/dfsps/NOPE1/states', { body: {} }), 404, 'NotFoundError', 'DFSP with id NOPE1 not found');
      const status = await c.call('GET', '/dfsps/states-status', { token: dfsp1Token });
      expect(status.json.dfsps).toContainEqual({ dfspId: 'DFSP2', statesStatus: expect.arrayContaining([expect.objectContaining({ state: 'DFSP_CA', status: 'completed' })]) });
    });

    it('drives hub actions with the pta client: POST /dfsps (with its outbound enrollment), credentials, 405 on GET /dfsps/{id}', async () => {
      const created = await c.call('POST', '/dfsps', { token: ptaToken, body: { dfspId: 'DFSP3', name: 'DFSP three', email: 'ops@dfsp3.example' } });
      expect(created.status).toBe(200);
      expect(created.json).toEqual({ id: 'DFSP3' });
      const outbound = await c.call('GET', '/dfsps/DFSP3/enrollments/outbound', { token: ptaToken });
      expect(outbound.json).toHaveLength(1);
      expect(outbound.json[0].state).toBe('CSR_LOADED');
      expectBodyB(await c.call('GET', '/dfsps/DFSP3/credentials', { token: ptaToken }), 404, 'NotFoundError', 'API credentials not found for this DFSP');
      const creds = await c.call('POST', '/dfsps/DFSP3/credentials', { token: ptaToken });
      expect(creds.status).toBe(201);
      expect(creds.json).toMatchObject({ clientId: 'DFSP3', clientSecret: expect.any(String), createdAt: expect.any(String) });
      const token = await c.login({ clientId: 'DFSP3', clientSecret: creds.json.clientSecret });
      expect((await c.call('GET', '/dfsps/DFSP3/enrollments/outbound', { token })).status).toBe(200);
      expectBodyA(await c.call('GET', '/dfsps/DFSP3', { token: ptaToken }), 405, 'GET method not allowed');
      const badId = await c.call('POST', '/dfsps', { token: ptaToken, body: { dfspId: 'a b', name: 'x' } });
      expect(badId.status).toBe(400);
      expect(badId.json.payload.id).toBe('ValidationError');
    });
  });

  describe('the §4.2 sequence by hand', () => {
    it('CA, JWS, inbound CSR signed only when the hub says so, outbound CSR signed by the DFSP CA, endpoints, onboard', async () => {
      const token = dfsp1Token;
      const dfspCa = await createCa({ cn: 'DFSP1 CA', o: 'DFSP One', c: 'ZZ' });

      // Trust and our CA.
      expect((await c.call('GET', '/hub/ca', { token })).json.rootCertificate).toBe(mcm.hubCa.certPem);
      const ca = await c.call('POST', '/dfsps/DFSP1/ca', { token, body: { rootCertificate: dfspCa.certPem } });
      expect(ca.status).toBe(200);
      expect(ca.json).toMatchObject({ rootCertificate: dfspCa.certPem, intermediateChain: '', validationState: 'VALID' });
      expect(ca.json.validations.map((v: { validationCode: string }) => v.validationCode)).toEqual(['VERIFY_ROOT_CERTIFICATE', 'VERIFY_CHAIN_CERTIFICATES', 'CA_CERTIFICATE_USAGE']);

      // JWS key.
      const jwsKey = publicKeyPem(generateKeyPairSync('rsa', { modulusLength: 2048 }).publicKey);
      const jws = await c.call('POST', '/dfsps/DFSP1/jwscerts', { token, body: { publicKey: jwsKey, createdAt: 1_700_000_000 } });
      expect(jws.json).toMatchObject({ dfspId: 'DFSP1', publicKey: jwsKey, createdAt: 1_700_000_000, validationState: 'VALID' });

      // Our client CSR: inbound enrollment, idempotent while CSR_LOADED.
      const csr = await createCsr({ cn: 'DFSP1', o: 'DFSP One', c: 'ZZ', dns: ['dfsp1.example'] });
      const inbound = await c.call('POST', '/dfsps/DFSP1/enrollments/inbound', { token, body: { clientCSR: csr.csrPem } });
      expect(inbound.status).toBe(200);
      expect(inbound.json).toMatchObject({ csr: csr.csrPem, state: 'CSR_LOADED', validationState: 'VALID' });
      expect(inbound.json.csrInfo).toMatchObject({
        subject: { CN: 'DFSP1', O: 'DFSP One', C: 'ZZ' },
        extensions: { subjectAltName: { dns: ['dfsp1.example'], ips: [], uris: [], emailAddresses: [] } },
        signatureAlgorithm: 'sha256WithRSAEncryption',
        publicKeyLength: 2048,
      });
      expect(codes(inbound.json)).toMatchObject({ CSR_SIGNATURE_VALID: 'VALID', CSR_PUBLIC_KEY_LENGTH_2048: 'VALID', CERTIFICATE_VALIDITY: 'NOT_AVAILABLE' });
      const again = await c.call('POST', '/dfsps/DFSP1/enrollments/inbound', { token, body: { clientCSR: csr.csrPem } });
      expect(again.json.id).toBe(inbound.json.id);
      const enId = inbound.json.id as number;

      // Endpoints.
      expect((await c.call('POST', '/dfsps/DFSP1/endpoints/egress', { token, body: { ipList: [{ address: '203.0.113.7', ports: ['443'] }] } })).status).toBe(200);
      expect((await c.call('POST', '/dfsps/DFSP1/endpoints/ingress', { token, body: { url: 'https://dfsp1.example:443' } })).status).toBe(200);

      // The hub's CSR: subject-less, signed by our CA with a subject of our choosing, uploaded.
      const outbound = await c.call('GET', '/dfsps/DFSP1/enrollments/outbound', { token });
      expect(outbound.json).toHaveLength(1);
      const hubCsr = outbound.json[0] as Enrollment;
      expect(Object.keys(hubCsr).sort()).toEqual(['csr', 'csrInfo', 'id', 'state']);
      expect(hubCsr.csrInfo.subject).toEqual({});
      expect(parseCsrPem(hubCsr.csr).subject).toEqual([]);
      const hubCert = signCsrWithSubject({ ca: dfspCa, csrPem: hubCsr.csr, subject: { cn: 'hub-client.example', o: 'Hub', c: 'ZZ' } });
      const uploaded = await c.call('POST', `/dfsps/DFSP1/enrollments/outbound/${hubCsr.id}/certificate`, { token, body: { certificate: hubCert.certPem } });
      expect(uploaded.status).toBe(200);
      expect(uploaded.json).toMatchObject({ id: hubCsr.id, state: 'CERT_SIGNED', certificate: hubCert.certPem, validationState: 'VALID' });
      expect(uploaded.json).not.toHaveProperty('key');
      expect(codes(uploaded.json)).toEqual({
        CSR_SIGNATURE_VALID: 'VALID',
        CSR_SIGNATURE_ALGORITHM: 'VALID',
        CSR_PUBLIC_KEY_LENGTH_2048: 'VALID',
        CSR_CERT_SAME_PUBLIC_KEY: 'VALID',
        CERTIFICATE_VALIDITY: 'VALID',
        CERTIFICATE_SIGNATURE_ALGORITHM: 'VALID',
        CSR_CERT_PUBLIC_PRIVATE_KEY_MATCH: 'VALID',
        CERTIFICATE_SIGNED_BY_DFSP_CA: 'VALID',
      });
      expect(uploaded.json.certInfo).toMatchObject({ subject: { CN: 'hub-client.example' }, issuer: { CN: 'DFSP1 CA' } });
      expect(uploaded.json.certInfo.notAfter).toMatch(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.000Z$/);

      // Nothing signs our CSR until the hub does.
      expect((await c.call('GET', `/dfsps/DFSP1/enrollments/inbound/${enId}`, { token })).json.state).toBe('CSR_LOADED');
      const signed = await mcm.signInbound('DFSP1');
      expect(signed.map((e) => e.id)).toContain(enId);
      const polled = await c.call('GET', `/dfsps/DFSP1/enrollments/inbound/${enId}`, { token });
      expect(polled.json.state).toBe('CERT_SIGNED');
      const [leaf] = parseCertificates(polled.json.certificate);
      expect(leaf).toBeDefined();
      expect(verifyChain(leaf!, { roots: parseCertificates(mcm.hubCa.certPem), purpose: 'clientAuth' }).ok).toBe(true);
      expect(leaf!.spkiSha256).toBe(spkiSha256(createPublicKey(csr.keyPem)));
      expect(polled.json.certInfo).toMatchObject({ subject: { CN: 'DFSP1', O: 'DFSP One' }, issuer: { CN: 'MCM stand-in Hub CA' } });
      expect(codes(polled.json)).toMatchObject({ CSR_CERT_SAME_PUBLIC_KEY: 'VALID', CSR_CERT_SAME_SUBJECT_INFO: 'VALID', CERTIFICATE_VALIDITY: 'VALID', CSR_CERT_PUBLIC_PRIVATE_KEY_MATCH: 'NOT_AVAILABLE' });
      // Once signed, the same CSR makes a new enrollment (idempotence holds only while CSR_LOADED).
      const renewed = await c.call('POST', '/dfsps/DFSP1/enrollments/inbound', { token, body: { clientCSR: csr.csrPem } });
      expect(renewed.json.id).toBeGreaterThan(enId);

      // Peers' keys and the hub's finishing step.
      expect((await c.call('GET', '/dfsps/jwscerts', { token })).json).toContainEqual(expect.objectContaining({ dfspId: 'DFSP1', publicKey: jwsKey }));
      const onboard = await c.call('POST', '/dfsps/DFSP1/onboard', { token: ptaToken });
      expect(onboard.status).toBe(200);
      expect(mcm.state('DFSP1').onboarded).toMatchObject({ fqdn: 'hub-client.example', caBundle: dfspCa.certPem, ipWhitelist: ['203.0.113.7'] });
    });

    it('keeps the hub key of outbound enrollments out of responses but gives it to tests; ids come from one global sequence', async () => {
      const made = await mcm.createOutboundEnrollment('DFSP2');
      const list = await c.call('GET', '/dfsps/DFSP2/enrollments/outbound', { token: ptaToken });
      const ids = list.json.map((e: Enrollment) => e.id);
      expect(ids).toContain(made.id);
      expect(list.text).not.toContain('PRIVATE KEY');
      expect(spkiSha256(createPublicKey(made.keyPem))).toBe(parseCsrPem(list.json.find((e: Enrollment) => e.id === made.id).csr).spkiSha256);
      expect(mcm.outboundKeyPem('DFSP2', made.id)).toBe(made.keyPem);
      const all = [...mcm.state('DFSP1').inbound, ...mcm.state('DFSP1').outbound, ...mcm.state('DFSP2').outbound].map((e) => e.id);
      expect(new Set(all).size).toBe(all.length);
    });

    it('overwrites outbound certificates on every upload and records, without refusing, one our DFSP CA did not sign', async () => {
      const dfspCa = await createCa({ cn: 'DFSP2 CA', o: 'DFSP Two', c: 'ZZ' });
      const foreignCa = await createCa({ cn: 'Foreign CA', o: 'Elsewhere', c: 'ZZ' });
      await c.call('POST', '/dfsps/DFSP2/ca', { token: ptaToken, body: { rootCertificate: dfspCa.certPem } });
      const [enrollment] = mcm.state('DFSP2').outbound;
      const path = `/dfsps/DFSP2/enrollments/outbound/${enrollment!.id}/certificate`;
      const good = signCsrWithSubject({ ca: dfspCa, csrPem: enrollment!.csr, subject: { cn: 'hub.example' } });
      expect((await c.call('POST', path, { token: ptaToken, body: { certificate: good.certPem } })).json.validationState).toBe('VALID');
      const foreign = signCsrWithSubject({ ca: foreignCa, csrPem: enrollment!.csr, subject: { cn: 'hub.example' } });
      const res = await c.call('POST', path, { token: ptaToken, body: { certificate: foreign.certPem } });
      expect(res.status).toBe(200);
      expect(res.json).toMatchObject({ state: 'CERT_SIGNED', certificate: foreign.certPem, validationState: 'INVALID' });
      expect(codes(res.json).CERTIFICATE_SIGNED_BY_DFSP_CA).toBe('INVALID');
      const otherKey = await createClientCert({ ca: dfspCa, cn: 'hub.example' });
      const mismatch = await c.call('POST', path, { token: ptaToken, body: { certificate: otherKey.certPem } });
      expect(codes(mismatch.json)).toMatchObject({ CSR_CERT_SAME_PUBLIC_KEY: 'INVALID', CSR_CERT_PUBLIC_PRIVATE_KEY_MATCH: 'INVALID', CERTIFICATE_SIGNED_BY_DFSP_CA: 'VALID' });
      expectBodyB(await c.call('POST', path, { token: ptaToken, body: { certificate: 'not a pem' } }), 400, 'ValidationError', 'Could not parse the Certificate content');
      expectBodyB(await c.call('POST', path, { token: ptaToken, body: { cert: 'x' } }), 400, 'ValidationError', 'Could not parse the Certificate content');
      expectBodyA(await c.call('POST', path, { token: ptaToken, body: {} }), 400, 'request.body should NOT have fewer than 1 properties');
    });

    it('serves a test-supplied hub CSR asking for CA:TRUE as it is, and hands out the hub credential once signed', async () => {
      const evil = await createCsrRequesting({ subject: { CN: 'hub.example' }, askCa: true });
      expect(parseCsrPem(evil.csrPem).extensions.basicConstraints?.ca).toBe(true);
      const made = await mcm.createOutboundEnrollment('DFSP2', { csrPem: evil.csrPem, keyPem: evil.keyPem });
      const served = await c.call('GET', `/dfsps/DFSP2/enrollments/outbound/${made.id}`, { token: ptaToken });
      expect(served.json.csr).toBe(evil.csrPem);
      expect(served.json.csrInfo.subject).toEqual({ CN: 'hub.example' });
      const dfspCa = await createCa({ cn: 'DFSP2 CA', o: 'DFSP Two', c: 'ZZ' });
      const cert = signCsrWithSubject({ ca: dfspCa, csrPem: evil.csrPem, subject: { cn: 'hub.example' } });
      await c.call('POST', `/dfsps/DFSP2/enrollments/outbound/${made.id}/certificate`, { token: ptaToken, body: { certificate: cert.certPem } });
      expect(mcm.hubClientCredential('DFSP2')).toEqual({ enId: made.id, certPem: cert.certPem, keyPem: evil.keyPem });
      await expect(mcm.signInbound('DFSP2', 424242)).rejects.toThrow(/no such enrollment/);
    });

    it('stores what a malicious hub says it signed, exactly', async () => {
      const csr = await createCsr({ cn: 'DFSP2', o: 'DFSP Two', c: 'ZZ' });
      const created = await c.call('POST', '/dfsps/DFSP2/enrollments/inbound', { token: ptaToken, body: { clientCSR: csr.csrPem } });
      const otherKeyCert = await createClientCert({ ca: mcm.hubCa, cn: 'DFSP2', o: 'DFSP Two', c: 'ZZ' });
      const [stored] = await mcm.signInbound('DFSP2', created.json.id, { certificatePem: otherKeyCert.certPem });
      expect(stored).toMatchObject({ state: 'CERT_SIGNED', certificate: otherKeyCert.certPem, validationState: 'INVALID' });
      expect(codes(stored!).CSR_CERT_SAME_PUBLIC_KEY).toBe('INVALID');
      const [garbage] = await mcm.signInbound('DFSP2', created.json.id, { certificatePem: '-----BEGIN CERTIFICATE-----\nAAAA\n-----END CERTIFICATE-----\n' });
      const polled = await c.call('GET', `/dfsps/DFSP2/enrollments/inbound/${garbage!.id}`, { token: ptaToken });
      expect(polled.json.certificate).toBe('-----BEGIN CERTIFICATE-----\nAAAA\n-----END CERTIFICATE-----\n');
      expect(polled.json).not.toHaveProperty('certInfo');
      const short = await mcm.signInbound('DFSP2', created.json.id, { days: 3 });
      expect(new Date(short[0]!.certInfo!.notAfter).getTime() - Date.now()).toBeLessThan(3 * 86_400_000 + 120_000);
    });

    it('answers inbound errors as MCM does: unparsable CSR, missing field, non-numeric and unknown ids, state filter', async () => {
      expectBodyB(await c.call('POST', '/dfsps/DFSP2/enrollments/inbound', { token: ptaToken, body: { clientCSR: 'garbage' } }), 400, 'ValidationError', 'Could not parse the CSR content');
      expectBodyA(await c.call('POST', '/dfsps/DFSP2/enrollments/inbound', { token: ptaToken, body: { csr: 'x' } }), 400, "request.body should have required property 'clientCSR'");
      expectBodyB(await c.call('GET', '/dfsps/DFSP2/enrollments/inbound/abc', { token: ptaToken }), 500, 'InternalError', 'enId is not a number');
      expectBodyB(await c.call('GET', '/dfsps/DFSP2/enrollments/inbound/99999', { token: ptaToken }), 404, 'NotFoundError', '');
      expectBodyB(await c.call('GET', '/dfsps/NOPE1/enrollments/inbound', { token: ptaToken }), 404, 'NotFoundError', 'DFSP with id NOPE1 not found');
      const signedOnly = await c.call('GET', '/dfsps/DFSP2/enrollments/inbound?state=CERT_SIGNED', { token: ptaToken });
      expect(signedOnly.json.length).toBeGreaterThan(0);
      expect(signedOnly.json.every((e: Enrollment) => e.state === 'CERT_SIGNED')).toBe(true);
      expectBodyA(await c.call('GET', '/dfsps/DFSP2/enrollments/inbound?foo=1', { token: ptaToken }), 400, "Unknown query parameter 'foo'");
    });

    it('refuses /onboard without a DFSP CA (404) and without a signed outbound enrollment (500)', async () => {
      await mcm.createDfsp('DFSP4');
      expectBodyB(await c.call('POST', '/dfsps/DFSP4/onboard', { token: ptaToken }), 404, 'NotFoundError', '');
      const dfspCa = await createCa({ cn: 'DFSP4 CA', o: 'DFSP Four', c: 'ZZ' });
      await c.call('POST', '/dfsps/DFSP4/ca', { token: ptaToken, body: { rootCertificate: dfspCa.certPem } });
      const res = await c.call('POST', '/dfsps/DFSP4/onboard', { token: ptaToken });
      expect(res.status).toBe(500);
      expect(res.json.payload.id).toBe('InternalError');
    });
  });

  describe('validator and endpoints', () => {
    it('404 for undocumented paths, 405 for undefined methods, before auth', async () => {
      expectBodyA(await c.call('GET', '/dfsps/DFSP1/nothing-here'), 404, 'not found');
      expectBodyA(await c.call('GET', '/dfsps/DFSP1'), 405, 'GET method not allowed');
      expectBodyA(await c.call('PUT', '/dfsps/DFSP1/jwscerts', { token: dfsp1Token, body: { publicKey: 'x' } }), 405, 'PUT method not allowed');
    });

    it('validates egress bodies: extra properties, empty ipList, address pattern; ingress url is not checked', async () => {
      const egress = (body: unknown) => c.call('POST', '/dfsps/DFSP1/endpoints/egress', { token: dfsp1Token, body });
      expectBodyA(await egress({ ipList: [{ address: '10.0.0.1', ports: ['443'] }], extra: 1 }), 400, 'request.body should NOT have additional properties');
      expectBodyA(await egress({ ipList: [] }), 400, 'request.body.ipList should NOT have fewer than 1 items');
      expectBodyA(await egress({ ipList: [{ address: '10.0.0.256', ports: ['443'] }] }), 400, /^request\.body\.ipList\[0\]\.address should match pattern/);
      expectBodyA(await egress({ ipList: [{ address: '10.0.0.1', port: '443' }] }), 400, 'request.body.ipList[0] should NOT have additional properties');
      const ingress = await c.call('POST', '/dfsps/DFSP1/endpoints/ingress', { token: dfsp1Token, body: { url: 'connector.fsp.example.com:443' } });
      expect(ingress.status).toBe(200);
    });

    it('appends endpoint rows and GET returns the latest; 404 before any', async () => {
      await mcm.createDfsp('DFSP5');
      expectBodyB(await c.call('GET', '/dfsps/DFSP5/endpoints/egress', { token: ptaToken }), 404, 'NotFoundError', 'Endpoint configuration not found!');
      const a = await c.call('POST', '/dfsps/DFSP5/endpoints/egress', { token: ptaToken, body: { ipList: [{ address: '198.51.100.0/24', ports: ['443', '8000-8080'], description: 'first' }] } });
      const b = await c.call('POST', '/dfsps/DFSP5/endpoints/egress', { token: ptaToken, body: { ipList: [{ address: '198.51.100.9', ports: ['443'] }] } });
      expect(a.json).toMatchObject({ dfspId: 'DFSP5', state: 'NOT_STARTED', createdBy: null, ipList: [{ address: '198.51.100.0/24', ports: ['443', '8000-8080'], description: 'first' }] });
      expect(a.json.createdAt).toMatch(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.000Z$/);
      expect(b.json.id).toBeGreaterThan(a.json.id);
      expect((await c.call('GET', '/dfsps/DFSP5/endpoints/egress', { token: ptaToken })).json).toEqual(b.json);
      expect(mcm.state('DFSP5').egress).toHaveLength(2);
      expectBodyB(await c.call('GET', '/dfsps/DFSP5/endpoints/ingress', { token: ptaToken }), 404, 'NotFoundError', 'Endpoint configuration not found!');
    });

    it('keeps v1 endpoint items apart from v2 rows, in snake_case, with the shifted-argument bug of the …/ips/{epId} routes', async () => {
      const created = await c.call('POST', '/dfsps/DFSP5/endpoints/egress/ips', { token: ptaToken, body: { value: { address: '192.0.2.1', ports: ['443'] } } });
      expect(created.json).toMatchObject({ dfsp_id: 'DFSP5', state: 'NEW', direction: 'EGRESS', type: 'IP', value: { address: '192.0.2.1', ports: ['443'] }, created_by: null });
      const url = await c.call('POST', '/dfsps/DFSP5/endpoints/ingress/urls', { token: ptaToken, body: { value: { url: 'https://dfsp5.example' } } });
      expect(url.json).toMatchObject({ direction: 'INGRESS', type: 'URL' });
      expectBodyB(await c.call('POST', '/dfsps/DFSP5/endpoints/ingress/urls', { token: ptaToken, body: { value: { url: 'ftp://dfsp5.example' } } }), 400, 'ValidationError', 'Invalid URL');
      expectBodyB(await c.call('POST', '/dfsps/DFSP5/endpoints/ingress/ips', { token: ptaToken, body: { value: { address: '192.0.2.2', ports: ['70000'] } } }), 400, 'ValidationError', 'Invalid port: 70000');
      expect((await c.call('GET', '/dfsps/DFSP5/endpoints', { token: ptaToken })).json.map((i: { id: number }) => i.id)).toEqual([created.json.id, url.json.id]);
      expect((await c.call('GET', '/dfsps/DFSP5/endpoints/egress/ips', { token: ptaToken })).json).toHaveLength(1);
      const confirmed = await c.call('POST', `/dfsps/DFSP5/endpoints/${created.json.id}/confirmation`, { token: ptaToken });
      expect(confirmed.json.state).toBe('CONFIRMED');
      expect((await c.call('GET', '/dfsps/DFSP5/endpoints/unprocessed', { token: ptaToken })).json.map((i: { id: number }) => i.id)).toEqual([url.json.id]);
      expectBodyB(await c.call('GET', `/dfsps/DFSP5/endpoints/egress/ips/${created.json.id}`, { token: ptaToken }), 404, 'NotFoundError', `DFSP with id ${created.json.id} not found`);
      expect((await c.call('DELETE', `/dfsps/DFSP5/endpoints/${url.json.id}`, { token: ptaToken })).status).toBe(200);
      expectBodyB(await c.call('GET', `/dfsps/DFSP5/endpoints/${url.json.id}`, { token: ptaToken }), 404, 'NotFoundError', `Item with id: ${url.json.id}`);
      // The v2 store did not see any of it.
      expect((await c.call('GET', '/dfsps/DFSP5/endpoints/egress', { token: ptaToken })).json.ipList[0].address).toBe('198.51.100.9');
    });

    it('serves server certificates (§7.6): stored with infos and validations, 422 on a bad PEM, 404 when none', async () => {
      const ca = await createCa({ cn: 'DFSP5 CA', o: 'DFSP Five', c: 'ZZ' });
      const server = await createServerCertFor(ca);
      expectBodyB(await c.call('GET', '/dfsps/DFSP5/servercerts', { token: ptaToken }), 404, 'NotFoundError', '');
      const stored = await c.call('POST', '/dfsps/DFSP5/servercerts', { token: ptaToken, body: { rootCertificate: ca.certPem, intermediateChain: [], serverCertificate: server.certPem } });
      expect(stored.status).toBe(200);
      expect(stored.json).toMatchObject({ dfspId: 'DFSP5', serverCertificateInfo: { subject: { CN: 'dfsp5.example' } }, validationState: 'VALID' });
      expect(stored.json).not.toHaveProperty('id');
      expectBodyB(await c.call('PUT', '/dfsps/DFSP5/servercerts', { token: ptaToken, body: { serverCertificate: 'garbage' } }), 422, 'InvalidEntityError', 'Invalid certificate: could not parse the server certificate');
      expect((await c.call('GET', '/dfsps/servercerts', { token: ptaToken })).json).toHaveLength(1);
      expect((await c.call('DELETE', '/dfsps/DFSP5/servercerts', { token: ptaToken })).status).toBe(200);
      expectBodyB(await c.call('GET', '/hub/servercerts', { token: ptaToken }), 404, 'NotFoundError', '');
    });

    it('answers the DFSP record routes: status with only ID_GENERATION computed, PUT update, hub-only lists refused to DFSPs', async () => {
      const status = await c.call('GET', '/dfsps/DFSP1/status', { token: dfsp1Token });
      expect(status.json[0]).toEqual({ phase: 'BUSINESS_SETUP', steps: [{ identifier: 'ID_GENERATION', status: 'COMPLETED' }] });
      expect(status.json[1].steps.every((st: { status: string }) => st.status === 'NOT_STARTED')).toBe(true);
      expect((await c.call('PUT', '/dfsps/DFSP5', { token: ptaToken, body: { name: 'Five' } })).json).toMatchObject({ id: 'DFSP5', name: 'Five' });
      expectBodyA(await c.call('PUT', '/dfsps/DFSP5', { token: ptaToken, body: {} }), 400, 'request.body should NOT have fewer than 1 properties');
      expectBodyA(await c.call('GET', '/monetaryzones', { token: dfsp1Token }), 401, 'user does not have the required roles pta');
      expectBodyA(await c.call('GET', '/dfsps/servercerts', { token: dfsp1Token }), 401, 'user does not have the required roles pta');
      expect((await c.call('GET', '/hub/endpoints', { token: dfsp1Token })).json).toEqual([]);
    });
  });
});

describe('MCM stand-in: JWS list and failure switches', () => {
  let mcm: McmStandIn;
  let c: Client;
  let token: string;
  let ptaToken: string;
  const key = () => publicKeyPem(generateKeyPairSync('rsa', { modulusLength: 2048 }).publicKey);

  beforeAll(async () => {
    mcm = await startMcmStandIn({ switchId: 'hub1', tokenTtlSeconds: 120, refreshTokens: false });
    c = client(mcm);
    const creds = await mcm.createDfsp('payerfsp');
    [token, ptaToken] = await Promise.all([c.login(creds), c.login(mcm.ptaClient)]);
  });
  afterAll(async () => {
    await mcm?.close();
    await c?.agent.close();
  });

  it('answers client credentials without a refresh token when refreshTokens is false, with the TTL asked for', async () => {
    const res = await c.tokenRequest({ grant_type: 'client_credentials', client_id: mcm.ptaClient.clientId, client_secret: mcm.ptaClient.clientSecret });
    expect(res.json).toMatchObject({ token_type: 'Bearer', expires_in: 120, refresh_expires_in: 0 });
    expect(res.json).not.toHaveProperty('refresh_token');
  });

  it('lists native, hub (dfspId = switch id) and external keys; [] when empty; external native ids dropped', async () => {
    expect((await c.call('GET', '/dfsps/jwscerts', { token })).json).toEqual([]);
    expectBodyB(await c.call('GET', '/hub/jwscerts', { token: ptaToken }), 404, 'NotFoundError', '');
    const hubKey = key();
    mcm.setHubJwsKey(hubKey, 1_700_000_001);
    await mcm.setPeerJwsKey('payeefsp', key(), 1_700_000_002);
    mcm.setExternalJwsKeys([{ dfspId: 'xfsp', publicKey: key() }]);
    const external = await c.call('POST', '/external-dfsps/jwscerts', { token: ptaToken, body: [{ dfspId: 'yfsp', publicKey: key(), createdAt: 5 }, { dfspId: 'payerfsp', publicKey: key() }] });
    expect(external.json.map((k: { dfspId: string }) => k.dfspId)).toEqual(['yfsp']);
    expectBodyB(await c.call('POST', '/external-dfsps/jwscerts', { token: ptaToken, body: [] }), 400, 'ValidationError', 'Invalid body');
    const list = await c.call('GET', '/dfsps/jwscerts', { token });
    expect(list.json.map((k: { dfspId: string; createdAt: number }) => [k.dfspId, k.createdAt])).toEqual([
      ['payeefsp', 1_700_000_002],
      ['hub1', 1_700_000_001],
      ['xfsp', 0],
      ['yfsp', 5],
    ]);
    expect((await c.call('GET', '/hub/jwscerts', { token: ptaToken })).json).toMatchObject({ dfspId: 'hub1', publicKey: hubKey });
    expect(mcm.state('payeefsp').outbound).toHaveLength(1);
  });

  it('stores a DFSP key even when invalid, replaces it on every POST, and validates with the JWS quirk code', async () => {
    const bad = await c.call('POST', '/dfsps/payerfsp/jwscerts', { token, body: { publicKey: 'not a key', createdAt: 1 } });
    expect(bad.status).toBe(200);
    expect(bad.json).toMatchObject({ publicKey: 'not a key', validationState: 'INVALID' });
    expect(bad.json.validations[0].validationCode).toEqual(['CERTIFICATE_VALIDITY', 'CERTIFICATE_PUBLIC_KEY_LENGTH_2048']);
    const good = key();
    await c.call('POST', '/dfsps/payerfsp/jwscerts', { token, body: { publicKey: good, createdAt: 2 } });
    expect((await c.call('GET', '/dfsps/payerfsp/jwscerts', { token })).json).toMatchObject({ publicKey: good, createdAt: 2, validationState: 'VALID' });
    expect((await c.call('DELETE', '/dfsps/payerfsp/jwscerts', { token })).text).toBe('');
    expectBodyB(await c.call('GET', '/dfsps/payerfsp/jwscerts', { token }), 404, 'NotFoundError', '');
  });

  it('serves what setHubCaResponse says, until restored', async () => {
    mcm.setHubCaResponse({ rootCertificate: '-----BEGIN CERTIFICATE-----\ngarbage\n-----END CERTIFICATE-----\n', validationState: 'VALID', type: 'INTERNAL' });
    expect((await c.call('GET', '/hub/ca', { token })).json.rootCertificate).toContain('garbage');
    mcm.setHubCaResponse(undefined);
    expect((await c.call('GET', '/hub/ca', { token })).json.rootCertificate).toBe(mcm.hubCa.certPem);
  });

  it('failNext: the next n API calls answer the status in body B; token calls are not counted', async () => {
    mcm.failNext(2, 503);
    expect((await c.tokenRequest({ grant_type: 'client_credentials', client_id: mcm.ptaClient.clientId, client_secret: mcm.ptaClient.clientSecret })).status).toBe(200);
    expectBodyB(await c.call('GET', '/hub/ca', { token }), 503, 'InternalError', 'MCM stand-in: injected failure');
    expectBodyB(await c.call('GET', '/dfsps/payerfsp/ca', { token }), 503, 'InternalError', 'MCM stand-in: injected failure');
    expect((await c.call('GET', '/hub/ca', { token })).status).toBe(200);
  });

  it('pause refuses connections; resume listens again on the same port with the same state and tokens', async () => {
    const port = mcm.port;
    expect((await c.call('GET', '/hub/ca', { token })).status).toBe(200);
    await mcm.pause();
    // The pooled keep-alive connection was closed under the client; a new one is refused.
    await expect(c.call('GET', '/hub/ca', { token })).rejects.toThrow();
    const fresh = new Agent({ connect: { ca: mcm.tlsCaPem } });
    await expect(request(`${mcm.apiUrl}/hub/ca`, { dispatcher: fresh })).rejects.toMatchObject({ code: 'ECONNREFUSED' });
    await mcm.resume();
    expect((await request(`${mcm.apiUrl}/hub/ca`, { dispatcher: fresh, headers: { authorization: `Bearer ${token}` } })).statusCode).toBe(200);
    await fresh.close();
    expect(mcm.apiUrl).toContain(`:${port}/`);
    expect((await c.call('GET', '/dfsps/payerfsp/enrollments/outbound', { token })).json).toHaveLength(1);
  });
});
