/**
 * Signing keys that stay inside a PKCS#11 token (an HSM, or SoftHSM2 in a lab): open the token,
 * log in, find the key, sign. The private key never leaves the token; the sidecar holds a session
 * and an object handle.
 *
 * One state per thread: the main thread and each signing worker open their own session (a PKCS#11
 * session runs one operation at a time, and the worker's C_Sign must not wait on the main
 * thread's). The module itself (the vendor's .so) is process-wide: it is C_Initialize'd with
 * CKF_OS_LOCKING_OK so threads may share it, a second C_Initialize (CKR_CRYPTOKI_ALREADY_INITIALIZED)
 * and a second C_Login (CKR_USER_ALREADY_LOGGED_IN: login state is per application) count as
 * success, and only the main thread ever calls C_Finalize, because finalising ends every thread's
 * sessions.
 *
 * Failure and recovery. A failed token call closes that thread's session; the next use opens a new
 * one. Some modules (SoftHSM2 among them) only see a token that went away and came back after
 * C_Finalize + C_Initialize, which the main thread does while recovering; it then bumps a counter in
 * shared memory (`epoch`) so every worker knows its session handles died with the old
 * initialisation and opens new ones instead of failing one request each to find out. Opening is
 * retried with exponential backoff (INITIAL_BACKOFF_MS to MAX_BACKOFF_MS) so a dead token is not
 * hammered; in the main thread a token that failed is `down` (requests fail at once with
 * SIGNING_FAILED, readiness says why) until a background probe (open, log in, find the keys, test
 * signature) succeeds. A refused PIN is never retried on its own: each wrong attempt counts
 * towards locking the token (CKR_PIN_LOCKED); a reload with the right PIN starts over.
 *
 * Mechanisms: RS256 is CKM_SHA256_RSA_PKCS over the JWS signing input (the token hashes). ES256 is
 * CKM_ECDSA over the SHA-256 digest computed here, because many tokens (SoftHSM2 included) have no
 * CKM_ECDSA_SHA256; PKCS#11 defines the CKM_ECDSA result as r||s, which is exactly the JOSE form
 * (RFC 7518 §3.4), and anything but 64 bytes is refused rather than guessed at.
 */
import { createHash, createPublicKey, verify, type KeyObject } from 'node:crypto';
import { isMainThread } from 'node:worker_threads';
import { pkcs11Binding, type Attribute, type Pkcs11Binding, type Pkcs11Lib } from './binding.js';

export type TokenAlgorithm = 'RS256' | 'ES256';

/** Where a key lives. Plain data (plus one shared counter): it is posted to signing workers as is. */
export interface Pkcs11KeyRef {
  /** Path of the vendor's PKCS#11 module (.so). */
  readonly module: string;
  /** The token, by label (stable) or slot id (may change when tokens are added). */
  readonly tokenLabel: string | undefined;
  readonly slot: number | undefined;
  /** When given, the token's serial number must be this too. */
  readonly serial: string | undefined;
  /** The key pair, by CKA_LABEL and/or CKA_ID (hex). */
  readonly keyLabel: string | undefined;
  readonly keyId: string | undefined;
  /** The user PIN. Never logged, never part of an error message. */
  readonly pin: string;
  /** [0]: how often the main thread re-initialised this module (SharedArrayBuffer, shared with workers). */
  readonly epoch: Int32Array;
}

export type TokenErrorKind = 'binding' | 'module' | 'token' | 'pin' | 'key' | 'sign';

/** Why a token could not be used. `message` names the module, token and key but never the PIN. */
export class TokenError extends Error {
  override readonly name = 'TokenError';
  constructor(
    message: string,
    readonly kind: TokenErrorKind,
    /** The PKCS#11 return value (CKR_*), when the failure was one. */
    readonly ckr?: string,
  ) {
    super(message);
  }
}

const INITIAL_BACKOFF_MS = 250;
const MAX_BACKOFF_MS = 10_000;
/** Largest RSA signature we accept (8192-bit keys); ECDSA P-256 needs 64. */
const MAX_SIGNATURE_BYTES = 1024;
/** DER of the P-256 curve OID (1.2.840.10045.3.1.7), as CKA_EC_PARAMS holds it. */
const P256_PARAMS = Buffer.from('06082a8648ce3d030107', 'hex');
const PIN_ERRORS = new Set(['CKR_PIN_INCORRECT', 'CKR_PIN_LOCKED', 'CKR_PIN_EXPIRED', 'CKR_PIN_INVALID', 'CKR_PIN_LEN_RANGE']);

interface ModuleState {
  readonly path: string;
  readonly lib: Pkcs11Lib;
  readonly epoch: Int32Array;
  initialised: boolean;
}

