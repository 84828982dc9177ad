/**
 * Closed label sets shared by both gateways: anything outside them is counted as `other`, so a
 * client cannot grow the series count with made-up methods or paths.
 */
import { HUB_RESOURCES } from '../config/schema.js';
import { FSPIOP_RESOURCES } from '../crypto/jws/resource.js';

const METHODS: ReadonlySet<string> = new Set(['GET', 'POST', 'PUT', 'PATCH', 'DELETE', 'HEAD', 'OPTIONS']);
const RESOURCES: ReadonlySet<string> = new Set<string>([...FSPIOP_RESOURCES, ...HUB_RESOURCES]);

export function methodLabel(method: string | undefined): string {
  return method !== undefined && METHODS.has(method) ? method : 'other';
}

export function resourceLabel(resource: string | undefined): string {
  return resource !== undefined && RESOURCES.has(resource) ? resource : 'other';
}
