// Embedding the lab: the Copy link button, compact mode (?embed=1, hide=, show=, preset=),
// two <accum-lab> elements on one page, and the JSON / CSV / PNG exports.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { copyFileSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import {
  ARTIFACTS, downloadOf, openLab, readPanel, run, screenshot, setControl, startLab, waitForVerdict,
} from './helpers.mjs';
import { execFileSync } from 'node:child_process';
import { EMBED_DEFAULT_KEYS, fullLabURL, readEmbedParams, visibleKeys } from '../../web/embed.mjs';
import { shortHash, stepsCSV } from '../../web/export.mjs';
import { stateFromURL, urlFromState, defaultState } from '../../web/state.mjs';
import { PRESETS } from '../../wasm/presets.mjs';

const PRESET_IDS = PRESETS.map((p) => p.id);

// --- the pure parts (Node)

test('embed parameters: known keys kept in table order, unknown ones named and ignored', () => {
  const e = readEmbedParams('?embed=1&hide=dropout,bogus&show=lr,m&preset=nope', PRESET_IDS);
  assert.equal(e.embed, true);
  assert.deepEqual(e.hide, ['dropout']);
  assert.deepEqual(e.show, ['m', 'lr']);
  assert.equal(e.preset, null);
  assert.deepEqual(e.problems.map((p) => `${p.key}=${p.value}`), ['hide=bogus', 'preset=nope']);
  assert.deepEqual(visibleKeys(e), ['m', 'k', 'reduction', 'lr']);
  assert.deepEqual(visibleKeys({ embed: false, hide: ['k'], show: [] }).length, visibleKeys({ embed: false, hide: [], show: [] }).length - 1);
  assert.deepEqual(EMBED_DEFAULT_KEYS, ['m', 'k', 'reduction', 'dropout']);
  assert.equal(fullLabURL('http://x/lab/?m=3&embed=1&hide=k,reduction&show=lr&preset=dropout'), 'http://x/lab/?m=3&preset=dropout');
});

test('a preset link: settings in the link change the preset, and the link is written back the same', () => {
  const base = stateFromURL('').state;
  const preset = { ...base, dropout: 0.3, correction: 'scale_loss' };
  const { state, rejected } = stateFromURL('?m=16&preset=dropout&embed=1', preset);
  assert.deepEqual(rejected, []);
  assert.equal(state.m, 16);
  assert.equal(state.dropout, 0.3);
  assert.equal(urlFromState(state, { preset: 'dropout' }, preset), '?m=16&preset=dropout');
  // The same state without a preset base spells out every difference from the defaults.
  assert.equal(urlFromState(state), '?m=16&correction=scale_loss&dropout=0.3'); // in the settings' order
  assert.deepEqual(stateFromURL('?m=16', defaultState()).state, { ...defaultState(), m: 16 });
});

test('CSV: one row per step with the named columns; config hash is stable and short', () => {
  const rec = {
    step: 1, lossRef: 0.5, lossAcc: 0.25, lrRef: 0.1, lrAcc: 0.1, gradNormRef: 1, gradNormAcc: 4, gradCategory: 'scaled',
    grad: { allclose: false, bitwise: false, maxAbsDiff: 3, normRatio: 4, maxUlp: Infinity },
    params: { allclose: true, bitwise: true, maxAbsDiff: 0 },
  };
  const lines = stepsCSV([rec, { ...rec, step: 2 }]).trim().split('\n');
  assert.equal(lines.length, 3);
  const head = lines[0].split(',');
  for (const c of ['step', 'lossRef', 'lossAcc', 'lrRef', 'lrAcc', 'grad.maxAbsDiff', 'grad.normRatio', 'params.maxAbsDiff']) {
    assert.ok(head.includes(c), c);
  }
  const row = Object.fromEntries(head.map((h, i) => [h, lines[1].split(',')[i]]));
  assert.equal(row.lossAcc, '0.25');
  assert.equal(row['grad.normRatio'], '4');
  assert.equal(row['grad.maxUlp'], 'Infinity');
  assert.equal(row['params.bitwise'], 'true');
  assert.match(shortHash('{"a":1}'), /^[0-9a-f]{8}$/);
  assert.notEqual(shortHash('{"a":1}'), shortHash('{"a":2}'));
});

