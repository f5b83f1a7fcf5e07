// The lab at a glance (issue 13): the verdict and the first chart on the first screen at
// 1366×768 for every preset, the verdict in view on a phone after a preset tap, compact
// mode at 700×500 with no cut-off select text, layout shift ≤ 0.1 over load and actions,
// and the new results replacing the old at once (never the old verdict under a new story).
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { PRESETS } from '../../wasm/presets.mjs';
import { openLab, screenshot, startLab, waitForVerdict } from './helpers.mjs';

let lab;
before(async () => { lab = await startLab(); });
after(async () => { await lab?.close(); });

/** Records layout shifts (without recent input, as Web Vitals' CLS counts them). */
const watchShifts = () => {
  window.__shifts = [];
  new PerformanceObserver((list) => {
    for (const e of list.getEntries()) {
      if (!e.hadRecentInput) window.__shifts.push({ value: e.value, at: e.startTime, sources: (e.sources || []).map((s) => s.node?.id || s.node?.className || s.node?.nodeName) });
    }
  }).observe({ type: 'layout-shift', buffered: true });
};
const shiftTotal = (page) => page.evaluate(() => window.__shifts.reduce((a, s) => a + s.value, 0));

/** Top and bottom of elements in viewport pixels. */
const boxes = (page, selectors) => page.evaluate((sels) => Object.fromEntries(sels.map((s) => {
  const r = document.querySelector(s)?.getBoundingClientRect();
  return [s, r ? { top: r.top, bottom: r.bottom, left: r.left, right: r.right } : null];
})), selectors);

async function choose(page, id) {
  await page.evaluate(() => { document.body.dataset.phase = 'clicked'; });
  await page.click(`button.preset[data-preset="${id}"]`);
  await waitForVerdict(page);
}

test('1366×768: with every preset, the verdict (headline and key numbers) and the first chart are on the first screen', async () => {
  const { page, problems } = await lab.newPage({ width: 1366, height: 768 });
  await openLab(page, lab.url);
  for (const id of ['defaults', ...PRESETS.map((p) => p.id)]) {
    await choose(page, id);
    await page.evaluate(() => window.scrollTo(0, 0));
    const b = await boxes(page, ['#verdict .verdict-head', '#verdict .key-numbers', 'figure[data-chart="ratio"] canvas']);
    for (const [sel, r] of Object.entries(b)) {
      assert.ok(r, `${id}: ${sel} exists`);
      assert.ok(r.top >= 0 && r.bottom <= 768, `${id}: ${sel} spans ${Math.round(r.top)}-${Math.round(r.bottom)} px, inside the 768 px screen`);
    }
  }
  await screenshot(page, 'glance-1366-adam');
  assert.deepEqual(problems, []);
  await page.context().close();
});

test('the verdict is a landmark named "Verdict"; the skip link leads to it', async () => {
  const { page } = await lab.newPage({ width: 1366, height: 768 });
  await openLab(page, lab.url);
  const region = await page.evaluate(() => {
    const v = document.getElementById('verdict');
    return { role: v.getAttribute('role'), name: v.getAttribute('aria-label') };
  });
  assert.deepEqual(region, { role: 'region', name: 'Verdict' });
  assert.equal(await page.getByRole('region', { name: 'Verdict' }).count(), 1);
  await page.keyboard.press('Tab');
  assert.equal(await page.evaluate(() => document.activeElement.className), 'skip', 'the first Tab reaches the skip link');
  await page.keyboard.press('Enter');
  await page.waitForFunction(() => location.hash === '#verdict');
  await page.context().close();
});

