import { randomBytes } from 'node:crypto';
import { createEncodedWriter } from '../../src/format/encoded-file.js';

/** A small valid encoded file with `rows` records (l = 64 bits). */
export async function makeEncodedFile(path: string, rows: number, party = 'k12'): Promise<void> {
  const w = createEncodedWriter(path, {
    tool: 'p20link test',
    createdAt: '2026-01-01T00:00:00.000Z',
    party,
    schemaFingerprint: `sha256:${'ab'.repeat(32)}`,
    keyCheckValue: 'cd'.repeat(16),
    l: 64,
    blockColumns: ['yob'],
  });
  for (let i = 0; i < rows; i++) await w.writeRow(`r${i}`, randomBytes(8).toString('base64'), [String(1990 + (i % 20))]);
  await w.commit();
}
