// The Embed dialog of the full lab (web/embed-dialog.mjs): the pure snippet builder in Node,
// then in the browser: the dialog's choices write both snippets, both snippets pasted into a
// fresh page give working labs with the chosen mode, controls, size and settings; the live
// preview; copying (and its fallback); Escape and focus; axe-core; 1366×768 and 375×667.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { axeRun, openLab, seriousAxe, startLab, waitForVerdict } from './helpers.mjs';
import { EMBED_SIZE, embedSnippets, embedTitle, hideShowFor, shownControls } from '../../web/embed-dialog.mjs';
import { EMBED_DEFAULT_KEYS, elementAttributeFor, readEmbedParams, visibleKeys } from '../../web/embed.mjs';
import { SETTINGS } from '../../web/state.mjs';
import { PRESETS } from '../../wasm/presets.mjs';

const PRESET_IDS = PRESETS.map((p) => p.id);
const DROPOUT = PRESETS.find((p) => p.id === 'dropout');

// --- the pure parts (Node)

test('embedSnippets: compact mode, a hidden and an added control, a size: the URL and both snippets', () => {
  const s = embedSnippets({
    base: 'https://example.org/accumlab/web/index.html?m=2#top',
    search: '?m=16&preset=dropout&simd=0&embed=1&hide=k&show=lr',
    mode: 'compact', hide: ['reduction'], show: ['rng'], width: 640, height: 480,
  });
  assert.equal(s.url, 'https://example.org/accumlab/web/index.html?m=16&preset=dropout&embed=1&hide=reduction&show=rng');
  assert.equal(s.scriptURL, 'https://example.org/accumlab/web/accum-lab.mjs');
  assert.equal(s.title, 'accumlab: Dropout: stream masks differ');
  assert.deepEqual([s.hide, s.show, s.width, s.height], [['reduction'], ['rng'], 640, 480]);
  assert.equal(s.iframe, '<iframe src="https://example.org/accumlab/web/index.html?m=16&preset=dropout&embed=1&hide=reduction&show=rng"\n'
    + '        width="640" height="480"\n'
    + '        title="accumlab: Dropout: stream masks differ"\n'
    + '        loading="lazy" allow="clipboard-write"\n'
    + '        style="box-sizing: border-box; max-width: 100%; border: 1px solid #d9dce3; border-radius: 8px"></iframe>');
  assert.equal(s.element, '<script type="module" src="https://example.org/accumlab/web/accum-lab.mjs"></script>\n'
    + '<accum-lab batch-size="16" preset="dropout" hide="reduction" show="rng" width="640" height="480" label="accumlab: Dropout: stream masks differ"></accum-lab>');
  // What the page reads back from the URL is what was chosen.
  const back = readEmbedParams(new URL(s.url).search, PRESET_IDS);
  assert.deepEqual(back.problems, []);
  assert.deepEqual(visibleKeys(back), ['m', 'k', 'dropout', 'rng']);
});

test('embedSnippets: full mode drops show=, keeps hide=, and the element says mode="full"', () => {
  const s = embedSnippets({ base: 'http://h/web/', search: '?reduction=sum&lr=0.01', mode: 'full', hide: ['seed', 'steps'], show: ['rng'] });
  assert.equal(s.url, 'http://h/web/?reduction=sum&lr=0.01&hide=seed,steps');
  assert.equal(s.scriptURL, 'http://h/web/accum-lab.mjs');
  assert.match(s.iframe, /width="700" height="500"\n\s+title="accumlab: is gradient accumulation the same as a bigger batch\?"/);
  assert.equal(s.element.split('\n')[1],
    '<accum-lab reduction="sum" lr="0.01" mode="full" hide="seed,steps" width="700" height="500" label="accumlab: is gradient accumulation the same as a bigger batch?"></accum-lab>');
  // Defaults: compact, nothing hidden, 700 x 500.
  const d = embedSnippets({ base: 'http://h/web/index.html' });
  assert.equal(d.url, 'http://h/web/index.html?embed=1');
  assert.deepEqual([d.width, d.height], [EMBED_SIZE.width, EMBED_SIZE.height]);
  assert.equal(d.element.split('\n')[1], `<accum-lab width="700" height="500" label="${embedTitle('')}"></accum-lab>`);
});