interface KnownKey {
  readonly selector: string;
  readonly keyLabel: string | undefined;
  readonly keyId: string | undefined;
  readonly alg: TokenAlgorithm;
}

interface Connection {
  readonly name: string;
  readonly module: ModuleState;
  readonly tokenLabel: string | undefined;
  readonly slot: number | undefined;
  readonly serial: string | undefined;
  pin: string;
  session: Buffer | undefined;
  /** The module epoch the session was opened under: a newer epoch means the handle is dead. */
  sessionEpoch: number;
  readonly handles: Map<string, Buffer>;
  readonly keys: Map<string, KnownKey>;
  /** Set once a session was open: a later failure is a recovery (which may re-initialise the module). */
  everOpen: boolean;
  backoffMs: number;
  retryAt: number;
  lastError: TokenError | undefined;
  /** Main thread only: why the token is unusable now (requests fail at once), until a probe succeeds. */
  down: TokenError | undefined;
  timer: NodeJS.Timeout | undefined;
  /** Set by closeAllTokens: a ref that still points here must look its connection up again. */
  closed: boolean;
}

const modules = new Map<string, ModuleState>();
const connections = new Map<string, Connection>();
/** The connection of each ref object seen (refs are long-lived: one per compiled key, one per key a worker holds). */
const byRef = new WeakMap<Pkcs11KeyRef, Connection>();
let reinitGuard: () => boolean = () => true;
const listeners = new Set<(event: TokenEvent) => void>();

export interface TokenEvent {
  readonly token: string;
  readonly state: 'down' | 'up';
  readonly error?: TokenError;
}

function binding(): Pkcs11Binding {
  try {
    return pkcs11Binding();
  } catch (err) {
    throw new TokenError((err as Error).message, 'binding');
  }
}

function C(name: string): number {
  const v = binding().C[name];
  if (v === undefined) throw new TokenError(`the PKCS#11 binding lacks ${name}`, 'binding');
  return v;
}

/** Turn whatever a binding call threw into a TokenError that says what was being done. */
function wrap(err: unknown, doing: string, kind: TokenErrorKind): TokenError {
  if (err instanceof TokenError) return err;
  const ckr = binding().ckr(err);
  if (ckr && PIN_ERRORS.has(ckr)) {
    const hint =
      ckr === 'CKR_PIN_INCORRECT'
        ? 'the PIN was refused; it is not retried (wrong attempts lock the token): fix the PIN file and reload'
        : ckr === 'CKR_PIN_LOCKED'
          ? 'the user PIN is locked: the token\'s security officer must unlock or reset it'
          : 'the PIN cannot be used as it is; fix the PIN file and reload';
    return new TokenError(`${doing}: ${ckr}: ${hint}`, 'pin', ckr);
  }
  return new TokenError(`${doing}: ${ckr ?? (err instanceof Error ? err.message : String(err))}`, kind, ckr);
}

function moduleFor(path: string, shared: Int32Array | undefined): ModuleState {
  let m = modules.get(path);
  if (m) return m;
  const lib = binding().create();
  try {
    lib.load(path);
  } catch (err) {
    throw new TokenError(`cannot load the PKCS#11 module '${path}': ${err instanceof Error ? err.message : String(err)}`, 'module');
  }
  m = { path, lib, epoch: shared ?? new Int32Array(new SharedArrayBuffer(4)), initialised: false };
  modules.set(path, m);
  return m;
}

function initialise(m: ModuleState): void {
  if (m.initialised) return;
  try {
    m.lib.C_Initialize({ flags: C('CKF_OS_LOCKING_OK') });
  } catch (err) {
    // Another thread of this process initialised it first: that is the shared initialisation.
    if (binding().ckr(err) !== 'CKR_CRYPTOKI_ALREADY_INITIALIZED') {
      const e = wrap(err, `C_Initialize of '${m.path}'`, 'module');
      // The module could not start at all: its own configuration is the usual cause, not our URI.
      throw new TokenError(`${e.message} (the module did not start: check its configuration; SoftHSM2: SOFTHSM2_CONF and its directories.tokendir; a network HSM: its client configuration and the HSM's reachability)`, e.kind, e.ckr);
    }
  }
  m.initialised = true;
}

/** Main thread: finalise and initialise again, so the module rescans its slots and tokens. */
function reinitialise(m: ModuleState): void {
  try {
    m.lib.C_Finalize();
  } catch {
    // Not initialised, or already failing: the initialise below is what matters.
  }
  m.initialised = false;
  Atomics.add(m.epoch, 0, 1);
  initialise(m);
}

