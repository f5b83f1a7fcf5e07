// Browser tests of the lab page: set controls through the UI, run, and check what is shown.
// Headless Debian Chromium through playwright-core; the site is built from web/ and wasm/.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import {
  ARTIFACTS, chartPoints, openLab, openSection, readPanel, run, screenshot, setControl, startLab, waitForVerdict,
} from './helpers.mjs';

let lab;
before(async () => { lab = await startLab(); });
after(async () => { await lab?.close(); });

/** Opens the lab, runs body(page), then checks no console errors and no foreign requests. */
async function withPage(t, opts, body) {
  const { page, context, problems, requests } = await lab.newPage(opts);
  try {
    await body(page);
    assert.deepEqual(problems, [], 'no console errors, page errors or failed requests');
    const foreign = requests.filter((u) => !u.startsWith(lab.root) && !u.startsWith('data:'));
    assert.deepEqual(foreign, [], 'no requests beyond the page\'s own files');
  } finally {
    await context.close();
  }
}

test('mean reduction without correction at k=4: the verdict says the gradient is 4 times larger', async (t) => {
  await withPage(t, {}, async (page) => {
    await openLab(page, lab.url);
    await setControl(page, 'k', 4);
    await setControl(page, 'reduction', 'mean');
    await run(page);
    const p = await readPanel(page);
    assert.equal(p.grads, 'scaled');
    assert.match(p.head, /Not the same/);
    assert.match(p.head, /4 ×/);
    assert.equal(p.table.grad.normRatio, '4.0000');
    assert.equal(p.table.grad.allclose, 'no');
    assert.equal(p.table.grad.cosine.slice(0, 6), '1.0000');
    assert.ok(p.causes.includes('mean_unscaled'), `causes: ${p.causes}`);
    assert.equal(await page.locator('#runs-sentence').innerText(),
      'Reference: batch 32, 1 backward per step; Accumulated: 4 × batch 8, 4 backwards per step.\n'
      + 'Each micro-batch loss is a mean over 8 samples, and the 4 gradients are added up without dividing by 4.');
    // One point per step for both series of every chart.
    const points = await chartPoints(page);
    assert.deepEqual(points, {
      ratio: { 'norm ratio': 20 },
      lr: { reference: 20, accumulated: 20 }, // hidden figure (both runs' lr agree), data kept
      gradnorm: { reference: 20, accumulated: 20 }, // hidden figure (no clipping)
      loss: { reference: 20, accumulated: 20 },
      diff: { 'gradients (same point)': 20, parameters: 20 },
    });
    assert.deepEqual(await page.$$eval('figure.chart:not([hidden])', (fs) => fs.map((f) => f.dataset.chart)), ['ratio', 'loss', 'diff']);
    // The plots (made in tasks of their own after the page's first frame) hold those points:
    // each legend reads the table's step (the first difference, 1), as the cursor does.
    await page.waitForFunction(() => document.querySelectorAll('figure.chart canvas').length === 3);
    const read = await page.$$eval('figure.chart:not([hidden])', (fs) => fs.map((f) => f.querySelector('.u-legend .u-series .u-value')?.textContent));
    assert.deepEqual(read, ['1', '1', '1']);
    assert.equal(p.step, '1 / 20 · first difference', 'the table opens at the first differing step');
    await screenshot(page, 'desktop-mean-unscaled');
    await page.evaluate(() => window.scrollTo(0, 0));
    await page.screenshot({ path: join(ARTIFACTS, 'readme.png') }); // the viewport only: web/docs/lab.png
    // The slider scrubs through the steps (keyboard).
    await page.focus('#step-slider');
    await page.keyboard.press('End');
    assert.equal((await readPanel(page)).step, '20 / 20');
    await page.click('button.jump');
    assert.equal((await readPanel(page)).step, '1 / 20 · first difference');
  });
});

test('the fix button for an unscaled mean loss makes the runs agree', async (t) => {
  await withPage(t, {}, async (page) => {
    await openLab(page, lab.url);
    await page.evaluate(() => { document.body.dataset.phase = 'clicked'; });
    await page.getByRole('button', { name: /Scale the loss by 1\/k/ }).click();
    await waitForVerdict(page);
    const p = await readPanel(page);
    assert.equal(await page.locator('#c-correction').inputValue(), 'scale_loss');
    assert.ok(['bitwise', 'rounding'].includes(p.grads), p.grads);
    assert.equal(p.table.grad.allclose, 'yes');
    assert.match(page.url(), /correction=scale_loss/);
  });
});