test('embedSnippets: hide= and show= are the shortest equivalent; sizes clamped; unknown parameters dropped; text escaped', () => {
  // In compact mode hiding a control it does not show, or showing a default one, says nothing.
  const s = embedSnippets({ base: 'http://h/web/', mode: 'compact', hide: ['seed', 'k', 'bogus'], show: ['m', 'lr', 'lr', 'nope'] });
  assert.deepEqual([s.hide, s.show], [['k'], ['lr']]);
  assert.equal(new URL(s.url).search, '?embed=1&hide=k&show=lr');
  assert.deepEqual(hideShowFor('compact', [...EMBED_DEFAULT_KEYS]), { hide: [], show: [] });
  assert.deepEqual(hideShowFor('full', SETTINGS.map((x) => x.key)), { hide: [], show: [] });
  assert.deepEqual(hideShowFor('full', ['m']).hide.length, SETTINGS.length - 1);
  assert.deepEqual(shownControls('full', ['m'], ['rng']).length, SETTINGS.length - 1);
  assert.deepEqual(shownControls('compact', ['m'], ['rng']), ['k', 'reduction', 'dropout', 'rng']);
  const c = embedSnippets({ base: 'http://h/web/', width: 5, height: '99999' });
  assert.deepEqual([c.width, c.height], [EMBED_SIZE.min, EMBED_SIZE.max]);
  assert.deepEqual([embedSnippets({ base: 'http://h/web/', width: 'x', height: '' }).width], [EMBED_SIZE.width]);
  const odd = embedSnippets({
    base: 'http://h/web/', search: '?m=8&m=9&zzz=1&wd=0.1&title=%22x%22', title: 'Lab "A" <b> & &amp; co',
  });
  assert.equal(new URL(odd.url).search, '?m=8&wd=0.1&embed=1', 'first value of a setting, unknown parameters dropped');
  assert.match(odd.iframe, /title="Lab &quot;A&quot; &lt;b&gt; & &amp;amp; co"/);
  assert.match(odd.element, /<accum-lab batch-size="8" weight-decay="0.1" width="700"/);
  // A value that would break out of the attribute is percent-encoded in the URL.
  const q = embedSnippets({ base: 'http://h/web/', search: '?hidden=%22%3E%3Cscript%3E' });
  assert.ok(!q.iframe.includes('"><script>') && !q.element.includes('"><script>'));
  // Every setting has an <accum-lab> attribute.
  for (const x of SETTINGS) assert.ok(elementAttributeFor(x.key), x.key);
  assert.equal(embedTitle('?preset=poorer-results-fixed'), 'accumlab: fixed: divide the loss by k');
});

// --- in the browser


let lab;
before(async () => { lab = await startLab(); });
after(async () => { await lab?.close(); });

/** An uncaught error thrown in another module of the page (not the dialog's or the element's). */
const elsewhere = (p) => p.startsWith('pageerror:') && !/\/(embed-dialog|embed|accum-lab)\.mjs/.test(p.split('\n').slice(0, 3).join('\n'));

/**
 * A watched page; after body(page, context): no console errors and no foreign requests.
 * Uncaught errors of other modules of the page (work in progress elsewhere) are reported
 * as diagnostics, not failures: this file tests the dialog.
 */
async function withPage(opts, body, t) {
  const { page, context, problems, requests } = await lab.newPage(opts);
  // A preview frame replaced while it loads cancels its requests: expected, not a failure.
  const abandoned = new Set();
  page.on('requestfailed', (r) => {
    let frame = null;
    try { frame = r.frame(); } catch { /* a frame already gone */ }
    if (frame !== page.mainFrame() && /ABORTED/.test(r.failure()?.errorText ?? '')) abandoned.add(`request failed: ${r.url()}`);
  });
  try {
    await body(page, context);
    for (const p of problems.filter(elsewhere)) t?.diagnostic(`not this file's: ${p.split('\n').slice(0, 3).join(' | ')}`);
    const mine = problems.filter((p) => !elsewhere(p) && !abandoned.has(p));
    assert.deepEqual(mine, [], 'no console errors, page errors or failed requests');
    const foreign = requests.filter((u) => !u.startsWith(lab.root) && !/^(data|blob|about):/.test(u));
    assert.deepEqual(foreign, [], 'no requests beyond the page\'s own files');
  } finally {
    await context.close();
  }
}