function connectionKey(ref: Pkcs11KeyRef): string {
  return `${ref.module}\0${ref.tokenLabel ?? ''}\0${ref.slot ?? ''}\0${ref.serial ?? ''}`;
}

export function describeToken(ref: Pick<Pkcs11KeyRef, 'module' | 'tokenLabel' | 'slot' | 'serial'>): string {
  return `${ref.tokenLabel !== undefined ? `token '${ref.tokenLabel}'` : `slot ${ref.slot}`}${ref.serial !== undefined ? ` (serial ${ref.serial})` : ''} of module '${ref.module}'`;
}

export function describeKey(ref: Pick<Pkcs11KeyRef, 'keyLabel' | 'keyId'>): string {
  return [ref.keyLabel !== undefined ? `label '${ref.keyLabel}'` : '', ref.keyId !== undefined ? `id ${ref.keyId}` : ''].filter(Boolean).join(', ');
}

function selectorOf(ref: Pick<Pkcs11KeyRef, 'keyLabel' | 'keyId'>): string {
  return `${ref.keyLabel ?? ''}\0${ref.keyId ?? ''}`;
}

function connectionFor(ref: Pkcs11KeyRef): Connection {
  const known = byRef.get(ref);
  if (known && known.pin === ref.pin && !known.closed) return known;
  const key = connectionKey(ref);
  let c = connections.get(key);
  if (!c) {
    c = {
      name: describeToken(ref),
      module: moduleFor(ref.module, isMainThread ? undefined : ref.epoch),
      tokenLabel: ref.tokenLabel,
      slot: ref.slot,
      serial: ref.serial,
      pin: ref.pin,
      session: undefined,
      sessionEpoch: -1,
      handles: new Map(),
      keys: new Map(),
      everOpen: false,
      backoffMs: 0,
      retryAt: 0,
      lastError: undefined,
      down: undefined,
      timer: undefined,
      closed: false,
    };
    connections.set(key, c);
  }
  byRef.set(ref, c);
  // A reload may bring a new PIN for the same token; a refused PIN is tried again only then.
  if (c.pin !== ref.pin) {
    c.pin = ref.pin;
    if (c.lastError?.kind === 'pin') {
      c.lastError = undefined;
      c.retryAt = 0;
      c.backoffMs = 0;
    }
  }
  return c;
}

function slotNumber(slot: Buffer): number {
  return slot.length >= 8 ? Number(slot.readBigUInt64LE(0)) : slot.readUInt32LE(0);
}

function findSlot(c: Connection): Buffer | undefined {
  const lib = c.module.lib;
  for (const slot of lib.C_GetSlotList(true)) {
    if (c.slot !== undefined && slotNumber(slot) !== c.slot) continue;
    const info = lib.C_GetTokenInfo(slot);
    if (c.tokenLabel !== undefined && info.label.trim() !== c.tokenLabel) continue;
    if (c.serial !== undefined && info.serialNumber.trim() !== c.serial) continue;
    return slot;
  }
  return undefined;
}

function presentTokens(c: Connection): string {
  try {
    const initialised = C('CKF_TOKEN_INITIALIZED');
    const labels = c.module.lib
      .C_GetSlotList(true)
      .map((s) => ({ s, info: c.module.lib.C_GetTokenInfo(s) }))
      // SoftHSM2 always offers one empty slot for a new token: not worth naming.
      .filter(({ info }) => (info.flags & initialised) !== 0)
      .map(({ s, info }) => `'${info.label.trim()}' (slot ${slotNumber(s)}, serial ${info.serialNumber.trim()})`);
    return labels.length > 0 ? labels.join(', ') : 'none';
  } catch {
    return 'unknown';
  }
}

function dropSession(c: Connection): void {
  const s = c.session;
  c.session = undefined;
  c.handles.clear();
  // A session from an older initialisation is already gone; closing it could hit a reused handle.
  if (s && c.sessionEpoch === Atomics.load(c.module.epoch, 0)) {
    try {
      c.module.lib.C_CloseSession(s);
    } catch {
      // The token is failing; the session is abandoned either way.
    }
  }
}

