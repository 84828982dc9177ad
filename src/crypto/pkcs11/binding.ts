/**
 * The PKCS#11 binding, loaded on first use. `pkcs11js` (PeculiarVentures, the binding graphene-pk11
 * itself wraps) is an optional dependency: it has no prebuilt binary and compiles with node-gyp at
 * `npm ci`, so an install without a C++ toolchain still succeeds and only a config that names a
 * PKCS#11 key needs it. A missing binding is reported as what to do, not as a module-not-found trace.
 *
 * It is an N-API module: one build loads on every supported Node (22 and 24).
 */
import { createRequire } from 'node:module';

/** The part of pkcs11js the sidecar uses (its own typings are ambient and not always installed). */
export interface Pkcs11Lib {
  load(path: string): void;
  C_Initialize(options?: { flags?: number }): void;
  C_Finalize(): void;
  C_GetSlotList(tokenPresent?: boolean): Buffer[];
  C_GetTokenInfo(slot: Buffer): { label: string; serialNumber: string; model: string; manufacturerID: string; flags: number };
  C_GetMechanismList(slot: Buffer): number[];
  C_OpenSession(slot: Buffer, flags: number): Buffer;
  C_CloseSession(session: Buffer): void;
  C_Login(session: Buffer, userType: number, pin?: string): void;
  C_FindObjectsInit(session: Buffer, template: Attribute[]): void;
  C_FindObjects(session: Buffer, max: number): Buffer[];
  C_FindObjectsFinal(session: Buffer): void;
  C_GetAttributeValue(session: Buffer, object: Buffer, template: Attribute[]): Attribute[];
  C_SignInit(session: Buffer, mechanism: { mechanism: number; parameter?: unknown }, key: Buffer): void;
  C_Sign(session: Buffer, data: Buffer, out: Buffer): Buffer;
  C_GenerateKeyPair(session: Buffer, mechanism: { mechanism: number }, publicTemplate: Attribute[], privateTemplate: Attribute[]): { publicKey: Buffer; privateKey: Buffer };
}

export interface Attribute {
  type: number;
  value?: number | boolean | string | Buffer;
}

/** Constants by name (CKA_*, CKM_*, CKR_*, CKF_*, CKO_*, CKK_*, CKU_*). */
export type Pkcs11Constants = Record<string, number>;

export interface Pkcs11Binding {
  readonly C: Pkcs11Constants;
  create(): Pkcs11Lib;
  /** CKR_* name of a binding error, or undefined when it is not a PKCS#11 return value. */
  ckr(err: unknown): string | undefined;
}

export class Pkcs11BindingMissing extends Error {
  override readonly name = 'Pkcs11BindingMissing';
}

let loaded: Pkcs11Binding | undefined;

export function pkcs11Binding(): Pkcs11Binding {
  if (loaded) return loaded;
  const require = createRequire(import.meta.url);
  let mod: Record<string, unknown> & { PKCS11: new () => Pkcs11Lib };
  try {
    mod = require('pkcs11js') as typeof mod;
  } catch (err) {
    throw new Pkcs11BindingMissing(
      `the PKCS#11 binding (npm package pkcs11js, an optional dependency) is not installed or did not build (${(err as NodeJS.ErrnoException).code ?? (err as Error).message}); ` +
        'install a C++ toolchain (Debian: apt-get install python3 make g++) and run npm ci again (docs/hsm.md)',
    );
  }
  const C: Pkcs11Constants = {};
  for (const [name, value] of Object.entries(mod)) if (typeof value === 'number' && /^CK[A-Z]_/.test(name)) C[name] = value;
  loaded = {
    C,
    create: () => new mod.PKCS11(),
    ckr(err) {
      const message = err instanceof Error ? err.message : '';
      return /^CKR_[A-Z0-9_]+$/.test(message) ? message : undefined;
    },
  };
  return loaded;
}
