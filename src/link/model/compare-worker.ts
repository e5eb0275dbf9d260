import { parentPort } from 'node:worker_threads';
import { compareCandidates, type ComparedParty, type ComparisonPlan } from './compare.js';
import type { CompareInit, CompareTask } from './compare-pool.js';

/**
 * Worker thread of the compare pool (compare-pool.ts): holds the plan and the
 * parties' shared filter matrices from its init message, then fills each
 * task's slice of the shared comparison levels with compareCandidates, the
 * same function the main thread runs on small jobs.
 */
let plan: ComparisonPlan | undefined;
let parties: ComparedParty[] = [];
const port = parentPort;
if (port) {
  port.on('message', (m: ({ type: 'init' } & CompareInit) | { type: 'task'; id: number; task: CompareTask }) => {
    try {
      if (m.type === 'init') {
        plan = m.plan;
        parties = m.parties;
        port.postMessage({ type: 'ready' });
        return;
      }
      if (!plan) throw new Error('compare worker: task before init');
      const t = m.task;
      compareCandidates(plan, parties[t.i]!, parties[t.j]!, t.a, t.b, t.out);
      port.postMessage({ type: 'result', id: m.id, result: t.a.length });
    } catch (e) {
      port.postMessage({ type: 'error', ...(m.type === 'task' ? { id: m.id } : {}), message: e instanceof Error ? `${e.message}\n${e.stack ?? ''}` : String(e) });
    }
  });
}
