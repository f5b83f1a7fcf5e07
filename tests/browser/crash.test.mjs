// Browser tests of worker crash recovery (web/supervisor.mjs): a wasm trap mid-run, an error
// thrown in the worker outside any request, and a worker that stops answering. Each time the
// page says so in words, keeps the results it had, recreates the worker, and the next Run
// gives the verdict Node gives for the same config.
//
// The crashes are provoked from the test, inside the page's worker, through Playwright's
// Worker.evaluate: the page itself ships no hook for it.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { createLab } from '../../wasm/accumlab.mjs';
import { chartPoints, openLab, openSection, readPanel, run, screenshot, setControl, startLab } from './helpers.mjs';

let lab, engine;
before(async () => { lab = await startLab(); engine = await createLab(); });
after(async () => { await lab?.close(); });

async function withPage(body) {
  const { page, context, problems } = await lab.newPage();
  try {
    await body(page);
    // The provoked errors may be logged by the browser; nothing else may be.
    const other = problems.filter((p) => !/test crash|unreachable/.test(p));
    assert.deepEqual(other, [], 'no other console errors, page errors or failed requests');
  } finally {
    await context.close();
  }
}

/** The page's engine worker (there is exactly one). */
async function engineWorker(page) {
  await page.waitForFunction(() => document.body.dataset.phase !== 'loading');
  const workers = page.workers();
  assert.equal(workers.length, 1, 'one engine worker');
  return workers[0];
}

/** Makes the worker do `what` ('trap' | 'hang') when it is about to post step `at`. */
function armAtStep(worker, what, at) {
  return worker.evaluate(([what, at]) => {
    // A module whose one function is the wasm `unreachable` instruction: the same trap a
    // bug in the engine would raise.
    const bytes = new Uint8Array([0, 97, 115, 109, 1, 0, 0, 0, 1, 4, 1, 96, 0, 0, 3, 2, 1, 0,
      7, 5, 1, 1, 102, 0, 0, 10, 5, 1, 3, 0, 0, 11]);
    const trap = new WebAssembly.Instance(new WebAssembly.Module(bytes)).exports.f;
    const post = self.postMessage.bind(self);
    self.postMessage = (m) => {
      if (m && m.type === 'step' && m.record.step === at) {
        if (what === 'trap') trap();
        else for (;;) { /* a step that never ends */ }
      }
      post(m);
    };
  }, [what, at]);
}

/** The verdict Node's engine gives for the config the page shows. */
async function nodeVerdict(page) {
  const config = JSON.parse(await page.locator('#config-json').textContent());
  const v = engine.compare(config).verdict;
  return { grads: v.grads, params: v.params };
}

/** Sets many steps (a long run) with automatic re-runs off. */
async function longRun(page) {
  await page.uncheck('#auto');
  await openSection(page, 'run');
  await setControl(page, 'steps', 5000);
}

async function runAndCheckVerdict(page) {
  await openSection(page, 'run');
  await setControl(page, 'steps', 20);
  await run(page);
  const shown = await readPanel(page);
  const expected = await nodeVerdict(page);
  assert.deepEqual({ grads: shown.grads, params: shown.params }, expected, 'the verdict Node gives');
  assert.equal((await chartPoints(page)).loss.reference, 20, 'all 20 steps drawn');
}

test('a wasm trap mid-run: the page says so, keeps the steps it drew, and the next Run works', async () => {
  await withPage(async (page) => {
    await openLab(page, lab.url);
    const first = await engineWorker(page);
    await longRun(page);
    await armAtStep(first, 'trap', 5);
    await page.click('#run');
    await page.waitForFunction(() => /crashed/.test(document.getElementById('run-error').textContent));
    const message = await page.locator('#run-error').innerText();
    assert.match(message, /^The engine crashed \(WebAssembly trap: unreachable\) and was restarted\. Press Run to train again\. The results below are from before the crash\./);
    assert.equal(await page.locator('#run-error').isVisible(), true);
    assert.equal(await page.evaluate(() => document.body.dataset.phase), 'crashed', 'the run state machine (web/run-controller.mjs) says crashed');
    assert.equal((await chartPoints(page)).loss.reference, 4, 'steps 1-4, drawn before the trap, stay on screen');
    assert.equal(await page.locator('.verdict-head').innerText(), 'Stopped at step 4 by an error', 'no verdict claimed for the broken run');
    await screenshot(page, 'crash-trap');
    assert.notEqual(page.workers()[0], first, 'a new worker');
    await runAndCheckVerdict(page);
    assert.equal(await page.locator('#run-error').isVisible(), false, 'the message goes with the next good run');
  });
});

test('an error thrown in the worker outside any request: the page says so and the next Run works', async () => {
  await withPage(async (page) => {
    await openLab(page, lab.url);
    const before = await readPanel(page);
    const first = await engineWorker(page);
    await first.evaluate(() => { setTimeout(() => { throw new Error('test crash outside any request'); }); });
    await page.waitForFunction(() => /crashed/.test(document.getElementById('run-error').textContent));
    assert.match(await page.locator('#run-error').innerText(), /^The engine crashed \(.*test crash outside any request\) and was restarted\..*results below are from before the crash/);
    const after = await readPanel(page);
    assert.deepEqual(after, before, 'the verdict and table on screen are unchanged');
    await runAndCheckVerdict(page);
  });
});

test('a step that does not end: Stop answers within 1 s as a normal stop, keeps the finished steps, and the next Run works', async () => {
  await withPage(async (page) => {
    await openLab(page, lab.url);
    const first = await engineWorker(page);
    await longRun(page);
    await armAtStep(first, 'hang', 5);
    await page.click('#run');
    await page.waitForFunction(() => document.body.dataset.phase === 'running'
      && Number(document.getElementById('progress').value) >= 4);
    const t0 = Date.now();
    await page.click('#stop');
    await page.waitForFunction(() => /^Stopped at step/.test(document.getElementById('status').textContent), null, { timeout: 10000 });
    const waited = Date.now() - t0;
    assert.ok(waited < 1000, `stopped after ${waited} ms`);
    assert.match(await page.locator('#status').innerText(), /^Stopped at step 4 of 5000 \(inside a long step, so the engine restarted\)/);
    assert.equal(await page.locator('#run-error').isVisible(), false, 'not called a crash');
    assert.equal((await chartPoints(page)).loss.reference, 4, 'the finished steps stay');
    await runAndCheckVerdict(page);
  });
});

test('a worker that closes itself mid-run is noticed within 2 s, and the next Run works', async () => {
  await withPage(async (page) => {
    await openLab(page, lab.url);
    const first = await engineWorker(page);
    await longRun(page);
    await page.click('#run');
    await page.waitForFunction(() => document.body.dataset.phase === 'running'
      && Number(document.getElementById('progress').value) >= 3);
    const t0 = Date.now();
    await first.evaluate(() => self.close()).catch(() => { /* the worker is gone before it answers */ });
    await page.waitForFunction(() => /crashed/.test(document.getElementById('run-error').textContent), null, { timeout: 10000 });
    const waited = Date.now() - t0;
    assert.ok(waited < 2000, `noticed after ${waited} ms`);
    assert.match(await page.locator('#run-error').innerText(), /^The engine crashed \(its worker ended\) and was restarted/);
    await runAndCheckVerdict(page);
  });
});
