import { join } from 'node:path';
import { openLinkerStore } from '../../src/store/linker-store.js';
import { SqliteRegistryStorage } from '../../src/link/registry/sqlite-storage.js';
import { tempDir } from '../helpers/tmp.js';
import { registryStorageContract } from './registry-storage-contract.js';

const dir = tempDir('p20-registry-storage-');
let n = 0;
registryStorageContract('SQLite (linker store)', () => new SqliteRegistryStorage(openLinkerStore(join(dir, `r${++n}.db`)), { ownsDb: true }));