// --- in the browser

let lab;
before(async () => { lab = await startLab(); });
after(async () => { await lab?.close(); });

/** A watched page; after body(page, context): no console errors and no foreign requests. */
async function withPage(opts, body) {
  const { page, context, problems, requests } = await lab.newPage(opts);
  try {
    await body(page, context);
    assert.deepEqual(problems, [], 'no console errors, page errors or failed requests');
    const foreign = requests.filter((u) => !u.startsWith(lab.root) && !/^(data|blob):/.test(u));
    assert.deepEqual(foreign, [], 'no requests beyond the page\'s own files');
  } finally {
    await context.close();
  }
}

test('Copy link puts the page\'s URL, with every setting, on the clipboard and says so', async () => {
  await withPage({}, async (page, context) => {
    await context.grantPermissions(['clipboard-read', 'clipboard-write'], { origin: lab.url });
    await openLab(page, `${lab.url}?preset=dropout`);
    await setControl(page, 'm', 16);
    await page.click('#copy-link');
    await page.waitForFunction(() => document.getElementById('copy-note').textContent === 'Link copied');
    const copied = await page.evaluate(() => navigator.clipboard.readText());
    assert.equal(copied, page.url());
    assert.equal(new URL(copied).search, '?m=16&preset=dropout');
    assert.equal(await page.locator('#copy-field').isVisible(), false);
    // The link opens the same settings.
    await openLab(page, copied);
    assert.equal(await page.locator('#c-m').inputValue(), '16');
    assert.equal(await page.locator('#c-dropout').inputValue(), '0.3');
  });
});

test('Copy link without the Clipboard API: the link is shown in a selected text field', async () => {
  await withPage({}, async (page, context) => {
    await context.addInitScript(() => {
      Object.defineProperty(Navigator.prototype, 'clipboard', { get: () => undefined, configurable: true });
    });
    await openLab(page, `${lab.url}?k=8`);
    await page.click('#copy-link');
    const field = page.locator('#copy-field');
    assert.equal(await field.isVisible(), true);
    assert.equal(await field.inputValue(), page.url());
    const sel = await field.evaluate((f) => [document.activeElement === f, f.selectionStart, f.selectionEnd, f.value.length]);
    assert.deepEqual(sel, [true, 0, sel[3], sel[3]], 'the whole link is selected');
    assert.match(await page.locator('#copy-note').innerText(), /Copy the selected link/);
  });
});

/** Whether an element lies wholly inside the viewport (no scrolling needed to see it). */
function inViewport(page, selector) {
  return page.locator(selector).evaluate((e) => {
    const r = e.getBoundingClientRect();
    return r.width > 0 && r.height > 0 && r.top >= 0 && r.left >= 0 && r.bottom <= innerHeight && r.right <= innerWidth;
  });
}