/** Open a session and log in; re-initialise the module (main thread) when the token is not to be found. */
function open(c: Connection, mayReinitialise: boolean): void {
  const m = c.module;
  initialise(m);
  let slot: Buffer | undefined;
  try {
    slot = findSlot(c);
  } catch (err) {
    if (!mayReinitialise) throw wrap(err, `listing the tokens of '${m.path}'`, 'token');
  }
  if (!slot && mayReinitialise && reinitGuard()) {
    reinitialise(m);
    slot = findSlot(c);
  }
  if (!slot) throw new TokenError(`${c.name} not found (tokens present: ${presentTokens(c)})`, 'token');
  let session: Buffer;
  try {
    session = m.lib.C_OpenSession(slot, C('CKF_SERIAL_SESSION'));
  } catch (err) {
    throw wrap(err, `opening a session on ${c.name}`, 'token');
  }
  try {
    m.lib.C_Login(session, C('CKU_USER'), c.pin);
  } catch (err) {
    if (binding().ckr(err) !== 'CKR_USER_ALREADY_LOGGED_IN') {
      try {
        m.lib.C_CloseSession(session);
      } catch {
        // Closing a session we could not log in on: nothing more to do.
      }
      throw wrap(err, `logging in to ${c.name}`, 'token');
    }
  }
  c.session = session;
  c.sessionEpoch = Atomics.load(m.epoch, 0);
  c.everOpen = true;
}

function findObjects(c: Connection, session: Buffer, template: Attribute[]): Buffer[] {
  const lib = c.module.lib;
  lib.C_FindObjectsInit(session, template);
  try {
    return lib.C_FindObjects(session, 4);
  } finally {
    lib.C_FindObjectsFinal(session);
  }
}

function keyTemplate(cls: string, k: Pick<Pkcs11KeyRef, 'keyLabel' | 'keyId'>): Attribute[] {
  const t: Attribute[] = [{ type: C('CKA_CLASS'), value: C(cls) }];
  if (k.keyLabel !== undefined) t.push({ type: C('CKA_LABEL'), value: k.keyLabel });
  if (k.keyId !== undefined) t.push({ type: C('CKA_ID'), value: Buffer.from(k.keyId, 'hex') });
  return t;
}

function privateHandle(c: Connection, k: Pick<Pkcs11KeyRef, 'keyLabel' | 'keyId'>): Buffer {
  const selector = selectorOf(k);
  const cached = c.handles.get(selector);
  if (cached) return cached;
  const session = liveSession(c);
  let found: Buffer[];
  try {
    found = findObjects(c, session, keyTemplate('CKO_PRIVATE_KEY', k));
  } catch (err) {
    throw wrap(err, `looking up the private key (${describeKey(k)}) in ${c.name}`, 'token');
  }
  if (found.length === 0) throw new TokenError(`no private key with ${describeKey(k)} in ${c.name} (or the PIN's user cannot see it)`, 'key');
  if (found.length > 1) throw new TokenError(`several private keys match ${describeKey(k)} in ${c.name}: give keyId as well`, 'key');
  c.handles.set(selector, found[0] as Buffer);
  return found[0] as Buffer;
}

/** Open (if needed, honouring backoff) and return a live session. */
function ensureSession(c: Connection, now: number, mayReinitialise: boolean, ignoreBackoff: boolean): Buffer {
  if (c.session && c.sessionEpoch !== Atomics.load(c.module.epoch, 0)) {
    // The main thread re-initialised the module: this handle died with the old initialisation.
    c.session = undefined;
    c.handles.clear();
  }
  if (c.session) return c.session;
  if (!ignoreBackoff && c.lastError && (c.lastError.kind === 'pin' || now < c.retryAt)) throw c.lastError;
  try {
    open(c, mayReinitialise);
    c.lastError = undefined;
    c.backoffMs = 0;
    return liveSession(c);
  } catch (err) {
    const e = wrap(err, `opening ${c.name}`, 'token');
    forgetInitialisation(c, e);
    c.lastError = e;
    c.backoffMs = Math.min(MAX_BACKOFF_MS, Math.max(INITIAL_BACKOFF_MS, c.backoffMs * 2));
    c.retryAt = now + c.backoffMs;
    throw e;
  }
}

function liveSession(c: Connection): Buffer {
  if (!c.session) throw new TokenError(`${c.name}: no open session`, 'token');
  return c.session;
}

/** The keys signed with on a connection: the background probe test-signs with each. */
function remember(c: Connection, ref: Pkcs11KeyRef, alg: TokenAlgorithm): void {
  const selector = selectorOf(ref);
  if (!c.keys.has(selector)) c.keys.set(selector, { selector, keyLabel: ref.keyLabel, keyId: ref.keyId, alg });
}

