/**
 * `dfsp-sidecar check-config [--config FILE] [--json] [--print]`: validate the config the way `run`
 * would, then load every file it references (certificates, keys, CRLs, peer keys) and build the
 * runtime snapshot without opening a socket. Exit 0 when the sidecar would start, 2 with every
 * problem listed otherwise.
 *
 * One pass: when the schema refuses some values, the files named by the keys that are valid are
 * still read and checked, so the operator sees every problem at once rather than one round of
 * schema fixes followed by a second round of missing certificates.
 */
import { constants } from 'node:fs';
import { access } from 'node:fs/promises';
import { parseArgs } from 'node:util';
import type { ConfigIssue } from '../config/env.js';
import { effectiveConfig, loadConfig } from '../config/load.js';
import type { SidecarConfig } from '../config/schema.js';
import { closeAllTokens } from '../crypto/pkcs11/token.js';
import { compileSnapshot, describeFsError, type CompileResult } from '../runtime/compile.js';
import { EXIT_OK, EXIT_USAGE, UsageError, type Command } from './io.js';

const HELP = `usage: dfsp-sidecar check-config [--config FILE] [--json] [--print]

Validates the configuration (file and environment), loads every referenced file and reports
all problems at once. Exit 0: valid; 2: invalid (each problem with its key path).

  --print   also print the effective config, one key a line, with where each value came from:
            file, the variable that set it (DFSP_SIDECAR_* or an sdk-scheme-adapter one), or
            default. Secrets are masked.
`;

/** File problems found by compiling the partial config, minus those about keys already reported. */
async function filesOfValidKeys(partial: Parameters<typeof compileSnapshot>[0], reported: readonly ConfigIssue[]): Promise<ConfigIssue[]> {
  let compiled: CompileResult;
  try {
    compiled = await compileSnapshot(partial);
  } catch {
    return [];
  }
  const related = (a: string, b: string) => a === b || a.startsWith(`${b}.`) || b.startsWith(`${a}.`);
  const found = compiled.ok ? [] : compiled.issues.filter((i) => !reported.some((r) => related(i.path, r.path)));
  // The compiler reads a pair (certificate and key) only when both are named; a named file whose
  // partner is missing is still checked for existence here.
  for (const { key, path } of namedFiles(partial)) {
    if (reported.some((r) => related(key, r.path)) || found.some((f) => related(key, f.path))) continue;
    try {
      await access(path, constants.R_OK);
    } catch (err) {
      found.push({ path: key, message: `cannot read '${path}': ${describeFsError(err)}` });
    }
  }
  return found;
}

function namedFiles(c: Parameters<typeof compileSnapshot>[0]): Array<{ key: string; path: string }> {
  const out: Array<{ key: string; path: string }> = [];
  const add = (key: string, path: string | undefined) => {
    if (path !== undefined) out.push({ key, path });
  };
  add('jws.signingKeyFile', c.jws.signingKeyFile);
  // A PKCS#11 key's PIN file is read when the token is opened (compile), which reports it.
  add('jws.keysDirectory', c.jws.keysDirectory);
  c.jws.identities.forEach((id, i) => add(`jws.identities.${i}.signingKeyFile`, id.signingKeyFile));
  if (c.inbound.enabled) {
    add('inbound.tls.certFile', c.inbound.tls.certFile);
    add('inbound.tls.keyFile', c.inbound.tls.keyFile);
    c.inbound.tls.caFiles.forEach((f, i) => add(`inbound.tls.caFiles.${i}`, f));
    c.inbound.tls.crlFiles.forEach((f, i) => add(`inbound.tls.crlFiles.${i}`, f));
  }
  if (c.outbound.enabled) {
    add('outbound.tls.certFile', c.outbound.tls.certFile);
    add('outbound.tls.keyFile', c.outbound.tls.keyFile);
    c.outbound.tls.caFiles.forEach((f, i) => add(`outbound.tls.caFiles.${i}`, f));
  }
  return out;
}

/** The MCM's own files, which the snapshot does not read: its TLS CA bundle, and our CA as a pair. */
async function mcmFileIssues(c: SidecarConfig): Promise<ConfigIssue[]> {
  const out: ConfigIssue[] = [];
  for (const [i, f] of c.mcm.caFiles.entries()) {
    try {
      await access(f, constants.R_OK);
    } catch (err) {
      out.push({ path: `mcm.caFiles.${i}`, message: `cannot read '${f}': ${describeFsError(err)}` });
    }
  }
  const { certFile, keyFile } = c.mcm.dfspCa;
  if (certFile && keyFile) {
    const present = await Promise.all([certFile, keyFile].map((f) => access(f, constants.R_OK).then(() => true, () => false)));
    if (present[0] !== present[1]) {
      out.push({ path: `mcm.dfspCa.${present[0] ? 'keyFile' : 'certFile'}`, message: `missing while its partner exists; onboard creates our CA only when both are missing (restore it, or remove both)` });
    }
  }
  return out;
}

