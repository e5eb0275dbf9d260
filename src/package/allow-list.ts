import { readdir } from 'node:fs/promises';
import { dirname, join, resolve } from 'node:path';
import { P20Error } from '../errors.js';
import { FINGERPRINT_RE, checkPartyName, loadPublicKeys, type PublicKeyInfo } from './keys.js';
import { readSmallText } from './secure-file.js';

/**
 * The allow-list: which senders' packages a party accepts, by name and
 * signing key. Two ways to give it:
 *
 * 1. a JSON file
 *      { "format": "p20link/allowlist", "version": 1,
 *        "senders": [ { "name": "k12", "publicKey": "keys/k12.pub.pem",
 *                       "fingerprint": "sha256:…" } ] }
 *    `publicKey` is resolved relative to the allow-list file; `fingerprint`
 *    (optional) pins the signing key: loading fails if the file differs.
 * 2. a directory: every `NAME.pub.pem` in it allows sender NAME.
 */
export interface AllowedSender {
  name: string;
  sign: PublicKeyInfo;
  source: string;
}

export interface AllowList {
  source: string;
  senders: Map<string, AllowedSender>;
}

function add(list: AllowList, s: AllowedSender): void {
  if (list.senders.has(s.name)) throw new P20Error('ALLOW_DUPLICATE', `allow-list names sender "${s.name}" twice`, { file: list.source });
  for (const o of list.senders.values()) {
    if (o.sign.fingerprint === s.sign.fingerprint) {
      throw new P20Error('ALLOW_DUPLICATE', `senders "${o.name}" and "${s.name}" have the same signing key`, { file: list.source });
    }
  }
  list.senders.set(s.name, s);
}

export async function loadAllowList(path: string): Promise<AllowList> {
  const text = await readSmallText(path, 'allow-list');
  let j: unknown;
  try {
    j = JSON.parse(text);
  } catch (e) {
    throw new P20Error('ALLOW_PARSE', `allow-list is not valid JSON (${(e as Error).message})`, { file: path });
  }
  const o = j as Record<string, unknown>;
  if (typeof j !== 'object' || j === null || o.format !== 'p20link/allowlist' || o.version !== 1 || !Array.isArray(o.senders)) {
    throw new P20Error('ALLOW_PARSE', 'allow-list must be {"format":"p20link/allowlist","version":1,"senders":[…]}', { file: path });
  }
  const list: AllowList = { source: path, senders: new Map() };
  for (const [i, e] of (o.senders as unknown[]).entries()) {
    const field = `senders[${i}]`;
    if (typeof e !== 'object' || e === null) throw new P20Error('ALLOW_PARSE', 'entry must be an object', { file: path, field });
    const s = e as Record<string, unknown>;
    for (const k of Object.keys(s)) {
      if (!['name', 'publicKey', 'fingerprint'].includes(k)) throw new P20Error('ALLOW_PARSE', `unknown field "${k}"`, { file: path, field });
    }
    const name = checkPartyName(s.name, `${field}.name`);
    if (typeof s.publicKey !== 'string' || s.publicKey.length === 0) throw new P20Error('ALLOW_PARSE', 'publicKey must be a path to the sender\'s NAME.pub.pem', { file: path, field: `${field}.publicKey` });
    const keyPath = resolve(dirname(path), s.publicKey);
    const keys = await loadPublicKeys(keyPath);
    if (s.fingerprint !== undefined) {
      if (typeof s.fingerprint !== 'string' || !FINGERPRINT_RE.test(s.fingerprint)) {
        throw new P20Error('ALLOW_PARSE', 'fingerprint must be "sha256:" + 64 hex digits', { file: path, field: `${field}.fingerprint` });
      }
      if (s.fingerprint !== keys.sign.fingerprint) {
        throw new P20Error('ALLOW_PIN', `pinned fingerprint ${s.fingerprint} does not match the signing key in ${keyPath} (${keys.sign.fingerprint})`, { file: path, field: `${field}.fingerprint` });
      }
    }
    add(list, { name, sign: keys.sign, source: keyPath });
  }
  return list;
}

export async function loadAllowDir(dir: string): Promise<AllowList> {
  let names: string[];
  try {
    names = await readdir(dir);
  } catch (e) {
    throw new P20Error('ALLOW_DIR', `cannot read allow-list directory: ${(e as NodeJS.ErrnoException).code ?? String(e)}`, { file: dir });
  }
  const list: AllowList = { source: dir, senders: new Map() };
  for (const f of names.filter((n) => n.endsWith('.pub.pem')).sort()) {
    const name = checkPartyName(f.slice(0, -'.pub.pem'.length), `${f} (sender name)`);
    const keys = await loadPublicKeys(join(dir, f));
    add(list, { name, sign: keys.sign, source: join(dir, f) });
  }
  if (list.senders.size === 0) throw new P20Error('ALLOW_EMPTY', 'allow-list directory has no NAME.pub.pem files', { file: dir });
  return list;
}