async function openDialog(page) {
  await page.click('#embed-open');
  await page.waitForFunction(() => document.querySelector('#embed-dialog')?.matches(':modal'));
}

const code = (page, name) => page.locator(`#embed-code-${name}`).inputValue();

/** Whether the dialog lies inside the viewport, and how much its parts overflow sideways. */
function dialogFit(page) {
  return page.evaluate(() => {
    const d = document.querySelector('#embed-dialog');
    const r = d.getBoundingClientRect();
    const wide = [...d.querySelectorAll('*')].filter((e) => {
      const b = e.getBoundingClientRect();
      return b.width > 0 && (b.right > r.right + 1 || b.left < r.left - 1) && !e.closest('.embed-preview-fit');
    }).map((e) => e.className || e.tagName);
    return {
      inside: r.top >= 0 && r.left >= 0 && r.bottom <= innerHeight && r.right <= innerWidth,
      wide, scrollWidth: document.documentElement.scrollWidth, innerWidth,
    };
  });
}

/** WCAG contrast of two CSS colours (rgb()/rgba() as computed). */
function contrast(a, b) {
  const lum = (c) => {
    const [r, g, bl] = c.match(/[\d.]+/g).slice(0, 3).map(Number).map((v) => {
      const s = v / 255;
      return s <= 0.03928 ? s / 12.92 : ((s + 0.055) / 1.055) ** 2.4;
    });
    return 0.2126 * r + 0.7152 * g + 0.0722 * bl;
  };
  const [x, y] = [lum(a), lum(b)].sort((p, q) => q - p);
  return (x + 0.05) / (y + 0.05);
}

const snippets = {}; // filled by the first browser test: the compact and the full mode's

