import { randomBytes, randomFillSync } from 'node:crypto';

/** Crockford base32 alphabet (no I, L, O, U): unambiguous when read aloud or retyped. */
const CROCKFORD = '0123456789ABCDEFGHJKMNPQRSTVWXYZ';

const pool = new Uint8Array(4096);
let poolAt = pool.length;

/** Linkage IDs: "L" followed by 16 Crockford base32 characters (80 random bits). */
export const LINKAGE_ID = /^L[0-9A-HJKMNP-TV-Z]{16}$/;

/**
 * A fresh linkage ID from the operating system's CSPRNG. It carries no
 * information: it is never derived from PII, CLKs, record ids or time, so
 * it cannot be reversed or recomputed by anyone.
 */
export function newLinkageId(): string {
  // The bytes come from a pool refilled 4 KiB at a time: one CSPRNG call per
  // 409 IDs, not one per ID (a run minting millions of IDs spent most of that step in the call).
  if (poolAt + 10 > pool.length) {
    randomFillSync(pool);
    poolAt = 0;
  }
  const start = poolAt;
  poolAt += 10;
  let out = 'L';
  let acc = 0;
  let bits = 0;
  for (let i = start; i < start + 10; i++) {
    acc = (acc << 8) | pool[i]!;
    bits += 8;
    while (bits >= 5) {
      bits -= 5;
      out += CROCKFORD[(acc >>> bits) & 31];
    }
    acc &= (1 << bits) - 1;
  }
  return out;
}

/** A run id: UTC time (sortable, readable) plus 32 random bits. */
export function newRunId(now = new Date()): string {
  const t = now.toISOString().replace(/[-:]/g, '').replace(/\.\d+Z$/, 'Z');
  return `run-${t}-${randomBytes(4).toString('hex')}`;
}
