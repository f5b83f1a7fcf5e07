// Browser tests of the teaching parts: every preset chosen through the page shows the verdict
// its `expect` promises and its story; the "Check my training loop" panel predicts the causes
// the engine then names when its loop runs. Screenshots: test-artifacts/preset-ID.png, checker.png.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { PRESETS } from '../../wasm/presets.mjs';
import { ARTIFACTS, readPanel, screenshot, startLab, waitForVerdict } from './helpers.mjs';

let lab, page, context, problems;
before(async () => {
  lab = await startLab();
  ({ page, context, problems } = await lab.newPage({ width: 1280, height: 900 }));
  await page.goto(lab.url);
  await waitForVerdict(page);
});
after(async () => {
  await context?.close();
  await lab?.close();
});

/** Does something that starts a run, then waits for that run's verdict. */
async function andWaitForRun(action) {
  await page.evaluate(() => { document.body.dataset.phase = 'clicked'; });
  await action();
  await waitForVerdict(page, 60000);
}

for (const preset of PRESETS) {
  test(`preset ${preset.id}: the page shows ${preset.expect.grads} gradients, ${preset.expect.params} parameters and its story`, async () => {
    await andWaitForRun(() => page.click(`button.preset[data-preset="${preset.id}"]`));
    const p = await readPanel(page);
    assert.equal(p.grads, preset.expect.grads, p.text);
    assert.equal(p.params, preset.expect.params, p.text);
    assert.deepEqual([...p.causes].sort(), [...preset.expect.causes].sort(), p.text);
    if (preset.expect.factor) assert.match(p.head, new RegExp(`${preset.expect.factor} ×`), p.head);
    const sameParams = ['bitwise', 'rounding'].includes(preset.expect.params);
    assert.match(p.head, sameParams ? /^Same/ : /^Not the same|parameters drift apart/, 'the headline says what happened to the parameters');
    // What makes the parameters match despite the scaled gradient: the lr, or Adam.
    if (preset.id === 'forum-mean-lr') assert.match(p.text, /the learning rate compensates/);
    if (preset.id === 'adam-unscaled') assert.match(p.text, /Adam divides the scale out/);
    assert.equal(await page.getAttribute(`button.preset[data-preset="${preset.id}"]`, 'aria-pressed'), 'true');
    const story = await page.evaluate(() => ({
      hidden: document.getElementById('story').hidden,
      title: document.getElementById('story-title').textContent,
      see: document.getElementById('story-see').textContent,
      fix: document.getElementById('story-fix').textContent,
    }));
    assert.deepEqual(story, { hidden: false, title: preset.title, see: preset.text.see, fix: preset.text.fix });
    await screenshot(page, `preset-${preset.id}`);
    assert.deepEqual(problems, [], 'no console errors');
  });
}

test('check my training loop: the predicted causes are the ones the run names', async () => {
  await page.locator('#checker-box').evaluate((d) => { d.open = true; });
  // The default loop: an unscaled mean.
  assert.deepEqual(await page.$$eval('#checker-out .checker-cause', (li) => li.map((x) => x.dataset.cause)), ['mean_unscaled']);
  // Divided by k, with stream dropout and clipping inside the micro-batch loop.
  await page.selectOption('#chk-scaling', 'k');
  assert.equal(await page.getAttribute('#checker-out', 'data-equivalent'), 'yes');
  await page.selectOption('#chk-dropout', 'stream');
  await page.selectOption('#chk-clipping', 'per_micro');
  const predicted = await page.$$eval('#checker-out .checker-cause', (li) => li.map((x) => x.dataset.cause));
  assert.deepEqual(predicted, ['dropout_stream', 'clip_per_micro_batch']);
  assert.match(await page.textContent('#checker-out .checker-head'), /Not equivalent.*2 causes/);
  await screenshot(page, 'checker');
  await andWaitForRun(() => page.click('#checker-run'));
  const p = await readPanel(page);
  assert.deepEqual(p.causes, predicted, p.text);
  assert.equal(p.grads, 'different');
  // The controls now describe that loop.
  assert.equal(await page.inputValue('#c-correction'), 'scale_loss');
  assert.equal(await page.inputValue('#c-rng'), 'stream');
  assert.equal(await page.inputValue('#c-clipAt'), 'per_micro_batch');
  // A loop the panel calls equivalent runs as equal.
  await page.selectOption('#chk-dropout', 'keyed');
  await page.selectOption('#chk-clipping', 'after');
  assert.equal(await page.getAttribute('#checker-out', 'data-equivalent'), 'yes');
  await andWaitForRun(() => page.click('#checker-run'));
  const q = await readPanel(page);
  assert.ok(['bitwise', 'rounding'].includes(q.grads) && ['bitwise', 'rounding'].includes(q.params), q.text);
  await screenshot(page, 'checker-equal');
  assert.deepEqual(problems, [], 'no console errors');
});

test('check my training loop at phone width (360 px): open, every cause listed, nothing wider than the screen', async () => {
  const phone = await lab.newPage({ width: 360, height: 800 });
  try {
    await phone.page.goto(lab.url);
    await waitForVerdict(phone.page);
    await phone.page.locator('#checker-box').evaluate((d) => { d.open = true; });
    for (const [key, value] of [['dropout', 'stream'], ['norm', 'batchnorm'], ['scheduler', 'per_micro'], ['optimizer', 'adamw'], ['scaling', 'lr']]) {
      await phone.page.selectOption(`#chk-${key}`, value);
    }
    const causes = await phone.page.$$eval('#checker-out .checker-cause', (li) => li.map((x) => x.dataset.cause));
    assert.deepEqual(causes, ['scale_lr', 'scale_lr_weight_decay', 'scale_lr_adam', 'dropout_stream', 'batchnorm', 'scheduler_per_micro_batch']);
    const wide = await phone.page.evaluate(() => [...document.querySelectorAll('#checker-box *')]
      .filter((e) => e.getBoundingClientRect().right > document.documentElement.clientWidth + 0.5).map((e) => e.id || e.className || e.tagName));
    assert.deepEqual(wide, [], 'nothing in the panel sticks out');
    assert.ok(await phone.page.evaluate(() => document.documentElement.scrollWidth <= 360));
    await phone.page.locator('#checker-box').screenshot({ path: `${ARTIFACTS}/checker-phone.png` });
    assert.deepEqual(phone.problems, []);
  } finally {
    await phone.context.close();
  }
});
