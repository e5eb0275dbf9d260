import { createReadStream } from 'node:fs';
import { createHash } from 'node:crypto';
import { P20Error, fsError } from '../errors.js';
import { openEncoded, readEncodedHeader, type EncodedHeader } from '../format/encoded-file.js';
import { PARTY_NAME } from '../format/party.js';
import { silentProgress, type Progress } from '../io/progress.js';
import { makePartyData, packClks } from './pack.js';
import type { PartyData } from './types.js';

/**
 * The linker's boundary: read the headers of every input, refuse any set of
 * files that cannot be linked together (different secret, schema or CLK
 * length; duplicate party names; fewer than two files), and only then load
 * the bodies. Every body row is validated by the encoded-file reader (bad
 * base64, wrong bit length, duplicate ids, truncation raise P20Error naming
 * file and line).
 */

export interface InputSpec {
  file: string;
  /** Overrides the party label written in the file's header. */
  party?: string;
}

export interface InputHeader {
  file: string;
  header: EncodedHeader;
  /** Effective party label (override or header). */
  party: string;
}

export function checkPartyName(name: string, file: string): void {
  if (!PARTY_NAME.test(name)) {
    throw new P20Error(
      'LINK_PARTY_NAME',
      `party name ${JSON.stringify(name)} is not usable as a label (letters, digits, "_", ".", "-"; at most 64; must start with a letter or digit)`,
      { file },
      { hint: { id: 'party-label', option: 'party', value: 'FILE=NAME' } },
    );
  }
}

/** Read and validate the headers of all inputs (cheap: first line only). */
export async function readInputHeaders(inputs: readonly InputSpec[]): Promise<InputHeader[]> {
  const out: InputHeader[] = [];
  for (const inp of inputs) {
    const header = await readEncodedHeader(inp.file);
    const party = inp.party ?? header.party;
    checkPartyName(party, inp.file);
    out.push({ file: inp.file, header, party });
  }
  return out;
}

/**
 * Refuse a set of encoded files that must not be linked together. All files
 * must have been encoded with the same secret (key check value), the same
 * linkage schema (fingerprint) and the same CLK length; party labels must be
 * unique. The message names the file that differs and the first file it was
 * compared with; it never prints key check values.
 */
export function checkCompatible(headers: readonly { file: string; header: EncodedHeader; party?: string }[]): void {
  if (headers.length < 2) {
    throw new P20Error(
      'LINK_TOO_FEW_INPUTS',
      `linking needs at least 2 encoded files, got ${headers.length}${headers[0] ? ` (${headers[0].file})` : ''}`,
    );
  }
  const first = headers[0]!;
  const seen = new Map<string, string>();
  for (const h of headers) {
    const party = h.party ?? h.header.party;
    const prev = seen.get(party);
    if (prev !== undefined) {
      throw new P20Error(
        'LINK_DUPLICATE_PARTY',
        `party name "${party}" is also used by ${prev}; every input needs its own party label`,
        { file: h.file },
        { hint: { id: 'party-label-for', option: 'party', value: `${h.file}=NAME` } },
      );
    }
    seen.set(party, h.file);
  }
  for (const h of headers.slice(1)) {
    if (h.header.keyCheckValue !== first.header.keyCheckValue) {
      throw new P20Error(
        'LINK_KEY_MISMATCH',
        `was encoded with a different secret (key check value differs from ${first.file}); refusing to link: re-encode both with the same shared secret`,
        { file: h.file },
      );
    }
    if (h.header.schemaFingerprint !== first.header.schemaFingerprint) {
      throw new P20Error(
        'LINK_SCHEMA_MISMATCH',
        `was encoded with a different linkage schema (fingerprint ${h.header.schemaFingerprint} differs from ${first.header.schemaFingerprint} in ${first.file}); refusing to link`,
        { file: h.file },
      );
    }
    if (evidenceLayout(h.header) !== evidenceLayout(first.header)) {
      throw new P20Error(
        'LINK_SCHEMA_MISMATCH',
        `declares different evidence filters or presence features (${evidenceLayout(h.header) || 'none'}) than ${first.file} (${evidenceLayout(first.header) || 'none'}); refusing to link`,
        { file: h.file },
      );
    }
    if (h.header.l !== first.header.l) {
      throw new P20Error(
        'LINK_LENGTH_MISMATCH',
        `has ${h.header.l}-bit CLKs but ${first.file} has ${first.header.l}-bit CLKs; refusing to link`,
        { file: h.file },
      );
    }
  }
}

/** The evidence a file's records carry, as one comparable string ("" = none): filters with lengths, presence features. */
function evidenceLayout(h: EncodedHeader): string {
  const ev = (h.evidence ?? []).map((e) => `${e.name}:${e.l}`).join(',');
  const pr = h.presence ? `presence:${h.presence.join('+')}` : '';
  return [ev, pr].filter((x) => x !== '').join(' ');
}

/** Load one encoded file completely, validating every row. */
export async function loadParty(path: string, name?: string, progress: Progress = silentProgress): Promise<PartyData> {
  const reader = await openEncoded(path);
  const header = reader.header;
  const party = name ?? header.party;
  checkPartyName(party, path);
  const blockNames = header.columns.filter((c) => c.startsWith('block:')).map((c) => c.slice(6));
  const ids: string[] = [];
  const clks: Uint8Array[] = [];
  const blocks: Record<string, string[]> = {};
  for (const b of blockNames) blocks[b] = [];
  const evInfo = header.evidence ?? [];
  const ev: Uint8Array[][] = evInfo.map(() => []);
  const presence = header.presence ? new Uint8Array(header.rowCount) : undefined;
  for await (const batch of reader.batches) {
    for (const row of batch) {
      if (presence) presence[ids.length] = row.presence!;
      ids.push(row.id);
      clks.push(row.clk);
      for (const b of blockNames) blocks[b]!.push(row.blocks[b] ?? '');
      for (let k = 0; k < ev.length; k++) ev[k]!.push(row.evidence![k]!);
    }
    progress.update(ids.length, header.rowCount);
  }
  const data = makePartyData({ name: party, file: path, header, ids, clks, blocks });
  if (header.evidence) {
    data.evidence = evInfo.map((e, k) => {
      const packed = packClks(ev[k]!, e.l, path, ids);
      return { name: e.name, l: e.l, stride: packed.stride, bytes: packed.clks, popcounts: packed.popcounts };
    });
  }
  if (presence) data.presence = presence;
  return data;
}

/** SHA-256 of a file's bytes, "sha256:<hex>" (identifies an input in the run record). */
export async function fileSha256(path: string): Promise<string> {
  const h = createHash('sha256');
  try {
    for await (const chunk of createReadStream(path, { highWaterMark: 1 << 20 })) h.update(chunk as Buffer);
  } catch (e) {
    throw fsError(e, path, 'cannot read', 'LINK_INPUT_READ');
  }
  return `sha256:${h.digest('hex')}`;
}
