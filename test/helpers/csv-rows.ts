import { readFile } from 'node:fs/promises';
import { parseCsvText } from '../../src/io/csv.js';

/** A CSV file's header and data rows (fields as read). */
export async function csvRows(path: string): Promise<{ header: string[]; data: string[][] }> {
  const recs = await parseCsvText(await readFile(path, 'utf8'), { file: path });
  const [head, ...data] = recs;
  return { header: head!.fields, data: data.map((r) => r.fields) };
}
