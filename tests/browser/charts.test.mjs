// Browser tests of web/charts.mjs: the charts that carry the lesson. Most tests make a
// standalone instance (createCharts on an empty column of a blank page served with the site)
// and push step records the engine computes here in Node, so each chart is checked on a known
// experiment without the page's controller; the last ones check the lab page itself.
//   ratio     same-point norm ratio, lines at 1 and at k, y range holding both
//   lr        shown only when the runs' learning rates differ; at most one change per run
//   gradnorm  shown only with clipping; the threshold line; the ratio gains "before clipping"
//   cursor    setCursor draws a marker in every chart; hovering calls onCursor(step | null)
// Screenshots of the 480 px column go to test-artifacts/charts-*.png.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { ARTIFACTS, axeViolations, chartPoints, openLab, startLab } from './helpers.mjs';
import { PRESETS } from '../../wasm/presets.mjs';
import { createLab } from '../../wasm/accumlab.mjs';


let lab;
let engine;
before(async () => {
  engine = await createLab();
  lab = await startLab();
});
after(async () => { await lab?.close(); });

/** The step records of a preset (its config with `over` on top), as the engine makes them. */
function recordsOf(id, over = {}) {
  const preset = PRESETS.find((p) => p.id === id);
  assert.ok(preset, `preset ${id}`);
  const config = { ...preset.config, ...over };
  const run = engine.start(config);
  const records = [];
  for (let i = 0; i < (config.steps ?? 20); i++) {
    const r = run.step();
    if (!r) break;
    records.push(r);
  }
  return { config, records, k: config.accumSteps ?? 4 };
}

const BLANK = `<!doctype html><html lang="en"><head><meta charset="utf-8"><title>charts</title>
<link rel="stylesheet" href="../node_modules/uplot/dist/uPlot.min.css">
<link rel="stylesheet" href="style.css"><link rel="stylesheet" href="charts.css">
</head><body><main><div id="col" class="charts"></div></main></body></html>`;

/** A page with an empty column (width px) served with the site; checks no errors at the end. */
async function withBlank(t, { width = 480 } = {}, body) {
  const { page, context, problems } = await lab.newPage({ width: 1366, height: 900 });
  try {
    await page.route(`${lab.url}charts-blank.html`, (route) => route.fulfill({ contentType: 'text/html', body: BLANK }));
    await page.goto(`${lab.url}charts-blank.html`);
    await page.evaluate((w) => {
      const col = document.getElementById('col');
      col.style.width = `${w}px`;
      col.style.padding = '8px';
      col.style.background = '#fff';
    }, width);
    await body(page);
    assert.deepEqual(problems, [], 'no console errors, page errors or failed requests');
  } finally {
    await context.close();
  }
}

/** createCharts in the column (window.charts); onCursor calls are kept in window.cursorCalls. */
async function mount(page, opts = {}) {
  await page.evaluate(async (o) => {
    const { createCharts } = await import('./charts.mjs');
    const col = document.getElementById('col');
    col.replaceChildren();
    window.cursorCalls = [];
    window.charts = createCharts(col, { ...o, onCursor: (step) => window.cursorCalls.push(step) });
  }, opts);
}

/** Pushes records (all at once, or one flush per record) and waits until every shown chart has its plot. */
async function push(page, records, { oneByOne = false } = {}) {
  await page.evaluate(({ records, oneByOne }) => {
    if (oneByOne) for (const r of records) { window.charts.push([r]); window.charts.flush(); }
    else { window.charts.push(records); window.charts.flush(); }
  }, { records, oneByOne });
  await page.waitForFunction(() => [...document.querySelectorAll('#col figure.chart:not([hidden])')]
    .every((f) => f.querySelector('canvas')));
  await page.evaluate(() => window.charts.flush());
}

const figures = (page) => page.$$eval('#col figure.chart', (fs) => fs.map((f) => ({
  id: f.dataset.chart,
  hidden: f.hidden,
  points: JSON.parse(f.dataset.points || '{}'),
  lines: JSON.parse(f.dataset.lines || '{}'),
  yRange: f.dataset.yRange ? JSON.parse(f.dataset.yRange) : null,
  cursor: f.dataset.cursor ?? null,
  legend: [...f.querySelectorAll('.u-legend .u-series')].map((s) => [s.querySelector('.u-label')?.textContent, s.querySelector('.u-value')?.textContent]),
  text: f.querySelector('.chart-text')?.textContent,
  label: f.getAttribute('aria-label'),
})));
const byId = async (page) => Object.fromEntries((await figures(page)).map((f) => [f.id, f]));
/** charts.mjs's fmt, in the page (the read-outs' number format). */
const fmtIn = (page, v) => page.evaluate(async (x) => (await import('./charts.mjs')).fmt(x), v);
const near = (a, b, tol = 1e-3) => Math.abs(a - b) <= tol * Math.max(1, Math.abs(b));

