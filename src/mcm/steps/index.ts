/**
 * The MCM steps in the one order they run, each after the steps it needs (mcm-api.md §4.2):
 * our CA before anything it signs, the hub CA before the certificate that must chain to it, and
 * the progress report last.
 */
import type { Step } from '../step.js';
import { clientCertStep } from './client-cert.js';
import { dfspCaStep } from './dfsp-ca.js';
import { endpointsStep } from './endpoints.js';
import { hubCaStep } from './hub-ca.js';
import { hubClientCertStep } from './hub-client-cert.js';
import { jwsKeyStep } from './jws-key.js';
import { peerKeysStep } from './peer-keys.js';
import { serverCertStep } from './server-cert.js';
import { statesStep } from './states.js';

const WORK: readonly Step[] = [dfspCaStep, serverCertStep, hubCaStep, jwsKeyStep, endpointsStep, hubClientCertStep, clientCertStep, peerKeysStep];

export const MCM_STEPS: readonly Step[] = Object.freeze([...WORK, statesStep(WORK)]);
