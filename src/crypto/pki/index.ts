/**
 * The PKI toolkit: everything the seed procedure needs (CA, server and client certificates, CSRs,
 * signing the other party's CSR under the scheme policy, JWS keys, inspection, the onboarding
 * kit), as functions returning PEM strings. Used by `dfsp-sidecar pki`, the dev profile, tests
 * (through test/helpers/pki.ts) and benches.
 */
export {
  DEFAULT_CA_DAYS,
  DEFAULT_LEAF_DAYS,
  createCa,
  createClientCert,
  createServerCert,
  loadCa,
  parseCertificate,
  parseCertificates,
  type CaMaterial,
  type CertificateInfo,
  type CreateCaOptions,
  type CreateLeafOptions,
  type IssuedCert,
  type KeyOptions,
  type ValidityOptions,
} from './certificate.js';
export { verifyChain, type ChainResult, type VerifyChainOptions } from './chain.js';
export {
  EMPTY_REVOCATION_DB,
  REVOCATION_REASONS,
  issueCrl,
  parseRevocationDb,
  revoke,
  type IssuedCrl,
  type RevocationDb,
  type RevocationReason,
  type RevokedEntry,
} from './crl.js';
export { createCsr, parseCsr, parseCsrPem, type CreateCsrOptions, type CsrInfo, type CsrMaterial } from './csr.js';
export { PkiError, PkiInputError, PkiPolicyError, PkiVerificationError, isPkiError, type Violation } from './errors.js';
export type { ExtensionSummary, Profile, SubjectAltNames } from './extensions.js';
export { KEY_MODE, PUBLIC_MODE, checkTargets, ensureDir, writeFileSafe, writeFilesSafe, type OutputFile, type WriteOptions } from './files.js';
export { formatCertificate, formatChain, formatCsr, formatInspection, formatViolations, shortTime } from './format.js';
export {
  inspect,
  readObjects,
  summariseCertificate,
  summariseCsr,
  type CertificateSummary,
  type CsrSummary,
  type InspectedItem,
  type Inspection,
  type PkiObject,
} from './inspect.js';
export { ES256_NO_P12, checkFspId, createJwsKeys, type CreateJwsKeysOptions, type JwsAlg, type JwsKeys } from './jws-keys.js';
export {
  describeKey,
  generateKeyPair,
  loadPrivateKey,
  loadPublicKey,
  privateKeyPem,
  publicKeyPem,
  spkiSha256,
  type KeyDescription,
  type KeyPair,
  type KeyType,
} from './keys.js';
export { buildKit, kitFileNames, type ChecklistStep, type Kit, type KitInput, type KitInputFile, type KitManifest } from './kit.js';
export type { SubjectFields } from './names.js';
export { buildPkcs12, readPkcs12, type Pkcs12Contents } from './pkcs12.js';
export {
  POLICY_RULES,
  SCHEME_POLICY,
  checkCertificatePolicy,
  checkCsrPolicy,
  planCsrSigning,
  signCsr,
  withEc,
  type CsrPolicy,
  type PolicyCheckOptions,
  type SignCsrOptions,
  type SigningPlan,
} from './policy.js';