function rawSign(c: Connection, handle: Buffer, alg: TokenAlgorithm, input: Uint8Array): Buffer {
  const lib = c.module.lib;
  const session = liveSession(c);
  const es = alg === 'ES256';
  const data = es ? createHash('sha256').update(input).digest() : Buffer.from(input.buffer, input.byteOffset, input.byteLength);
  lib.C_SignInit(session, { mechanism: C(es ? 'CKM_ECDSA' : 'CKM_SHA256_RSA_PKCS') }, handle);
  const sig = lib.C_Sign(session, data, Buffer.allocUnsafe(MAX_SIGNATURE_BYTES));
  if (es && sig.length !== 64) {
    throw new TokenError(`${c.name} returned a ${sig.length}-byte CKM_ECDSA signature; ES256 needs the 64-byte r||s that PKCS#11 defines`, 'sign');
  }
  return Buffer.from(sig);
}

/**
 * Sign the JWS signing input with a token key; returns the JOSE signature bytes. Throws TokenError:
 * kind 'sign' when the token refused this signature, any other kind when the token is unusable.
 */
export function tokenSign(ref: Pkcs11KeyRef, alg: TokenAlgorithm, input: Uint8Array): Buffer {
  const c = connectionFor(ref);
  if (isMainThread && c.down) throw c.down;
  remember(c, ref, alg);
  try {
    ensureSession(c, Date.now(), false, false);
  } catch (err) {
    const e = wrap(err, `opening ${c.name}`, 'token');
    if (isMainThread) markDown(c, e);
    throw e;
  }
  let handle: Buffer;
  try {
    handle = privateHandle(c, ref);
  } catch (err) {
    const e = wrap(err, `using ${c.name}`, 'token');
    fail(c, e);
    throw e;
  }
  try {
    return rawSign(c, handle, alg, input);
  } catch (err) {
    const e = wrap(err, `signing with ${describeKey(ref)} in ${c.name}`, 'sign');
    fail(c, e);
    throw e;
  }
}

/** The module was finalised under us (by the main thread's recovery): initialise it again next time. */
function forgetInitialisation(c: Connection, e: TokenError): void {
  if (e.ckr === 'CKR_CRYPTOKI_NOT_INITIALIZED') c.module.initialised = false;
}

/** A token call failed: this thread's session is abandoned; the main thread marks the token down and starts probing. */
function fail(c: Connection, e: TokenError): void {
  forgetInitialisation(c, e);
  dropSession(c);
  c.lastError = e.kind === 'pin' ? e : undefined;
  c.retryAt = 0;
  if (isMainThread) markDown(c, e);
}

function markDown(c: Connection, e: TokenError): void {
  const wasUp = c.down === undefined;
  // Once down, the token as a whole is unusable (requests fail without reaching it), whatever call failed first.
  c.down = e.kind === 'sign' ? new TokenError(e.message, 'token', e.ckr) : e;
  if (wasUp) emit({ token: c.name, state: 'down', error: e });
  scheduleProbe(c);
}

function scheduleProbe(c: Connection): void {
  if (c.timer || c.down?.kind === 'pin') return;
  c.backoffMs = Math.min(MAX_BACKOFF_MS, Math.max(INITIAL_BACKOFF_MS, c.backoffMs * 2));
  c.timer = setTimeout(() => {
    c.timer = undefined;
    const e = probe(c);
    if (e) {
      c.down = e;
      scheduleProbe(c);
    } else if (c.down) {
      c.down = undefined;
      c.backoffMs = 0;
      emit({ token: c.name, state: 'up' });
    }
  }, c.backoffMs);
  c.timer.unref();
}

/**
 * Main thread: open the token if needed (re-initialising the module when the token cannot be found
 * and no worker is inside a token call), find every key signed with so far and make a test
 * signature with each. Undefined when the token works.
 */
function probe(c: Connection): TokenError | undefined {
  try {
    try {
      probeOnce(c);
      return undefined;
    } catch (first) {
      if (first instanceof TokenError && first.kind === 'pin') throw first;
      if (!c.everOpen || !reinitGuard()) throw first;
      // SoftHSM2 (and other modules) see a token that came back only after re-initialising.
      dropSession(c);
      reinitialise(c.module);
      probeOnce(c);
      return undefined;
    }
  } catch (err) {
    dropSession(c);
    const e = wrap(err, `probing ${c.name}`, 'token');
    // Readiness and the log must say which token, whatever call failed.
    return e.message.includes(c.name) ? e : new TokenError(`${c.name}: ${e.message}`, e.kind, e.ckr);
  }
}

/**
 * One probe pass: a session, then a test signature with every key signed with so far. A key that
 * is no longer in a token that otherwise answers (deleted, or dropped by a reload) leaves the probe
 * set, so it cannot hold the whole token down; a request still using it fails on its own.
 */
