import { existsSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { EXIT, exitStatusOf } from '../../cli/exit-status.js';
import { silentProgress } from '../../src/io/progress.js';
import { parseBlockingSpec } from '../../src/link/blocking/config.js';
import { linkFiles } from '../../src/link/link-files.js';
import { listRuns } from '../../src/link/registry/registry.js';
import { appendAudit, listAudit } from '../../src/store/audit-log.js';
import { openLinkerStore } from '../../src/store/linker-store.js';
import { writeEncoded, prng, randomClk, noisy } from '../fixtures/link/make-encoded.js';
import { p20Rejection } from '../helpers/errors.js';
import { fileTempDir } from '../helpers/tmp.js';

const dir = fileTempDir('p20-linkstore-');
const none = parseBlockingSpec('none');
let a: string, b: string;

beforeAll(async () => {
  const rnd = prng(21);
  const people = Array.from({ length: 10 }, () => randomClk(rnd));
  a = await writeEncoded(join(dir, 'a.enc'), { party: 'k12', rows: people.map((c, i) => ({ id: `a${i}`, clk: noisy(rnd, c) })) });
  b = await writeEncoded(join(dir, 'b.enc'), { party: 'college', rows: people.map((c, i) => ({ id: `b${i}`, clk: noisy(rnd, c) })) });
});

/** Call `fn` once, when the run reaches its first scoring stage (the store is open, the run is working). */
function atScoring(fn: () => void): (label: string) => typeof silentProgress {
  let done = false;
  return (label) => {
    if (!done && label.startsWith('score')) {
      done = true;
      fn();
    }
    return silentProgress;
  };
}

describe('a link run does not hold the linker store while it works', () => {
  it('another process can write to the store (e.g. unpack recording an audit entry) during the run', async () => {
    const store = join(dir, 'writer.db');
    let wrote = false;
    const r = await linkFiles({
      inputs: [{ file: a }, { file: b }],
      outDir: join(dir, 'w-out'),
      store,
      threshold: 0.8,
      blocking: none,
      progress: atScoring(() => {
        const other = openLinkerStore(store, { waitMs: 0 });
        try {
          appendAudit(other, { type: 'package-accepted', detail: { note: 'written during a link run' } });
          wrote = true;
        } finally {
          other.close();
        }
      }),
    });
    expect(wrote).toBe(true);
    const db = openLinkerStore(store);
    try {
      expect([...listAudit(db)].map((e) => e.type)).toEqual(['package-accepted', 'link-run']);
      expect(listRuns(db).map((x) => x.runId)).toEqual([r.runId]);
    } finally {
      db.close();
    }
  });

  it('a run that another link run overtook is refused (exit 3), recording and writing nothing', async () => {
    const store = join(dir, 'race.db');
    const out = join(dir, 'race-out');
    const e = await p20Rejection(
      linkFiles({
        inputs: [{ file: a }, { file: b }],
        outDir: out,
        store,
        threshold: 0.8,
        blocking: none,
        progress: atScoring(() => {
          // another link run records itself in the same store meanwhile
          const other = openLinkerStore(store, { waitMs: 0 });
          try {
            other
              .prepare('INSERT INTO registry_runs (run_id, started_at, finished_at, tool, inputs, parameters, counts) VALUES (?, ?, ?, ?, ?, ?, ?)')
              .run('run-20260101T000000Z-00000000', '2026-01-01T00:00:00Z', '2026-01-01T00:00:01Z', 'p20link test', '[]', '{}', '{}');
          } finally {
            other.close();
          }
        }),
      }),
    );
    expect(e.code).toBe('STORE_CHANGED');
    expect(exitStatusOf(e)).toBe(EXIT.environment);
    expect(e.message).toMatch(/run again/);
    expect(existsSync(out) ? readdirSync(out) : []).toEqual([]);
    const db = openLinkerStore(store);
    try {
      expect(listRuns(db).map((x) => x.runId)).toEqual(['run-20260101T000000Z-00000000']);
      expect([...listAudit(db)]).toEqual([]);
    } finally {
      db.close();
    }
  });
});
