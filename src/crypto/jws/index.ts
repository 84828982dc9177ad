/**
 * FSPIOP JWS engine: sign outbound requests, verify inbound ones, hold peer keys.
 * See docs/jws.md for the wire rules, the interop matrix and the measured performance.
 */
export {
  ALGORITHMS,
  DEFAULT_ALGORITHMS,
  isJwsAlgorithm,
  type JwsAlgorithm,
  type KeyKind,
  type SigningAlgorithm,
} from './algorithms.js';
export { canonicalizeJson, MAX_JSON_DEPTH, type UnsignableReason } from './canonical.js';
export { stringifySorted } from './reserialise.js';
export { checkSignedHeaders, type DestinationPolicy, type HeaderCheckReason } from './header-checks.js';
export {
  buildPeerKeySet,
  EMPTY_PEER_KEY_SET,
  keysForSource,
  loadPeerKeys,
  scanKeyDirectory,
  type KeyDirectoryScan,
  type KeyFileError,
  type PeerKeyFileRecord,
  type PeerKeyLoad,
  type PeerKeySet,
} from './key-store.js';
export { createPeerKeyWatcher, type PeerKeyWatcher, type PeerKeyWatcherOptions } from './key-watcher.js';
export { keyFileName, parsePeerKeyFile, type KeySlot, type PeerKey } from './peer-key.js';
export { FSPIOP_RESOURCES, fspiopResource, fspiopUri, leadingResource, type FspiopResource } from './resource.js';
export { DEFAULT_SIGN_POLICY, fspiopDate, signRequest, type SignInput, type SignPolicy, type SignResult } from './sign.js';
export { buildProtectedHeader, decodeProtectedHeader, formatSignatureHeader, parseSignatureHeader } from './signature-header.js';
export { loadSigningKey, spkiFingerprint, type FileSigningKey, type SigningKey, type TokenSigningKey } from './signing-key.js';
export {
  createVerifyPolicy,
  DEFAULT_VERIFY_POLICY,
  DEFAULT_VERIFY_POLICY_OPTIONS,
  VERIFY_REASON_CODES,
  VERIFY_REASONS,
  requestLineProblem,
  verifyRequest,
  type Exempted,
  type Exemption,
  type MatchedEncoding,
  type Verified,
  type VerifyFailure,
  type VerifyInput,
  type VerifyPolicy,
  type VerifyPolicyOptions,
  type VerifyReason,
  type VerifyResult,
} from './verify.js';
