// Browser tests of "Check my training loop" (web/checker-panel.mjs): the StackOverflow loop
// answered in order (what breaks, expected noise, what is right, the corrected code), the code
// copied (Clipboard API, and the selected-text fallback), axe-core on the panel, the layout at
// 1366×768 (in a wide area: the page's own section) and on a 375×667 phone; a framework and
// GPUs picked (Lightning on 2 GPUs with the short last group kept, Accelerate's scheduler on
// 2 GPUs), the answer read in that framework's terms and run. Screenshots: test-artifacts/checker-*.png (CHECKER_SHOTS=dir for another place).
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { STACKOVERFLOW_LOOP, CHOICES, defaultChoices } from '../../wasm/checker.mjs';
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
    // (1500 before the framework and GPU questions: their bar is one more line, about 45 px)
    assert.ok(wide.height < 1550, `${wide.height} px tall`);
    assert.deepEqual(await axeViolations(page, '#checker'), []);
    await host.evaluate((e) => e.scrollIntoView({ block: 'start' }));
    await page.screenshot({ path: join(SHOTS, 'checker-1366-viewport.png') });
    assert.deepEqual(problems, [], 'no console errors');
  } finally {
    await context.close();
  }
});

/** Picks answers in the panel's selects (in this order), then waits for the answer to that loop. */
async function pick(page, answers) {
  for (const [key, value] of Object.entries(answers)) await page.selectOption(`#chk-${key}`, value);
  const want = CHOICES.map((c) => (c.key in answers ? answers[c.key] : null));
  await page.waitForFunction((w) => {
    const loop = document.getElementById('checker-out').dataset.loop?.split(',') ?? [];
    return w.every((v, i) => v === null || loop[i] === v) && !document.getElementById('checker-out').hasAttribute('aria-busy');
  }, want);
}