function probeOnce(c: Connection): void {
  ensureSession(c, Date.now(), false, true);
  let lastMissing: TokenError | undefined;
  for (const k of [...c.keys.values()]) {
    let handle: Buffer;
    try {
      handle = privateHandle(c, k);
    } catch (err) {
      if (!(err instanceof TokenError) || err.kind !== 'key') throw err;
      c.keys.delete(k.selector);
      lastMissing = err;
      continue;
    }
    rawSign(c, handle, k.alg, PROBE_INPUT);
  }
  if (c.keys.size === 0 && lastMissing) throw lastMissing;
}

const PROBE_INPUT = Buffer.from('dfsp-sidecar token probe');

function emit(event: TokenEvent): void {
  for (const l of listeners) l(event);
}

/** Main thread: be told when a token goes down or comes back (the gateway logs it). */
export function onTokenEvent(listener: (event: TokenEvent) => void): () => void {
  listeners.add(listener);
  return () => listeners.delete(listener);
}

/**
 * Main thread: re-initialising the module ends every thread's sessions, so the signing pool says
 * whether a worker is inside a token call right now (then the probe waits for its next turn).
 */
export function setReinitialiseGuard(guard: () => boolean): void {
  reinitGuard = guard;
}

/** Main thread: why the token holding `ref` is unusable now, or undefined when it works. */
export function tokenDown(ref: Pkcs11KeyRef): TokenError | undefined {
  return connections.get(connectionKey(ref))?.down;
}

/**
 * Main thread: a worker's token call failed. Its own session is already abandoned; probe the token
 * here so that a token that is really gone is marked down (fast failures, readiness) at once.
 */
export function reportTokenFailure(ref: Pkcs11KeyRef, alg: TokenAlgorithm): void {
  const c = connectionFor(ref);
  remember(c, ref, alg);
  if (c.down) return;
  const e = probe(c);
  if (e) markDown(c, e);
}

export interface TokenKeyInfo {
  readonly alg: TokenAlgorithm;
  readonly publicKey: KeyObject;
  readonly token: { readonly label: string; readonly serial: string; readonly model: string; readonly manufacturer: string };
  /** CKA_SENSITIVE and CKA_EXTRACTABLE of the private key, for check-config to report. */
  readonly sensitive: boolean;
  readonly extractable: boolean;
}

/**
 * Main thread, at (re)load: open the token (clearing a previous down state if it works now), find
 * the key pair, derive the public key and algorithm, and check a test signature with that public
 * key. Throws TokenError with what is wrong.
 */
export function openTokenKey(ref: Pkcs11KeyRef): TokenKeyInfo {
  const c = connectionFor(ref);
  if (c.down && c.down.kind !== 'pin') {
    const e = probe(c);
    if (e) throw e;
    c.down = undefined;
  } else if (c.down) {
    c.down = undefined;
  }
  const session = ensureSession(c, Date.now(), true, true);
  const lib = c.module.lib;
  const handle = privateHandle(c, ref);
  let info: TokenKeyInfo['token'];
  try {
    const slot = findSlot(c);
    const t = slot ? lib.C_GetTokenInfo(slot) : undefined;
    info = { label: t?.label.trim() ?? '', serial: t?.serialNumber.trim() ?? '', model: t?.model.trim() ?? '', manufacturer: t?.manufacturerID.trim() ?? '' };
  } catch (err) {
    throw wrap(err, `reading the token information of ${c.name}`, 'token');
  }
  let keyType: number;
  let sensitive = false;
  let extractable = true;
  try {
    const attrs = lib.C_GetAttributeValue(session, handle, [{ type: C('CKA_KEY_TYPE') }, { type: C('CKA_SENSITIVE') }, { type: C('CKA_EXTRACTABLE') }]);
    keyType = readUlong(attrs[0]?.value);
    sensitive = readBool(attrs[1]?.value);
    extractable = readBool(attrs[2]?.value);
  } catch (err) {
    throw wrap(err, `reading the attributes of the key (${describeKey(ref)})`, 'key');
  }
  let alg: TokenAlgorithm;
  let publicKey: KeyObject;
  if (keyType === C('CKK_RSA')) {
    alg = 'RS256';
    publicKey = rsaPublicKey(c, session, handle, ref);
  } else if (keyType === C('CKK_EC')) {
    alg = 'ES256';
    publicKey = ecPublicKey(c, session, ref);
  } else {
    throw new TokenError(`the key (${describeKey(ref)}) in ${c.name} is neither RSA nor EC (CKA_KEY_TYPE ${keyType}); FSPIOP signs with RS256 or ES256`, 'key');
  }
  if (alg === 'RS256' && (publicKey.asymmetricKeyDetails?.modulusLength ?? 0) < 2048) {
    throw new TokenError(`the RSA key (${describeKey(ref)}) in ${c.name} is ${publicKey.asymmetricKeyDetails?.modulusLength} bits; FSPIOP requires at least 2048`, 'key');
  }
  remember(c, ref, alg);
  let signature: Buffer;
  try {
    signature = rawSign(c, handle, alg, PROBE_INPUT);
  } catch (err) {
    const e = wrap(err, `test signature with the key (${describeKey(ref)}) in ${c.name}`, 'sign');
    dropSession(c);
    throw e;
  }
  const ok = alg === 'RS256' ? verify('sha256', PROBE_INPUT, publicKey, signature) : verify('sha256', PROBE_INPUT, { key: publicKey, dsaEncoding: 'ieee-p1363' }, signature);
  if (!ok) throw new TokenError(`the test signature of the key (${describeKey(ref)}) in ${c.name} does not verify with its public key: the public and private key objects are not one pair`, 'key');
  return { alg, publicKey, token: info, sensitive, extractable };
}

