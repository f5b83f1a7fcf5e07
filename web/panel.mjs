// web/panel.mjs — the answer to "are they the same, and if not, why?"
//
// The verdict (headline, the engine's sentence, named causes with one-click fixes) and the
// equality table for one step, with a slider to scrub through the steps recorded so far.
import { FIXES } from './run-words.mjs';
import { fmt } from './charts.mjs';

/** Rows of the equality table: record field, name, what it means, formatter. */
const METRICS = [
  ['allclose', 'allclose', '|a − b| ≤ atol + rtol·|b| for every entry (torch.allclose)', (v) => (v ? 'yes' : 'no')],
  ['bitwise', 'bitwise equal', 'every float32 is the same bit pattern', (v) => (v ? 'yes' : 'no')],
  ['maxAbsDiff', 'max abs diff', 'largest |a − b|', fmt],
  ['maxRelDiff', 'max rel diff', 'largest |a − b| / |b|', fmt],
  ['relNormDiff', 'norm-wise diff', '‖a − b‖ / ‖b‖: within rtol counts as rounding even where allclose fails on cancelled sums', fmt],
  ['maxUlp', 'max ULP', 'largest distance in float32 steps (units in the last place)', (v) => (Number.isFinite(v) ? Math.round(v).toLocaleString('en-US') : fmt(v))],
  ['cosine', 'cosine', 'direction: 1 = same direction', (v) => (Number.isFinite(v) ? v.toFixed(7) : fmt(v))],
  ['normRatio', 'norm ratio', '‖accumulated‖ / ‖reference‖: 1 = same size', (v) => (Number.isFinite(v) ? v.toFixed(4) : fmt(v))],
];

const GRAD_WORDS = {
  bitwise: ['identical', 'bit for bit'],
  rounding: ['equal', 'up to float rounding'],
  scaled: ['scaled', ''],
  different: ['different', ''],
};
const PARAM_WORDS = {
  bitwise: ['identical', 'bit for bit'],
  rounding: ['equal', 'up to float rounding'],
  different: ['different', ''],
  diverged: ['diverged', 'not finite or far apart'],
};

function factorText(f) {
  if (!Number.isFinite(f)) return '';
  return Number.isInteger(f) ? String(f) : String(Number(f.toPrecision(4)));
}

/** The headline for a verdict: one short line a student reads first. */
export function headline(verdict) {
  const g = verdict.grads;
  const p = verdict.params;
  const okG = g === 'bitwise' || g === 'rounding';
  const okP = p === 'bitwise' || p === 'rounding';
  if (g === 'bitwise' && p === 'bitwise') return { tone: 'same', text: 'Same: accumulation matches the big batch bit for bit' };
  if (okG && okP) return { tone: 'same', text: 'Same, up to float rounding' };
  if (g === 'scaled' && okP) {
    // The lr (SGD with lr/k) or the optimizer (Adam) absorbs the scale: same training.
    const f = factorText(verdict.factor);
    return { tone: 'scaled', text: `Same parameters, but the accumulated gradient is ${f ? `${f} ×` : 'a multiple of'} the reference gradient` };
  }
  if (g === 'scaled') {
    const f = factorText(verdict.factor);
    return { tone: 'scaled', text: `Not the same: the accumulated gradient is ${f ? `${f} ×` : 'a multiple of'} the reference gradient` };
  }
  if (g === 'different') return { tone: 'different', text: 'Not the same: the gradients differ' };
  if (okG && p === 'diverged') return { tone: 'different', text: 'Gradients agree, but the parameters diverge' };
  return { tone: 'different', text: 'Gradients agree, but the parameters drift apart' };
}

function el(tag, className, text) {
  const node = document.createElement(tag);
  if (className) node.className = className;
  if (text !== undefined) node.textContent = text;
  return node;
}

/**
 * Fills `root` with the verdict and the equality table.
 *   onFix(settings): a fix button was pressed ({key: value} to apply)
 * Returns the controller described below.
 */
