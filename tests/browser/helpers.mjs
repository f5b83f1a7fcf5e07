// Shared set-up for the browser tests: build the site, serve it on a free port, launch
// Debian's Chromium through playwright-core, and watch console errors and requests.
import { mkdirSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { after, before } from 'node:test';
import { chromium } from 'playwright-core';
import { buildSite } from '../../web/tools/build-site.mjs';
import { serve } from '../../web/tools/serve.mjs';

export const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '../..');
export const ARTIFACTS = join(ROOT, 'test-artifacts');

const CHROMIUM_ARGS = [
  '--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run',
  '--disable-background-networking', '--disable-component-update', '--disable-sync',
];

/** Debian's Chromium, headless, through playwright-core (no server: see startLab). */
export async function launchChromium() {
  mkdirSync(ARTIFACTS, { recursive: true });
  return chromium.launch({ executablePath: process.env.CHROMIUM || '/usr/bin/chromium', args: CHROMIUM_ARGS });
}

/** A new page (own context) that records console errors, page errors and requests. */
export async function newWatchedPage(browser, { width = 1280, height = 900 } = {}) {
  const context = await browser.newContext({ viewport: { width, height } });
  const page = await context.newPage();
  const problems = [];
  const requests = [];
  page.on('console', (m) => {
    if (m.type() === 'error' || m.type() === 'warning') problems.push(`console.${m.type()}: ${m.text()}`);
  });
  page.on('pageerror', (e) => problems.push(`pageerror: ${e.message}\n${e.stack}`));
  page.on('requestfailed', (r) => problems.push(`request failed: ${r.url()}`));
  page.on('request', (r) => requests.push(r.url()));
  page.on('response', (r) => { if (r.status() >= 400) problems.push(`HTTP ${r.status()}: ${r.url()}`); });
  return { page, context, problems, requests };
}

/**
 * Builds the site into a fresh temporary directory (ACCUMLAB_ENGINE_DIR picks another
 * engine directory, default wasm/), serves it and launches Chromium.
 * Returns {url (the lab page's directory, .../web/), root (the site's), browser, newPage, close}.
 */
export async function startLab() {
  const out = mkdtempSync(join(tmpdir(), 'accumlab-site-'));
  const engine = process.env.ACCUMLAB_ENGINE_DIR ? resolve(process.env.ACCUMLAB_ENGINE_DIR) : undefined;
  buildSite({ out, engine });
  const { server, url } = await serve(out, 0);
  const browser = await launchChromium();

  /** A new page (own context) that records console errors, page errors and requests. */
  const newPage = (opts) => newWatchedPage(browser, opts);

  async function close() {
    await browser.close();
    await new Promise((ok) => server.close(ok));
    rmSync(out, { recursive: true, force: true });
  }
  // The page sits at web/ as in the repo (build-site keeps the repo's layout).
  return { url: `${url}web/`, root: url, browser, newPage, close };
}

/** Waits until the page finished a run (Run enabled again and a verdict shown). */
export async function waitForVerdict(page, timeout = 30000) {
  await page.waitForFunction(() => {
    const phase = document.body.dataset.phase;
    const v = document.getElementById('verdict');
    return (phase === 'done' || phase === 'paused') && v && v.dataset.grads;
  }, null, { timeout });
}

/** Opens the page and waits for the first (automatic) run to finish. */
export async function openLab(page, url) {
  await page.goto(url);
  await waitForVerdict(page);
}

/** Sets a control through the UI, as a user would, and commits it. */
export async function setControl(page, key, value) {
  const control = page.locator(`#c-${key}`);
  const tag = await control.evaluate((e) => e.tagName + (e.type ? `:${e.type}` : ''));
  if (tag.startsWith('SELECT')) await control.selectOption(String(value));
  else if (tag === 'INPUT:checkbox') await control.setChecked(Boolean(value));
  else {
    await control.fill(String(value));
    await control.press('Enter');
  }
}