test('sum reduction: gradients allclose', async (t) => {
  await withPage(t, {}, async (page) => {
    await openLab(page, lab.url);
    await setControl(page, 'reduction', 'sum');
    // A summed loss is 32 times a mean one: lr 0.1 would make training unstable, and the
    // engine would then blame amplified rounding. lr 0.01 keeps it stable.
    await openSection(page, 'optimizer');
    await setControl(page, 'lr', 0.01);
    await run(page);
    const p = await readPanel(page);
    assert.ok(['bitwise', 'rounding'].includes(p.grads), p.grads);
    assert.match(p.head, /^Same/);
    assert.equal(p.step, '20 / 20', 'no difference: the table shows the last step');
    await page.focus('#step-slider');
    await page.keyboard.press('Home');
    const first = await readPanel(page);
    assert.equal(first.table.grad.allclose, 'yes', 'step 1 gradients are allclose');
    assert.equal(first.table.grad.bitwise, 'no', 'but not bitwise: the summation order differs');
    assert.equal(Number(p.table.grad.normRatio).toFixed(3), '1.000');
    await screenshot(page, 'desktop-sum');
  });
});

test('dropout 0.5 with two hidden layers: stream masks differ, keyed masks agree', async (t) => {
  await withPage(t, {}, async (page) => {
    await openLab(page, lab.url);
    await setControl(page, 'correction', 'scale_loss');
    await openSection(page, 'model');
    await setControl(page, 'hidden', '16,16');
    await setControl(page, 'dropout', 0.5);
    await setControl(page, 'rng', 'stream');
    await run(page);
    const stream = await readPanel(page);
    assert.equal(stream.grads, 'different');
    assert.equal(stream.table.grad.allclose, 'no');
    assert.ok(stream.causes.includes('dropout_stream'), `causes: ${stream.causes}`);
    await screenshot(page, 'desktop-dropout-stream');

    await setControl(page, 'rng', 'keyed');
    await run(page);
    const keyed = await readPanel(page);
    assert.ok(['bitwise', 'rounding'].includes(keyed.grads), keyed.grads);
    assert.equal(keyed.table.grad.allclose, 'yes');
    assert.equal(keyed.table.params.allclose, 'yes');
  });
});