export function createPanel(root, { onFix }) {
  // --- verdict
  const verdictBox = el('section', 'verdict verdict--none');
  verdictBox.id = 'verdict';
  verdictBox.setAttribute('aria-live', 'polite');
  verdictBox.setAttribute('aria-labelledby', 'verdict-head');
  const head = el('h2', 'verdict-head', 'No run yet');
  head.id = 'verdict-head';
  const badges = el('p', 'verdict-badges');
  const sentence = el('p', 'verdict-text', 'Press Run to train both runs and compare them.');
  const causes = el('ul', 'causes');
  const staleNote = el('p', 'stale-note');
  staleNote.hidden = true;
  verdictBox.append(head, badges, sentence, causes, staleNote);

  // --- equality table with a step slider
  const eq = el('section', 'equality');
  eq.setAttribute('aria-labelledby', 'eq-title');
  const eqTitle = el('h2', 'eq-title', 'Equality at step');
  eqTitle.id = 'eq-title';
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
  const sliderOut = el('output', 'slider-out', '– / –');
  sliderOut.id = 'step-out';
  sliderOut.htmlFor = 'step-slider';
  sliderRow.append(sliderLabel, slider, sliderOut);

  const table = el('table', 'eq-table');
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
  for (const [key, name, what] of METRICS) {
    const tr = el('tr');
    tr.dataset.metric = key;
    const th = el('th');
    th.scope = 'row';
    th.append(el('span', 'metric-name', name), el('span', 'metric-what', what));
    const g = el('td', 'num');
    const p = el('td', 'num');
    g.dataset.of = 'grad';
    p.dataset.of = 'params';
    tr.append(th, g, p);
    tbody.append(tr);
    cells[key] = { g, p };
  }
  table.append(thead, tbody);
  const jump = el('button', 'jump', 'Go to the first difference');
  jump.type = 'button';
  jump.hidden = true;
  const stepInfo = el('p', 'step-info', '');
  const eqNote = el('p', 'eq-note', 'Both runs are compared after the same optimizer step. Once the parameters differ, '
    + 'later gradients differ partly because they are taken at different parameters: the first differing step shows the cause.');
  sliderRow.append(jump);
  eq.append(eqTitle, sliderRow, table, stepInfo, eqNote);

  root.append(verdictBox, eq);

  let records = [];
  let follow = true; // the slider follows the newest step until the user moves it
  let firstDiff = null; // the verdict's first differing step, if any

  const showStep = (index) => {
    const r = records[index];
    if (!r) {
      for (const { g, p } of Object.values(cells)) {
        g.textContent = '–';
        p.textContent = '–';
        g.className = 'num';
        p.className = 'num';
      }
      sliderOut.textContent = '– / –';
      stepInfo.textContent = '';
      return;
    }
    for (const [key, , , format] of METRICS) {
      const { g, p } = cells[key];
      g.textContent = format(r.grad[key]);
      p.textContent = format(r.params[key]);
      if (key === 'allclose' || key === 'bitwise') {
        g.className = `num flag flag--${r.grad[key] ? 'yes' : 'no'}`;
        p.className = `num flag flag--${r.params[key] ? 'yes' : 'no'}`;
      }
    }
    sliderOut.textContent = `${r.step} / ${records.length}${r.step === firstDiff ? ' · first difference' : ''}`;
    stepInfo.textContent = `Loss: reference ${fmt(r.lossRef)}, accumulated ${fmt(r.lossAcc)}. `
      + `Learning rate: reference ${fmt(r.lrRef)}, accumulated ${fmt(r.lrAcc)}.`;
  };

  jump.addEventListener('click', () => {
    if (!firstDiff) return;
    slider.value = String(firstDiff);
    follow = false;
    showStep(firstDiff - 1);
  });

  slider.addEventListener('input', () => {
    const i = Number(slider.value) - 1;
    follow = i === records.length - 1;
    showStep(i);
  });

  return {
    clear() {
      records = [];
      follow = true;
      firstDiff = null;
      jump.hidden = true;
      slider.max = '1';
      slider.value = '1';
      slider.disabled = true;
      showStep(-1);
    },
    /** Appends step records; the slider follows the newest one unless moved back. */
    addRecords(newRecords) {
      for (const r of newRecords) records.push(r); // no spread: a batch may hold 100,000 records
      slider.max = String(Math.max(1, records.length));
      slider.disabled = records.length === 0;
      if (follow) slider.value = String(records.length);
      showStep(Number(slider.value) - 1);
    },
    stepCount: () => records.length,
    /**
     * Shows the run's verdict (the engine's result.verdict). When the runs differ, the
     * table moves to the first differing step, where the cause is visible undisturbed.
     */
    showVerdict(verdict) {
      firstDiff = Number.isInteger(verdict.firstDifferentStep) && verdict.firstDifferentStep <= records.length
        ? verdict.firstDifferentStep : null;
      jump.hidden = !firstDiff;
      if (firstDiff) {
        slider.value = String(firstDiff);
        follow = false;
      }
      showStep(Number(slider.value) - 1);
      verdictBox.setAttribute('aria-busy', 'false');
      const h = headline(verdict);
      verdictBox.className = `verdict verdict--${h.tone}`;
      verdictBox.dataset.grads = verdict.grads;
      verdictBox.dataset.params = verdict.params;
      head.textContent = h.text;
      badges.replaceChildren();
      for (const [what, value, words] of [['Gradients', verdict.grads, GRAD_WORDS], ['Parameters', verdict.params, PARAM_WORDS]]) {
        const b = el('span', `badge badge--${value}`);
        const [word, detail] = words[value] ?? [value, ''];
        const extra = value === 'scaled' && Number.isFinite(verdict.factor) ? `× ${factorText(verdict.factor)}` : detail;
        b.append(el('span', 'badge-what', `${what}: `), el('strong', '', word));
        if (extra) b.append(` ${extra}`);
        badges.append(b);
      }
      sentence.textContent = verdict.text;
      causes.replaceChildren();
      for (const c of verdict.causes ?? []) {
        const li = el('li', 'cause');
        li.dataset.cause = c.id;
        if (c.title) li.append(el('strong', 'cause-title', `${c.title[0].toUpperCase()}${c.title.slice(1)}. `));
        li.append(el('span', 'cause-text', c.text));
        const fixes = FIXES[c.id] ?? [];
        if (fixes.length) {
          const row = el('span', 'fixes');
          for (const f of fixes) {
            const b = el('button', 'fix', `Try: ${f.label}`);
            b.type = 'button';
            b.addEventListener('click', () => onFix(f.set));
            row.append(b);
          }
          li.append(row);
        }
        causes.append(li);
      }
    },
    /** A run is under way: the verdict waits for its end. */
    showRunning(step, total) {
      verdictBox.setAttribute('aria-busy', 'true');
      verdictBox.className = 'verdict verdict--running';
      delete verdictBox.dataset.grads;
      delete verdictBox.dataset.params;
      head.textContent = `Running… step ${step} of ${total}`;
      badges.replaceChildren();
      sentence.textContent = 'The verdict appears when the run ends or is stopped; the table and charts update live.';
      causes.replaceChildren();
    },
    showNone(text, title = 'No run yet') {
      verdictBox.setAttribute('aria-busy', 'false');
      verdictBox.className = 'verdict verdict--none';
      delete verdictBox.dataset.grads;
      delete verdictBox.dataset.params;
      head.textContent = title;
      badges.replaceChildren();
      sentence.textContent = text;
      causes.replaceChildren();
    },
    /** Marks what is shown as belonging to older settings (or clears the mark). */
    setStale(text) {
      staleNote.hidden = !text;
      staleNote.textContent = text || '';
      verdictBox.classList.toggle('is-stale', Boolean(text));
      eq.classList.toggle('is-stale', Boolean(text));
    },
  };
}