test('375×667 phone: after a preset tap the new verdict is in view (the sticky verdict line)', async () => {
  const { page, problems } = await lab.newPage({ width: 375, height: 667 });
  await openLab(page, lab.url);
  await page.locator('#presets-box').evaluate((d) => { d.open = true; });
  for (const id of ['clipping', 'forum-sum']) {
    await page.locator(`button.preset[data-preset="${id}"]`).scrollIntoViewIfNeeded();
    await choose(page, id);
    const shown = await page.evaluate(() => {
      const inView = (el) => { const r = el.getBoundingClientRect(); return r.top >= 0 && r.bottom <= innerHeight && r.height > 0 && getComputedStyle(el).display !== 'none'; };
      const head = document.querySelector('#verdict .verdict-head');
      const line = document.getElementById('verdict-summary');
      return { head: head.textContent, headInView: inView(head), line: line.textContent, lineInView: inView(line) };
    });
    assert.ok(shown.headInView || (shown.lineInView && shown.line.startsWith(shown.head)),
      `${id}: the verdict "${shown.head}" is on screen (verdict ${shown.headInView}, sticky line "${shown.line}" ${shown.lineInView})`);
  }
  await screenshot(page, 'glance-phone');
  // From the top of the page, tapping the line brings the verdict itself into view, and the
  // line steps aside while the verdict is on screen.
  await page.evaluate(() => window.scrollTo(0, 0));
  await page.waitForFunction(() => !document.getElementById('verdict-summary').classList.contains('is-hidden'));
  await page.click('#verdict-summary');
  await page.waitForFunction(() => { const r = document.getElementById('verdict').getBoundingClientRect(); return r.top >= -1 && r.top < innerHeight / 2; });
  await page.waitForFunction(() => document.getElementById('verdict-summary').classList.contains('is-hidden'));
  assert.deepEqual(problems, []);
  await page.context().close();
});

test('700×500 compact embed: the main controls, the verdict and one chart without scrolling; no select text cut off', async () => {
  const { page, problems } = await lab.newPage({ width: 700, height: 500 });
  for (const query of ['embed=1', 'embed=1&preset=forum-mean-lr', 'embed=1&preset=clipping&show=clipAt']) {
    await openLab(page, `${lab.url}?${query}`);
    const b = await boxes(page, ['#c-m', '#c-k', '#c-reduction', '#c-dropout', '#run', '#verdict .verdict-head', '#verdict .key-numbers', 'figure[data-chart="ratio"] canvas']);
    for (const [sel, r] of Object.entries(b)) {
      assert.ok(r, `${query}: ${sel} exists`);
      assert.ok(r.top >= 0 && r.bottom <= 500 && r.right <= 700, `${query}: ${sel} at ${Math.round(r.top)}-${Math.round(r.bottom)} × ${Math.round(r.left)}-${Math.round(r.right)}, inside 700×500`);
    }
    // Every select is at least as wide as it would make itself for its options (Chromium sizes
    // an unconstrained select to its widest option and the arrow): a narrower one cuts text off.
    const cut = await page.evaluate(() => [...document.querySelectorAll('#settings select')].filter((s) => s.offsetParent).map((s) => {
      const free = s.cloneNode(true);
      Object.assign(free.style, { width: 'auto', maxWidth: 'none', minWidth: '0', position: 'absolute', visibility: 'hidden' });
      s.parentElement.append(free);
      const need = free.getBoundingClientRect().width;
      free.remove();
      return { id: s.id, need: Math.ceil(need), has: Math.floor(s.getBoundingClientRect().width) };
    }).filter((x) => x.has < x.need - 1));
    assert.deepEqual(cut, [], `${query}: select text cut off`);
  }
  await screenshot(page, 'glance-embed');
  assert.deepEqual(problems, []);
  await page.context().close();
});

test('layout shift ≤ 0.1 over load and five preset clicks, at 1366×768 and in the 700×500 embed', async () => {
  for (const [w, h, query] of [[1366, 768, ''], [700, 500, '?embed=1']]) {
    const { page } = await lab.newPage({ width: w, height: h });
    await page.addInitScript(watchShifts);
    await openLab(page, `${lab.url}${query}`);
    await page.waitForTimeout(300); // the charts' plots are made after the first frames
    const atLoad = await shiftTotal(page);
    if (!query) {
      for (const id of ['clipping', 'scheduler', 'forum-sum', 'batchnorm', 'poorer-results']) await choose(page, id);
    } else {
      // Keys, as a user changes a select (a programmatic change is no user input to Web Vitals).
      await page.focus('#c-reduction');
      for (const key of ['ArrowDown', 'ArrowUp', 'ArrowDown']) {
        await page.evaluate(() => { document.body.dataset.phase = 'clicked'; });
        await page.keyboard.press(key);
        await waitForVerdict(page);
      }
    }
    await page.waitForTimeout(300);
    const total = await shiftTotal(page);
    const shifts = await page.evaluate(() => window.__shifts);
    assert.ok(total <= 0.1, `${w}×${h}: layout shift ${total.toFixed(3)} (at load ${atLoad.toFixed(3)}): ${JSON.stringify(shifts.filter((s) => s.value > 0.005))}`);
    await page.context().close();
  }
});