test('Stop inside a 10-second step (2 M parameters, k 4096) answers within 1 s as a normal stop, never a crash', async (t) => {
  await withPage(t, {}, async (page) => {
    await page.goto(`${lab.url}?m=1&k=4096&n=4096&hidden=1445,1445`);
    await page.waitForFunction(() => document.body.dataset.phase === 'running', null, { timeout: 60000 });
    // Inside the long step the page says where the engine is (progress posted from inside it).
    await page.waitForFunction(() => /^Running: step 1 of 20, the accumulated run: micro-batch \d+ of 4096$/.test(document.getElementById('status').textContent), null, { timeout: 30000 });
    const seen = [];
    for (let i = 0; i < 3; i++) {
      seen.push(Number((await page.locator('#status').innerText()).match(/micro-batch (\d+)/)[1]));
      await page.waitForTimeout(250);
    }
    assert.ok(seen[2] > seen[0], `the micro-batch count moves: ${seen}`);
    const t0 = Date.now();
    await page.click('#stop');
    await page.waitForFunction(() => /^Stopped/.test(document.getElementById('status').textContent), null, { timeout: 20000 });
    const waited = Date.now() - t0;
    assert.ok(waited < 1000, `Stop answered after ${waited} ms`);
    assert.match(await page.locator('#status').innerText(), /^Stopped at step 0 of 20 \(inside a long step/);
    assert.equal(await page.locator('#run-error').isVisible(), false, 'not called a crash');
    assert.match(await page.locator('.verdict-head').innerText(), /Stopped at step 0/);
  });
});

test('the documented limit of 100,000 steps runs to the end with a verdict (no spread over the steps anywhere)', async (t) => {
  await withPage(t, {}, async (page) => {
    await page.goto(`${lab.url}?steps=100000&n=32&m=4&k=2&hidden=4`);
    await page.waitForFunction(() => /^(Done|Stopped|The engine)/.test(document.getElementById('status')?.textContent ?? ''), null, { timeout: 240000 });
    assert.equal(await page.locator('#status').innerText(), 'Done: 100000 of 100000 steps.');
    const p = await readPanel(page);
    assert.equal(p.grads, 'scaled');
    assert.match(p.head, /2 ×/);
  });
});

test('Stop ends a long run mid-way; Step goes one step; Reset clears', async (t) => {
  await withPage(t, {}, async (page) => {
    await openLab(page, lab.url);
    await page.uncheck('#auto');
    await openSection(page, 'run');
    await setControl(page, 'steps', 100000);
    // Re-running automatically is off: the results are marked as belonging to older settings.
    assert.match(await page.locator('.stale-note').innerText(), /Out of date: these results are for the previous settings\. Press Run/);
    await openSection(page, 'model');
    await setControl(page, 'hidden', '256,256');
    await page.click('#run');
    await page.waitForFunction(() => document.body.dataset.phase === 'running'
      && Number(document.getElementById('progress').value) >= 2);
    assert.match(await page.locator('#status').innerText(), /Running: step \d+ of 100000/);
    await page.click('#stop');
    await page.waitForFunction(() => document.body.dataset.phase === 'paused');
    const status = await page.locator('#status').innerText();
    const at = Number(status.match(/Paused at step (\d+)/)[1]);
    assert.ok(at >= 2 && at < 100000, status);
    const points = await chartPoints(page);
    assert.equal(points.loss.reference, at);
    assert.equal(points.loss.accumulated, at);

    await page.click('#step');
    await page.waitForFunction((n) => document.body.dataset.phase === 'paused'
      && (document.getElementById('status').textContent.includes(`step ${n} of`)), at + 1);
    assert.equal((await chartPoints(page)).loss.reference, at + 1);

    await page.click('#reset');
    await page.waitForFunction(() => document.body.dataset.phase === 'idle');
    assert.equal((await chartPoints(page)).loss.reference, 0);
    assert.equal((await readPanel(page)).step, '– / –');
    await page.click('#step');
    await page.waitForFunction(() => document.body.dataset.phase === 'paused');
    assert.match((await readPanel(page)).step, /^1 \/ 1/);
  });
});

test('an engine error is shown next to the named control and the last results stay', async (t) => {
  await withPage(t, {}, async (page) => {
    await openLab(page, lab.url);
    const before = await readPanel(page);
    await page.uncheck('#auto');
    await openSection(page, 'data');
    await setControl(page, 'data', 'digits');
    await setControl(page, 'n', 5000);
    await page.click('#run');
    const error = page.locator('#e-n');
    await error.waitFor({ state: 'visible' });
    assert.match(await error.innerText(), /5000/);
    assert.equal(await page.locator('#c-n').getAttribute('aria-invalid'), 'true');
    assert.match(await page.locator('#run-error').innerText(), /Not run/);
    const after = await readPanel(page);
    assert.equal(after.grads, before.grads, 'the last good verdict stays');
    assert.equal((await chartPoints(page)).loss.reference, 20, 'the last good charts stay');
    await screenshot(page, 'desktop-engine-error');
    // Fixing the value clears the message and runs (512 = 16 whole groups of 32: a pure ×4).
    await setControl(page, 'n', 512);
    assert.equal(await error.isVisible(), false);
    await run(page);
    assert.equal((await chartPoints(page)).loss.reference, 20);
    assert.equal((await readPanel(page)).grads, 'scaled');
  });
});

test('a value a control cannot take is refused with a message, keeping the last good one', async (t) => {
  await withPage(t, {}, async (page) => {
    await openLab(page, lab.url);
    await openSection(page, 'optimizer');
    await setControl(page, 'lr', '-0.5');
    const error = page.locator('#e-lr');
    await error.waitFor({ state: 'visible' });
    assert.match(await error.innerText(), /"-0\.5" is too small; expected a number > 0/);
    assert.doesNotMatch(page.url(), /lr=/);
  });
});

test('phone width (360 px): readable, nothing wider than the screen', async (t) => {
  await withPage(t, { width: 360, height: 780 }, async (page) => {
    await openLab(page, lab.url);
    const overflow = await page.evaluate(() => document.documentElement.scrollWidth - window.innerWidth);
    assert.ok(overflow <= 0, `page is ${overflow}px wider than the screen`);
    const canvasWidths = await page.evaluate(() => [...document.querySelectorAll('.chart canvas')].map((c) => c.getBoundingClientRect().right));
    for (const r of canvasWidths) assert.ok(r <= 360, `a chart ends at ${r}px`);
    await screenshot(page, 'phone-mean-unscaled');
    // Parts, at readable size.
    for (const [sel, name] of [['.sidebar', 'settings'], ['.runs', 'runs'], ['#verdict', 'verdict'], ['.equality', 'equality'], ['.charts-section', 'charts']]) {
      await page.locator(sel).screenshot({ path: join(ARTIFACTS, `phone-part-${name}.png`) });
    }
  });
});

test('keyboard: every control has a label and Tab reaches Run', async (t) => {
  await withPage(t, {}, async (page) => {
    await openLab(page, lab.url);
    const unlabelled = await page.evaluate(() => [...document.querySelectorAll('input, select, button')]
      .filter((e) => !(e.labels?.length || e.getAttribute('aria-label') || e.textContent.trim()))
      .map((e) => e.id || e.outerHTML.slice(0, 60)));
    assert.deepEqual(unlabelled, []);
    await page.focus('#c-m');
    await page.evaluate(() => { document.body.dataset.phase = 'clicked'; });
    await page.keyboard.press('ArrowUp');
    assert.equal(await page.locator('#c-m').inputValue(), '9');
    // the change re-runs the experiment; Run is disabled (not focusable) until it is done
    await waitForVerdict(page);
    await page.focus('#c-m');
    let reached = false;
    for (let i = 0; i < 60 && !reached; i++) {
      await page.keyboard.press('Tab');
      reached = await page.evaluate(() => document.activeElement?.id === 'run');
    }
    assert.ok(reached, 'Tab reaches the Run button');
  });
});