export const checkConfigCommand: Command = async (argv, io) => {
  let values;
  try {
    ({ values } = parseArgs({
      args: argv,
      options: { config: { type: 'string', short: 'c' }, json: { type: 'boolean' }, print: { type: 'boolean' }, help: { type: 'boolean', short: 'h' } },
      strict: true,
    }));
  } catch (err) {
    throw new UsageError(`${(err as Error).message}\n\n${HELP}`);
  }
  if (values.help) {
    io.stdout(HELP);
    return EXIT_OK;
  }
  const loaded = await loadConfig({ file: values.config, env: io.env, cwd: io.cwd });
  let compiled: CompileResult | undefined;
  let issues: ConfigIssue[];
  try {
    // Compiling opens any PKCS#11 token named and makes a test signature with each key in it.
    compiled = loaded.ok ? await compileSnapshot(loaded.config) : undefined;
    issues = !loaded.ok
      ? [...loaded.issues, ...(loaded.partial ? await filesOfValidKeys(loaded.partial, loaded.issues) : [])]
      : compiled && !compiled.ok
        ? [...compiled.issues]
        : [];
  } finally {
    closeAllTokens();
  }
  if (loaded.ok && loaded.config.mcm.enabled) issues.push(...(await mcmFileIssues(loaded.config)));
  const ok = issues.length === 0;
  // Before onboarding, the files the MCM steps create or fetch do not exist yet.
  const onboardFirst = (loaded.ok ? loaded.config : loaded.partial)?.mcm.enabled === true && issues.some((i) => /file not found|ENOENT/.test(i.message));
  const effective = values.print && loaded.ok ? effectiveConfig(loaded.config, loaded.sources ?? new Map()) : undefined;

  if (values.json) {
    const artefacts = compiled?.ok
      ? compiled.snapshot.artefacts.map((a) => ({ name: a.name, kind: a.kind, subject: a.subject, notAfter: a.notAfter?.toISOString(), fingerprint: a.fingerprint }))
      : [];
    io.stdout(`${JSON.stringify({ valid: ok, file: loaded.file ?? null, issues, artefacts, ...(effective ? { effective } : {}) }, null, 2)}\n`);
    return ok ? EXIT_OK : EXIT_USAGE;
  }
  if (values.print && !loaded.ok) io.stderr('--print: the effective config is printed once the problems below are fixed\n');
  if (!ok) {
    io.stderr(`${loaded.file ?? '(environment)'}: ${issues.length} problem${issues.length === 1 ? '' : 's'}\n`);
    for (const i of issues) io.stderr(`  ${i.path}: ${i.message}\n`);
    if (onboardFirst) io.stderr('Missing files the MCM steps create or fetch: run dfsp-sidecar onboard, then check again.\n');
    return EXIT_USAGE;
  }
  io.stdout(`${loaded.file ?? '(environment)'}: valid\n`);
  if (compiled?.ok) {
    const s = compiled.snapshot;
    const c = s.config;
    io.stdout(`  dfspId: ${c.dfspId}\n`);
    if (c.inbound.enabled) io.stdout(`  inbound: ${c.inbound.tls.enabled ? 'mTLS' : 'plain HTTP'} on ${c.inbound.host}:${c.inbound.port} -> core ${c.inbound.core.url}\n`);
    if (c.outbound.enabled) io.stdout(`  outbound: ${c.outbound.socketPath ?? `${c.outbound.host}:${c.outbound.port}`} -> hub ${c.outbound.hub.default ?? '(per-resource routes)'}\n`);
    if (c.admin.enabled) io.stdout(`  admin: ${c.admin.host}:${c.admin.port}\n`);
    const now = Date.now();
    for (const a of s.artefacts) {
      const days = a.notAfter ? Math.floor((a.notAfter.getTime() - now) / 86_400_000) : undefined;
      io.stdout(`  ${a.kind} ${a.name}: ${a.subject ?? ''}${days === undefined ? '' : ` (expires in ${days} days)`}\n`);
    }
  }
  if (effective) {
    io.stdout('\neffective config (key = value  # source):\n');
    const width = Math.max(...effective.map((e) => e.key.length));
    for (const e of effective) io.stdout(`  ${e.key.padEnd(width)} = ${e.value === undefined ? '(unset)' : JSON.stringify(e.value)}  # ${e.source}\n`);
  }
  return EXIT_OK;
};
