/** `pki jws-keys`: the FSPIOP JWS key pair, its certificate and keystore, and the public key to share. */
import { randomBytes } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { formatPkcs11Uri, parsePkcs11Uri } from '../../config/pkcs11-uri.js';
import { DEFAULT_LEAF_DAYS, PkiInputError, checkFspId, createJwsKeys, ensureDir, writeFilesSafe } from '../../crypto/pki/index.js';
import { publicKeyPem, spkiSha256 } from '../../crypto/pki/keys.js';
import { closeAllTokens, generateTokenKey, TokenError } from '../../crypto/pkcs11/token.js';
import { EXIT_OK, UsageError } from '../io.js';
import { COMMON, emit, firstCertificate, int, precheck, readPassphrase, required, str, target, written, type Ctx, type Sub, type Values } from './args.js';

export const jwsKeys: Sub = {
  summary: 'create a JWS signing key pair, certificate, keystore and the public key to share',
  usage: `usage: dfsp-sidecar pki jws-keys --out DIR --fsp-id ID [--alg RS256|ES256] [--p12-passphrase-file F] [options]
       dfsp-sidecar pki jws-keys --out DIR --fsp-id ID --pkcs11 URI [--alg RS256|ES256] [--key-size BITS]

Creates the FSPIOP JWS key pair for FSP ID:
  DIR/ID.key.pem    private key, mode 0600: PKCS#1 (RS256) or SEC1 'EC PRIVATE KEY' (ES256; the
                    Mojaloop SDK signs ES256 only when it sees that label)
  DIR/ID.pem        public key to share: peers look keys up by this file name = FSPIOP-Source
  DIR/ID.cert.pem   self-signed certificate, CN = ID (the "wrapped public key" some portals want)
  DIR/ID.p12        PKCS#12 with key and certificate (RS256 only; 3DES, opens in OpenSSL 3
                    without -legacy). Its passphrase comes from --p12-passphrase-file or is
                    generated into DIR/ID.p12.pass (mode 0600). ES256: no keystore (node-forge
                    writes PKCS#12 for RSA only); the SEC1 PEM is what the SDK loads.

With --pkcs11 the key pair is generated inside the PKCS#11 token (HSM) the URI names, the private
key sensitive and not extractable (it never exists outside the token), and only the public key
is written:
  DIR/ID.pem        public key to share
The command prints the URI to put in jws.signingKeyPkcs11 (with the key's CKA_ID). URI:
  pkcs11:token=LABEL;object=KEY-LABEL[;id=%01%02]?module-path=/path/to/module.so&pin-source=file:/path/to/pin
A key with that label or id already in the token is never replaced. No certificate or keystore
(they would need the private key here); docs/hsm.md.

options:
  --out DIR                 output directory
  --pkcs11 URI              generate the key pair in this token (see above)
  --fsp-id ID               the FSP id (1-32 of letters, digits, '.', '_', '-')
  --alg RS256|ES256         default RS256 (what every Mojaloop validator accepts)
  --key-size BITS           RS256 key size, default 2048
  --days N                  certificate validity, default ${DEFAULT_LEAF_DAYS}
  --o ORG / --c CC          certificate subject O and C (optional)
  --p12-passphrase-file F   passphrase for ID.p12 (first line of F)
  --force                   replace existing files
  --json                    print a JSON document
`,
  options: {
    ...COMMON,
    out: { type: 'string' },
    'fsp-id': { type: 'string' },
    alg: { type: 'string' },
    'key-size': { type: 'string' },
    days: { type: 'string' },
    o: { type: 'string' },
    c: { type: 'string' },
    'p12-passphrase-file': { type: 'string' },
    force: { type: 'boolean' },
    pkcs11: { type: 'string' },
  },
  async run(values, _positionals, ctx) {
    const out = required(values, 'out');
    const fspId = checkFspId(required(values, 'fsp-id'));
    const alg = str(values, 'alg') ?? 'RS256';
    if (alg !== 'RS256' && alg !== 'ES256') throw new UsageError(`--alg must be RS256 or ES256, got '${alg}'`);
    const uri = str(values, 'pkcs11');
    if (uri !== undefined) return inToken(values, ctx, { out, fspId, alg, uri });
    const passFile = str(values, 'p12-passphrase-file');
    if (alg === 'ES256' && passFile !== undefined) throw new UsageError('--p12-passphrase-file applies to RS256 only (no PKCS#12 for ES256)');
    const force = values.force === true;
    const name = (suffix: string): string => join(out, `${fspId}${suffix}`);
    const willWrite = [name('.key.pem'), name('.pem'), name('.cert.pem')];
    if (alg === 'RS256') willWrite.push(name('.p12'), ...(passFile === undefined ? [name('.p12.pass')] : []));
    await precheck(ctx, willWrite, force);
    const given = passFile !== undefined ? await readPassphrase(ctx, passFile, '--p12-passphrase-file') : undefined;
    // A generated passphrase is written next to the keystore (0600), never printed.
    const passphrase = alg === 'RS256' ? (given ?? randomBytes(24).toString('base64url')) : undefined;
    const keySize = int(values, 'key-size');
    const days = int(values, 'days');
    const o = str(values, 'o');
    const c = str(values, 'c');
    const keys = await createJwsKeys({
      fspId,
      alg,
      ...(keySize !== undefined ? { keySize } : {}),
      ...(days !== undefined ? { days } : {}),
      ...(o !== undefined ? { o } : {}),
      ...(c !== undefined ? { c } : {}),
      ...(passphrase !== undefined ? { passphrase } : {}),
    });
    const files = [
      target(ctx, name('.key.pem'), keys.privateKeyPem, true),
      target(ctx, name('.pem'), keys.publicKeyPem),
      target(ctx, name('.cert.pem'), keys.certPem),
    ];
    if (keys.p12) {
      files.push(target(ctx, name('.p12'), keys.p12, true));
      if (given === undefined && passphrase !== undefined) files.push(target(ctx, name('.p12.pass'), `${passphrase}\n`, true));
    }
    await ensureDir(ctx.path(out), true);
    await writeFilesSafe(files, { force });
    const cert = firstCertificate(keys.certPem);
    const p12 = keys.p12
      ? { file: name('.p12'), passphraseFile: given === undefined ? name('.p12.pass') : passFile }
      : { file: null, reason: keys.p12Note };
    emit(
      ctx,
      {
        command: 'jws-keys',
        fspId,
        alg,
        files: { privateKey: name('.key.pem'), publicKey: name('.pem'), cert: name('.cert.pem') },
        p12,
        spkiSha256: keys.spkiSha256,
        certificate: cert,
      },
      `created ${alg} JWS keys for '${fspId}'\n${written(files)}` +
        `  ${'spki sha256'.padEnd(13)}${keys.spkiSha256}\n` +
        (keys.p12 ? '' : `  ${'PKCS#12'.padEnd(13)}${keys.p12Note}\n`) +
        `Share ${name('.pem')} (its file name is your FSPIOP-Source, the peers' key-lookup id); ${name('.key.pem')} stays here.\n`,
    );
    return EXIT_OK;
  },
};

