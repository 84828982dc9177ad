/**
 * forward: send the signed request to the hub and stream the answer back to the core.
 *
 * Nothing is ever resent once bytes may have reached the hub, with one exception: a 401 while we
 * hold an OAuth token. Then one shared refresh runs (every request rejected with the same token
 * waits for the same fetch) and the request is sent once more, byte for byte the same body and
 * FSPIOP-Signature, only Authorization changed (the hub deduplicates by content, and the signature
 * covers nothing the new token touches). If no different token can be had, the hub's 401 is
 * relayed as it was received.
 */
import type { Stage } from '../../shared/pipeline.js';
import { need, type OutboundExchange } from '../exchange.js';
import { relayHeld, sendToHub, type HubOutcome } from '../hub-request.js';
import type { UnauthorizedRetryResult } from '../metrics.js';
import { createLogThrottle } from '../../shared/log-throttle.js';

export const forwardStage: Stage<OutboundExchange> = {
  name: 'forward',
  async run(x) {
    const route = need(x.route, 'route');
    const spec = need(x.hub, 'hub');
    const { runtime, token: provider } = x.gen;
    const pool = x.gen.pool(route.upstream);
    const oauth = provider?.kind === 'oauth' && x.token !== undefined;
    const deadlineMs = runtime.hubTimeoutMs;

    let outcome: HubOutcome = await timed(x, () => sendToHub(pool, spec, x.res, { deadlineMs, hold401: oauth }));
    if (outcome.kind === 'held') {
      const held = outcome;
      const fresh = await need(provider, 'token provider').refreshAfterRejection(need(x.token, 'token'));
      if (typeof fresh === 'string') {
        x.services.metrics.unauthorizedRetries.inc({ result: 'resent' });
        x.token = fresh;
        const resend = { ...spec, headers: { ...spec.headers, authorization: `Bearer ${fresh}` } };
        // Held again so that a second 401 can be logged with the hub's reason before it is relayed.
        outcome = await timed(x, () => sendToHub(pool, resend, x.res, { deadlineMs, hold401: true }));
        if (outcome.kind === 'held') {
          warnThrottled(x, 'resent_rejected', { result: 'resent_rejected', ...hubReason(outcome, fresh) }, 'hub answered 401 to the resend with a fresh token too; relayed the 401 (the hub does not accept tokens from outbound.oauth: check the client\'s roles/scopes)');
          relayHeld(x.res, outcome);
        }
      } else {
        x.services.metrics.unauthorizedRetries.inc({ result: fresh.refused });
        const message =
          fresh.refused === 'refresh_throttled'
            ? 'hub answered 401 again within outbound.oauth.rejectionRefreshMinSeconds of the last 401-triggered token fetch; relayed the 401 without fetching'
            : 'hub answered 401 and no different token could be fetched; relayed the 401';
        warnThrottled(x, fresh.refused, { result: fresh.refused, ...hubReason(held, need(x.token, 'token')) }, message);
        relayHeld(x.res, held);
      }
    } else if (outcome.status === 401) {
      const result: UnauthorizedRetryResult = provider === undefined ? 'no_token_source' : provider.kind === 'static' ? 'static_token' : 'no_new_token';
      x.services.metrics.unauthorizedRetries.inc({ result });
      warnThrottled(x, result, { result }, 'hub answered 401; relayed it (outbound.oauth credentials or the static token need attention)');
    }
    x.status = outcome.status;
  },
};

const hub401Throttle = createLogThrottle(1_000);

/** Relayed 401s: every one at debug level, else one line per result per second with the count suppressed. */
function warnThrottled(x: OutboundExchange, result: string, fields: Record<string, unknown>, message: string): void {
  if (x.log.isLevelEnabled('debug')) return void x.log.warn(fields, message);
  const suppressed = hub401Throttle(result);
  if (suppressed !== undefined) x.log.warn({ ...fields, suppressed }, message);
}

/** Time waiting on the hub, kept apart so the sidecar's own time can be reported. */
async function timed<T>(x: OutboundExchange, send: () => Promise<T>): Promise<T> {
  const t0 = process.hrtime.bigint();
  try {
    return await send();
  } finally {
    x.upstreamNs += process.hrtime.bigint() - t0;
  }
}

/**
 * Why the hub refused, for the warning: its WWW-Authenticate challenge (RFC 6750 §3: error and
 * error_description) and the FSPIOP error in its body, both cut short. A hub that echoes the token
 * it refused does not get it into our log: it is masked.
 */
export function hubReason(held: Extract<HubOutcome, { kind: 'held' }>, token: string): { hubChallenge?: string; hubError?: string } {
  const out: { hubChallenge?: string; hubError?: string } = {};
  const clean = (text: string) => text.split(token).join('[token]').slice(0, 200);
  const challenge = held.headers['www-authenticate'];
  if (challenge !== undefined) out.hubChallenge = clean(Array.isArray(challenge) ? challenge.join(', ') : challenge);
  try {
    const info = (JSON.parse(held.body.toString('utf8')) as { errorInformation?: { errorCode?: unknown; errorDescription?: unknown } }).errorInformation;
    if (info && (typeof info.errorCode === 'string' || typeof info.errorDescription === 'string')) out.hubError = clean(`${String(info.errorCode ?? '')} ${String(info.errorDescription ?? '')}`.trim());
  } catch {
    // not an FSPIOP error body: the challenge (if any) is the reason
  }
  return out;
}
