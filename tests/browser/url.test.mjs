// Browser tests of the URL state and the engine choice: links reproduce every setting,
// bad values get a visible message, back/forward works, ?simd=0 forces the scalar build.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { SETTINGS, defaultState, formatValue, urlFromState } from '../../web/state.mjs';
import { DEFAULT_TEXT, PRESETS } from '../../wasm/presets.mjs';
import { otherValue } from './values.mjs';
import { join } from 'node:path';
import { ARTIFACTS, openLab, openSection, readPanel, screenshot, setControl, startLab, waitForVerdict } from './helpers.mjs';

let lab;
before(async () => { lab = await startLab(); });
after(async () => { await lab?.close(); });

async function withPage(opts, body) {
  const { page, context, problems } = await lab.newPage(opts);
  try {
    await body(page);
    assert.deepEqual(problems, [], 'no console errors, page errors or failed requests');
  } finally {
    await context.close();
  }
}

/** What every control shows, as text in the URL's format. */
function readControls(page) {
  return page.evaluate((keys) => Object.fromEntries(keys.map((k) => {
    const c = document.getElementById(`c-${k}`);
    return [k, c.type === 'checkbox' ? String(c.checked) : c.value];
  })), SETTINGS.map((s) => s.key));
}

test('a link with every setting changed shows each value in its control, and writes them back', async () => {
  const state = defaultState();
  for (const s of SETTINGS) state[s.key] = otherValue(s);
  const url = urlFromState(state);
  await withPage({}, async (page) => {
    await page.goto(lab.url + url);
    await page.waitForFunction(() => document.body.dataset.phase !== 'loading');
    assert.equal(await page.locator('#url-message').isVisible(), false, 'no value was rejected');
    const shown = await readControls(page);
    for (const s of SETTINGS) assert.equal(shown[s.key], formatValue(s, state[s.key]), `control ${s.key}`);
    // Change one setting through the UI: the URL now holds all the others and the new one.
    await page.uncheck('#auto');
    await setControl(page, 'm', 5);
    const written = new URLSearchParams(new URL(page.url()).search);
    const expected = new URLSearchParams(urlFromState({ ...state, m: 5 }));
    assert.deepEqual([...written].sort(), [...expected].sort());
  });
});

test('settings changed through the UI land in the URL, defaults stay out, and reload restores them', async () => {
  await withPage({}, async (page) => {
    await openLab(page, lab.url);
    assert.equal(new URL(page.url()).search, '', 'the default experiment has a clean URL');
    await setControl(page, 'k', 2);
    await setControl(page, 'reduction', 'sum');
    await setControl(page, 'dropout', 0.25);
    await setControl(page, 'rng', 'keyed');
    assert.equal(new URL(page.url()).search, '?k=2&reduction=sum&dropout=0.25&rng=keyed');
    await setControl(page, 'k', 4);
    assert.equal(new URL(page.url()).search, '?reduction=sum&dropout=0.25&rng=keyed');
    await page.reload();
    await waitForVerdict(page);
    assert.equal(await page.locator('#c-reduction').inputValue(), 'sum');
    assert.equal(await page.locator('#c-dropout').inputValue(), '0.25');
    assert.equal(await page.locator('#c-rng').inputValue(), 'keyed');
  });
});

test('back and forward restore the settings', async () => {
  await withPage({}, async (page) => {
    await openLab(page, lab.url);
    await setControl(page, 'k', 2);
    await setControl(page, 'reduction', 'sum');
    await page.goBack();
    await page.waitForFunction(() => document.getElementById('c-reduction').value === 'mean');
    assert.equal(await page.locator('#c-k').inputValue(), '2');
    await page.goBack();
    await page.waitForFunction(() => document.getElementById('c-k').value === '4');
    await page.goForward();
    await page.waitForFunction(() => document.getElementById('c-k').value === '2');
    await waitForVerdict(page);
    assert.match(await page.locator('#runs-sentence').innerText(), /batch 16, 1 backward per step/);
  });
});

test('bad and unknown values in a link get a visible message and fall back to the default', async () => {
  await withPage({}, async (page) => {
    await openLab(page, `${lab.url}?k=abc&dropout=1.5&opt=sgdd&colour=blue&m=16`);
    const message = page.locator('#url-message');
    assert.equal(await message.isVisible(), true);
    const text = await message.innerText();
    for (const bit of ['k=abc', 'dropout=1.5', 'opt=sgdd', 'colour=blue', 'not a setting']) assert.ok(text.includes(bit), `message names ${bit}: ${text}`);
    assert.equal(await page.locator('#c-k').inputValue(), '4', 'k falls back to its default');
    assert.equal(await page.locator('#c-m').inputValue(), '16', 'good values still apply');
    assert.match(await page.locator('#e-k').innerText(), /"abc".*Using the default/);
    const p = await readPanel(page);
    assert.equal(p.grads, 'scaled', 'the page still runs with the defaults');
    await screenshot(page, 'desktop-bad-url');
  });
});