test('the dialog: Embed… opens it, choices write both snippets, Copy copies, Escape closes and focus returns', async (t) => {
  await withPage({ width: 1366, height: 768 }, async (page, context) => {
    await context.grantPermissions(['clipboard-read', 'clipboard-write'], { origin: lab.root });
    await openLab(page, `${lab.url}?preset=dropout&m=16`);
    const search = new URL(page.url()).search;
    assert.equal(await page.locator('#embed-dialog').evaluate((d) => d.open), false);
    await page.locator('#embed-open').focus();
    await page.keyboard.press('Enter');
    await page.waitForFunction(() => document.querySelector('#embed-dialog')?.matches(':modal'));
    assert.equal(await page.locator('#embed-dialog').getAttribute('aria-labelledby'), 'embed-title');
    assert.ok(await page.evaluate(() => document.querySelector('#embed-dialog').contains(document.activeElement)), 'focus moved into the dialog');

    // Defaults: compact, the four main controls, 700 x 500.
    assert.equal(await page.locator('#embed-mode-compact').isChecked(), true);
    const checked = () => page.$$eval('.embed-groups input:checked', (l) => l.map((e) => e.value));
    assert.deepEqual(await checked(), EMBED_DEFAULT_KEYS);
    assert.equal(await page.locator('#embed-width').inputValue(), '700');
    assert.equal(await page.locator('#embed-height').inputValue(), '500');
    assert.equal(await page.locator('#embed-frame-title').inputValue(), `accumlab: ${DROPOUT.title}`);
    assert.equal(await code(page, 'iframe'), embedSnippets({ base: lab.url, search }).iframe);

    // Hide reduction, add the dropout RNG, 640 x 480.
    await page.locator('#embed-dialog').getByLabel('Loss reduction', { exact: true }).uncheck();
    await page.locator('#embed-dialog').getByLabel('Dropout RNG', { exact: true }).check();
    await page.locator('#embed-dialog').getByLabel('Width', { exact: true }).fill('640');
    await page.locator('#embed-dialog').getByLabel('Height', { exact: true }).fill('480');
    const iframe = await code(page, 'iframe');
    const element = await code(page, 'element');
    const want = embedSnippets({ base: lab.url, search, mode: 'compact', hide: ['reduction'], show: ['rng'], width: 640, height: 480 });
    assert.equal(iframe, want.iframe);
    assert.equal(element, want.element);
    const src = new URL(/src="([^"]+)"/.exec(iframe)[1]);
    assert.equal(`${src.origin}${src.pathname}`, lab.url);
    assert.deepEqual(Object.fromEntries(src.searchParams), { m: '16', preset: 'dropout', embed: '1', hide: 'reduction', show: 'rng' });
    assert.match(iframe, /width="640" height="480"\n\s+title="accumlab: Dropout: stream masks differ"/);
    assert.match(iframe, /loading="lazy"/);
    assert.match(element, new RegExp(`^<script type="module" src="${lab.url}accum-lab.mjs"></script>\n<accum-lab `));
    for (const a of ['batch-size="16"', 'preset="dropout"', 'hide="reduction" show="rng" width="640" height="480" label="accumlab: Dropout: stream masks differ"></accum-lab>']) {
      assert.ok(element.includes(a), a);
    }
    assert.equal(await page.locator('.embed-open-link').getAttribute('href'), src.href);
    snippets.compact = { iframe, element, url: src.href };

    // A bad size is named and not used.
    await page.locator('#embed-dialog').getByLabel('Width', { exact: true }).fill('12');
    assert.equal(await page.locator('#embed-width').getAttribute('aria-invalid'), 'true');
    assert.match(await page.locator('.embed-error').innerText(), /Width: a whole number of pixels from 200 to 2000/);
    assert.equal(await code(page, 'iframe'), iframe, 'the snippet keeps the last good size');
    await page.locator('#embed-dialog').getByLabel('Width', { exact: true }).fill('640');
    assert.equal(await page.locator('.embed-error').isVisible(), false);

    // Copy: the Clipboard API, and it says so.
    await page.locator('#embed-dialog').getByRole('button', { name: 'Copy the iframe code' }).click();
    await page.waitForFunction(() => document.querySelectorAll('.embed-copy-note')[0].textContent === 'Copied');
    assert.equal(await page.evaluate(() => navigator.clipboard.readText()), iframe);
    await page.locator('#embed-dialog').getByRole('button', { name: 'Copy the accum-lab code' }).click();
    await page.waitForFunction(() => document.querySelectorAll('.embed-copy-note')[1].textContent === 'Copied');
    assert.equal(await page.locator('.embed-copy-note').first().textContent(), '', 'one note at a time');
    assert.equal(await page.evaluate(() => navigator.clipboard.readText()), element);

    // Full mode: every control checked; hide the seed; each mode keeps its own choices.
    await page.locator('#embed-dialog').getByLabel(/^Full lab/).check();
    assert.equal((await checked()).length, SETTINGS.length);
    assert.equal(await page.locator('.embed-more').evaluate((d) => d.open), true, 'the other controls unfolded');
    await page.locator('#embed-dialog').getByLabel('Seed', { exact: true }).uncheck();
    const full = await code(page, 'iframe');
    const fullSrc = new URL(/src="([^"]+)"/.exec(full)[1]);
    assert.deepEqual(Object.fromEntries(fullSrc.searchParams), { m: '16', preset: 'dropout', hide: 'seed' });
    const fullElement = await code(page, 'element');
    assert.match(fullElement, /<accum-lab (batch-size="16" preset="dropout"|preset="dropout" batch-size="16") mode="full" hide="seed" width="640" height="480"/);
    snippets.full = { iframe: full, element: fullElement };
    await page.locator('#embed-dialog').getByLabel(/^Compact/).check();
    assert.deepEqual(await checked(), ['m', 'k', 'dropout', 'rng']);
    assert.equal(await code(page, 'iframe'), iframe);
    await page.locator('#embed-dialog').getByRole('button', { name: 'Use this mode’s defaults' }).click();
    assert.deepEqual(await checked(), EMBED_DEFAULT_KEYS);

    // Escape closes it; focus goes back to the button; the preview frame is gone.
    await page.keyboard.press('Escape');
    await page.waitForFunction(() => !document.querySelector('#embed-dialog').open);
    assert.equal(await page.evaluate(() => document.activeElement?.id), 'embed-open');
    assert.equal(await page.locator('.embed-preview-frame').count(), 0);
    // The close button does the same.
    await openDialog(page);
    await page.locator('#embed-dialog').getByRole('button', { name: 'Close' }).click();
    await page.waitForFunction(() => !document.querySelector('#embed-dialog').open);
    assert.equal(await page.evaluate(() => document.activeElement?.id), 'embed-open');
  }, t);
});

