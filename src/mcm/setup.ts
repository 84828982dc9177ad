/**
 * The MCM client built from a validated config: its CA bundle read, its OAuth credentials put
 * together (client id defaulting to our DFSP id, which is the Keycloak client MCM creates for us,
 * mcm-api.md §3.2). Shared by `onboard`, `run` and `doctor`.
 */
import { readFile } from 'node:fs/promises';
import type { SidecarConfig } from '../config/schema.js';
import { createMcmApi, type McmApi } from './api.js';
import { createStateStore, type McmStateStore } from './state-file.js';

export async function mcmApiFromConfig(config: SidecarConfig, now?: () => number): Promise<McmApi> {
  const m = config.mcm;
  const ca = m.caFiles.length > 0 ? (await Promise.all(m.caFiles.map((f) => readFile(f, 'utf8')))).join('\n') : undefined;
  return createMcmApi({
    url: m.url!,
    dfspId: config.dfspId,
    ca,
    timeoutMs: m.timeoutMs,
    oauth: m.oauth.tokenEndpoint ? { tokenEndpoint: m.oauth.tokenEndpoint, clientId: m.oauth.clientId ?? config.dfspId, clientSecret: m.oauth.clientSecret! } : undefined,
    ...(now ? { now } : {}),
  });
}

export function mcmStateStore(config: SidecarConfig): McmStateStore {
  return createStateStore(config.mcm.stateDirectory!);
}
