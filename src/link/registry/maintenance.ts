import { P20Error } from '../../errors.js';
import { openAtomic } from '../../io/atomic-file.js';
import { openCsv, csvLine } from '../../io/csv.js';
import type { Db } from '../../store/db.js';
import { checkPartyName, fileSha256, loadParty, readInputHeaders, type InputSpec } from '../load.js';
import { recordEncoding } from './incremental.js';
import { SqliteRegistryStorage } from './sqlite-storage.js';
import type { PartyData } from '../types.js';
import type { ForgetResult, RecordEncoding, RekeyResult } from './storage.js';

/**
 * Registry upkeep (`p20link registry forget | export | rekey`,
 * docs/registry.md): withdrawing records, an agency's export of its own
 * records' linkage IDs, and key rotation. Each takes the linker store opened
 * by the caller (`openLinkerStore`, the one way to open it).
 */

export interface ForgetOptions {
  party: string;
  /** CSV with a `record_id` column: the records to withdraw. */
  records: string;
}

/** Read the record ids of a forget list (a CSV with a record_id column). */
async function readRecordIds(file: string): Promise<string[]> {
  const t = await openCsv(file);
  const col = t.header.indexOf('record_id');
  if (col < 0) throw new P20Error('REGISTRY_FORGET_INPUT', `has no record_id column (columns: ${t.header.join(', ')})`, { file, line: 1 });
  const ids: string[] = [];
  for await (const batch of t.batches) {
    for (const r of batch) {
      const v = r.fields[col] ?? '';
      if (v === '') throw new P20Error('REGISTRY_FORGET_INPUT', 'empty record id', { file, line: r.line, field: 'record_id' });
      ids.push(v);
    }
  }
  if (ids.length === 0) throw new P20Error('REGISTRY_FORGET_INPUT', 'lists no record ids', { file });
  return ids;
}

/**
 * Withdraw records of one party: their encodings, band keys and
 * memberships are deleted (SQLite secure delete, WAL truncated), entities
 * left without records are retired (their IDs are never handed out again),
 * and the audit log records the count, the party and the list's SHA-256
 * (never the ids).
 */
export async function forgetRecords(db: Db, o: ForgetOptions): Promise<ForgetResult> {
  checkPartyName(o.party, o.records);
  const ids = await readRecordIds(o.records);
  const digest = await fileSha256(o.records);
  return new SqliteRegistryStorage(db).forget(o.party, ids, { fileSha256: digest });
}

export interface ExportOptions {
  party: string;
  out: string;
}

/** Write `linkage_id,party,record_id` for one party's records only (sorted by record id; 0600, atomic). Returns the row count. */
export async function exportRegistry(db: Db, o: ExportOptions): Promise<number> {
  checkPartyName(o.party, o.out);
  const storage = new SqliteRegistryStorage(db);
  const f = openAtomic(o.out);
  let n = 0;
  try {
    await f.write(csvLine(['linkage_id', 'party', 'record_id']));
    let buf: string[] = [];
    for (const r of storage.exportParty(o.party)) {
      buf.push(csvLine([r.entity, o.party, r.recordId]));
      n++;
      if (buf.length >= 4096) {
        await f.write(buf.join(''));
        buf = [];
      }
    }
    if (buf.length > 0) await f.write(buf.join(''));
    await f.commit();
    return n;
  } catch (e) {
    await f.abort().catch(() => undefined);
    throw e;
  }
}

export interface RekeyOptions {
  /** Every registered record re-encoded under the new secret, one file per party. */
  inputs: InputSpec[];
}

/**
 * Key rotation: map re-encoded records onto their existing linkage IDs by
 * (party, record id) and replace every stored encoding and band key, in one
 * transaction. Refuses files that disagree among themselves (secret, schema,
 * CLK length), a schema or CLK length other than the registry's, records
 * the registry does not know, and a rotation that leaves any stored
 * encoding under the old secret.
 */
export async function rekeyRegistry(db: Db, o: RekeyOptions): Promise<RekeyResult> {
  const headers = await readInputHeaders(o.inputs);
  const storage = new SqliteRegistryStorage(db);
  const cfg = storage.config();
  if (!cfg) throw new P20Error('REGISTRY_MISSING', 'this store holds no registered encodings to re-key', { file: db.name });
  const first = headers[0];
  if (!first) throw new P20Error('LINK_TOO_FEW_INPUTS', 'a key rotation needs the re-encoded files');
  const parties = new Set<string>();
  for (const h of headers) {
    if (parties.has(h.party)) throw new P20Error('REGISTRY_DUPLICATE_PARTY', `party name "${h.party}" is given twice; one file per party`, { file: h.file });
    parties.add(h.party);
    if (h.header.keyCheckValue !== first.header.keyCheckValue) {
      throw new P20Error('REGISTRY_KEY_MISMATCH', `was encoded with a different secret than ${first.file}; every file of a key rotation must use the one new secret`, { file: h.file });
    }
    if (h.header.schemaFingerprint !== cfg.schemaFingerprint || h.header.l !== cfg.l) {
      throw new P20Error('REGISTRY_SCHEMA_MISMATCH', `was encoded with another linkage schema or CLK length than the registry's encodings (${cfg.schemaFingerprint}, ${cfg.l} bits)`, { file: h.file });
    }
  }
  // the files as loaded (packed); their records are handed to the store one at a time (the index is rebuilt from what is stored)
  const loaded: PartyData[] = [];
  const digests: { party: string; sha256: string; records: number }[] = [];
  for (const h of headers) {
    const p = await loadParty(h.file, h.party);
    loaded.push(p);
    digests.push({ party: h.party, sha256: await fileSha256(h.file), records: p.count });
  }
  function* records(): Generator<RecordEncoding> {
    for (const p of loaded) for (let i = 0; i < p.count; i++) yield recordEncoding(p, i);
  }
  return storage.rekey({ ...cfg, keyCheckValue: first.header.keyCheckValue }, records(), {
    type: 'registry-rekey',
    detail: { inputs: digests, records: digests.reduce((t, d) => t + d.records, 0), schemaFingerprint: cfg.schemaFingerprint },
  });
}
