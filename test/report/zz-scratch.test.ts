import { it } from 'vitest';
import { readRunReportForQuality } from '../../src/report/histogram.js';
import { modelText, qualityHtml } from '../../src/report/render-quality.js';
import { writeFileSync } from 'node:fs';
it('scratch', async () => {
  const r = await readRunReportForQuality('test/fixtures/report/model-run-report.json');
  writeFileSync('/tmp/h5rep/text.txt', modelText(r.model));
  writeFileSync('/tmp/h5rep/q.html', qualityHtml(undefined, { model: r.model }));
});