test('ratio chart: first, the same-point ratio of an unscaled mean lies on the line at k; the range holds 1 and k', async (t) => {
  await withBlank(t, {}, async (page) => {
    const { records, k } = recordsOf('poorer-results'); // mean loss, 4 micro-batches added up: ×4
    assert.equal(k, 4);
    for (const r of records) assert.ok(near(r.samePoint.normRatio, 4, 1e-4), `same-point ratio ${r.samePoint.normRatio}`);
    await mount(page);
    await page.evaluate((k) => window.charts.setContext({ k }), k);
    await push(page, records);
    const ids = await page.evaluate(() => window.charts.ids());
    assert.deepEqual(ids, ['ratio', 'lr', 'gradnorm', 'loss', 'diff']);
    const fs = await figures(page);
    assert.equal(fs.find((f) => !f.hidden).id, 'ratio', 'the ratio is the first chart shown');
    const c = await byId(page);
    assert.deepEqual(Object.values(c.ratio.lines), [1, 4], 'lines at 1 and at k');
    assert.deepEqual(Object.keys(c.ratio.lines), ['1: same size', '4: k× too large, summed without dividing']);
    assert.deepEqual(c.ratio.points, { 'norm ratio': 40 }, 'no "before clipping" without clipping');
    // The plotted series, read at the newest step: ×4, on the k line.
    assert.deepEqual(c.ratio.legend, [['step', '40'], ['norm ratio', '4']]);
    const [lo, hi] = c.ratio.yRange;
    assert.ok(lo < 1 && hi > 4, `y range ${lo}..${hi} holds 1 and 4`);
    assert.match(c.ratio.text, /step 40 of 40: norm ratio 4\. Lines at 1 \(same size\) and 4 \(k× too large/);
    assert.equal(c.ratio.label, 'Gradient norm ratio at the same point: 40 steps');
    assert.equal(c.lr.hidden, true, 'same learning rates: no lr chart');
    assert.equal(c.gradnorm.hidden, true, 'no clipping: no gradnorm chart');
    assert.deepEqual(c.loss.points, { reference: 40, accumulated: 40 });
    assert.deepEqual(c.diff.points, { 'gradients (same point)': 40, parameters: 40 });
    await page.locator('#col').screenshot({ path: join(ARTIFACTS, 'charts-480-mean-unscaled.png') });

    // A sum (right): the ratio is 1, and the k line still shows where a wrong loop would be.
    const sum = recordsOf('sum-reduction');
    await page.evaluate((k) => { window.charts.setContext({ k }); window.charts.reset(); }, sum.k);
    await push(page, sum.records);
    const s = (await byId(page)).ratio;
    assert.deepEqual(s.legend[1], ['norm ratio', '1']);
    assert.deepEqual(Object.values(s.lines), [1, 4]);
    assert.ok(s.yRange[0] < 1 && s.yRange[1] > 4, `y range ${s.yRange} holds 1 and 4 with the data at 1`);

    // k comes from the page: 8 puts the line at 8; without a context, from the records.
    await page.evaluate(() => window.charts.setContext({ k: 8 }));
    const eight = (await byId(page)).ratio;
    assert.deepEqual(Object.values(eight.lines), [1, 8]);
    assert.ok(eight.yRange[1] > 8, `y range ${eight.yRange} holds 8`);
    await mount(page);
    await push(page, records);
    assert.deepEqual(Object.values((await byId(page)).ratio.lines), [1, 4], 'k = the records\' microBatches');
  });
});

test('lr chart: shown for the scheduler preset, not for forum-sum; it appears or goes at most once per run', async (t) => {
  await withBlank(t, {}, async (page) => {
    await mount(page);
    await page.evaluate(() => {
      window.visibilityChanges = [];
      const lr = document.querySelector('#col figure[data-chart="lr"]');
      new MutationObserver(() => window.visibilityChanges.push(lr.hidden)).observe(lr, { attributes: true, attributeFilter: ['hidden'] });
    });
    const changes = () => page.evaluate(() => window.visibilityChanges.splice(0));
    const scheduler = recordsOf('scheduler'); // the scheduler stepped per micro-batch
    assert.ok(scheduler.records.some((r) => r.lrRef !== r.lrAcc));
    await page.evaluate((k) => window.charts.setContext({ k, clipNorm: undefined }), scheduler.k);
    assert.equal((await byId(page)).lr.hidden, true, 'hidden before any record');
    await push(page, scheduler.records, { oneByOne: true });
    let c = await byId(page);
    assert.equal(c.lr.hidden, false);
    assert.deepEqual(c.lr.points, { reference: 20, accumulated: 20 });
    const last = scheduler.records.at(-1);
    assert.deepEqual(c.lr.legend.slice(1), [['reference', await fmtIn(page, last.lrRef)], ['accumulated', await fmtIn(page, last.lrAcc)]], 'the read-out');
    assert.deepEqual(await changes(), [false], 'shown once, at the first step');
    await page.locator('#col').screenshot({ path: join(ARTIFACTS, 'charts-480-scheduler.png') });

    // The same experiment again: nothing moves (reset keeps the chart until the first record).
    await page.evaluate(() => window.charts.reset());
    await push(page, scheduler.records, { oneByOne: true });
    assert.deepEqual(await changes(), [], 're-running moves nothing');

    // forum-sum: same learning rates; the chart goes at the run's first record, once.
    const forum = recordsOf('forum-sum');
    assert.ok(forum.records.every((r) => r.lrRef === r.lrAcc));
    await page.evaluate((k) => { window.charts.setContext({ k }); window.charts.reset(); }, forum.k);
    assert.equal((await byId(page)).lr.hidden, false, 'still shown between reset and the first record');
    await push(page, forum.records, { oneByOne: true });
    assert.equal((await byId(page)).lr.hidden, true);
    assert.deepEqual(await changes(), [true]);

    // The lr scaled instead of the loss (forum-mean-lr): the lrs differ, the chart shows.
    const scaled = recordsOf('forum-mean-lr');
    await page.evaluate(() => window.charts.reset());
    await push(page, scaled.records);
    c = await byId(page);
    assert.equal(c.lr.hidden, false);
    assert.deepEqual(c.lr.legend.slice(1), [['reference', '1'], ['accumulated', '0.5']]);
  });
});

test('gradnorm chart with clipping: norms before clipping, the threshold line; the ratio shows what clipping hides', async (t) => {
  await withBlank(t, {}, async (page) => {
    const clip = recordsOf('clipping');
    assert.equal(clip.config.clipGradNorm, 0.1);
    await mount(page);
    await page.evaluate(({ k, clipNorm }) => window.charts.setContext({ k, clipNorm }), { k: clip.k, clipNorm: clip.config.clipGradNorm });
    assert.equal((await byId(page)).gradnorm.hidden, false, 'decided by the context, before any record');
    await push(page, clip.records);
    let c = await byId(page);
    assert.deepEqual(c.gradnorm.points, { reference: 20, accumulated: 20 });
    assert.deepEqual(c.gradnorm.lines, { 'max_norm 0.1': 0.1 });
    const maxNorm = Math.max(...clip.records.flatMap((r) => [r.unclipped.normRef, r.unclipped.normAcc]));
    assert.ok(c.gradnorm.yRange[0] <= 0 && c.gradnorm.yRange[1] > maxNorm, `range ${c.gradnorm.yRange} holds 0.1 and ${maxNorm}`);
    const last = clip.records.at(-1);
    assert.deepEqual(c.gradnorm.legend.slice(1), [['reference', await fmtIn(page, last.unclipped.normRef)], ['accumulated', await fmtIn(page, last.unclipped.normAcc)]]);
    assert.deepEqual(c.ratio.points, { 'norm ratio': 20, 'before clipping': 20 });
    assert.match(c.gradnorm.text, /Lines at 0\.1 \(max_norm 0\.1\)/);
    await page.locator('#col').screenshot({ path: join(ARTIFACTS, 'charts-480-clipping.png') });

    // No clipping in the context: the chart and the ratio's second series go.
    await page.evaluate(() => window.charts.setContext({ k: 4, clipNorm: undefined }));
    c = await byId(page);
    assert.equal(c.gradnorm.hidden, true);
    assert.deepEqual(c.ratio.points, { 'norm ratio': 20 });

    // An unscaled mean with clipGradNorm 0.1: clipping cuts both gradients, the clipped ratio is 1,
    // the ratio before clipping is 4. Without a clipNorm in the context the clipped records tell.
    const hidden = recordsOf('poorer-results', { clipGradNorm: 0.1 });
    assert.ok(hidden.records.every((r) => r.clipped));
    await mount(page);
    await page.evaluate(() => window.charts.setContext({ k: 4 }));
    await push(page, hidden.records);
    c = await byId(page);
    assert.equal(c.gradnorm.hidden, false, 'clipped records show the chart');
    assert.deepEqual(c.ratio.legend.slice(1), [['norm ratio', '1'], ['before clipping', '4']]);
    await page.locator('#col').screenshot({ path: join(ARTIFACTS, 'charts-480-clip-hides-x4.png') });
  });
});

/** Marker of every shown chart: {id, shown, x (px from the plot's left edge), page x, width of the plot}. */
const markers = (page) => page.$$eval('#col figure.chart:not([hidden])', (fs) => fs.map((f) => {
  const m = f.querySelector('.chart-cursor');
  const over = f.querySelector('.u-over').getBoundingClientRect();
  const r = m.getBoundingClientRect();
  return { id: f.dataset.chart, shown: !m.hidden && r.height > 0, x: r.left + 1 - over.left, pageX: r.left, width: over.width, height: r.height };
}));

test('setCursor draws a marker at that step in every chart, without hover; the legends read that step', async (t) => {
  await withBlank(t, {}, async (page) => {
    const { records } = recordsOf('poorer-results');
    await mount(page);
    await push(page, records);
    for (const m of await markers(page)) assert.equal(m.shown, false, `${m.id}: no marker before setCursor`);
    await page.evaluate(() => window.charts.setCursor(5));
    const at5 = await markers(page);
    const c = await byId(page);
    for (const f of Object.values(c)) assert.equal(f.cursor, '5', `${f.id}: data-cursor`);
    for (const m of at5) assert.ok(m.shown && m.height > 100, `${m.id}: marker shown (${m.height}px)`);
    assert.deepEqual(c.loss.legend, [['step', '5'], ['reference', await fmtIn(page, records[4].lossRef)], ['accumulated', await fmtIn(page, records[4].lossAcc)]]);
    // The plots line up: the marker is at the same page x in every chart.
    const xs = at5.map((m) => m.pageX);
    assert.ok(Math.max(...xs) - Math.min(...xs) <= 1, `markers at ${xs}`);
    await page.evaluate(() => window.charts.setCursor(30));
    const at30 = await markers(page);
    await page.evaluate(() => window.charts.setCursor(1));
    const at1 = await markers(page);
    await page.evaluate(() => window.charts.setCursor(40));
    const at40 = await markers(page);
    for (let i = 0; i < at5.length; i++) {
      const perStep = (at40[i].x - at1[i].x) / 39;
      assert.ok(perStep > 5, `${at5[i].id}: ${perStep}px per step`);
      assert.ok(Math.abs((at30[i].x - at5[i].x) - 25 * perStep) <= 2, `${at5[i].id}: step 30 is 25 steps right of step 5`);
      assert.ok(at1[i].x > 2 && at40[i].x < at40[i].width - 2, `${at5[i].id}: markers at the ends stay inside the plot`);
    }
    await page.evaluate(() => window.charts.setCursor(12));
    await page.locator('#col').screenshot({ path: join(ARTIFACTS, 'charts-480-cursor-12.png') });
    // null: no marker, the legends read the newest step; a step the run has not reached: no marker.
    await page.evaluate(() => window.charts.setCursor(null));
    for (const m of await markers(page)) assert.equal(m.shown, false);
    assert.equal((await byId(page)).loss.cursor, null);
    assert.deepEqual((await byId(page)).loss.legend[0], ['step', '40']);
    await page.evaluate(() => window.charts.setCursor(99));
    for (const m of await markers(page)) assert.equal(m.shown, false, 'step 99 is beyond the run');
    // The marker waits for its step in a new run, and follows the growing axis.
    await page.evaluate(() => { window.charts.setCursor(10); window.charts.reset(); });
    await push(page, records.slice(0, 8));
    for (const m of await markers(page)) assert.equal(m.shown, false, 'step 10 not reached');
    await push(page, records.slice(8, 20));
    for (const m of await markers(page)) assert.equal(m.shown, true, 'step 10 reached');
    // The plot height is an option.
    await mount(page, { height: 130 });
    await push(page, records);
    const h = await page.$eval('#col figure[data-chart="ratio"] canvas', (cv) => cv.getBoundingClientRect().height);
    assert.equal(Math.round(h), 130);
  });
});

test('hovering a chart calls onCursor with the step under the pointer, leaving calls it with null', async (t) => {
  await withBlank(t, {}, async (page) => {
    const { records } = recordsOf('poorer-results');
    await mount(page);
    await push(page, records);
    // Where steps 10 and 25 are: the markers say.
    const xOf = async (step) => {
      await page.evaluate((s) => window.charts.setCursor(s), step);
      const m = (await markers(page)).find((x) => x.id === 'loss');
      return m.pageX + 1;
    };
    const x10 = await xOf(10);
    const x25 = await xOf(25);
    await page.evaluate(() => window.charts.setCursor(null));
    const over = async (id) => page.$eval(`#col figure[data-chart="${id}"] .u-over`, (e) => { const r = e.getBoundingClientRect(); return { top: r.top, height: r.height }; });
    const loss = await over('loss');
    await page.mouse.move(x10, loss.top + loss.height / 2);
    await page.waitForFunction(() => window.cursorCalls.length > 0);
    assert.equal(await page.evaluate(() => window.cursorCalls.at(-1)), 10);
    // The other charts follow the pointer (uPlot's synced cursor), the legends read step 10.
    assert.deepEqual((await byId(page)).ratio.legend[0], ['step', '10']);
    const diff = await over('diff');
    await page.mouse.move(x25, diff.top + diff.height / 2, { steps: 4 });
    await page.waitForFunction(() => window.cursorCalls.at(-1) === 25);
    await page.mouse.move(5, 5);
    await page.waitForFunction(() => window.cursorCalls.at(-1) === null);
    const calls = await page.evaluate(() => window.cursorCalls);
    assert.equal(calls[0], 10);
    for (let i = 1; i < calls.length; i++) assert.notEqual(calls[i], calls[i - 1], `no repeated call: ${calls}`);
    t.diagnostic(`onCursor calls: ${calls.join(', ')}`);
  });
});

// WCAG relative luminance and contrast of two CSS colours "rgb(r, g, b)" / [r, g, b].
function luminance(rgb) {
  const [r, g, b] = rgb.map((v) => { const c = v / 255; return c <= 0.03928 ? c / 12.92 : ((c + 0.055) / 1.055) ** 2.4; });
  return 0.2126 * r + 0.7152 * g + 0.0722 * b;
}
const parse = (css) => css.match(/[\d.]+/g).slice(0, 3).map(Number);
const contrast = (a, b) => { const [x, y] = [luminance(a), luminance(b)].sort((p, q) => q - p); return (x + 0.05) / (y + 0.05); };

test('accessibility: axis text and notes at least 4.5:1, series told apart by dash, a text alternative; axe', async (t) => {
  await withBlank(t, {}, async (page) => {
    const clip = recordsOf('poorer-results', { clipGradNorm: 0.1 });
    await mount(page);
    await page.evaluate(() => window.charts.setContext({ k: 4, clipNorm: 0.1 }));
    await push(page, clip.records);
    // The darkest pixel of the y axis's tick labels (canvas text): the axis ink.
    const ink = await page.$$eval('#col figure.chart:not([hidden]) canvas', (cs) => cs.map((cv) => {
      const g = cv.getContext('2d');
      const ratio = cv.width / cv.getBoundingClientRect().width;
      // The y axis (its label and tick labels), left of the plot; the canvas is transparent:
      // each pixel is blended over the white page, as it is seen.
      const img = g.getImageData(0, 0, Math.round(60 * ratio), Math.round(120 * ratio)).data;
      let best = [255, 255, 255];
      let bestSum = 765;
      for (let i = 0; i < img.length; i += 4) {
        const a = img[i + 3] / 255;
        const rgb = [0, 1, 2].map((j) => Math.round(img[i + j] * a + 255 * (1 - a)));
        const sum = rgb[0] + rgb[1] + rgb[2];
        if (sum < bestSum) { bestSum = sum; best = rgb; }
      }
      return best;
    }));
    for (const rgb of ink) assert.ok(contrast(rgb, [255, 255, 255]) >= 4.5, `axis text ${rgb}: ${contrast(rgb, [255, 255, 255]).toFixed(2)}:1`);
    const styles = await page.$$eval('#col figure.chart:not([hidden])', (fs) => fs.map((f) => {
      const cs = (e) => getComputedStyle(e);
      return {
        id: f.dataset.chart,
        note: [cs(f.querySelector('.chart-note')).color, parseFloat(cs(f.querySelector('.chart-note')).fontSize)],
        legend: [cs(f.querySelector('.u-legend')).color, parseFloat(cs(f.querySelector('.u-legend')).fontSize)],
        markers: [...f.querySelectorAll('.u-legend .u-series')].slice(1).map((s) => [s.querySelector('.u-label').textContent, cs(s.querySelector('.u-marker')).borderTopStyle]),
        text: f.querySelector('.chart-text').textContent,
        textBox: f.querySelector('.chart-text').getBoundingClientRect().width,
      };
    }));
    for (const s of styles) {
      for (const [what, [color, size]] of Object.entries({ note: s.note, legend: s.legend })) {
        assert.ok(contrast(parse(color), [255, 255, 255]) >= 4.5, `${s.id} ${what}: ${color}`);
        assert.ok(size >= 11, `${s.id} ${what}: ${size}px`);
      }
      // Two series in a chart never share a line style: told apart without colour.
      const kinds = s.markers.map(([, style]) => style);
      assert.equal(new Set(kinds).size, kinds.length, `${s.id}: ${JSON.stringify(s.markers)}`);
      assert.ok(s.textBox <= 1, `${s.id}: the text alternative is visually hidden`);
      assert.match(s.text, /step 40 of 40: .+\d/, `${s.id}: ${s.text}`);
    }
    assert.deepEqual(styles.find((s) => s.id === 'loss').markers, [['reference', 'solid'], ['accumulated', 'dashed']]);
    assert.deepEqual(await axeViolations(page, '#col', { iframes: false }), [], 'no serious or critical axe violation');
  });
});

test('imageParts: a canvas and the series of any chart, hidden ones too (PNG export)', async (t) => {
  await withBlank(t, {}, async (page) => {
    const { records } = recordsOf('scheduler');
    await mount(page);
    await page.evaluate(() => window.charts.setContext({ k: 4, clipNorm: 0.5 }));
    await push(page, records);
    const parts = await page.evaluate(async () => {
      const { chartPNG } = await import('./export.mjs');
      const out = {};
      for (const id of window.charts.ids()) {
        const p = window.charts.imageParts(id);
        const blob = await chartPNG({ ...p, subtitle: 'test' });
        out[id] = { title: p.title, series: p.series.map((s) => `${s.label}/${s.dash ? 'dashed' : 'solid'}`), w: p.canvas.width, bytes: blob.size };
      }
      return out;
    });
    assert.deepEqual(parts.ratio.series, ['norm ratio/solid', 'before clipping/dashed']);
    assert.deepEqual(parts.lr.series, ['reference/solid', 'accumulated/dashed']);
    for (const [id, p] of Object.entries(parts)) assert.ok(p.w > 200 && p.bytes > 3000, `${id}: ${JSON.stringify(p)}`);
  });
});

test('the lab page: the ratio chart first; the lr and gradnorm charts only for their presets', async (t) => {
  const { page, context, problems } = await lab.newPage({ width: 1366, height: 768 });
  try {
    await openLab(page, lab.url);
    const shown = () => page.$$eval('figure.chart', (fs) => fs.filter((f) => !f.hidden).map((f) => f.dataset.chart));
    const first = await shown();
    assert.equal(first[0], 'ratio');
    assert.ok(!first.includes('lr') && !first.includes('gradnorm'), `default: ${first}`);
    const points = await chartPoints(page);
    assert.equal(points.loss.reference, 20);
    // The page names k: the line is at the run's k.
    const lines = await page.$eval('figure[data-chart="ratio"]', (f) => JSON.parse(f.dataset.lines));
    assert.ok(Object.values(lines).includes(4), JSON.stringify(lines));
    for (const [preset, want] of [['scheduler', 'lr'], ['clipping', 'gradnorm']]) {
      await openLab(page, `${lab.url}?preset=${preset}`);
      const ids = await shown();
      assert.ok(ids.includes(want), `${preset}: ${ids}`);
      await page.locator('#charts').screenshot({ path: join(ARTIFACTS, `charts-page-${preset}.png`) });
    }
    assert.deepEqual(problems, [], 'no console errors');
  } finally {
    await context.close();
  }
});
