// Browser tests of the framework selector and the GPUs setting: picking a framework changes
// what the accumulated loop does (the verdict follows), a framework's story names its source,
// a Try button overrides one knob the framework set, and 2 GPUs with a summed loss draw the
// 1/W line in the ratio chart.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { afterRunOf, readPanel, setControl, shareOnePage, waitForVerdict } from './helpers.mjs';

let lab, page, problems;
shareOnePage({ width: 1366, height: 768 }, (s) => ({ lab, page, problems } = s));

const andWaitForRun = (action) => afterRunOf(page, action);

test('Lightning\'s short group: its story names the source, Try divides the short group by its micro-batches', async () => {
  await page.goto(`${lab.url}?preset=lightning-short-group`);
  await waitForVerdict(page);
  let p = await readPanel(page);
  assert.deepEqual(p.causes, ['uneven_last_group']);
  assert.match(p.text, /short group of 1 micro-batch steps with 0\.25× its gradient/);
  const source = page.locator('#story-source');
  assert.equal(await source.evaluate((e) => e.hidden), false, 'the story (closed) holds a Source line');
  assert.match(await source.textContent(), /Lightning 2\.6\.5.*#19987/);
  assert.equal(await page.locator('#c-framework').inputValue(), 'lightning');
  await andWaitForRun(() => page.getByRole('button', { name: 'Try: Divide a short group by its micro-batches' }).click());
  p = await readPanel(page);
  assert.ok(['bitwise', 'rounding'].includes(p.grads), p.text);
  assert.equal(await page.locator('#c-divisor').inputValue(), 'micro_batches', 'the knob the framework set, overridden');
  assert.equal(await page.locator('#c-framework').inputValue(), 'lightning', 'the framework stays');
  assert.match(page.url(), /divisor=micro_batches/);
  // a preset without a source hides the line
  await page.goto(`${lab.url}?preset=poorer-results`);
  await waitForVerdict(page);
  assert.equal(await page.locator('#story-source').evaluate((e) => e.hidden), true);
  assert.deepEqual(problems, []);
});

test('choosing the current HF Trainer fixes the default loop: its correction is the framework\'s (auto)', async () => {
  await page.goto(lab.url);
  await waitForVerdict(page);
  assert.equal((await readPanel(page)).grads, 'scaled');
  assert.equal(await page.locator('#c-correction').inputValue(), 'auto');
  await andWaitForRun(() => setControl(page, 'framework', 'hf_trainer'));
  const p = await readPanel(page);
  assert.ok(['bitwise', 'rounding'].includes(p.grads), p.text);
  assert.match(page.url(), /framework=hf_trainer/);
});

test('2 GPUs with a summed loss: DDP\'s average, the 1/2 line in the ratio chart', async () => {
  await page.goto(`${lab.url}?reduction=sum&lr=0.005`);
  await waitForVerdict(page);
  await andWaitForRun(() => setControl(page, 'workers', 2));
  const p = await readPanel(page);
  assert.equal(p.grads, 'scaled');
  assert.deepEqual(p.causes, ['world_size_average']);
  assert.match(p.head, /0\.5 ×/);
  const note = await page.locator('figure.chart[data-chart="ratio"]').textContent();
  assert.match(note, /1\/2 line: DDP averaged the workers’ summed losses/);
  // SyncBatchNorm is offered only with more than one GPU
  const syncHidden = () => page.locator('.field[data-key="syncBn"]').evaluate((e) => e.hidden);
  assert.equal(await syncHidden(), false);
  await andWaitForRun(() => setControl(page, 'workers', 1));
  assert.equal(await syncHidden(), true);
  assert.deepEqual(problems, []);
});
