// Accessibility (issue 13): axe-core finds no serious or critical violation in any state of
// the lab — the default, every preset, running, stale, error, compact embed, the checker
// open — and the focus ring is ≥ 3:1 against the page; stale results keep their contrast.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { PRESETS } from '../../wasm/presets.mjs';
import { axeViolations, openLab, openSection, setControl, startLab, waitForVerdict } from './helpers.mjs';

let lab;
before(async () => { lab = await startLab(); });
after(async () => { await lab?.close(); });

const violations = axeViolations;

async function choose(page, id) {
  await page.evaluate(() => { document.body.dataset.phase = 'clicked'; });
  await page.click(`button.preset[data-preset="${id}"]`);
  await waitForVerdict(page);
}

test('axe: the default page and every preset, at 1366×768', async () => {
  const { page } = await lab.newPage({ width: 1366, height: 768 });
  await openLab(page, lab.url);
  assert.deepEqual(await violations(page), [], 'default');
  for (const p of PRESETS) {
    await choose(page, p.id);
    assert.deepEqual(await violations(page), [], p.id);
  }
  await page.context().close();
});

test('axe: running, stale, refused by the engine, and with the checker open', async () => {
  const { page } = await lab.newPage({ width: 1366, height: 768 });
  await openLab(page, lab.url);
  // running: a long run, looked at mid-way
  await page.evaluate(() => { document.body.dataset.phase = 'clicked'; });
  await openSection(page, 'run');
  await setControl(page, 'steps', 20000);
  await page.waitForFunction(() => document.body.dataset.phase === 'running' && Number(document.getElementById('progress').value) > 0);
  assert.deepEqual(await violations(page), [], 'running');
  await page.click('#stop');
  await page.waitForFunction(() => document.body.dataset.phase === 'paused');
  // stale: no automatic re-run, a changed setting
  await page.uncheck('#auto');
  await setControl(page, 'k', 2);
  await page.waitForFunction(() => document.body.dataset.phase === 'stale');
  assert.equal(await page.locator('#verdict').evaluate((v) => v.classList.contains('is-stale')), true);
  const staleOpacity = await page.locator('#verdict .verdict-head').evaluate((h) => {
    let o = 1;
    for (let e = h; e; e = e.parentElement) o *= Number(getComputedStyle(e).opacity);
    return o;
  });
  assert.equal(staleOpacity, 1, 'stale results are marked, not faded');
  assert.deepEqual(await violations(page), [], 'stale');
  // refused: a batch the engine does not allow (m·k over 4096)
  await page.check('#auto');
  await page.evaluate(() => { document.body.dataset.phase = 'clicked'; });
  await setControl(page, 'm', 4096);
  await setControl(page, 'k', 64);
  await page.waitForFunction(() => document.body.dataset.phase === 'error');
  assert.equal(await page.locator('#run-error').isVisible(), true);
  assert.deepEqual(await violations(page), [], 'error');
  // the checker, opened from the header link
  await page.click('a.head-link');
  await page.locator('#checker-section').scrollIntoViewIfNeeded();
  assert.deepEqual(await violations(page), [], 'checker open');
  await page.context().close();
});

test('axe: compact embed at 700×500, and the phone at 375×667', async () => {
  for (const [w, h, q] of [[700, 500, '?embed=1&preset=clipping'], [375, 667, '?preset=dropout']]) {
    const { page } = await lab.newPage({ width: w, height: h });
    await openLab(page, `${lab.url}${q}`);
    assert.deepEqual(await violations(page), [], `${w}×${h} ${q}`);
    await page.context().close();
  }
});

test('the focus ring is at least 3:1 against the page around it', async () => {
  const { page } = await lab.newPage({ width: 1366, height: 768 });
  await openLab(page, lab.url);
  await page.focus('#run');
  await page.keyboard.press('Shift+Tab');
  await page.keyboard.press('Tab'); // keyboard focus: :focus-visible
  const { ring, background } = await page.evaluate(() => {
    const cs = getComputedStyle(document.activeElement);
    const bg = getComputedStyle(document.querySelector('.runbar')).backgroundColor;
    return { ring: cs.outlineColor, background: bg, width: cs.outlineWidth };
  });
  const lum = (rgb) => {
    const [r, g, b] = rgb.match(/\d+(\.\d+)?/g).slice(0, 3).map(Number).map((v) => {
      const c = v / 255;
      return c <= 0.03928 ? c / 12.92 : ((c + 0.055) / 1.055) ** 2.4;
    });
    return 0.2126 * r + 0.7152 * g + 0.0722 * b;
  };
  const [a, b] = [lum(ring), lum(background)].sort((x, y) => y - x);
  const ratio = (a + 0.05) / (b + 0.05);
  assert.ok(ratio >= 3, `focus ring ${ring} on ${background}: ${ratio.toFixed(2)}:1`);
  await page.context().close();
});

test('keyboard: Run is a few Tabs from the top (the presets are one Tab stop, arrows move inside)', async () => {
  const { page } = await lab.newPage({ width: 1366, height: 768 });
  await openLab(page, lab.url);
  await page.evaluate(() => document.activeElement?.blur());
  let tabs = 0;
  const path = [];
  while (tabs < 60) {
    await page.keyboard.press('Tab');
    tabs++;
    const id = await page.evaluate(() => document.activeElement.id || document.activeElement.dataset.preset || document.activeElement.textContent.trim().slice(0, 20));
    path.push(id);
    if (id === 'run') break;
  }
  assert.ok(tabs <= 20, `Run after ${tabs} Tabs (35 before the presets became one Tab stop): ${path.join(' → ')}`);
  assert.equal(path.filter((id) => PRESETS.some((p) => p.id === id) || id === 'defaults').length, 1, 'one Tab stop in the preset list');
  // Inside the list the arrows move, Enter chooses.
  const order = await page.$$eval('button.preset', (bs) => bs.map((b) => b.dataset.preset)); // page order, by group
  await page.focus('button.preset[data-preset="defaults"]');
  await page.keyboard.press('ArrowDown');
  assert.equal(await page.evaluate(() => document.activeElement.dataset.preset), order[1]);
  await page.keyboard.press('End');
  assert.equal(await page.evaluate(() => document.activeElement.dataset.preset), order.at(-1));
  await page.evaluate(() => { document.body.dataset.phase = 'clicked'; });
  await page.keyboard.press('Enter');
  await waitForVerdict(page);
  assert.equal(await page.getAttribute(`button.preset[data-preset="${order.at(-1)}"]`, 'aria-pressed'), 'true');
  await page.context().close();
});
