/**
 * `dfsp-sidecar check-config [--config FILE] [--json]`: validate the config the way `run` would,
 * then load every file it references (certificates, keys, CRLs, peer keys) and build the runtime
 * snapshot without opening a socket. Exit 0 when the sidecar would start, 2 with every problem
 * listed otherwise.
 */
import { parseArgs } from 'node:util';
import { compileSnapshot } from '../config/compile.js';
import { loadConfig } from '../config/load.js';
import { EXIT_OK, EXIT_USAGE, UsageError, type Command } from './io.js';

const HELP = `usage: dfsp-sidecar check-config [--config FILE] [--json]

Validates the configuration (file and environment), loads every referenced file and reports
all problems at once. Exit 0: valid; 2: invalid (each problem with its key path).
`;

export const checkConfigCommand: Command = async (argv, io) => {
  let values;
  try {
    ({ values } = parseArgs({ args: argv, options: { config: { type: 'string', short: 'c' }, json: { type: 'boolean' }, help: { type: 'boolean', short: 'h' } }, strict: true }));
  } catch (err) {
    throw new UsageError(`${(err as Error).message}\n\n${HELP}`);
  }
  if (values.help) {
    io.stdout(HELP);
    return EXIT_OK;
  }
  const loaded = await loadConfig({ file: values.config, env: io.env, cwd: io.cwd });
  const compiled = loaded.ok ? await compileSnapshot(loaded.config) : undefined;
  const issues = !loaded.ok ? loaded.issues : compiled && !compiled.ok ? compiled.issues : [];
  const ok = issues.length === 0;

  if (values.json) {
    const artefacts = compiled?.ok
      ? compiled.snapshot.artefacts.map((a) => ({ name: a.name, kind: a.kind, subject: a.subject, notAfter: a.notAfter?.toISOString(), fingerprint: a.fingerprint }))
      : [];
    io.stdout(`${JSON.stringify({ valid: ok, file: loaded.file ?? null, issues, artefacts }, null, 2)}\n`);
    return ok ? EXIT_OK : EXIT_USAGE;
  }
  if (!ok) {
    io.stderr(`${loaded.file ?? '(environment)'}: ${issues.length} problem${issues.length === 1 ? '' : 's'}\n`);
    for (const i of issues) io.stderr(`  ${i.path}: ${i.message}\n`);
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
  return EXIT_OK;
};
