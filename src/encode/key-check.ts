/**
 * Key check value (KCV): lets a linker see that two parties encoded with the
 * same linkage secret without learning anything usable about it.
 *
 *   K   = HKDF-SHA256(ikm = secret, salt = "p20link/key-check/v1", info = "key check value", 32 bytes)
 *   KCV = lowercase hex of the first 16 bytes of HMAC-SHA256(K, "p20link key check value v1")
 *
 * (strings as UTF-8 bytes; 32 hex characters). The derivation is one-way and
 * domain-separated from clkhash's key derivation (different salt and info),
 * so the KCV reveals neither the secret nor the CLK keys; with a
 * high-entropy secret it does not allow guessing the secret either.
 * protocols/linkage-schema.md documents it.
 */
import { hkdf } from '@noble/hashes/hkdf.js';
import { hmac } from '@noble/hashes/hmac.js';
import { sha256 } from '@noble/hashes/sha2.js';
import { bytesToHex } from '@noble/hashes/utils.js';

const enc = new TextEncoder();
const SALT = enc.encode('p20link/key-check/v1');
const INFO = enc.encode('key check value');
const MESSAGE = enc.encode('p20link key check value v1');

export function keyCheckValue(secret: Uint8Array): string {
  const k = hkdf(sha256, secret, SALT, INFO, 32);
  const mac = hmac(sha256, k, MESSAGE);
  k.fill(0);
  return bytesToHex(mac.subarray(0, 16));
}
