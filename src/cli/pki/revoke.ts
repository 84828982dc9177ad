/**
 * `pki revoke` and `pki crl`: the end of a certificate's life, for certificates our CA signed (the
 * hub's client certificate above all). `revoke` records the certificate in DIR/revoked.json beside
 * the CA; `crl` signs a CRL from that list, which the inbound gateway loads through
 * inbound.tls.crlFiles: from then on a revoked client certificate fails the TLS handshake.
 */
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import {
  EMPTY_REVOCATION_DB,
  REVOCATION_REASONS,
  issueCrl,
  loadCa,
  parseCertificates,
  parseRevocationDb,
  revoke,
  shortTime,
  writeFilesSafe,
  type RevocationDb,
  type RevocationReason,
} from '../../crypto/pki/index.js';
import { UsageError } from '../io.js';
import { EXIT_OK } from '../io.js';
import { COMMON, emit, int, readCaDir, readInput, required, str, target, type Ctx, type Sub, type Values } from './args.js';

const DB_NAME = 'revoked.json';
const DEFAULT_CRL_DAYS = 30;

async function readDb(ctx: Ctx, dir: string): Promise<RevocationDb> {
  const path = ctx.path(join(dir, DB_NAME));
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return EMPTY_REVOCATION_DB;
    throw err;
  }
  return parseRevocationDb(text, join(dir, DB_NAME));
}

async function writeDb(ctx: Ctx, dir: string, db: RevocationDb): Promise<void> {
  await writeFilesSafe([target(ctx, join(dir, DB_NAME), `${JSON.stringify(db, null, 2)}\n`)], { force: true });
}

function reasonOf(values: Values): RevocationReason {
  const r = str(values, 'reason') ?? 'unspecified';
  if (!(r in REVOCATION_REASONS)) throw new UsageError(`--reason must be one of ${Object.keys(REVOCATION_REASONS).join(', ')}, got '${r}'`);
  return r as RevocationReason;
}

export const revokeSub: Sub = {
  summary: 'revoke a certificate our CA signed (then: pki crl)',
  usage: `usage: dfsp-sidecar pki revoke --ca DIR --cert FILE [--reason R] [options]

Records FILE (a certificate this CA issued, e.g. the hub's client certificate signed with
pki sign-csr) as revoked in DIR/${DB_NAME}. Nothing changes on the wire until a new CRL is
issued with 'pki crl' and the inbound gateway loads it (inbound.tls.crlFiles). Revoking a
certificate twice keeps the first record.

options:
  --ca DIR           our CA directory (ca.key.pem + ca.cert.pem); the list is kept in DIR/${DB_NAME}
  --ca-passphrase-file F   passphrase of an encrypted ca.key.pem
  --cert FILE        the certificate to revoke (PEM or DER)
  --reason R         ${Object.keys(REVOCATION_REASONS).join(', ')} (default unspecified)
  --json             print a JSON document
`,
  options: { ...COMMON, ca: { type: 'string' }, 'ca-passphrase-file': { type: 'string' }, cert: { type: 'string' }, reason: { type: 'string' } },
  async run(values, _positionals, ctx) {
    const dir = required(values, 'ca');
    const certPath = required(values, 'cert');
    const reason = reasonOf(values);
    const ca = loadCa(await readCaDir(ctx, values));
    const bytes = await readInput(ctx, certPath, '--cert');
    const cert = parseCertificates(bytes.toString('latin1').includes('-----BEGIN') ? bytes.toString('latin1') : `-----BEGIN CERTIFICATE-----\n${bytes.toString('base64')}\n-----END CERTIFICATE-----\n`, certPath)[0];
    if (!cert) throw new UsageError(`--cert ${certPath}: no certificate in the file`);
    const result = revoke(await readDb(ctx, dir), ca, cert, reason);
    if (!result.already) await writeDb(ctx, dir, result.db);
    const e = result.entry;
    emit(
      ctx,
      { command: 'revoke', already: result.already, entry: e, list: join(dir, DB_NAME) },
      `${result.already ? 'already revoked' : 'revoked'}: '${e.subject}' serial ${e.serial} (${e.reason}, ${shortTime(e.revokedAt)})\n` +
        `  recorded in ${join(dir, DB_NAME)}; ${result.db.revoked.length} revoked in all\n` +
        `Next: dfsp-sidecar pki crl --ca ${dir} --out FILE, then point inbound.tls.crlFiles at FILE (a changed file reloads by itself).\n`,
    );
    return EXIT_OK;
  },
};

export const crlSub: Sub = {
  summary: 'issue a CRL from the revoked list, for inbound.tls.crlFiles',
  usage: `usage: dfsp-sidecar pki crl --ca DIR --out FILE [--days N] [options]

Signs an X.509 v2 CRL (PEM) with the CA, listing every unexpired certificate in DIR/${DB_NAME}
(an empty list makes a valid empty CRL), with cRLNumber and authorityKeyIdentifier. Point
inbound.tls.crlFiles at FILE: the inbound gateway then refuses a revoked client certificate in
the TLS handshake. OpenSSL refuses every client once a CRL is past its next update, so issue a
new one well before (e.g. daily from cron with --days 30); the gateway reloads a changed file.

options:
  --ca DIR           our CA directory (ca.key.pem + ca.cert.pem + ${DB_NAME})
  --ca-passphrase-file F   passphrase of an encrypted ca.key.pem
  --out FILE         where to write the CRL; replaced if it exists (CRLs are meant to be reissued)
  --days N           until the next update, default ${DEFAULT_CRL_DAYS}
  --json             print a JSON document
`,
  options: { ...COMMON, ca: { type: 'string' }, 'ca-passphrase-file': { type: 'string' }, out: { type: 'string' }, days: { type: 'string' } },
  async run(values, _positionals, ctx) {
    const dir = required(values, 'ca');
    const out = required(values, 'out');
    const days = int(values, 'days') ?? DEFAULT_CRL_DAYS;
    const ca = loadCa(await readCaDir(ctx, values));
    const db = await readDb(ctx, dir);
    const crl = issueCrl(ca, db, { days });
    await writeFilesSafe([target(ctx, out, crl.pem)], { force: true });
    await writeDb(ctx, dir, { ...db, crlNumber: crl.crlNumber });
    emit(
      ctx,
      { command: 'crl', file: out, crlNumber: crl.crlNumber, entries: crl.entries, thisUpdate: crl.thisUpdate.toISOString(), nextUpdate: crl.nextUpdate.toISOString(), issuer: ca.cert.subjectText },
      `wrote ${out}: CRL #${crl.crlNumber} of '${ca.cert.subjectText}', ${crl.entries} revoked certificate${crl.entries === 1 ? '' : 's'}\n` +
        `  next update ${shortTime(crl.nextUpdate.toISOString())}: issue a new one before then (past it, every client of this CA is refused)\n` +
        `Load it with inbound.tls.crlFiles: [${out}]\n`,
    );
    return EXIT_OK;
  },
};
