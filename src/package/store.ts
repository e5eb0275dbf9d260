import { openLinkerStore, type OpenLinkerStoreOptions } from '../store/linker-store.js';
import type { Db } from '../store/db.js';

/**
 * Open the linker's store for the package commands. Kept for callers of the
 * earlier API; it is `openLinkerStore` (src/store/linker-store.ts).
 */
export function openPackageStore(path: string, opts: OpenLinkerStoreOptions = {}): Db {
  return openLinkerStore(path, opts);
}