test('a framework and GPUs: Lightning on 2 GPUs with the short last group, then Accelerate\'s scheduler; answered in their terms, and run', async () => {
  const { page, context, problems } = await lab.newPage({ width: 1366, height: 768 });
  try {
    await page.goto(lab.url);
    await waitForVerdict(page);
    await openChecker(page);
    // The two questions come first, with the core's frameworks; a plain loop on one GPU by default.
    const setup = await page.$$eval('#checker .chk-setup select', (s) => s.map((x) => [x.id, x.value, x.labels[0].textContent, [...x.options].map((o) => o.value)]));
    assert.deepEqual(setup.map(([id]) => id), ['chk-framework', 'chk-workers']);
    assert.deepEqual(setup.map(([, v]) => v), ['pytorch', '1']);
    assert.deepEqual(setup.map(([, , l]) => l), ['Framework', 'GPUs (data-parallel workers)']);
    assert.deepEqual(setup[0][3], ['pytorch', 'lightning', 'accelerate', 'hf_trainer_before_4_46', 'hf_trainer', 'deepspeed']);
    assert.deepEqual(setup[1][3], ['1', '2', '4']);
    assert.equal(await page.textContent('label[for="chk-scaling"]'), 'Each micro-batch loss is');

    await pick(page, { framework: 'lightning', workers: '2', clipping: 'after', scheduler: 'per_step', optimizer: 'adamw', uneven: 'yes' });
    // The loss question now asks what you do on top of Lightning; its answers are Lightning's.
    assert.equal(await page.textContent('label[for="chk-scaling"]'), 'The loss training_step returns');
    assert.match(await page.textContent('#chk-scaling-help'), /don't divide it yourself too/);
    assert.deepEqual(await page.$$eval('#chk-scaling option', (o) => o.map((x) => x.value)), ['none', 'global']);
    // Clipping after every backward does not exist on several GPUs (the core does not simulate it).
    const perMicro = await page.$eval('#chk-clipping option[value="per_micro"]', (o) => ({ disabled: o.disabled, text: o.textContent }));
    assert.ok(perMicro.disabled && /several GPUs/.test(perMicro.text), JSON.stringify(perMicro));
    // The answer, for Lightning: the short last group breaks it, and the fix is Lightning's.
    assert.match(await page.textContent('#chk-summary'), /^Not equivalent to the big batch: 1 thing to fix; .* Answered for PyTorch Lightning 2\.6 on 2 GPUs\.$/);
    const breaks = await page.$$eval('#checker-out .chk-break', (li) => li.map((x) => ({ id: x.dataset.cause, text: x.textContent })));
    assert.deepEqual(breaks.map((b) => b.id), ['uneven_last_group']);
    assert.match(breaks[0].text, /issue #19987/);
    assert.match(breaks[0].text, /Fix: don't divide the loss yourself.*drop_last=True/);
    const right = await page.$$eval('#checker-out .chk-ok', (li) => li.map((x) => x.textContent));
    assert.ok(right.some((r) => /Clips once.*gradient_clip_val/.test(r)), right.join('\n'));
    // The corrected loop is Lightning code, launched on 2 GPUs.
    const code = await page.textContent('#checker-code code');
    assert.match(code, /^import lightning as L$/m);
    assert.match(code, /trainer = L\.Trainer\(\n    accumulate_grad_batches=k,/);
    assert.match(code, /devices=2, strategy="ddp"/);
    assert.match(code, /drop_last=True\)/);
    assert.match(await page.getAttribute('#checker-code', 'aria-label'), /Lightning code/);
    assert.match(await page.textContent('#checker .chk-run-note'), /2 simulated GPUs/);
    assert.deepEqual(await axeViolations(page, '#checker'), []);
    // The screenshot of this answer at 1366×768, in a wide area.
    if ((await page.locator('#checker').evaluate((e) => e.getBoundingClientRect().width)) < 600) await wideHost(page);
    const host = page.locator('#checker').locator('xpath=ancestor::section[1]');
    await host.screenshot({ path: join(SHOTS, 'checker-lightning.png') });
    await host.evaluate((e) => e.scrollIntoView({ block: 'start' }));
    await page.screenshot({ path: join(SHOTS, 'checker-lightning-viewport.png') });

    // Run it: the lab runs Lightning's loop on 2 simulated GPUs and names what the checker said.
    const predicted = (await page.getAttribute('#checker-out', 'data-causes')).split(' ');
    assert.deepEqual(predicted, ['uneven_last_group']);
    await page.evaluate(() => { document.body.dataset.phase = 'clicked'; });
    await page.click('#checker-run');
    await waitForVerdict(page, 60000);
    const p = await readPanel(page);
    assert.deepEqual(p.causes.filter((id) => id !== 'clip_masks' && id !== 'summation_order'), predicted, p.text);
    assert.equal(await page.inputValue('#c-framework'), 'lightning');
    assert.equal(await page.inputValue('#c-workers'), '2');

    // Accelerate on 2 GPUs with a prepared scheduler: it steps num_processes times per step.
    await page.locator('#checker').evaluate((e) => e.scrollIntoView({ block: 'start' }));
    await pick(page, { framework: 'accelerate', uneven: 'no' });
    assert.equal(await page.inputValue('#chk-scaling'), 'none', 'a new framework starts from "not divided by you"');
    const accBreaks = await page.$$eval('#checker-out .chk-break', (li) => li.map((x) => [x.dataset.cause, x.querySelector('.chk-fix').textContent]));
    assert.deepEqual(accBreaks.map(([id]) => id), ['scheduler_steps_multiplied']);
    assert.match(accBreaks[0][1], /num_processes \(2\).*split_batches=True/);
    const accCode = await page.textContent('#checker-code code');
    assert.match(accCode, /^# launch: accelerate launch --num_processes=2 train\.py$/m);
    assert.match(accCode, /accelerator = Accelerator\(gradient_accumulation_steps=k\)/);
    assert.match(accCode, /with accelerator\.accumulate\(model\):/);
    assert.match(accCode, /if accelerator\.sync_gradients:\n\s+scheduler\.step\(\)/);
    // Back to a plain loop on one GPU: the questions read as before.
    await pick(page, defaultChoices());
    assert.equal(await page.textContent('label[for="chk-scaling"]'), 'Each micro-batch loss is');
    assert.doesNotMatch(await page.textContent('#chk-summary'), /Answered for/);
    assert.deepEqual(await axeViolations(page, '#checker'), []);
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