test('compact mode at 700x500: main controls and the verdict visible without scrolling, hide= and show= work, round trip', async () => {
  await withPage({ width: 700, height: 500 }, async (page) => {
    await openLab(page, `${lab.url}?embed=1&hide=dropout&show=lr`);
    for (const key of ['m', 'k', 'reduction', 'lr']) assert.equal(await inViewport(page, `#c-${key}`), true, key);
    assert.equal(await page.locator('#c-dropout').count(), 0, 'hidden control is not on the page');
    assert.equal(await page.locator('#c-seed').count(), 0, 'compact mode leaves out the other settings');
    assert.equal(await inViewport(page, '#verdict'), true, 'the whole verdict');
    assert.equal(await inViewport(page, '#run'), true);
    assert.equal(await page.locator('.page-head').isVisible(), false);
    assert.equal(await page.locator('.page-foot').isVisible(), false);
    assert.equal(await page.locator('.runs-explain').isVisible(), false);
    assert.ok(await page.evaluate(() => document.documentElement.scrollWidth <= document.documentElement.clientWidth), 'no sideways scrolling');
    assert.equal((await readPanel(page)).grads, 'scaled');
    assert.equal(await page.locator('#full-lab').getAttribute('href'), lab.url);
    await page.screenshot({ path: join(ARTIFACTS, 'embed-700x500.png') });

    // A change stays in compact mode in the URL; the full-lab link drops only the page params.
    // (A summed loss is 32 times a mean one: lr 0.01 keeps SGD stable, see lab.test.mjs.)
    await setControl(page, 'reduction', 'sum');
    await setControl(page, 'lr', 0.01);
    await run(page);
    assert.equal(new URL(page.url()).search, '?reduction=sum&lr=0.01&embed=1&hide=dropout&show=lr');
    assert.equal(await page.locator('#full-lab').getAttribute('href'), `${lab.url}?reduction=sum&lr=0.01`);
    assert.equal(await page.locator('#full-lab').getAttribute('target'), '_blank');
    await page.reload();
    await waitForVerdict(page);
    assert.equal(await page.locator('#c-reduction').inputValue(), 'sum');
    assert.equal(await page.locator('#c-dropout').count(), 0);
    assert.ok(['bitwise', 'rounding'].includes((await readPanel(page)).grads));
  });
});

test('compact mode: an unknown key in hide= is named and ignored; hiding all four main controls works', async () => {
  await withPage({ width: 700, height: 500 }, async (page) => {
    await openLab(page, `${lab.url}?embed=1&hide=bogus,k`);
    assert.equal(await page.locator('#url-message').isVisible(), true);
    assert.match(await page.locator('#url-message').innerText(), /hide=bogus names no setting of the lab/);
    assert.equal(await page.locator('#c-k').count(), 0);
    assert.equal(await page.locator('#c-m').count(), 1);
    await openLab(page, `${lab.url}?embed=1&hide=m,k,reduction,dropout`);
    assert.equal(await page.locator('#settings .field').count(), 0);
    assert.equal(await inViewport(page, '#verdict'), true);
  });
});

test('compact mode with a preset: its story is shown and its verdict reached', async () => {
  const preset = PRESETS.find((p) => p.id === 'dropout');
  await withPage({ width: 700, height: 500 }, async (page) => {
    await openLab(page, `${lab.url}?embed=1&preset=dropout`);
    assert.equal(await page.locator('#c-dropout').inputValue(), '0.3');
    assert.equal(await page.locator('#story-title').innerText(), preset.title);
    const shown = await readPanel(page);
    assert.equal(shown.grads, preset.expect.grads);
    assert.equal(await inViewport(page, '#verdict'), true);
    await page.screenshot({ path: join(ARTIFACTS, 'embed-preset-dropout.png') });
  });
});

const TWO_LABS = `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>Two labs</title>
<script type="module" src="accum-lab.mjs"></script>
<style>body { font-family: sans-serif; margin: 1rem; } accum-lab { margin: 0 0 1rem; }</style>
</head><body>
<h1>Two labs on one page</h1>
<p>Sum reduction:</p>
<accum-lab id="a" reduction="sum" batch-size="8" accum-steps="4" learning-rate="0.01" width="700" height="500"></accum-lab>
<p>Mean reduction, no correction:</p>
<accum-lab id="b" reduction="mean" accum-steps="4" width="700" height="500" label="Lab B"></accum-lab>
</body></html>`;

async function labFrame(page, id) {
  const handle = await page.locator(`#${id} iframe`).elementHandle();
  return handle.contentFrame();
}

