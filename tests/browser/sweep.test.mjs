// Browser test of "Sweep k": the page's settings once per k = 1 … 64 in the engine worker; the
// table's numbers are the engine's (wasm/sweep.mjs in Node gives the same), bf16 drifts with k,
// and a change of settings marks the table as not theirs any more.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { afterRunOf, axeViolations, setControl, shareOnePage, waitForVerdict } from './helpers.mjs';
import { lab as nodeLab } from '../node/helpers.mjs';
import { sweep } from '../../wasm/sweep.mjs';
import { presetById } from '../../wasm/presets.mjs';
import { SWEEP_K, barWidth } from '../../web/sweep-panel.mjs';

let lab, page, problems;
shareOnePage({ width: 1366, height: 768 }, (s) => ({ lab, page, problems } = s));

const rowsShown = () => page.$$eval('#sweep-table tbody tr', (trs) => trs.map((tr) => ({
  k: Number(tr.dataset.k), rel: tr.dataset.rel === undefined ? null : Number(tr.dataset.rel), error: tr.dataset.error === 'true',
})));

test('the bf16 preset swept over k: the engine\'s numbers, growing with k', async () => {
  await page.goto(`${lab.url}?preset=bf16-accumulation`);
  await waitForVerdict(page, 60000);
  await page.locator('#sweep > summary').click();
  await page.click('#sweep-run');
  await page.waitForFunction(() => /^Done/.test(document.getElementById('sweep-status').textContent), null, { timeout: 60000 });
  const rows = await rowsShown();
  assert.deepEqual(rows.map((r) => r.k), [...SWEEP_K]);
  const want = sweep(await nodeLab(), presetById('bf16-accumulation').config, 'accumSteps', SWEEP_K);
  rows.forEach((r, i) => assert.equal(r.rel, want[i].meanRel, `k ${r.k}: the page shows the engine's number`));
  assert.ok(rows.at(-1).rel > 2 * rows[1].rel, `k 64 ${rows.at(-1).rel} vs k 2 ${rows[1].rel}`);
  assert.deepEqual(await axeViolations(page, '#sweep'), []);
  await afterRunOf(page, () => setControl(page, 'm', 2));
  assert.match(await page.textContent('#sweep-status'), /settings changed/);
  assert.deepEqual(problems, []);
});

test('bars are on a log scale from 1e-8 to 1', () => {
  assert.equal(barWidth(1e-8), 1);
  assert.equal(barWidth(1e-4), 50);
  assert.equal(barWidth(1), 100);
  assert.equal(barWidth(0), 0);
});
