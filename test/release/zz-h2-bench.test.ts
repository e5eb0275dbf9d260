import { it } from 'vitest';
import { benchTable } from '../../bench/release-table.js';
it('bench', async () => {
  const r = await benchTable(true);
  console.log(JSON.stringify(r));
}, 3_600_000);