test('two <accum-lab> elements on one page run independently and follow their attributes', async () => {
  await withPage({ width: 800, height: 1200 }, async (page, context) => {
    // A host page next to the lab's files (as a course page would be).
    await context.route(`${lab.url}two-labs.html`, (route) => route.fulfill({ contentType: 'text/html', body: TWO_LABS }));
    await page.goto(`${lab.url}two-labs.html`);
    const [a, b] = [await labFrame(page, 'a'), await labFrame(page, 'b')];
    await Promise.all([waitForVerdict(a, 60000), waitForVerdict(b, 60000)]);

    const iframeA = page.locator('#a iframe');
    assert.match(await iframeA.getAttribute('title'), /accumlab/);
    assert.equal(await page.locator('#b iframe').getAttribute('title'), 'Lab B');
    const src = new URL(await iframeA.getAttribute('src'));
    assert.equal(src.pathname, '/web/index.html');
    assert.deepEqual(Object.fromEntries(src.searchParams), { m: '8', k: '4', reduction: 'sum', lr: '0.01', embed: '1' });
    assert.deepEqual(await iframeA.evaluate((f) => [f.offsetWidth, f.offsetHeight]), [700, 500]);

    // Each lab's verdict and main controls are visible in its 700x500 frame without scrolling.
    for (const f of [a, b]) {
      for (const sel of ['#verdict', '#c-m', '#c-k', '#c-reduction', '#c-dropout', '#run']) {
        assert.equal(await inViewport(f, sel), true, sel);
      }
    }
    const pa = await readPanel(a);
    const pb = await readPanel(b);
    assert.ok(['bitwise', 'rounding'].includes(pa.grads), pa.grads);
    assert.match(pa.head, /^Same/);
    assert.equal(pa.table.grad.normRatio, '1.0000');
    assert.equal(pb.grads, 'scaled');
    assert.match(pb.head, /4 ×/);
    assert.equal(pb.table.grad.normRatio, '4.0000');
    await screenshot(page, 'two-labs');

    // Changing an attribute reloads that lab only.
    await b.evaluate(() => { window.untouched = true; });
    await page.locator('#a').evaluate((e) => { e.setAttribute('reduction', 'mean'); e.setAttribute('accum-steps', '2'); });
    await page.waitForFunction(() => document.querySelector('#a').shadowRoot.querySelector('iframe').src.includes('reduction=mean'));
    const a2 = await labFrame(page, 'a');
    await a2.waitForURL(/reduction=mean/);
    await waitForVerdict(a2, 60000);
    const pa2 = await readPanel(a2);
    assert.equal(pa2.grads, 'scaled');
    assert.match(pa2.head, /2 ×/);
    assert.equal(await b.evaluate(() => window.untouched), true, 'the other lab was not reloaded');
    assert.equal((await readPanel(b)).grads, 'scaled');
  });
});