test('at once: a preset click replaces the old verdict and story together, with no debounce', async () => {
  const { page } = await lab.newPage({ width: 1366, height: 768 });
  await openLab(page, `${lab.url}?preset=forum-sum`);
  // Watch every frame from the click on: the story and the verdict must change in the same frame.
  await page.evaluate(() => {
    window.__frames = [];
    const look = () => {
      window.__frames.push({ story: document.getElementById('story-title').textContent, grads: document.getElementById('verdict').dataset.grads ?? '', t: performance.now() });
      if (window.__frames.length < 600) requestAnimationFrame(look);
    };
    window.__t0 = performance.now();
    requestAnimationFrame(look);
  });
  await page.click('button.preset[data-preset="clipping"]');
  await waitForVerdict(page);
  const frames = await page.evaluate(() => window.__frames);
  const title = PRESETS.find((p) => p.id === 'clipping').title;
  const mixed = frames.filter((f) => f.story === title && f.grads === 'bitwise');
  assert.deepEqual(mixed, [], 'no frame shows the new story over the old (bitwise) verdict');
  const done = await page.evaluate(() => performance.now() - window.__t0);
  assert.ok(done < 2000, `the verdict came ${done.toFixed(0)} ms after the click`);
  await page.context().close();
});

test('the live region announces the verdict once per run, not every step; the slider has a value text', async () => {
  const { page } = await lab.newPage({ width: 1366, height: 768 });
  await openLab(page, lab.url);
  await page.evaluate(() => {
    window.__said = [];
    new MutationObserver(() => window.__said.push(document.getElementById('announce').textContent))
      .observe(document.getElementById('announce'), { childList: true, characterData: true, subtree: true });
  });
  await choose(page, 'scheduler');
  const said = await page.evaluate(() => window.__said);
  assert.equal(said.length, 1, `announced: ${JSON.stringify(said)}`);
  assert.equal(said[0].replace(/\.$/, ''), await page.locator('#verdict .verdict-head').textContent());
  const live = await page.evaluate(() => [...document.querySelectorAll('[aria-live], [role="status"], [role="alert"]')].map((e) => e.id || e.className));
  assert.ok(!live.includes('status') && !live.includes('verdict'), `the step counter and the verdict box are not live regions: ${live}`);
  const valuetext = await page.locator('#step-slider').getAttribute('aria-valuetext');
  assert.match(valuetext, /^step \d+ of 20/);
  await page.context().close();
});

test('a Try button keeps the keyboard focus on the verdict, and says when it changed a hidden setting', async () => {
  const { page } = await lab.newPage({ width: 1366, height: 768 });
  await openLab(page, `${lab.url}?preset=dropout`);
  const fix = page.locator('#verdict button.fix').first();
  await fix.focus();
  await page.evaluate(() => { document.body.dataset.phase = 'clicked'; });
  await page.keyboard.press('Enter');
  await waitForVerdict(page);
  assert.equal(await page.evaluate(() => document.activeElement.id), 'verdict', 'focus moved to the verdict, not to <body>');
  assert.equal(await page.locator('.verdict-note').isVisible(), false, 'every setting is shown in the full lab');
  await page.context().close();

  // Compact mode hides the RNG control: the Try says it changed it; Reset returns to the link's settings.
  const embed = await lab.newPage({ width: 700, height: 500 });
  await openLab(embed.page, `${lab.url}?embed=1&preset=dropout`);
  await embed.page.evaluate(() => { document.body.dataset.phase = 'clicked'; });
  await embed.page.locator('#verdict button.fix').first().click();
  await waitForVerdict(embed.page);
  assert.match(await embed.page.locator('.verdict-note').textContent(), /not shown here/);
  assert.match(embed.page.url(), /rng=keyed/);
  await embed.page.evaluate(() => { document.body.dataset.phase = 'clicked'; });
  await embed.page.click('#reset');
  await embed.page.waitForFunction(() => document.body.dataset.phase === 'idle');
  assert.doesNotMatch(embed.page.url(), /rng=keyed/, 'Reset returns to the link');
  assert.match(embed.page.url(), /preset=dropout/);
  await embed.page.context().close();
});
