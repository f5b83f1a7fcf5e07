// web/step-table.mjs — the comparison at one step, in plain words first (same? how far
// apart? same direction? same size?), the expert numbers (allclose, bitwise, ULP …) under
// "Details"; a slider scrubs the steps recorded so far.
import { el } from './dom.mjs';
import { fmt, fmtCount, fmtRatio, fmtSizeRatio } from './format.mjs';
import { gradOf, relativeWords } from './verdict-view.mjs';

const CLOSENESS = {
  bitwise: ['yes', 'identical, bit for bit'],
  allclose: ['yes', 'equal up to float rounding'],
  close_by_norm: ['yes', 'equal up to float rounding (by norm)'],
  not_close: ['no', 'different'],
};

/** The plain-words rows: id, question, (comparison) → {yes: boolean|null, text}. */
const WORD_ROWS = [
  ['same', 'The same?', (c) => {
    const [yes, text] = CLOSENESS[c.closeness] ?? ['no', c.closeness];
    return { yes: yes === 'yes', text };
  }],
  ['far', 'How far apart?', (c) => ({
    yes: null,
    text: c.maxAbsDiff === 0 ? 'not at all' : `at most ${fmt(c.maxAbsDiff)} (${relativeWords(c.relNormDiff)} of the size)`,
  })],
  ['direction', 'Same direction?', (c) => {
    const yes = Number.isFinite(c.cosine) && c.cosine > 1 - 1e-6;
    return { yes, text: `${yes ? 'yes' : 'no'}, cosine ${Number.isFinite(c.cosine) ? c.cosine.toFixed(6) : fmt(c.cosine)}` };
  }],
  ['size', 'Same size?', (c) => {
    const r = c.normRatio;
    const yes = Number.isFinite(r) && Math.abs(r - 1) <= 1e-5;
    return { yes, text: yes ? 'yes, ratio 1.000' : `no: accumulated ÷ reference = ${fmtSizeRatio(r)}` };
  }],
];

/** The expert rows (under Details): record field, name, what it means, formatter. */
const METRICS = [
  ['allclose', 'allclose', 'torch.allclose: |a − b| ≤ atol + rtol·|b| everywhere', (v) => (v ? 'yes' : 'no')],
  ['bitwise', 'bitwise equal', 'every float32 has the same bits', (v) => (v ? 'yes' : 'no')],
  ['maxAbsDiff', 'max abs diff', 'largest |a − b|', fmt],
  ['maxRelDiff', 'max rel diff', 'largest |a − b| / |b|', fmt],
  ['relNormDiff', 'norm-wise diff', '‖a − b‖ / ‖b‖', fmt],
  ['maxUlp', 'max ULP', 'largest distance in float32 steps', fmtCount],
  ['cosine', 'cosine', 'direction: 1 = same', (v) => (Number.isFinite(v) ? v.toFixed(7) : fmt(v))],
  ['normRatio', 'norm ratio', '‖accumulated‖ / ‖reference‖', fmtRatio],
];

function makeTable(className, caption, rows) {
  const table = el('table', className);
  if (caption) table.append(el('caption', 'visually-hidden', caption));
  const thead = el('thead');
  const hr = el('tr');
  for (const [t, cls] of [['', ''], ['Gradients', 'col-grad'], ['Parameters', 'col-params']]) {
    const th = el('th', cls, t);
    th.scope = 'col';
    hr.append(th);
  }
  thead.append(hr);
  const tbody = el('tbody');
  const cells = {};
  for (const [id, name, what] of rows) {
    const tr = el('tr');
    tr.dataset[className === 'words-table' ? 'word' : 'metric'] = id;
    const th = el('th');
    th.scope = 'row';
    th.append(el('span', 'metric-name', name));
    if (typeof what === 'string') th.append(el('span', 'metric-what', what));
    const g = el('td', 'num');
    const p = el('td', 'num');
    g.dataset.of = 'grad';
    p.dataset.of = 'params';
    tr.append(th, g, p);
    tbody.append(tr);
    cells[id] = { g, p };
  }
  table.append(thead, tbody);
  return { table, cells };
}

/**
 * The step table in `root`. onStepShown(step | null) whenever the shown step changes (the
 * charts' cursor follows it).
 */
