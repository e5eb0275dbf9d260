/**
 * Where everything lives in the kernel's linear memory. The main thread
 * computes the layout once, fills CLKs, popcounts and band keys, and each
 * worker (or the main thread itself) gets its own scratch slot for sorted
 * orders, the bucket table and the output buffer.
 */
export interface Slot {
  orderA: number;
  orderB: number;
  table: number;
  tableCap: number;
  out: number;
  outCap: number;
}

export interface Layout {
  stride: number;
  nA: number;
  nB: number;
  within: boolean;
  /** Bands (0 = all pairs). */
  nb: number;
  clkA: number;
  popA: number;
  clkB: number;
  popB: number;
  keysA: number;
  keysB: number;
  /** MinHash permutations (u16) of each LSH part, in part order. */
  perms: number[];
  slots: Slot[];
  /** Bytes needed. */
  total: number;
}

/** All-pairs tiling: A rows x B rows per kernel call (B tile = 512 KiB of 1024-bit CLKs). */
export const RECT_TILE_A = 32;
export const RECT_TILE_B = 4096;

export function planLayout(nA: number, nB: number, stride: number, within: boolean, nb: number, nSlots: number, permBytes: number[] = []): Layout {
  let at = 1024;
  const take = (bytes: number): number => {
    const p = at;
    at += Math.ceil(bytes / 16) * 16;
    return p;
  };
  const clkA = take(nA * stride);
  const popA = take(nA * 4);
  const clkB = within ? clkA : take(nB * stride);
  const popB = within ? popA : take(nB * 4);
  const keysA = take(nA * nb * 4);
  const keysB = within ? keysA : take(nB * nb * 4);
  const perms = permBytes.map((b) => take(b));
  const slots: Slot[] = [];
  for (let s = 0; s < nSlots; s++) {
    const orderA = nb > 0 ? take(nA * 4) : 0;
    const orderB = nb > 0 && !within ? take(nB * 4) : orderA;
    const tableCap = nb > 0 ? Math.max(1, within ? Math.floor(nA / 2) : Math.min(nA, nB)) : 0;
    const table = nb > 0 ? take(tableCap * 16) : 0;
    const outCap = Math.max(nb > 0 ? 1 : RECT_TILE_A * RECT_TILE_B, nb > 0 ? Math.max(nA, nB, 4096) : 0);
    const out = take(outCap * 12);
    slots.push({ orderA, orderB, table, tableCap, out, outCap });
  }
  return { stride, nA, nB, within, nb, clkA, popA, clkB, popB, keysA, keysB, perms, slots, total: at };
}
