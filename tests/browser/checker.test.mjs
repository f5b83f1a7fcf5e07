// Browser tests of "Check my training loop" (web/checker-panel.mjs): the StackOverflow loop
// answered in order (what breaks, expected noise, what is right, the corrected code), the code
// copied (Clipboard API, and the selected-text fallback), axe-core on the panel, the layout at
// 1366×768 (in a wide area: the page's own section) and on a 375×667 phone. Screenshots: test-artifacts/checker-*.png (CHECKER_SHOTS=dir for another place).
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { STACKOVERFLOW_LOOP, CHOICES } from '../../wasm/checker.mjs';
import { ARTIFACTS, axeViolations, readPanel, startLab, waitForVerdict } from './helpers.mjs';

const SHOTS = process.env.CHECKER_SHOTS || ARTIFACTS;
const SO_KEY = CHOICES.map((c) => STACKOVERFLOW_LOOP[c.key]).join(',');

/** Opens the checker wherever the page put it (a closed <details> or <dialog> around it). */
async function openChecker(page) {
  await page.locator('#checker').evaluate((e) => {
    for (let d = e.closest('details'); d; d = d.parentElement?.closest('details')) d.open = true;
    const dialog = e.closest('dialog');
    if (dialog && !dialog.open) dialog.showModal();
    e.scrollIntoView({ block: 'start' });
  });
  await page.waitForSelector('#checker-out[data-loop]');
}

/** Clicks an example loop and waits for its answer. */
async function pickStackOverflow(page) {
  await page.click('#checker button[data-example="stackoverflow"]');
  await page.waitForSelector(`#checker-out[data-loop="${SO_KEY}"]`);
}

/** Moves the panel (listeners and all) into a full-width section below the page's layout. */
async function wideHost(page) {
  await page.evaluate(() => {
    const host = document.createElement('section');
    host.id = 'wide-checker';
    host.setAttribute('aria-label', 'Check my training loop');
    Object.assign(host.style, { maxWidth: '1500px', margin: '0 auto 1rem', padding: '1rem clamp(.75rem, 3vw, 2rem)', background: '#fff' });
    host.append(document.getElementById('checker'));
    document.querySelector('.layout').after(host);
  });
}

let lab;
before(async () => { lab = await startLab(); });
after(async () => { await lab?.close(); });