async function frameOf(locator) {
  return (await locator.elementHandle()).contentFrame();
}

/** A course page holding the snippets, at a path of the lab's server (not next to the lab). */
async function coursePage(page, context, parts) {
  const url = `${lab.root}course/unit-3.html`;
  const html = `<!doctype html>\n<html lang="en"><head><meta charset="utf-8"><title>Unit 3</title></head><body>\n`
    + `<h1>Gradient accumulation</h1>\n${parts.join('\n<p>The same as an element:</p>\n')}\n</body></html>`;
  await context.route(url, (route) => route.fulfill({ contentType: 'text/html', body: html }));
  await page.goto(url);
}

test('both compact snippets, pasted into a fresh page, give working labs: compact mode, the chosen size, controls and settings', async (t) => {
  assert.ok(snippets.compact, 'the first test wrote the snippets');
  await withPage({ width: 800, height: 1200 }, async (page, context) => {
    await coursePage(page, context, [snippets.compact.iframe, snippets.compact.element]);
    const plain = page.locator('body > iframe');
    const element = page.locator('accum-lab iframe');
    const frames = [await frameOf(plain), await frameOf(element)];
    assert.deepEqual(await plain.evaluate((f) => [f.offsetWidth, f.offsetHeight, f.title, f.loading]),
      [640, 480, `accumlab: ${DROPOUT.title}`, 'lazy']);
    assert.deepEqual(await element.evaluate((f) => [f.offsetWidth, f.offsetHeight, f.title]), [640, 480, `accumlab: ${DROPOUT.title}`]);
    const inner = new URL(await element.getAttribute('src'));
    assert.equal(inner.pathname, '/web/index.html');
    assert.deepEqual(Object.fromEntries([...inner.searchParams].sort()), Object.fromEntries([...new URL(snippets.compact.url).searchParams].sort()));
    await Promise.all(frames.map((f) => waitForVerdict(f, 60000)));
    for (const f of frames) {
      assert.equal(await f.evaluate(() => document.documentElement.classList.contains('embed')), true, 'compact mode');
      assert.equal(await f.locator('#c-reduction').count(), 0, 'the hidden control is absent');
      assert.equal(await f.locator('#c-rng').count(), 1, 'the added control is there');
      assert.equal(await f.locator('#c-seed').count(), 0);
      assert.equal(await f.locator('#c-m').inputValue(), '16', 'the link\'s setting');
      assert.equal(await f.locator('#c-dropout').inputValue(), '0.3', 'the preset\'s setting');
      assert.equal(await f.locator('#c-rng').inputValue(), 'stream');
      assert.equal(await f.locator('#verdict').getAttribute('data-grads'), DROPOUT.expect.grads);
    }
  }, t);
});

test('both full-mode snippets give the full lab with the chosen control left out', async (t) => {
  assert.ok(snippets.full, 'the first test wrote the snippets');
  await withPage({ width: 800, height: 1200 }, async (page, context) => {
    await coursePage(page, context, [snippets.full.iframe, snippets.full.element]);
    const frames = [await frameOf(page.locator('body > iframe')), await frameOf(page.locator('accum-lab iframe'))];
    await Promise.all(frames.map((f) => waitForVerdict(f, 60000)));
    for (const f of frames) {
      assert.equal(await f.evaluate(() => document.documentElement.classList.contains('embed')), false, 'the full lab');
      assert.equal(await f.locator('#c-seed').count(), 0, 'the hidden control is absent');
      assert.equal(await f.locator('#c-reduction').count(), 1);
      assert.equal(await f.locator('#c-m').inputValue(), '16');
      assert.equal(await f.locator('#verdict').getAttribute('data-grads'), DROPOUT.expect.grads);
    }
  }, t);
});

