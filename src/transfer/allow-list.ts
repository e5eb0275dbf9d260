import { lstat, readdir } from 'node:fs/promises';
import { dirname, join, resolve } from 'node:path';
import { P20Error } from '../errors.js';
import { checkPartyName } from '../format/party.js';
import { FINGERPRINT_RE, loadPublicKeys, type PublicKeyInfo } from './keys.js';
import { fsErrorText, readSmallText } from './secure-file.js';

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
 *    `parties` (optional, default [name]) lists the party labels this sender
 *    may submit encoded data for — e.g. a state agency that uploads for two
 *    districts: "parties": ["district-a", "district-b"]. A party label may
 *    belong to one sender only.
 * 2. a directory: every `NAME.pub.pem` in it allows sender NAME, for party
 *    NAME only. Symbolic links, names that differ only in letter case and
 *    `*.PUB.PEM`-style variants are refused (never skipped); other files are
 *    ignored.
 *
 * In both forms, a key file whose `# p20link NAME …` comment names another
 * party, or whose comment fingerprint differs from its key, is refused.
 */
export interface AllowedSender {
  name: string;
  sign: PublicKeyInfo;
  source: string;
  /** Party labels this sender may submit encoded data for (always non-empty). */
  parties: string[];
}

export interface AllowList {
  source: string;
  senders: Map<string, AllowedSender>;
}

function add(list: AllowList, s: AllowedSender): void {
  for (const o of list.senders.keys()) {
    if (o.toLowerCase() === s.name.toLowerCase()) {
      throw new P20Error('ALLOW_DUPLICATE', o === s.name ? `allow-list names sender "${s.name}" twice` : `senders "${o}" and "${s.name}" differ only in letter case`, { file: list.source });
    }
  }
  for (const o of list.senders.values()) {
    if (o.sign.fingerprint === s.sign.fingerprint) {
      throw new P20Error('ALLOW_DUPLICATE', `senders "${o.name}" and "${s.name}" have the same signing key`, { file: list.source });
    }
  }
  for (const p of s.parties) {
    for (const o of list.senders.values()) {
      if (o.parties.includes(p)) throw new P20Error('ALLOW_DUPLICATE', `party "${p}" is claimed by both senders "${o.name}" and "${s.name}"; a party may have one sender`, { file: list.source });
    }
  }
  if (s.sign.commentName !== undefined && s.sign.commentName !== s.name) {
    throw new P20Error('ALLOW_KEY_NAME', `the key file for sender "${s.name}" says it is ${JSON.stringify(s.sign.commentName)}'s key (wrong or substituted file)`, { file: s.source });
  }
  list.senders.set(s.name, s);
}

/** The sender allowed to submit for `party`, if any. */
export function senderForParty(list: AllowList, party: string): AllowedSender | undefined {
  for (const s of list.senders.values()) if (s.parties.includes(party)) return s;
  return undefined;
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
      if (!['name', 'publicKey', 'fingerprint', 'parties'].includes(k)) throw new P20Error('ALLOW_PARSE', `unknown field "${k}"`, { file: path, field });
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
    let parties = [name];
    if (s.parties !== undefined) {
      if (!Array.isArray(s.parties) || s.parties.length === 0) throw new P20Error('ALLOW_PARSE', 'parties must be a non-empty list of party names', { file: path, field: `${field}.parties` });
      parties = (s.parties as unknown[]).map((x, j) => checkPartyName(x, `${field}.parties[${j}]`));
      if (new Set(parties).size !== parties.length) throw new P20Error('ALLOW_PARSE', 'parties lists a name twice', { file: path, field: `${field}.parties` });
    }
    add(list, { name, sign: keys.sign, source: keyPath, parties });
  }
  return list;
}

export async function loadAllowDir(dir: string): Promise<AllowList> {
  let names: string[];
  try {
    names = await readdir(dir);
  } catch (e) {
    throw new P20Error('ALLOW_DIR', `cannot read allow-list directory: ${fsErrorText(e)}`, { file: dir });
  }
  const list: AllowList = { source: dir, senders: new Map() };
  const files: { name: string; path: string }[] = [];
  const lower = new Map<string, string>();
  for (const f of names.sort()) {
    if (!/\.pub\.pem$/i.test(f)) continue;
    const p = join(dir, f);
    if (!f.endsWith('.pub.pem')) {
      throw new P20Error('ALLOW_DIR', `key file name ${JSON.stringify(f)} must end in ".pub.pem" exactly (lower case)`, { file: p });
    }
    const name = checkPartyName(f.slice(0, -'.pub.pem'.length), `${f} (sender name)`);
    const prev = lower.get(name.toLowerCase());
    if (prev !== undefined) throw new P20Error('ALLOW_DUPLICATE', `senders "${prev}" and "${name}" differ only in letter case`, { file: dir });
    lower.set(name.toLowerCase(), name);
    files.push({ name, path: p });
  }
  for (const { name, path: p } of files) {
    const st = await lstat(p);
    if (st.isSymbolicLink()) throw new P20Error('ALLOW_DIR', 'is a symbolic link; copy the key file into the allow-list directory instead', { file: p });
    if (!st.isFile()) throw new P20Error('ALLOW_DIR', 'is not a regular file', { file: p });
    const keys = await loadPublicKeys(p);
    add(list, { name, sign: keys.sign, source: p, parties: [name] });
  }
  if (list.senders.size === 0) throw new P20Error('ALLOW_EMPTY', 'allow-list directory has no NAME.pub.pem files', { file: dir });
  return list;
}
