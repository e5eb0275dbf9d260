/**
 * Transfer, the secure hand-off between agencies and the linker: keys, the
 * shared linkage secret (writer and reader), signed + encrypted packages
 * (encoded extracts in, link results out) and the allow-list of agency keys.
 * Accepting a package records it in a store (src/store/: the linker's replay
 * table and audit log, an agency's result ledger). See
 * protocols/package-format.md.
 */
export { newSecret, newSecretText, SECRET_BYTES, loadSecret, isStrongSecretText, MIN_SECRET_CHARS, MIN_SECRET_BYTES, type SecretSource } from './secret.js';
export {
  generateKeyPair,
  loadPublicKeys,
  loadPrivateKeys,
  keyFileFingerprints,
  readPassphrase,
  fingerprintSpkiDer,
  encryptPkcs8Der,
  oaepWrap,
  oaepUnwrap,
  pssSign,
  pssVerify,
  DEFAULT_MODULUS_BITS,
  DEFAULT_KDF_ITERATIONS,
  type GenerateKeyPairOptions,
  type GeneratedKeys,
  type PublicKeys,
  type PrivateKeys,
  type PublicKeyInfo,
  type PrivateKeyInfo,
  type PassphraseSource,
} from './keys.js';
export { loadAllowList, loadAllowDir, senderForParty, type AllowList, type AllowedSender } from './allow-list.js';
export { packageFile, type PackageFileOptions, type PackageFileResult } from './package-file.js';
export { unpackFile, REFUSAL_CODES, MAX_REFUSAL_MESSAGE, type UnpackFileOptions, type UnpackFileResult } from './unpack-file.js';
export {
  MAGIC,
  PACKAGE_FORMAT,
  PACKAGE_VERSION,
  DEFAULT_CHUNK_SIZE,
  MIN_CHUNK_SIZE,
  parseHeader,
  parseCanonical,
  type PackageHeader,
  type PackageManifest,
  type PackageKind,
} from './envelope.js';
export { auditSignerFromKeys, auditVerifierFromKeys } from './audit-keys.js';
