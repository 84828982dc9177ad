/**
 * The outbound request path, in order. This file is the only place the order lives.
 *
 *   core ──HTTP──▶ route ─▶ identity ─▶ headers ─▶ read-body ─▶ token ─▶ sign ─▶ forward ──mTLS──▶ hub
 *                    │          │           │          │            │        │        │
 *                 NO_ROUTE  UNKNOWN_    INVALID_   BODY_TOO_    TOKEN_   UNSIGNABLE_ HUB_UNREACHABLE
 *                  (404)    IDENTITY    HEADER     LARGE,       UNAVAIL- BODY,       (502), HUB_TIMEOUT
 *                           (400)       (400)      BODY_        ABLE     SIGNING_    (504),
 *                                                  MALFORMED    (503)    FAILED      CLIENT_CLOSED
 *
 * Cheap refusals come first: an unknown route, identity or a non-FSPIOP header costs no body read,
 * and a request that has no token to carry costs no signature (RSA signing is ~80 % of the
 * request's CPU).
 */
import type { Stage } from '../shared/pipeline.js';
import type { OutboundExchange } from './exchange.js';
import { forwardStage } from './stages/forward.js';
import { headersStage } from './stages/headers.js';
import { identityStage } from './stages/identity.js';
import { readBodyStage } from './stages/read-body.js';
import { routeStage } from './stages/route.js';
import { signStage } from './stages/sign.js';
import { tokenStage } from './stages/token.js';

export const OUTBOUND_PIPELINE: readonly Stage<OutboundExchange>[] = [routeStage, identityStage, headersStage, readBodyStage, tokenStage, signStage, forwardStage];
