import { P20Error } from '../errors.js';
import type { EncodedHeader } from '../format/encoded-file.js';
import type { PartyData } from './types.js';
import { popcountBytes, popcountWords } from '../util/popcount.js';
import { sharedBytes, sharedU32 } from '../util/typed-arrays.js';

/**
 * Packing: one party's CLKs laid out back to back, each padded with zero
 * bytes to a multiple of 8 bytes (`stride`), so the kernel can read them as
 * 64-bit words. Popcounts are computed once here.
 */

/** Bytes per packed CLK for an l-bit CLK: ceil(l/8) rounded up to a multiple of 8. */
export function strideFor(l: number): number {
  if (!Number.isInteger(l) || l <= 0) throw new P20Error('LINK_CLK_LENGTH', `CLK length must be a positive whole number of bits, got ${l}`);
  return Math.ceil(Math.ceil(l / 8) / 8) * 8;
}

/**
 * Pack unpadded CLKs (each exactly ceil(l/8) bytes) into one buffer of
 * `count * stride` bytes. Bits beyond l must be zero (they would otherwise
 * count in the popcount); a CLK of the wrong length or with stray bits is
 * refused, naming the record.
 */
export function packClks(clks: readonly Uint8Array[], l: number, file = '', ids?: readonly string[]): { stride: number; clks: Uint8Array; popcounts: Uint32Array } {
  const stride = strideFor(l);
  const bytes = Math.ceil(l / 8);
  // shared memory: the match model's compare workers read the matrices in place (src/link/model/compare-pool.ts)
  const out = sharedBytes(clks.length * stride);
  const pops = sharedU32(clks.length);
  // bit i is byte i >> 3, mask 0x80 >> (i & 7) (clkhash's big-endian order): the bits beyond l are the LOW bits of the last byte
  const tailMask = l % 8 === 0 ? 0 : (1 << (8 - (l % 8))) - 1;
  const where = (i: number) => (ids?.[i] !== undefined ? `record ${JSON.stringify(ids[i])}` : `record ${i + 1}`);
  // the stride is a multiple of 8 bytes and the padding is zero: popcounts by 32-bit words of the packed copy
  const words = new Uint32Array(out.buffer, out.byteOffset, out.length >>> 2);
  const wordsPer = stride >>> 2;
  for (let i = 0; i < clks.length; i++) {
    const c = clks[i]!;
    if (c.length !== bytes) {
      throw new P20Error('LINK_CLK_LENGTH', `${where(i)}: CLK has ${c.length} bytes, expected ${bytes} for l=${l}`, file ? { file } : {});
    }
    if (tailMask !== 0 && (c[bytes - 1]! & tailMask) !== 0) {
      throw new P20Error('LINK_CLK_LENGTH', `${where(i)}: CLK has bits set beyond bit ${l}`, file ? { file } : {});
    }
    out.set(c, i * stride);
    pops[i] = popcountWords(words, i * wordsPer, (i + 1) * wordsPer);
  }
  return { stride, clks: out, popcounts: pops };
}

export interface PartyDataInit {
  name: string;
  file: string;
  header: EncodedHeader;
  ids: string[];
  /** Unpadded CLKs, ceil(header.l / 8) bytes each, in record order. */
  clks: Uint8Array[];
  /** Keyed blocking values by block name, one per record ("" = missing). */
  blocks: Record<string, string[]>;
}

/** Build a PartyData, validating that ids, CLKs and block columns line up. */
export function makePartyData(init: PartyDataInit): PartyData {
  const { name, file, header, ids, clks, blocks } = init;
  if (ids.length !== clks.length) {
    throw new P20Error('LINK_PARTY_SHAPE', `party "${name}": ${ids.length} ids but ${clks.length} CLKs`, { file });
  }
  for (const [b, vals] of Object.entries(blocks)) {
    if (vals.length !== ids.length) {
      throw new P20Error('LINK_PARTY_SHAPE', `party "${name}": block "${b}" has ${vals.length} values for ${ids.length} records`, { file });
    }
  }
  const packed = packClks(clks, header.l, file, ids);
  return { name, file, header, ids, count: ids.length, stride: packed.stride, clks: packed.clks, popcounts: packed.popcounts, blocks };
}

/**
 * Build a PartyData from CLKs that are already packed (count * stride bytes,
 * padding zero), e.g. synthetic benchmark data. Popcounts are computed here.
 */
export function makePackedPartyData(init: Omit<PartyDataInit, 'clks'> & { clks: Uint8Array }): PartyData {
  const { name, file, header, ids, clks, blocks } = init;
  const stride = strideFor(header.l);
  if (clks.length !== ids.length * stride) {
    throw new P20Error('LINK_PARTY_SHAPE', `party "${name}": packed CLKs have ${clks.length} bytes, expected ${ids.length} x ${stride}`, { file });
  }
  for (const [b, vals] of Object.entries(blocks)) {
    if (vals.length !== ids.length) {
      throw new P20Error('LINK_PARTY_SHAPE', `party "${name}": block "${b}" has ${vals.length} values for ${ids.length} records`, { file });
    }
  }
  const pops = new Uint32Array(ids.length);
  for (let i = 0; i < ids.length; i++) pops[i] = popcountBytes(clks.subarray(i * stride, (i + 1) * stride));
  return { name, file, header, ids, count: ids.length, stride, clks, popcounts: pops, blocks };
}
