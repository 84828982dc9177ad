/**
 * Errors of the PKI toolkit. They are not request-path errors (those are `SidecarError`s from the
 * catalogue); they end a CLI command or a test setup. Each kind maps to one CLI exit code, so the
 * command layer never has to guess from a message:
 *   - PkiInputError        → 2: the input is unreadable, of the wrong type, or a flag value is bad;
 *   - PkiPolicyError       → 1: the input parsed but breaks a scheme rule (each rule is named);
 *   - PkiVerificationError → 1: a chain, a signature or a key/certificate pairing does not verify.
 * Messages are written for operators and never contain key material.
 */

export interface Violation {
  /** Stable rule id, e.g. `rsa-key-size`; documented in docs/pki.md. */
  readonly rule: string;
  /** One sentence: what was found and what the rule wants. */
  readonly message: string;
}

export class PkiError extends Error {
  override readonly name: string = 'PkiError';
}

export class PkiInputError extends PkiError {
  override readonly name = 'PkiInputError';
  /** `EEXIST` when a write was refused because the target exists (and no force was given). */
  readonly code: string | undefined;

  constructor(message: string, options?: { code?: string; cause?: unknown }) {
    super(message, options?.cause === undefined ? undefined : { cause: options.cause });
    this.code = options?.code;
  }
}

export class PkiPolicyError extends PkiError {
  override readonly name = 'PkiPolicyError';
  readonly violations: readonly Violation[];

  constructor(violations: readonly Violation[], what = 'certificate request') {
    super(`${what} refused by policy: ${violations.map((v) => `${v.rule} (${v.message})`).join('; ')}`);
    this.violations = violations;
  }
}

export class PkiVerificationError extends PkiError {
  override readonly name = 'PkiVerificationError';
}

export function isPkiError(err: unknown): err is PkiError {
  return err instanceof PkiError;
}
