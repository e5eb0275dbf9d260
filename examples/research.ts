/**
 * The analyst's side of the example pipeline (demo code: examples/demo.ts;
 * not part of the library). After linkage each agency
 * holds its own record → linkage ID map; it strips its extract down to the
 * linkage ID plus the outcome columns a data-sharing agreement allows (no
 * names, birth dates or record ids) and sends that. The analyst joins the
 * three outcome files on the linkage ID — enrollment → college → wages —
 * into a record-level research file (one row per K-12 student) and an
 * aggregate table with totals for publication.
 */
import { P20Error } from '../src/errors.js';
import { openAtomic, withAtomicFile } from '../src/io/atomic-file.js';
import { csvLine, openCsv } from '../src/io/csv.js';
import { readLinksFile } from '../src/format/links.js';

export interface OutcomeExtractOptions {
  /** The agency's extract (with PII). */
  extract: string;
  idColumn: string;
  /** The agency's `<party>.links.csv` (record_id, linkage_id, score). */
  links: string;
  /** Extract columns to keep, optionally renamed: "column" or "newName=column". */
  keep: string[];
  out: string;
}

/**
 * Write linkage_id + the kept columns for every record that has a linkage ID,
 * one row per linkage ID: when the linker put two of the agency's records in
 * one entity (a duplicate in its own file), the first in file order is kept
 * and the others are counted. Returns rows written, rows without an ID and
 * duplicate rows left out.
 */
export async function writeOutcomeExtract(o: OutcomeExtractOptions): Promise<{ rows: number; withoutId: number; duplicates: number }> {
  const links = await readLinksFile(o.links);
  const t = await openCsv(o.extract);
  const iId = t.header.indexOf(o.idColumn);
  if (iId < 0) throw new P20Error('RESEARCH_COLUMNS', `id column ${JSON.stringify(o.idColumn)} missing`, { file: o.extract, line: 1, field: o.idColumn });
  const keep = o.keep.map((k) => {
    const eq = k.indexOf('=');
    const name = eq > 0 ? k.slice(0, eq) : k;
    const col = eq > 0 ? k.slice(eq + 1) : k;
    const i = t.header.indexOf(col);
    if (i < 0) throw new P20Error('RESEARCH_COLUMNS', `column ${JSON.stringify(col)} missing`, { file: o.extract, line: 1, field: col });
    return { name, i };
  });
  let rows = 0;
  let withoutId = 0;
  let duplicates = 0;
  const written = new Set<string>();
  await withAtomicFile(o.out, async (f) => {
    await f.write(csvLine(['linkage_id', ...keep.map((k) => k.name)]));
    for await (const batch of t.batches) {
      let chunk = '';
      for (const r of batch) {
        const e = links.records.get(r.fields[iId]!);
        if (!e || e.linkageId === '') {
          withoutId++;
          continue;
        }
        if (written.has(e.linkageId)) {
          duplicates++;
          continue;
        }
        written.add(e.linkageId);
        chunk += csvLine([e.linkageId, ...keep.map((k) => r.fields[k.i]!)]);
        rows++;
      }
      await f.write(chunk);
    }
  });
  return { rows, withoutId, duplicates };
}

async function loadByLinkage(path: string): Promise<{ header: string[]; rows: Map<string, string[]> }> {
  const t = await openCsv(path);
  if (t.header[0] !== 'linkage_id') throw new P20Error('RESEARCH_COLUMNS', 'first column must be linkage_id', { file: path, line: 1, field: t.header[0] ?? '' });
  const rows = new Map<string, string[]>();
  for await (const batch of t.batches) {
    for (const r of batch) {
      const id = r.fields[0]!;
      if (rows.has(id)) throw new P20Error('RESEARCH_DATA', `linkage ID ${id} appears twice`, { file: path, line: r.line, field: 'linkage_id' });
      rows.set(id, r.fields);
    }
  }
  return { header: t.header, rows };
}

/** Annual wages to a coarse band (the research file never carries exact wages). */
export function wageBand(total: number): string {
  if (total <= 0) return 'none';
  if (total < 15000) return 'under 15k';
  if (total < 30000) return '15k-30k';
  if (total < 45000) return '30k-45k';
  return '45k+';
}

export const RESEARCH_HEADER = [
  'district', 'sex', 'race_ethnicity', 'cohort_year', 'frl', 'diploma', 'college_enrolled', 'college_credential', 'employed', 'wage_band',
] as const;