test('exports: JSON and CSV hold what the panel shows, PNG is an image of the chart', async () => {
  await withPage({}, async (page) => {
    await openLab(page, lab.url);
    const shown = await readPanel(page);
    assert.equal(shown.grads, 'scaled');

    const json = await downloadOf(page, '#export-json');
    assert.match(json.name, /^accumlab-[0-9a-f]{8}-20steps\.json$/);
    const data = JSON.parse(json.bytes.toString('utf8'));
    assert.deepEqual(data.config, JSON.parse(await page.locator('#config-json').textContent()));
    assert.equal(data.url, page.url());
    assert.equal(data.result.steps.length, 20);
    assert.equal(data.result.verdict.grads, shown.grads);
    assert.equal(data.result.verdict.params, shown.params);
    assert.equal(data.result.paramCount, data.result.initialParams.length);
    assert.equal(data.result.final.paramsAcc.length, data.result.paramCount);
    // The table opens at the first differing step (1): its numbers are the JSON's.
    const first = data.result.steps[0];
    assert.equal(shown.step, '1 / 20 · first difference');
    assert.equal(shown.table.grad.normRatio, first.grad.normRatio.toFixed(4));
    assert.equal(shown.table.grad.cosine, first.grad.cosine.toFixed(7));
    const fmt = (v) => page.evaluate(async (x) => (await import('./charts.mjs')).fmt(x), v);
    assert.equal(shown.table.grad.maxAbsDiff, await fmt(first.grad.maxAbsDiff));
    assert.equal(shown.table.params.maxAbsDiff, await fmt(first.params.maxAbsDiff));

    const csv = await downloadOf(page, '#export-csv');
    assert.equal(csv.name, json.name.replace(/\.json$/, '.csv'));
    const lines = csv.bytes.toString('utf8').trim().split('\n');
    assert.equal(lines.length, 21, 'a header and one row per step');
    const head = lines[0].split(',');
    const rows = lines.slice(1).map((l) => Object.fromEntries(l.split(',').map((v, i) => [head[i], v])));
    rows.forEach((r, i) => {
      const s = data.result.steps[i];
      assert.equal(Number(r.step), i + 1);
      assert.equal(Number(r.lossRef), s.lossRef);
      assert.equal(Number(r.lossAcc), s.lossAcc);
      assert.equal(Number(r.lrRef), s.lrRef);
      assert.equal(Number(r.lrAcc), s.lrAcc);
      assert.equal(Number(r['grad.maxAbsDiff']), s.grad.maxAbsDiff);
      assert.equal(Number(r['params.maxAbsDiff']), s.params.maxAbsDiff);
    });
    assert.equal(Number(rows[0]['grad.normRatio']).toFixed(4), shown.table.grad.normRatio);
    const info = await page.locator('.step-info').innerText();
    assert.ok(info.includes(`reference ${await fmt(Number(rows[0].lossRef))}, accumulated ${await fmt(Number(rows[0].lossAcc))}`), info);

    for (const chart of ['loss', 'diff', 'ratio']) {
      const png = await downloadOf(page, `button.export-png[data-chart="${chart}"]`);
      assert.equal(png.name, json.name.replace(/\.json$/, `-${chart}.png`));
      assert.deepEqual([...png.bytes.subarray(0, 8)], [0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a], 'PNG signature');
      const width = png.bytes.readUInt32BE(16);
      const height = png.bytes.readUInt32BE(20);
      const canvas = await page.locator(`figure[data-chart="${chart}"] canvas`).evaluate((c) => [c.width, c.height]);
      assert.ok(width > canvas[0] && height > canvas[1], `${chart}: ${width}x${height} holds the ${canvas} plot, a title and a legend`);
      assert.ok(png.bytes.length > 5000, `${chart}: ${png.bytes.length} bytes`);
      copyFileSync(png.path, join(ARTIFACTS, `export-${chart}.png`));
    }
  });
});

test('the PyTorch script download: real PyTorch runs it to the verdict the page shows', async () => {
  await withPage({}, async (page) => {
    await openLab(page, `${lab.url}?preset=forum-mean-lr`);
    const shown = await readPanel(page);
    const script = await downloadOf(page, '#export-torch');
    assert.match(script.name, /^forum-mean-lr-[0-9a-f]{8}-5steps\.py$/);
    assert.match(script.bytes.toString('utf8'), /^#!\/usr\/bin\/env python3\n"""Forum example: mean reduction, lr 1\.0 vs 0\.5: /);
    const out = JSON.parse(execFileSync('/usr/bin/python3', [script.path, '--json'], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] }));
    assert.deepEqual([out.verdict.grads, out.verdict.params], [shown.grads, shown.params]);
    assert.equal(out.steps.length, 5);
  });
});

test('exports from a preset are named after it', async () => {
  await withPage({}, async (page) => {
    await openLab(page, `${lab.url}?preset=forum-sum`);
    const json = await downloadOf(page, '#export-json');
    assert.match(json.name, /^forum-sum-[0-9a-f]{8}-5steps\.json$/);
    assert.equal(JSON.parse(json.bytes.toString('utf8')).result.verdict.grads, 'bitwise');
  });
});
