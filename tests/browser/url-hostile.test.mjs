// The page opened with hostile links (tests/browser/hostile-urls.mjs, fixed seed): no page
// errors, no markup inserted (values are only ever written as text), every rejected value
// named in the visible message, the controls showing what the parser decided, and the lab
// still giving the right verdict for the next good link.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { SETTINGS, formatValue, stateFromURL } from '../../web/state.mjs';
import { createLab } from '../../wasm/accumlab.mjs';
import { hostileQueries } from './hostile-urls.mjs';
import { LISTED, short } from '../../web/url-problems.mjs';
import { readPanel, screenshot, startLab, waitForVerdict } from './helpers.mjs';

export const HOSTILE_COUNT = 80;
const QUERIES = hostileQueries(HOSTILE_COUNT, 7, { pageParams: false, long: false });
const GOOD = '?k=2&reduction=sum&opt=adam&norm=layernorm&steps=12';

let lab, engine;
before(async () => { lab = await startLab(); engine = await createLab(); });
after(async () => { await lab?.close(); });

/** Elements that could run code or change the page, and every on* attribute. */
function census(page) {
  return page.evaluate(() => {
    const tags = ['script', 'img', 'iframe', 'object', 'embed', 'svg', 'style', 'link', 'base', 'meta', 'form', 'a'];
    const counts = Object.fromEntries(tags.map((t) => [t, document.getElementsByTagName(t).length]));
    counts.onAttributes = [...document.querySelectorAll('*')]
      .flatMap((e) => [...e.attributes].filter((a) => /^on/i.test(a.name)).map((a) => `${e.tagName}[${a.name}]`)).length;
    counts.javascriptLinks = document.querySelectorAll('[href^="javascript:" i], [src^="javascript:" i]').length;
    counts.rawMarkupInHTML = /<(img|script|svg|iframe)\b/i.test(document.getElementById('url-message').innerHTML);
    counts.xss = window.__xss !== undefined;
    return counts;
  });
}

function readControls(page) {
  return page.evaluate((keys) => Object.fromEntries(keys.map((k) => {
    const c = document.getElementById(`c-${k}`);
    return [k, c.type === 'checkbox' ? String(c.checked) : c.value];
  })), SETTINGS.map((s) => s.key));
}

async function checkGoodRun(page) {
  await page.goto(lab.url + GOOD);
  await waitForVerdict(page);
  assert.equal(await page.locator('#url-message').isVisible(), false);
  const shown = await readPanel(page);
  const config = JSON.parse(await page.locator('#config-json').textContent());
  const v = engine.compare(config).verdict;
  assert.deepEqual({ grads: shown.grads, params: shown.params }, { grads: v.grads, params: v.params }, 'the verdict Node gives');
}

test(`${HOSTILE_COUNT} hostile links: no errors, no markup, every rejection shown, and the next good link runs right`, async (t) => {
  const { page, context, problems } = await lab.newPage();
  try {
    await page.goto(lab.url);
    await waitForVerdict(page);
    const baseline = await census(page);
    assert.equal(baseline.onAttributes, 0);
    let rejections = 0;
    for (const [i, q] of QUERIES.entries()) {
      await page.goto(lab.url + q);
      await page.waitForFunction(() => document.body.dataset.phase && document.body.dataset.phase !== 'loading');
      const search = await page.evaluate(() => location.search); // as the browser normalised it
      const { state, rejected } = stateFromURL(search);
      const where = `link ${i}: ${q.slice(0, 200)}`;
      assert.deepEqual(await census(page), baseline, `no markup inserted, nothing ran (${where})`);
      const box = page.locator('#url-message');
      assert.equal(await box.isVisible(), rejected.length > 0, `message shown iff a value was rejected (${where})`);
      if (rejected.length) {
        const text = await box.textContent();
        // the first LISTED rejections by name (long values shortened), then how many more
        for (const r of rejected.slice(0, LISTED)) assert.ok(text.includes(`${r.key}=${short(r.value)}`), `the message names ${r.key} (${where})`);
        if (rejected.length > LISTED) assert.ok(text.includes(`… and ${rejected.length - LISTED} more.`), `the rest counted (${where})`);
      }
      const controls = await readControls(page);
      for (const s of SETTINGS) assert.equal(controls[s.key], formatValue(s, state[s.key]), `control ${s.key} (${where})`);
      assert.deepEqual(problems, [], `no console or page errors (${where})`);
      rejections += rejected.length;
      if (i === 3) await screenshot(page, 'url-hostile');
      if (i % 20 === 19) await checkGoodRun(page);
    }
    await checkGoodRun(page);
    t.diagnostic(`${HOSTILE_COUNT} links, ${rejections} rejected values shown`);
    assert.ok(rejections >= HOSTILE_COUNT, 'the links were mostly bad');
  } finally {
    await context.close();
  }
});