/** `--pkcs11`: the key pair is made inside the token; only the public key is written here. */
async function inToken(values: Values, ctx: Ctx, a: { out: string; fspId: string; alg: 'RS256' | 'ES256'; uri: string }): Promise<number> {
  for (const flag of ['p12-passphrase-file', 'days', 'o', 'c']) {
    if (values[flag] !== undefined) throw new UsageError(`--${flag} does not apply with --pkcs11 (no certificate or keystore: the private key stays in the token)`);
  }
  let u;
  try {
    u = parsePkcs11Uri(a.uri);
  } catch (err) {
    throw new UsageError(`--pkcs11: ${(err as Error).message}`);
  }
  if (u.tokenLabel === undefined) throw new UsageError('--pkcs11: name the token by label (token=...): the URI printed for the config must stay valid when slots are renumbered');
  const keySize = int(values, 'key-size');
  if (a.alg === 'ES256' && keySize !== undefined) throw new UsageError('ES256 keys are always P-256; --key-size applies to RS256');
  if (keySize !== undefined && keySize < 2048) throw new UsageError('--key-size: FSPIOP requires RSA keys of at least 2048 bits');
  const keyLabel = u.keyLabel ?? `${a.fspId}-jws`;
  // CKA_ID pairs the private and public objects; a random one unless the URI gives it.
  const keyId = u.keyId ?? randomBytes(8).toString('hex');
  const publicFile = join(a.out, `${a.fspId}.pem`);
  await precheck(ctx, [publicFile], values.force === true);
  const pin = (await readFile(ctx.path(u.pinFile)).catch((err: NodeJS.ErrnoException) => {
    throw new PkiInputError(`cannot read the PIN file ${u.pinFile}: ${err.code ?? err.message}`);
  })).toString('utf8').replace(/\r?\n$/, '');
  if (pin === '') throw new PkiInputError(`the PIN file ${u.pinFile} is empty`);
  let generated;
  try {
    generated = generateTokenKey({ module: u.module, tokenLabel: u.tokenLabel, slot: undefined, serial: u.serial, keyLabel, keyId, pin }, a.alg, keySize ?? 2048);
  } catch (err) {
    if (err instanceof TokenError) throw new PkiInputError(err.message);
    throw err;
  } finally {
    closeAllTokens();
  }
  const files = [target(ctx, publicFile, publicKeyPem(generated.publicKey))];
  await ensureDir(ctx.path(a.out), false);
  await writeFilesSafe(files, { force: values.force === true });
  const configUri = formatPkcs11Uri({ module: u.module, tokenLabel: u.tokenLabel, keyLabel, keyId, pinFile: u.pinFile });
  const fingerprint = spkiSha256(generated.publicKey);
  emit(
    ctx,
    { command: 'jws-keys', fspId: a.fspId, alg: generated.alg, pkcs11: { token: u.tokenLabel, keyLabel, keyId, uri: configUri, sensitive: true, extractable: false }, files: { publicKey: publicFile }, spkiSha256: fingerprint },
    `created ${generated.alg} JWS key pair for '${a.fspId}' inside token '${u.tokenLabel}' (label '${keyLabel}', id ${keyId}; sensitive, not extractable)\n${written(files)}` +
      `  ${'spki sha256'.padEnd(13)}${fingerprint}\n` +
      `Share ${publicFile} (its file name is your FSPIOP-Source). Configure the key with:\n  jws.signingKeyPkcs11: ${configUri}\n`,
  );
  return EXIT_OK;
}
