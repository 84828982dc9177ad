/**
 * What MCM's request validator (express-openapi-validator 4.x on oas3-tools, mcm-api.md §1) does
 * before a controller runs, and the two error bodies:
 *   A: `{message, errors:[{path, message, errorCode?}]}` — validator and auth failures;
 *   B: `{payload:{id, message, ...}, message}` — errors thrown by a service.
 * The schema subset below is what the MCM spec uses on the routes the stand-in serves; messages
 * follow ajv 6 wording as the validator reports it (`request.body should NOT have additional
 * properties`).
 */

export interface BodyA {
  message: string;
  errors: Array<{ path: string; message: string; errorCode?: string }>;
}

export class ValidatorError extends Error {
  constructor(
    readonly status: number,
    readonly body: BodyA,
    readonly headers: Record<string, string> = {},
  ) {
    super(body.message);
  }
}

export type ServiceErrorId =
  | 'ValidationError'
  | 'BadRequestError'
  | 'UnauthorizedError'
  | 'NotFoundError'
  | 'InvalidEntityError'
  | 'ExternalProcessError'
  | 'InternalError'
  | 'NotImplementedError';

const SERVICE_STATUS: Readonly<Record<ServiceErrorId, number>> = {
  ValidationError: 400,
  BadRequestError: 400,
  UnauthorizedError: 401,
  NotFoundError: 404,
  InvalidEntityError: 422,
  ExternalProcessError: 422,
  InternalError: 500,
  NotImplementedError: 501,
};

/** An error class of MCM's services (API:src/utils/writer.js): error body B. */
export class ServiceError extends Error {
  readonly status: number;
  constructor(
    readonly id: ServiceErrorId,
    message: string,
    readonly extra: Record<string, unknown> = {},
    status?: number,
  ) {
    super(message);
    this.status = status ?? SERVICE_STATUS[id];
  }

  get body(): { payload: Record<string, unknown>; message: string } {
    return { payload: { id: this.id, message: this.message, ...this.extra }, message: this.message };
  }
}

export function bodyA(message: string, path: string, errorCode?: string): BodyA {
  return { message, errors: [{ path, message, ...(errorCode ? { errorCode } : {}) }] };
}

// ---------------------------------------------------------------------------------------------
// Schemas

export type Schema =
  | { type: 'object'; properties?: Record<string, Schema>; required?: string[]; additionalProperties?: false; minProperties?: number }
  | { type: 'array'; items?: Schema; minItems?: number; uniqueItems?: boolean }
  | { type: 'string'; pattern?: string; enum?: readonly string[]; format?: 'date-time' }
  | { type: 'number' }
  | { type: 'integer' }
  | { type: 'boolean' }
  | { oneOf: Schema[] };

interface Problem {
  /** Where the error is reported in `errors[].path` (a missing property names the property). */
  path: string;
  /** ajv's dataPath, which the top-level message uses (a missing property names its object). */
  dataPath?: string;
  message: string;
  keyword: string;
}

// RFC 3339 date-time, as ajv's `format: date-time` checks it.
const DATE_TIME = /^\d{4}-\d{2}-\d{2}[Tt ]\d{2}:\d{2}:\d{2}(\.\d+)?([Zz]|[+-]\d{2}:?\d{2})$/;

function typeOk(type: string, value: unknown): boolean {
  switch (type) {
    case 'object':
      return typeof value === 'object' && value !== null && !Array.isArray(value);
    case 'array':
      return Array.isArray(value);
    case 'string':
      return typeof value === 'string';
    case 'number':
      return typeof value === 'number' && Number.isFinite(value);
    case 'integer':
      return typeof value === 'number' && Number.isInteger(value);
    case 'boolean':
      return typeof value === 'boolean';
    default:
      return false;
  }
}

function check(schema: Schema, value: unknown, path: string, out: Problem[]): void {
  if ('oneOf' in schema) {
    const passing = schema.oneOf.filter((s) => {
      const sub: Problem[] = [];
      check(s, value, path, sub);
      return sub.length === 0;
    });
    if (passing.length !== 1) out.push({ path, message: 'should match exactly one schema in oneOf', keyword: 'oneOf' });
    return;
  }
  if (!typeOk(schema.type, value)) {
    out.push({ path, message: `should be ${schema.type}`, keyword: 'type' });
    return;
  }
  switch (schema.type) {
    case 'object': {
      const obj = value as Record<string, unknown>;
      for (const key of schema.required ?? []) {
        if (!(key in obj)) out.push({ path: `${path}.${key}`, dataPath: path, message: `should have required property '${key}'`, keyword: 'required' });
      }
      if (schema.minProperties !== undefined && Object.keys(obj).length < schema.minProperties) {
        out.push({ path, message: `should NOT have fewer than ${schema.minProperties} properties`, keyword: 'minProperties' });
      }
      for (const [key, v] of Object.entries(obj)) {
        const sub = schema.properties?.[key];
        if (sub) check(sub, v, `${path}.${key}`, out);
        else if (schema.additionalProperties === false) out.push({ path, message: 'should NOT have additional properties', keyword: 'additionalProperties' });
      }
      return;
    }
    case 'array': {
      const arr = value as unknown[];
      if (schema.minItems !== undefined && arr.length < schema.minItems) {
        out.push({ path, message: `should NOT have fewer than ${schema.minItems} items`, keyword: 'minItems' });
      }
      if (schema.uniqueItems) {
        const seen = arr.map((x) => JSON.stringify(x));
        const dup = seen.findIndex((x, i) => seen.indexOf(x) !== i);
        if (dup >= 0) out.push({ path, message: `should NOT have duplicate items (items ## ${seen.indexOf(seen[dup] as string)} and ${dup} are identical)`, keyword: 'uniqueItems' });
      }
      if (schema.items) arr.forEach((x, i) => check(schema.items as Schema, x, `${path}[${i}]`, out));
      return;
    }
    case 'string': {
      const s = value as string;
      if (schema.pattern !== undefined && !new RegExp(schema.pattern, 'u').test(s)) {
        out.push({ path, message: `should match pattern "${schema.pattern}"`, keyword: 'pattern' });
      }
      if (schema.enum && !schema.enum.includes(s)) {
        out.push({ path, message: 'should be equal to one of the allowed values', keyword: 'enum' });
      }
      if (schema.format === 'date-time' && (!DATE_TIME.test(s) || Number.isNaN(Date.parse(s)))) {
        out.push({ path, message: 'should match format "date-time"', keyword: 'format' });
      }
      return;
    }
    default:
      return;
  }
}