/** Opens a collapsed settings section by its summary text. */
export async function openSection(page, group) {
  await page.locator(`details[data-group="${group}"]`).evaluate((d) => { d.open = true; });
}

/** Does something that starts a run (a click, a setting), then waits for that run's verdict. */
export async function afterRunOf(page, action, timeout = 60000) {
  await page.evaluate(() => { document.body.dataset.phase = 'clicked'; });
  await action();
  await waitForVerdict(page, timeout);
}

/** Presses Run and waits for the verdict of that run. */
export async function run(page) {
  await page.evaluate(() => { document.body.dataset.phase = 'clicked'; });
  await page.click('#run');
  await waitForVerdict(page);
}

/** What the equality panel and verdict show. */
export async function readPanel(page) {
  return page.evaluate(() => {
    const v = document.getElementById('verdict');
    const cell = (metric, of) => document.querySelector(`tr[data-metric="${metric}"] td[data-of="${of}"]`)?.textContent.trim();
    const metrics = ['allclose', 'bitwise', 'maxAbsDiff', 'maxRelDiff', 'relNormDiff', 'maxUlp', 'cosine', 'normRatio'];
    const table = {};
    for (const of of ['grad', 'params']) {
      table[of] = Object.fromEntries(metrics.map((m) => [m, cell(m, of)]));
    }
    return {
      grads: v.dataset.grads,
      params: v.dataset.params,
      head: v.querySelector('.verdict-head').textContent,
      text: v.querySelector('.verdict-text').textContent,
      causes: [...v.querySelectorAll('.cause')].map((c) => c.dataset.cause),
      table,
      step: document.getElementById('step-out').textContent,
    };
  });
}

/** Points per series in every chart, as the charts report them. */
export async function chartPoints(page) {
  return page.evaluate(() => Object.fromEntries([...document.querySelectorAll('figure.chart')]
    .map((f) => [f.dataset.chart, JSON.parse(f.dataset.points || '{}')])));
}

export async function screenshot(page, name) {
  await page.screenshot({ path: join(ARTIFACTS, `${name}.png`), fullPage: true });
}

/** Clicks a button and returns the download: {name, bytes, path}. */
export async function downloadOf(page, selector) {
  const [download] = await Promise.all([page.waitForEvent('download'), page.click(selector)]);
  const path = await download.path();
  return { name: download.suggestedFilename(), bytes: readFileSync(path), path };
}

/** axe-core's source (a devDependency): evaluated through the DevTools protocol, since the page's CSP refuses inline scripts. */
const AXE_SOURCE = () => readFileSync(join(ROOT, 'node_modules/axe-core/axe.min.js'), 'utf8');

/** Serious and critical entries of an axe result list, as short lines. */
export const seriousAxe = (list) => list.filter((v) => v.impact === 'serious' || v.impact === 'critical')
  .map((v) => `${v.id} (${v.impact}): ${v.nodes.slice(0, 3).map((n) => n.target.join(' ')).join(' | ')}${v.nodes.length > 3 ? ` … ${v.nodes.length} nodes` : ''}`);

/** axe-core's whole result for the page (or the element matching `selector`). */
export async function axeRun(page, selector = null, options = {}) {
  if (!(await page.evaluate(() => Boolean(window.axe)))) await page.evaluate(AXE_SOURCE());
  return page.evaluate(([sel, opts]) => window.axe.run(sel ? document.querySelector(sel) : document, opts), [selector, options]);
}

/** Serious and critical axe-core violations on the page (or under `selector`), as short lines. */
export async function axeViolations(page, selector = null, options = {}) {
  return seriousAxe((await axeRun(page, selector, { resultTypes: ['violations'], ...options })).violations);
}

/** One lab and one page for a whole test file: started before its tests (set receives
 * {lab, page, context, problems}), closed after them. */
export function shareOnePage(size, set) {
  let shared = {};
  before(async () => {
    const lab = await startLab();
    shared = { lab, ...(await lab.newPage(size)) };
    set(shared);
  });
  after(async () => {
    await shared.context?.close();
    await shared.lab?.close();
  });
}