export interface ResearchJoinOptions {
  /** K-12 outcomes: linkage_id,district,sex,race_ethnicity,cohort_year,frl,diploma */
  k12: string;
  /** College outcomes: linkage_id,credential */
  college: string;
  /** Wage outcomes: linkage_id,q1..q4 wages */
  wages: string;
  /** Record-level research file to write (one row per K-12 student; no linkage IDs). */
  researchOut: string;
  /** Aggregate table to write: K-12 students who enrolled in community college, by district × race/ethnicity, with "All" totals. */
  tableOut: string;
}

export interface ResearchSummary {
  students: number;
  collegeMatched: number;
  wagesMatched: number;
  tableRows: number;
}

export async function joinResearch(o: ResearchJoinOptions): Promise<ResearchSummary> {
  const college = await loadByLinkage(o.college);
  const wages = await loadByLinkage(o.wages);
  const cCred = college.header.indexOf('credential');
  const wq = ['q1_wages', 'q2_wages', 'q3_wages', 'q4_wages'].map((c) => wages.header.indexOf(c));
  if (cCred < 0) throw new P20Error('RESEARCH_COLUMNS', 'missing column credential', { file: o.college, line: 1, field: 'credential' });
  if (wq.some((i) => i < 0)) throw new P20Error('RESEARCH_COLUMNS', 'missing q1_wages..q4_wages', { file: o.wages, line: 1 });
  const t = await openCsv(o.k12);
  const need = ['linkage_id', 'district', 'sex', 'race_ethnicity', 'cohort_year', 'frl', 'diploma'];
  const idx = need.map((c) => {
    const i = t.header.indexOf(c);
    if (i < 0) throw new P20Error('RESEARCH_COLUMNS', `missing column ${c}`, { file: o.k12, line: 1, field: c });
    return i;
  });
  // table cells: district|race -> [students, enrolled, employed]
  const cells = new Map<string, [number, number, number]>();
  const add = (d: string, r: string, e: number, w: number) => {
    const k = `${d}\u0000${r}`;
    const c = cells.get(k) ?? [0, 0, 0];
    c[0]++;
    c[1] += e;
    c[2] += w;
    cells.set(k, c);
  };
  const s: ResearchSummary = { students: 0, collegeMatched: 0, wagesMatched: 0, tableRows: 0 };
  const research = openAtomic(o.researchOut);
  try {
    await research.write(csvLine(RESEARCH_HEADER));
    for await (const batch of t.batches) {
      let chunk = '';
      for (const r of batch) {
        const [lid, district, sex, race, cohort, frl, diploma] = idx.map((i) => r.fields[i]!) as [string, string, string, string, string, string, string];
        const c = college.rows.get(lid);
        const w = wages.rows.get(lid);
        s.students++;
        if (c) s.collegeMatched++;
        if (w) s.wagesMatched++;
        const total = w ? wq.reduce((sum, i) => sum + (Number(w[i]) || 0), 0) : 0;
        chunk += csvLine([district, sex, race, cohort, frl, diploma, c ? 'Y' : 'N', c ? c[cCred] || 'none' : '', w ? 'Y' : 'N', w ? wageBand(total) : '']);
        for (const d of [district, 'All']) for (const rr of [race, 'All']) add(d, rr, c ? 1 : 0, w ? 1 : 0);
      }
      await research.write(chunk);
    }
    await research.commit();
  } catch (e) {
    await research.abort();
    throw e;
  }
  const keys = [...cells.keys()].sort((a, b) => {
    const [da, ra] = a.split('\u0000') as [string, string];
    const [db, rb] = b.split('\u0000') as [string, string];
    const o1 = (x: string) => (x === 'All' ? '\uffff' : x);
    return o1(da) < o1(db) ? -1 : o1(da) > o1(db) ? 1 : o1(ra) < o1(rb) ? -1 : o1(ra) > o1(rb) ? 1 : 0;
  });
  await withAtomicFile(o.tableOut, async (f) => {
    let out = csvLine(['district', 'race_ethnicity', 'college_enrollees']);
    for (const k of keys) {
      const [d, r] = k.split('\u0000') as [string, string];
      const c = cells.get(k)!;
      out += csvLine([d, r, String(c[1])]);
      s.tableRows++;
    }
    await f.write(out);
  });
  return s;
}