test('the live preview: the embed at the chosen size, reloaded ~300 ms after a change, scaled down to fit', async (t) => {
  await withPage({ width: 1366, height: 768 }, async (page) => {
    await openLab(page, `${lab.url}?k=8`);
    await openDialog(page);
    const frameEl = page.locator('.embed-preview-frame');
    await frameEl.waitFor();
    const first = await frameEl.getAttribute('src');
    assert.equal(first, await page.locator('#embed-dialog').getAttribute('data-url'));
    assert.deepEqual(Object.fromEntries(new URL(first).searchParams), { k: '8', embed: '1' });
    const preview = await frameOf(frameEl);
    await waitForVerdict(preview, 60000);
    assert.equal(await preview.locator('#c-k').inputValue(), '8');
    assert.deepEqual(await frameEl.evaluate((f) => [f.offsetWidth, f.offsetHeight]), [700, 500]);

    // A change: the snippets at once, the preview after the pause (one reload for a burst).
    const t0 = Date.now();
    await page.locator('.embed-more summary').click();
    assert.match(await page.locator('.embed-more summary').innerText(), /^Other controls: 0 of \d+ shown$/);
    await page.locator('#embed-dialog').getByLabel('Micro-batch size m', { exact: true }).uncheck();
    await page.locator('#embed-dialog').getByLabel('Learning rate', { exact: true }).check();
    assert.match(await code(page, 'iframe'), /hide=m&amp;show=lr|hide=m&show=lr/);
    assert.equal(await page.locator('.embed-preview-frame').getAttribute('src'), first, 'not reloaded at once');
    await page.waitForFunction((old) => document.querySelector('.embed-preview-frame')?.getAttribute('src') !== old, first);
    const waited = Date.now() - t0;
    assert.ok(waited >= 250, `reloaded after ${waited} ms`);
    const next = await page.locator('.embed-preview-frame').getAttribute('src');
    assert.deepEqual(Object.fromEntries(new URL(next).searchParams), { k: '8', embed: '1', hide: 'm', show: 'lr' });
    const p2 = await frameOf(page.locator('.embed-preview-frame'));
    await waitForVerdict(p2, 60000);
    assert.equal(await p2.locator('#c-m').count(), 0);
    assert.equal(await p2.locator('#c-lr').count(), 1);

    // Wider than the column: drawn at its size, scaled down to fit (a size change does not reload).
    await page.locator('#embed-dialog').getByLabel('Width', { exact: true }).fill('1200');
    await page.waitForFunction(() => Number(document.querySelector('#embed-dialog').dataset.previewScale) < 1);
    const box = await page.evaluate(() => {
      const f = document.querySelector('.embed-preview-frame');
      const fit = document.querySelector('.embed-preview');
      return { w: f.offsetWidth, drawn: f.getBoundingClientRect().width, room: fit.clientWidth };
    });
    assert.equal(box.w, 1200);
    assert.ok(box.drawn <= box.room + 1, `drawn ${box.drawn} in ${box.room}`);
    assert.match(await page.locator('#embed-preview-note').innerText(), /1200 × 500 pixels, shown at \d+ % to fit/);

    // Escape inside the preview closes the dialog as well.
    await p2.locator('#c-k').focus();
    await page.keyboard.press('Escape');
    await page.waitForFunction(() => !document.querySelector('#embed-dialog').open);
    assert.equal(await page.evaluate(() => document.activeElement?.id), 'embed-open');
  }, t);
});