test('a setting given twice in a link: the message beside the control names both values', async () => {
  await withPage({}, async (page) => {
    await openLab(page, `${lab.url}?m=Infinity&m=Infinity&k=0&k=2`);
    const m = await page.locator('#e-m').innerText();
    assert.match(m, /"Infinity" .*Using the default/, m);
    assert.match(m, /more than once/, m);
    assert.equal(await page.locator('#c-m').inputValue(), '8', 'm falls back to its default');
    const k = await page.locator('#e-k').innerText();
    assert.match(k, /"0" .*Using the default/, k);
    assert.match(k, /"2" is ignored/, k);
    assert.equal(await page.locator('#c-k').inputValue(), '4', 'the second value is not read');
    const text = await page.locator('#url-message').innerText();
    for (const bit of ['m=Infinity', 'k=0', 'k=2']) assert.ok(text.includes(bit), `message names ${bit}: ${text}`);
    await waitForVerdict(page);
  });
});

test('?simd=0 runs the scalar build and says so; the default picks SIMD', async () => {
  await withPage({}, async (page) => {
    await openLab(page, `${lab.url}?simd=0`);
    assert.equal(await page.evaluate(() => document.body.dataset.engine), 'scalar');
    assert.match(await page.locator('#engine-note').innerText(), /scalar build \(forced by \?simd=0\)/);
    const p = await readPanel(page);
    assert.equal(p.grads, 'scaled');
    assert.equal(p.table.grad.normRatio, '4.0000');
    // ?simd=0 survives settings changes.
    await setControl(page, 'k', 2);
    assert.match(page.url(), /simd=0/);
  });
  await withPage({}, async (page) => {
    await openLab(page, lab.url);
    assert.equal(await page.evaluate(() => document.body.dataset.engine), 'simd');
    assert.match(await page.locator('#engine-note').innerText(), /SIMD build/);
  });
});

test('the scalar and SIMD builds show the same numbers', async () => {
  const tables = [];
  for (const q of ['?simd=0&correction=scale_loss', '?correction=scale_loss']) {
    await withPage({}, async (page) => {
      await openLab(page, lab.url + q);
      tables.push((await readPanel(page)).table);
    });
  }
  assert.deepEqual(tables[0], tables[1]);
});

test('every engine preset sets its settings, links to them, tells its story and gets its verdict', async () => {
  await withPage({}, async (page) => {
    await openLab(page, lab.url);
    // The defaults are no preset, but have their story too (wasm/presets.mjs DEFAULT_TEXT).
    assert.equal(new URL(page.url()).search, '');
    assert.equal(await page.locator('#story-title').innerText(), 'Defaults: mean loss, no fix');
    assert.equal(await page.locator('#story-see').textContent(), DEFAULT_TEXT.see);
    await page.click('#story > summary'); // open: why and the fix (it stays open across presets)
    assert.equal(await page.locator('#story-why').innerText(), DEFAULT_TEXT.why);
    for (const p of PRESETS) {
      await page.evaluate(() => { document.body.dataset.phase = 'clicked'; });
      await page.click(`button[data-preset="${p.id}"]`);
      await waitForVerdict(page);
      // A preset's link names it (?preset=ID); settings changed afterwards are added to it.
      assert.equal(new URL(page.url()).search, `?preset=${p.id}`, p.id);
      assert.equal(await page.locator(`button[data-preset="${p.id}"]`).getAttribute('aria-pressed'), 'true');
      assert.equal(await page.locator('#story-title').innerText(), p.title);
      assert.equal(await page.locator('#story-why').innerText(), p.text.why);
      const shown = await readPanel(page);
      assert.equal(shown.grads, p.expect.grads, `${p.id}: gradients`);
      assert.equal(shown.params, p.expect.params, `${p.id}: parameters`);
      for (const c of p.expect.causes) assert.ok(shown.causes.includes(c), `${p.id}: cause ${c} in ${shown.causes}`);
    }
  });
});

test('phone: a preset with its story', async () => {
  await withPage({ width: 360, height: 780 }, async (page) => {
    await openLab(page, lab.url);
    assert.equal(await page.locator('#presets-box').getAttribute('open'), null, 'presets start folded on a phone');
    await openSection(page, 'presets');
    await page.evaluate(() => { document.body.dataset.phase = 'clicked'; });
    await page.click('button[data-preset="dropout"]');
    await waitForVerdict(page);
    assert.equal(await page.locator('#story').isVisible(), true);
    await screenshot(page, 'phone-dropout-stream');
    await page.locator('#story').screenshot({ path: join(ARTIFACTS, 'phone-part-story.png') });
  });
});

test('URL problems are reported in bounded form: ten lines, two sentences per control, and how many more', async () => {
  const { summarizeURLProblems, LISTED, PER_CONTROL, short } = await import('../../web/url-problems.mjs');
  const problems = [
    ...Array.from({ length: 5000 }, (_, i) => ({ key: 'm', value: String(i), reason: 'is given more than once; the first value is used', duplicate: true, firstAccepted: true })),
    { key: 'k', value: 'x'.repeat(5000), reason: 'is not a whole number' },
  ];
  const s = summarizeURLProblems(problems);
  assert.equal(s.listed.length, LISTED);
  assert.equal(s.more, problems.length - LISTED);
  assert.equal(s.byControl.get('m').length, PER_CONTROL + 1);
  assert.match(s.byControl.get('m').at(-1), /4998 more values/);
  assert.equal(s.byControl.get('k').length, 1);
  assert.ok(s.byControl.get('k')[0].length < 200, 'a long value is shortened');
  assert.equal(short('y'.repeat(100)).length, 78);
});
