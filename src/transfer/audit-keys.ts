import type { AuditSigner, AuditVerifier } from '../store/audit-log.js';
import { pssSign, pssVerify, type PrivateKeys, type PublicKeys } from './keys.js';

/** Seal the audit log with the linker's signing key (RSASSA-PSS-SHA256, Node crypto). */
export function auditSignerFromKeys(keys: PrivateKeys): AuditSigner {
  return { fingerprint: keys.sign.fingerprint, sign: (m) => pssSign(keys.sign.key, m) };
}

/** Check audit-log seals against the linker's public signing key. */
export function auditVerifierFromKeys(keys: PublicKeys): AuditVerifier {
  return { fingerprint: keys.sign.fingerprint, verify: (m, s) => pssVerify(keys.sign.key, m, s) };
}