test('Copy without the Clipboard API: the snippet is selected to copy by hand', async (t) => {
  await withPage({ width: 1366, height: 768 }, async (page, context) => {
    await context.addInitScript(() => {
      Object.defineProperty(Navigator.prototype, 'clipboard', { get: () => undefined, configurable: true });
    });
    await openLab(page, lab.url);
    await openDialog(page);
    await page.locator('#embed-dialog').getByRole('button', { name: 'Copy the accum-lab code' }).click();
    const sel = await page.locator('#embed-code-element').evaluate((t) => [document.activeElement === t, t.selectionStart, t.selectionEnd, t.value.length]);
    assert.deepEqual(sel, [true, 0, sel[3], sel[3]], 'the whole snippet is selected');
    assert.match(await page.locator('.embed-copy-note').nth(1).innerText(), /Selected: press Ctrl\+C/);
  }, t);
});

for (const [width, height] of [[1366, 768], [375, 667]]) {
  test(`the open dialog at ${width}×${height}: fits the viewport, scrolls inside, no serious axe violation, visible focus ring`, async (t) => {
    await withPage({ width, height }, async (page) => {
      await openLab(page, `${lab.url}?preset=dropout`);
      const pageWidth = await page.evaluate(() => document.documentElement.scrollWidth);
      await openDialog(page);
      await page.locator('.embed-preview-frame').waitFor();
      await waitForVerdict(await frameOf(page.locator('.embed-preview-frame')), 60000);
      await page.screenshot({ path: `/tmp/embed-dialog-${width}x${height}.png` });

      const fit = await dialogFit(page);
      assert.equal(fit.inside, true, 'the dialog is inside the viewport');
      assert.deepEqual(fit.wide, [], 'nothing in the dialog sticks out sideways');
      assert.equal(fit.scrollWidth, pageWidth, `the dialog adds no sideways scrolling to the page (${JSON.stringify(fit)})`);
      // What does not fit scrolls inside the dialog: its last part can be scrolled into view.
      await page.locator('.embed-preview').scrollIntoViewIfNeeded();
      assert.equal((await dialogFit(page)).inside, true);
      assert.ok(await page.locator('.embed-preview').isVisible());
      if (width < 600) {
        const scale = Number(await page.locator('#embed-dialog').getAttribute('data-preview-scale'));
        assert.ok(scale < 1, `the 700 px preview is scaled (${scale})`);
        await page.locator('.embed-preview').screenshot({ path: `/tmp/embed-dialog-${width}x${height}-preview.png` });
      }
      await page.locator('.embed-controls').scrollIntoViewIfNeeded();
      await page.screenshot({ path: `/tmp/embed-dialog-${width}x${height}-controls.png` });

      // A focused control in the dialog has a ring of at least 3:1 against the dialog.
      await page.locator('#embed-mode-compact').focus();
      await page.keyboard.press('Tab');
      await page.keyboard.press('Shift+Tab');
      const ring = await page.evaluate(() => {
        const e = document.activeElement;
        const cs = getComputedStyle(e);
        return { id: e.id, style: cs.outlineStyle, width: parseFloat(cs.outlineWidth), color: cs.outlineColor,
          bg: getComputedStyle(document.querySelector('#embed-dialog')).backgroundColor };
      });
      assert.equal(ring.style, 'solid', JSON.stringify(ring));
      assert.ok(ring.width >= 2, JSON.stringify(ring));
      assert.ok(contrast(ring.color, ring.bg) >= 3, `ring ${ring.color} on ${ring.bg}: ${contrast(ring.color, ring.bg).toFixed(2)}:1`);

      const result = await axeRun(page, 'dialog');
      const list = seriousAxe;
      assert.deepEqual(list(result.violations), [], 'no serious or critical axe violation');
      // Nothing left for review either, but the preview frame (the lab page, tested on its own; axe is not injected there).
      assert.deepEqual(list(result.incomplete.filter((v) => v.id !== 'frame-tested')), [], 'nothing serious left for review');
      t.diagnostic(`axe: ${result.passes.length} rules pass, violations: ${result.violations.map((v) => `${v.id}/${v.impact}`).join(', ') || 'none'}`
        + `, for review: ${result.incomplete.map((v) => v.id).join(', ') || 'none'}`);
    }, t);
  });
}