export function createStepTable(root, { onStepShown = () => {} } = {}) {
  const box = el('section', 'equality');
  box.setAttribute('aria-labelledby', 'eq-title');
  const title = el('h2', 'eq-title', 'At step');
  title.id = 'eq-title';
  const sliderRow = el('div', 'slider-row');
  const sliderLabel = el('label', '', 'Step');
  sliderLabel.htmlFor = 'step-slider';
  const slider = document.createElement('input');
  slider.type = 'range';
  slider.id = 'step-slider';
  slider.min = '1';
  slider.max = '1';
  slider.value = '1';
  slider.disabled = true;
  const out = el('span', 'slider-out', '– / –'); // not <output>: that is a live region, and this changes every step
  out.id = 'step-out';
  const jump = el('button', 'jump', 'First difference');
  jump.type = 'button';
  jump.hidden = true;
  sliderRow.append(sliderLabel, slider, out, jump);

  const words = makeTable('words-table', 'The two runs compared at this step, in words', WORD_ROWS);
  words.table.querySelector('th.col-grad').textContent = 'Gradients (same point)';
  const details = el('details', 'eq-details');
  details.append(el('summary', '', 'Details: allclose, bitwise, ULP'));
  const metrics = makeTable('eq-table', 'The two runs compared at this step, every measure', METRICS);
  const alongNote = el('p', 'eq-note', 'Gradients at the same point: the accumulated loop evaluated at the reference run\'s parameters, '
    + 'so the lesson holds at every step. Parameters: each run\'s own after the step.');
  details.append(metrics.table, alongNote);
  const stepInfo = el('p', 'step-info', '');
  box.append(title, sliderRow, words.table, stepInfo, details);
  root.append(box);

  let records = [];
  let follow = true; // the slider follows the newest step until the user moves it
  let firstDiff = null;
  let hoverStep = null; // a chart's hover shows another step for a while

  function show(index) {
    const r = records[index];
    if (!r) {
      for (const t of [words, metrics]) {
        for (const { g, p } of Object.values(t.cells)) {
          g.textContent = '–';
          p.textContent = '–';
          g.className = 'num';
          p.className = 'num';
        }
      }
      out.textContent = '– / –';
      slider.removeAttribute('aria-valuetext');
      stepInfo.textContent = '';
      title.textContent = 'At step';
      onStepShown(null);
      return;
    }
    const g = gradOf(r);
    for (const [id, , word] of WORD_ROWS) {
      for (const [cell, c] of [[words.cells[id].g, g], [words.cells[id].p, r.params]]) {
        const w = word(c);
        cell.textContent = w.text;
        cell.className = `num words${w.yes === null ? '' : ` flag flag--${w.yes ? 'yes' : 'no'}`}`;
      }
    }
    for (const [key, , , format] of METRICS) {
      const { g: gc, p: pc } = metrics.cells[key];
      gc.textContent = format(g[key]);
      pc.textContent = format(r.params[key]);
      if (key === 'allclose' || key === 'bitwise') {
        gc.className = `num flag flag--${g[key] ? 'yes' : 'no'}`;
        pc.className = `num flag flag--${r.params[key] ? 'yes' : 'no'}`;
      }
    }
    const first = r.step === firstDiff ? ' · first difference' : '';
    out.textContent = `${r.step} / ${records.length}${first}`;
    slider.setAttribute('aria-valuetext', `step ${r.step} of ${records.length}${first}: gradients ${CLOSENESS[g.closeness]?.[1] ?? g.closeness}`);
    title.textContent = `At step ${r.step}`;
    stepInfo.textContent = `Loss: reference ${fmt(r.lossRef)}, accumulated ${fmt(r.lossAcc)}. `
      + `Learning rate: reference ${fmt(r.lrRef)}, accumulated ${fmt(r.lrAcc)}.`;
    onStepShown(r.step);
  }
  const current = () => Number(slider.value) - 1;

  jump.addEventListener('click', () => {
    if (!firstDiff) return;
    slider.value = String(firstDiff);
    follow = false;
    show(firstDiff - 1);
  });
  slider.addEventListener('input', () => {
    follow = current() === records.length - 1;
    show(current());
  });

  return {
    element: box,
    clear() {
      records = [];
      follow = true;
      firstDiff = null;
      hoverStep = null;
      jump.hidden = true;
      slider.max = '1';
      slider.value = '1';
      slider.disabled = true;
      show(-1);
    },
    /** Appends step records; the slider follows the newest one unless moved back. */
    add(newRecords) {
      for (const r of newRecords) records.push(r); // no spread: a batch may hold 100,000 records
      slider.max = String(Math.max(1, records.length));
      slider.disabled = records.length === 0;
      if (follow) slider.value = String(records.length);
      if (hoverStep === null) show(current());
    },
    count: () => records.length,
    record: (step) => records[step - 1] ?? null,
    last: () => records[records.length - 1] ?? null,
    /** The first differing step (or null): the slider moves there, where the cause shows. */
    setFirstDifference(step) {
      firstDiff = Number.isInteger(step) && step <= records.length ? step : null;
      jump.hidden = !firstDiff;
      if (firstDiff) {
        slider.value = String(firstDiff);
        follow = false;
      }
      show(current());
    },
    /** A chart is hovered at `step` (null: hover ended, back to the slider's step). */
    hover(step) {
      hoverStep = Number.isInteger(step) && records[step - 1] ? step : null;
      show(hoverStep === null ? current() : hoverStep - 1);
    },
    setStale(stale) {
      box.classList.toggle('is-stale', Boolean(stale));
    },
  };
}