function rsaPublicKey(c: Connection, session: Buffer, privateKey: Buffer, ref: Pkcs11KeyRef): KeyObject {
  const lib = c.module.lib;
  // The private key object carries modulus and public exponent (PKCS#11 §2.1.3); no public object needed.
  try {
    const [n, e] = lib.C_GetAttributeValue(session, privateKey, [{ type: C('CKA_MODULUS') }, { type: C('CKA_PUBLIC_EXPONENT') }]);
    return createPublicKey({ key: { kty: 'RSA', n: b64url(n?.value), e: b64url(e?.value) }, format: 'jwk' });
  } catch (err) {
    throw wrap(err, `reading the RSA public key (${describeKey(ref)}) in ${c.name}`, 'key');
  }
}

function ecPublicKey(c: Connection, session: Buffer, ref: Pkcs11KeyRef): KeyObject {
  const lib = c.module.lib;
  let found: Buffer[];
  try {
    found = findObjects(c, session, keyTemplate('CKO_PUBLIC_KEY', ref));
  } catch (err) {
    throw wrap(err, `looking up the public key (${describeKey(ref)}) in ${c.name}`, 'key');
  }
  if (found.length !== 1) {
    throw new TokenError(`${found.length === 0 ? 'no' : 'more than one'} EC public key object with ${describeKey(ref)} in ${c.name}: an EC private key does not carry its public point, so the public key object must be stored next to it`, 'key');
  }
  let params: Buffer;
  let point: Buffer;
  try {
    const attrs = lib.C_GetAttributeValue(session, found[0] as Buffer, [{ type: C('CKA_EC_PARAMS') }, { type: C('CKA_EC_POINT') }]);
    params = attrs[0]?.value as Buffer;
    point = attrs[1]?.value as Buffer;
  } catch (err) {
    throw wrap(err, `reading the EC public key (${describeKey(ref)}) in ${c.name}`, 'key');
  }
  if (!Buffer.isBuffer(params) || !params.equals(P256_PARAMS)) throw new TokenError(`the EC key (${describeKey(ref)}) in ${c.name} is not on P-256; ES256 needs P-256`, 'key');
  // CKA_EC_POINT is a DER OCTET STRING around the uncompressed point (PKCS#11 2.40); some modules give the bare point.
  const raw = point.length === 67 && point[0] === 0x04 && point[1] === 0x41 ? point.subarray(2) : point;
  if (raw.length !== 65 || raw[0] !== 0x04) throw new TokenError(`the EC public point of the key (${describeKey(ref)}) in ${c.name} is not an uncompressed P-256 point`, 'key');
  return createPublicKey({ key: { kty: 'EC', crv: 'P-256', x: raw.subarray(1, 33).toString('base64url'), y: raw.subarray(33).toString('base64url') }, format: 'jwk' });
}

function b64url(v: unknown): string {
  if (!Buffer.isBuffer(v)) throw new TokenError('attribute missing', 'key');
  let start = 0;
  while (start < v.length - 1 && v[start] === 0) start++;
  return v.subarray(start).toString('base64url');
}

function readUlong(v: unknown): number {
  if (typeof v === 'number') return v;
  if (Buffer.isBuffer(v)) return v.length >= 8 ? Number(v.readBigUInt64LE(0)) : v.readUInt32LE(0);
  return -1;
}

function readBool(v: unknown): boolean {
  if (typeof v === 'boolean') return v;
  if (Buffer.isBuffer(v)) return v[0] === 1;
  return false;
}

/** A new shared epoch cell for a module, main thread (each ref of one module gets the same one). */
export function moduleEpoch(path: string): Int32Array {
  try {
    return moduleFor(path, undefined).epoch;
  } catch {
    // The module does not load: openTokenKey reports why; the ref still needs a cell.
    return new Int32Array(new SharedArrayBuffer(4));
  }
}