/** Throws a 400 in body A when `value` breaks `schema`; `where` is `body`, `query`, ... */
export function validate(schema: Schema, value: unknown, where: string): void {
  const problems: Problem[] = [];
  check(schema, value, `.${where}`, problems);
  if (problems.length === 0) return;
  throw new ValidatorError(400, {
    message: problems.map((p) => `request${p.dataPath ?? p.path} ${p.message}`).join(', '),
    errors: problems.map((p) => ({ path: p.path, message: p.message, errorCode: `${p.keyword}.openapi.validation` })),
  });
}

// ---------------------------------------------------------------------------------------------
// The request schemas of the MCM spec (API:src/api/swagger.yaml components.schemas)

const str: Schema = { type: 'string' };

/** IPEntry: no property is required; address is IPv4 or CIDR by pattern. */
const IP_ENTRY: Schema = {
  type: 'object',
  additionalProperties: false,
  properties: {
    description: str,
    address: {
      type: 'string',
      pattern: '^(([0-9]|[1-9][0-9]|1[0-9]{2}|2[0-4][0-9]|25[0-5])\\.){3}([0-9]|[1-9][0-9]|1[0-9]{2}|2[0-4][0-9]|25[0-5])(\\/([0-9]|[1-2][0-9]|3[0-2]))?$',
    },
    ports: { type: 'array', items: str },
  },
};

const STATE_STATUS: Schema = {
  type: 'object',
  additionalProperties: false,
  required: ['status', 'lastUpdated'],
  properties: {
    status: { type: 'string', enum: ['pending', 'inProgress', 'completed', 'inError'] },
    stateDescription: str,
    errorDescription: str,
    lastUpdated: { type: 'string', format: 'date-time' },
  },
};

export const STATE_KEYS = [
  'PEER_JWS',
  'DFSP_JWS',
  'DFSP_CA',
  'DFSP_SERVER_CERT',
  'DFSP_CLIENT_CERT',
  'HUB_CA',
  'HUB_CERT',
  'HUB_CLIENT_CERT',
  'ENDPOINT_CONFIG',
  'UPLOAD_PEER_JWS',
] as const;

const BASE_JWS_CERT: Schema = { type: 'object', required: ['publicKey'], properties: { publicKey: str, createdAt: { type: 'number' } } };

export const SCHEMAS = {
  DFSPCreate: {
    type: 'object',
    required: ['dfspId', 'name'],
    properties: {
      dfspId: str,
      name: str,
      monetaryZoneId: str,
      fxpCurrencies: { type: 'array', items: str },
      isProxy: { type: 'boolean' },
      securityGroup: str,
      email: str,
    },
  },
  DFSPUpdate: {
    type: 'object',
    minProperties: 1,
    properties: { name: str, monetaryZoneId: str, isProxy: { type: 'boolean' }, securityGroup: str },
  },
  DFSPInboundCreate: { type: 'object', required: ['clientCSR'], properties: { clientCSR: str } },
  Certificate: { type: 'object', minProperties: 1, properties: { certificate: str } },
  CAInfo: { type: 'object', properties: { rootCertificate: str, intermediateChain: str, privateKey: str } },
  BaseServerCert: {
    type: 'object',
    properties: { rootCertificate: str, intermediateChain: { oneOf: [str, { type: 'array', items: str }] }, serverCertificate: str },
  },
  BaseJWSCert: BASE_JWS_CERT,
  DFSPJWSCertInputList: {
    type: 'array',
    items: { type: 'object', required: ['publicKey'], properties: { publicKey: str, createdAt: { type: 'number' }, dfspId: str } },
  },
  InputIPValue: { type: 'object', required: ['value'], properties: { value: IP_ENTRY } },
  InputURLValue: { type: 'object', required: ['value'], properties: { value: { type: 'object', additionalProperties: false, properties: { url: str } } } },
  EndpointItemUpdate: {
    type: 'object',
    properties: { state: { type: 'string', enum: ['NEW', 'CONFIRMED', 'INVALID'] }, value: { type: 'object' } },
  },
  DFSPEgress: { type: 'object', additionalProperties: false, properties: { ipList: { type: 'array', minItems: 1, uniqueItems: true, items: IP_ENTRY } } },
  DFSPIngress: { type: 'object', additionalProperties: false, properties: { url: str } },
  DfspStatesStatusPayload: {
    type: 'object',
    additionalProperties: false,
    properties: Object.fromEntries(STATE_KEYS.map((k) => [k, STATE_STATUS])),
  },
} satisfies Record<string, Schema>;
