/**
 * Structured JSON logs (pino) to stdout. Redaction is compiled once here: any `authorization`
 * header, token, secret or key material is replaced before serialisation, wherever it sits in the
 * logged object. test/unit/shared/log.test.ts proves a token and a key never reach the output.
 */
import { pino, type Logger, type DestinationStream, type LevelWithSilent } from 'pino';

export type { Logger } from 'pino';

/** Paths pino replaces with "[redacted]". Headers are logged as plain objects with lower-case names. */
export const REDACT_PATHS = [
  'authorization',
  '*.authorization',
  '*.*.authorization',
  'headers["proxy-authorization"]',
  '*.headers["proxy-authorization"]',
  'token',
  '*.token',
  'accessToken',
  '*.accessToken',
  'access_token',
  '*.access_token',
  'clientSecret',
  '*.clientSecret',
  '*.*.clientSecret',
  'staticToken',
  '*.staticToken',
  '*.*.staticToken',
  'clientKey',
  '*.clientKey',
  '*.*.clientKey',
  'password',
  '*.password',
  'passphrase',
  '*.passphrase',
  'privateKey',
  '*.privateKey',
  'keyPem',
  '*.keyPem',
  'key',
  '*.key',
];

const PEM_PRIVATE = /-----BEGIN [A-Z ]*PRIVATE KEY-----[\s\S]*?-----END [A-Z ]*PRIVATE KEY-----/g;
const BEARER = /\b(Bearer|Basic)\s+[A-Za-z0-9._~+/=-]+/g;

/**
 * Last line of defence for free text (error messages, causes): a PEM private key or a bearer
 * credential pasted into a message is masked even where no redaction path reaches it.
 */
export function scrubText(text: string): string {
  return text.replace(PEM_PRIVATE, '[redacted private key]').replace(BEARER, '$1 [redacted]');
}

export function createLogger(opts: { level: LevelWithSilent; destination?: DestinationStream; name?: string }): Logger {
  return pino(
    {
      level: opts.level,
      name: opts.name ?? 'dfsp-sidecar',
      base: { pid: process.pid },
      timestamp: pino.stdTimeFunctions.isoTime,
      redact: { paths: REDACT_PATHS, censor: '[redacted]' },
      formatters: { level: (label) => ({ level: label }) },
      serializers: {
        err: (err: unknown) => {
          const s = pino.stdSerializers.err(err as Error);
          return { ...s, message: scrubText(String(s.message ?? '')), stack: s.stack ? scrubText(s.stack) : undefined };
        },
      },
      hooks: {
        logMethod(args, method) {
          for (let i = 0; i < args.length; i++) if (typeof args[i] === 'string') args[i] = scrubText(args[i] as string);
          method.apply(this, args as Parameters<typeof method>);
        },
      },
    },
    opts.destination ?? pino.destination({ dest: 1, sync: false }),
  );
}

/** A logger that drops everything: for unit tests and benchmarks that are not about logging. */
export function createSilentLogger(): Logger {
  return pino({ level: 'silent' });
}
