import { it } from 'vitest';
import { encodeForAttack, people } from './helpers.js';
import { minePatterns, alignPatterns, referenceTokens } from '../../src/assess/pattern-mining.js';
import { featureTokenizer, referenceFeatures, recordSalt, tokenKey } from '../../src/assess/tokens.js';
it('diag', async () => {
  const schema = process.env.EXP_SCHEMA!; const n = Number(process.env.EXP_N ?? 5000);
  const e = await encodeForAttack(schema, people(31, n), people(32, n));
  const { input, truth } = e;
  const minCount = Math.max(15, Math.floor(0.003 * n));
  let t0 = Date.now();
  const patterns = minePatterns(input.clks, input.l, minCount);
  console.log('mined', patterns.length, (Date.now() - t0) / 1000);
  const feats = referenceFeatures(input.schema, input.reference);
  const tz = new Map(feats.map((f) => [f.identifier, featureTokenizer(f)]));
  const ref = referenceTokens(input, feats, tz, (0.6 * minCount) / n, 12000);
  const aligned = alignPatterns(patterns, n, ref);
  const vt = truth.map((r) => { const s = new Set<string>(); for (const f of feats) { const v = r[f.identifier] ?? ''; if (!v) continue; for (const t of tz.get(f.identifier)!(v, recordSalt(input.ext, f.identifier, r))) s.add(tokenKey(f.identifier, t)); } return s; });
  const tokTot = new Map<string, number>(); for (const st of vt) for (const t of st) tokTot.set(t, (tokTot.get(t) ?? 0) + 1);
  const rev = new Map([...aligned.entries()].map(([k, pos]) => [pos.join(','), k]));
  let good = 0; const lines: string[] = [];
  for (const p of patterns) {
    const recs: number[] = []; for (let i = 0; i < n; i++) if ((p.rec[i >>> 5]! >>> (i & 31)) & 1) recs.push(i);
    const cnt = new Map<string, number>(); for (const i of recs) for (const t of vt[i]!) cnt.set(t, (cnt.get(t) ?? 0) + 1);
    let best = '', bc = 0, bj = 0; for (const [t, c] of cnt) { const tot = tokTot.get(t)!; const j = c / (recs.length + tot - c); if (j > bj) { best = t; bc = c; bj = j; } }
    const a = rev.get(p.pos.join(','));
    if (a === best) good++;
    const ti = ref.keys.indexOf(best);
    lines.push(`${p.pos.length} ${p.support} true~${JSON.stringify(best)} j=${bj.toFixed(2)} reff=${ti>=0?(ref.freq[ti]!*n).toFixed(0):'-'} k=${ti>=0?ref.kAvg[ti]!.toFixed(1):'-'} aligned ${JSON.stringify(a)} ${a === best ? 'OK' : ''}`);
  }
  console.log(lines.join('\n')); console.log('good', good, 'of', patterns.length);
}, 600000);