export interface GeneratedKey {
  readonly alg: TokenAlgorithm;
  readonly publicKey: KeyObject;
  readonly keyId: string;
  readonly keyLabel: string;
}

/**
 * Generate a key pair inside the token: the private half sensitive and not extractable (it can
 * never be read out, wrapped or exported), both halves token objects with the same label and id.
 * Refuses when a key with that label or id exists already.
 */
export function generateTokenKey(ref: Omit<Pkcs11KeyRef, 'epoch'> & { keyLabel: string; keyId: string }, alg: TokenAlgorithm, rsaBits = 2048): GeneratedKey {
  const c = connectionFor({ ...ref, epoch: moduleEpoch(ref.module) });
  const lib = c.module.lib;
  initialise(c.module);
  const slot = findSlot(c);
  if (!slot) throw new TokenError(`${c.name} not found (tokens present: ${presentTokens(c)})`, 'token');
  let session: Buffer;
  try {
    session = lib.C_OpenSession(slot, C('CKF_SERIAL_SESSION') | C('CKF_RW_SESSION'));
  } catch (err) {
    throw wrap(err, `opening a read-write session on ${c.name}`, 'token');
  }
  try {
    try {
      lib.C_Login(session, C('CKU_USER'), ref.pin);
    } catch (err) {
      if (binding().ckr(err) !== 'CKR_USER_ALREADY_LOGGED_IN') throw wrap(err, `logging in to ${c.name}`, 'token');
    }
    for (const sel of [{ keyLabel: ref.keyLabel, keyId: undefined }, { keyLabel: undefined, keyId: ref.keyId }]) {
      for (const cls of ['CKO_PRIVATE_KEY', 'CKO_PUBLIC_KEY']) {
        if (findObjects(c, session, keyTemplate(cls, sel)).length > 0) throw new TokenError(`${c.name} already holds a key with ${describeKey(sel)}; choose another label/id (keys in a token are never replaced)`, 'key');
      }
    }
    const id = Buffer.from(ref.keyId, 'hex');
    const common = (priv: boolean): Attribute[] => [
      { type: C('CKA_TOKEN'), value: true },
      { type: C('CKA_LABEL'), value: ref.keyLabel },
      { type: C('CKA_ID'), value: id },
      ...(priv
        ? [
            { type: C('CKA_PRIVATE'), value: true },
            { type: C('CKA_SENSITIVE'), value: true },
            { type: C('CKA_EXTRACTABLE'), value: false },
            { type: C('CKA_SIGN'), value: true },
            { type: C('CKA_DECRYPT'), value: false },
            { type: C('CKA_UNWRAP'), value: false },
          ]
        : [
            { type: C('CKA_PRIVATE'), value: false },
            { type: C('CKA_VERIFY'), value: true },
            { type: C('CKA_ENCRYPT'), value: false },
            { type: C('CKA_WRAP'), value: false },
          ]),
    ];
    const publicTemplate =
      alg === 'RS256'
        ? [...common(false), { type: C('CKA_MODULUS_BITS'), value: rsaBits }, { type: C('CKA_PUBLIC_EXPONENT'), value: Buffer.from([1, 0, 1]) }]
        : [...common(false), { type: C('CKA_EC_PARAMS'), value: P256_PARAMS }];
    try {
      lib.C_GenerateKeyPair(session, { mechanism: C(alg === 'RS256' ? 'CKM_RSA_PKCS_KEY_PAIR_GEN' : 'CKM_EC_KEY_PAIR_GEN') }, publicTemplate, common(true));
    } catch (err) {
      throw wrap(err, `generating the ${alg} key pair in ${c.name}`, 'key');
    }
  } finally {
    try {
      lib.C_CloseSession(session);
    } catch {
      // The key pair is stored (or the error above says why not); the session is done with either way.
    }
  }
  const opened = openTokenKey({ ...ref, epoch: c.module.epoch });
  return { alg: opened.alg, publicKey: opened.publicKey, keyId: ref.keyId, keyLabel: ref.keyLabel };
}

/** Main thread, for commands that exit: close every session and finalise every module. */
export function closeAllTokens(): void {
  for (const c of connections.values()) {
    if (c.timer) clearTimeout(c.timer);
    dropSession(c);
    c.closed = true;
  }
  connections.clear();
  if (!isMainThread) return;
  for (const m of modules.values()) {
    try {
      m.lib.C_Finalize();
    } catch {
      // Not initialised.
    }
  }
  modules.clear();
}