test('the StackOverflow loop: what breaks, expected noise, what is right, then the corrected code, in that order', async () => {
  const { page, context, problems } = await lab.newPage({ width: 1366, height: 768 });
  try {
    await context.grantPermissions(['clipboard-read', 'clipboard-write'], { origin: new URL(lab.url).origin });
    await page.goto(lab.url);
    await waitForVerdict(page);
    await openChecker(page);
    await pickStackOverflow(page);
    // The example set every select (each with a label).
    for (const c of CHOICES) assert.equal(await page.inputValue(`#chk-${c.key}`), STACKOVERFLOW_LOOP[c.key], c.key);
    const unlabelled = await page.$$eval('#checker select', (s) => s.filter((x) => !x.labels.length || !x.labels[0].textContent.trim()).map((x) => x.id));
    assert.deepEqual(unlabelled, []);

    // The short summary is what the live region announces.
    const live = await page.$eval('#chk-summary', (e) => ({ live: e.getAttribute('aria-live'), text: e.textContent, inAnswer: !!e.closest('#checker-out') }));
    assert.equal(live.live, 'polite');
    assert.ok(live.inAnswer);
    assert.match(live.text, /^Not equivalent to the big batch: 2 things to fix; 1 expected noise \(dropout\); 5 things done right\./);

    // Four parts, with headings, in this order in the document and on the screen.
    const parts = await page.$$eval('#checker-out [data-part]', (ss) => ss.map((s) => {
      const h = s.querySelector('h2, h3, h4, h5, h6'), r = h.getBoundingClientRect();
      return { part: s.dataset.part, heading: h.textContent, labelled: s.getAttribute('aria-labelledby') === h.id, top: r.top, left: r.left };
    }));
    assert.deepEqual(parts.map((p) => p.part), ['breaks', 'noise', 'right', 'code']);
    assert.deepEqual(parts.map((p) => p.heading), ['1. What breaks equivalence', '2. Expected noise', '3. What the loop does right', '4. The corrected loop']);
    assert.ok(parts.every((p) => p.labelled));
    assert.ok(parts[0].top < parts[1].top && parts[1].top < parts[2].top, 'parts 1-3 top to bottom');
    assert.ok(parts[3].top > parts[2].top || parts[3].left > parts[0].left, 'the code after part 3 or beside parts 1-3');

    // 1. Two bugs, each with its fix; no Adam-eps "cause" (a note on the unscaled mean).
    const breaks = await page.$$eval('#checker-out .chk-break', (li) => li.map((x) => ({ id: x.dataset.cause, title: x.querySelector('.chk-item-title').textContent, fix: x.querySelector('.chk-fix')?.textContent ?? '' })));
    assert.deepEqual(breaks.map((b) => b.id), ['mean_unscaled', 'variable_targets']);
    assert.ok(breaks.every((b) => /^Fix: /.test(b.fix)), JSON.stringify(breaks));
    assert.ok(!breaks.some((b) => /eps/i.test(b.title)), 'no Adam-eps cause');
    assert.match(await page.textContent('#checker-out .chk-break[data-cause="mean_unscaled"] .chk-note'), /only through eps/);
    // 2. Dropout under noise, with the check plain PyTorch can do.
    const noise = await page.$$eval('#checker-out .chk-noise-item', (li) => li.map((x) => [x.dataset.noise, x.textContent]));
    assert.deepEqual(noise.map(([id]) => id), ['dropout_stream', 'summation_order']);
    assert.match(noise[0][1], /noise, not a bug/);
    assert.match(noise[0][1], /turn dropout off.*or use keyed masks/);
    // 3. What it does right.
    const right = await page.$$eval('#checker-out .chk-ok', (li) => li.map((x) => x.textContent));
    assert.ok(right.some((r) => /^✓ Clips once, after the last backward/.test(r)), right.join('\n'));
    assert.ok(right.some((r) => /^✓ Steps the scheduler once per optimizer step/.test(r)), right.join('\n'));
    // 4. The corrected code, copied through the Clipboard API.
    const code = await page.textContent('#checker-code code');
    assert.match(code, /loss = loss \/ num_items_in_batch/);
    assert.match(code, /# expected noise: nn\.Dropout/);
    await page.click('#checker-copy');
    await page.waitForFunction(() => document.getElementById('checker-copy-note').textContent === 'Copied');
    assert.equal(await page.evaluate(() => navigator.clipboard.readText()), code);
    // Where the clipboard refuses, the code is selected to copy by hand.
    await page.evaluate(() => { navigator.clipboard.writeText = () => Promise.reject(new DOMException('denied', 'NotAllowedError')); });
    await page.click('#checker-copy');
    await page.waitForSelector('#checker-code[data-copied="selected"]');
    assert.equal((await page.evaluate(() => getSelection().toString())).trimEnd(), code.trimEnd()); // a selection drops the last newline
    assert.match(await page.textContent('#checker-copy-note'), /selected/);

    // axe-core: no serious or critical violation in the panel.
    assert.deepEqual(await axeViolations(page, '#checker'), []);
    await page.evaluate(() => getSelection().removeAllRanges());

    // In a wide area (the page's own section; a full-width host where the page still gives it
    // a narrow column): choices in several columns, the answer's words beside the code.
    if ((await page.locator('#checker').evaluate((e) => e.getBoundingClientRect().width)) < 600) await wideHost(page);
    const wide = await page.evaluate(() => {
      const root = document.getElementById('checker');
      const cols = new Set([...root.querySelectorAll('.chk-field')].map((f) => Math.round(f.getBoundingClientRect().left)));
      const r = (s) => root.querySelector(s).getBoundingClientRect();
      return { width: root.getBoundingClientRect().width, height: root.getBoundingClientRect().height, columns: cols.size, codeLeft: r('[data-part="code"]').left, breaksRight: r('[data-part="breaks"]').right };
    });
    const host = page.locator('#checker').locator('xpath=ancestor::section[1]');
    await host.screenshot({ path: join(SHOTS, 'checker-1366.png') });
    assert.ok(wide.width >= 600, JSON.stringify(wide));
    assert.ok(wide.columns >= 3, `${wide.columns} columns of choices`);
    assert.ok(wide.codeLeft >= wide.breaksRight, 'the code beside the words');
    assert.ok(wide.height < 1500, `${wide.height} px tall`);
    assert.deepEqual(await axeViolations(page, '#checker'), []);
    await host.evaluate((e) => e.scrollIntoView({ block: 'start' }));
    await page.screenshot({ path: join(SHOTS, 'checker-1366-viewport.png') });
    assert.deepEqual(problems, [], 'no console errors');
  } finally {
    await context.close();
  }
});

test('Run it runs the loop the panel describes; the corrected loop differs only by dropout noise', async () => {
  const { page, context, problems } = await lab.newPage({ width: 1366, height: 768 });
  try {
    await page.goto(lab.url);
    await waitForVerdict(page);
    await openChecker(page);
    await pickStackOverflow(page);
    const predicted = (await page.getAttribute('#checker-out', 'data-causes')).split(' ');
    const named = (p) => p.causes.filter((id) => id !== 'clip_masks' && id !== 'summation_order');
    await page.evaluate(() => { document.body.dataset.phase = 'clicked'; });
    await page.click('#checker-run');
    await waitForVerdict(page, 60000);
    const p = await readPanel(page);
    assert.deepEqual(named(p), predicted, p.text);
    await page.evaluate(() => { document.body.dataset.phase = 'clicked'; });
    await page.click('#checker-run-fixed');
    await waitForVerdict(page, 60000);
    const q = await readPanel(page);
    assert.deepEqual(named(q), ['dropout_stream'], q.text);
    assert.equal(await page.inputValue('#c-correction'), 'global_count');
    assert.deepEqual(problems, [], 'no console errors');
  } finally {
    await context.close();
  }
});

test('on a 375×667 phone: one column, nothing wider than the screen but the code (which scrolls), axe clean', async () => {
  const { page, context, problems } = await lab.newPage({ width: 375, height: 667 });
  try {
    await page.goto(lab.url);
    await waitForVerdict(page);
    await openChecker(page);
    await pickStackOverflow(page);
    const layout = await page.evaluate(() => {
      const root = document.getElementById('checker'), vw = document.documentElement.clientWidth;
      const cols = new Set([...root.querySelectorAll('.chk-field')].map((f) => Math.round(f.getBoundingClientRect().left)));
      const sticking = [...root.querySelectorAll('*')].filter((e) => !e.closest('pre') && e.getBoundingClientRect().right > vw + 0.5)
        .map((e) => e.id || e.className || e.tagName);
      const pre = document.getElementById('checker-code');
      return { cols: cols.size, sticking, pageWidth: document.documentElement.scrollWidth, vw, preScrolls: pre.scrollWidth > pre.clientWidth, preRight: pre.getBoundingClientRect().right };
    });
    assert.equal(layout.cols, 1);
    assert.deepEqual(layout.sticking, []);
    assert.ok(layout.pageWidth <= layout.vw, JSON.stringify(layout));
    assert.ok(layout.preRight <= layout.vw + 0.5 && layout.preScrolls, 'the code scrolls inside its box');
    assert.deepEqual(await axeViolations(page, '#checker'), []);
    await page.locator('#checker').screenshot({ path: join(SHOTS, 'checker-375.png') });
    await page.locator('#checker-out').evaluate((e) => e.scrollIntoView({ block: 'start' }));
    await page.screenshot({ path: join(SHOTS, 'checker-375-viewport.png') });
    assert.deepEqual(problems, [], 'no console errors');
  } finally {
    await context.close();
  }
});
