// Browser tests of the teaching parts: every preset chosen through the page shows the verdict
// its `expect` promises and its story. Screenshots: test-artifacts/preset-ID.png.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { PRESETS } from '../../wasm/presets.mjs';
import { ARTIFACTS, afterRunOf, readPanel, screenshot, startLab, waitForVerdict } from './helpers.mjs';

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

const andWaitForRun = (action) => afterRunOf(page, action);

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

// "Check my training loop" has its own tests: tests/browser/checker.test.mjs (the page) and
// tests/node/checker.test.mjs (every combination against the engine, the corrected code in PyTorch).
