// web/verdict-view.mjs — the verdict: one headline a student reads first, three key numbers
// (same-point size ratio, largest difference, parameters), the engine's sentence and the
// named causes with one-click fixes. A landmark region named "Verdict".
import { el } from './dom.mjs';
import { FIXES } from './run-words.mjs';
import { fmt, fmtFactor, fmtSizeRatio } from './format.mjs';

/** The headline for a verdict: {tone: same | scaled | different, text}. */
export function headline(verdict) {
  const g = verdict.grads;
  const p = verdict.params;
  const okG = g === 'bitwise' || g === 'rounding';
  const okP = p === 'bitwise' || p === 'rounding';
  const f = Number.isFinite(verdict.factor) ? `${fmtFactor(verdict.factor)} ×` : 'a multiple of';
  if (g === 'bitwise' && p === 'bitwise') return { tone: 'same', text: 'Same: accumulation matches the big batch bit for bit' };
  if (okG && okP) return { tone: 'same', text: 'Same, up to float rounding' };
  // The lr (SGD with lr/k) or the optimizer (Adam) absorbs the scale: same training.
  if (g === 'scaled' && okP) return { tone: 'scaled', text: `Same parameters, but the accumulated gradient is ${f} the reference gradient` };
  if (g === 'scaled') return { tone: 'scaled', text: `Not the same: the accumulated gradient is ${f} the reference gradient` };
  if (g === 'different') return { tone: 'different', text: 'Not the same: the gradients differ' };
  if (okG && p === 'diverged') return { tone: 'different', text: 'Gradients agree, but the parameters diverge' };
  return { tone: 'different', text: 'Gradients agree, but the parameters drift apart' };
}

const PARAM_WORDS = { bitwise: 'identical', allclose: 'equal (rounding)', close_by_norm: 'equal (rounding)', not_close: 'different' };

/** The gradient comparison a record's verdict is judged on: at the same point when measured. */
export const gradOf = (r) => r.samePoint ?? r.grad;

/** "12%" or "3.1e-7 ×" for a norm-wise relative difference. */
export function relativeWords(rel) {
  if (!Number.isFinite(rel)) return fmt(rel);
  if (rel >= 1e-3) return `${Number((rel * 100).toPrecision(2))}%`;
  return fmt(rel);
}

/** The three key numbers of a run, at step `r` (the first difference, or the last step). */
export function keyNumbers(r, k) {
  const g = gradOf(r);
  const ratio = g.normRatio;
  let ratioNote = 'accumulated ÷ reference: same size';
  if (!Number.isFinite(ratio)) ratioNote = 'not finite';
  else if (Math.abs(ratio - k) < 1e-3 * k && k !== 1) ratioNote = `= k: the ${k} micro-batch gradients were added, not averaged`;
  else if (Math.abs(ratio - 1) > 1e-4) ratioNote = ratio > 1 ? 'the accumulated gradient is larger' : 'the accumulated gradient is smaller';
  return [
    { id: 'ratio', label: 'Gradient size ratio', value: fmtSizeRatio(ratio), note: ratioNote },
    { id: 'diff', label: 'Largest difference', value: fmt(g.maxAbsDiff), note: g.closeness === 'bitwise' ? 'bit for bit equal' : `${relativeWords(g.relNormDiff)} of the gradient's size` },
    { id: 'params', label: `Parameters, step ${r.step}`, value: PARAM_WORDS[r.params.closeness] ?? r.params.closeness, note: r.params.closeness === 'bitwise' ? 'bit for bit' : `largest difference ${fmt(r.params.maxAbsDiff)}` },
  ];
}

/**
 * The verdict box, appended to `root`. onFix(settings) when a fix button is pressed; focus
 * then moves to the verdict region (the button itself is replaced by the new verdict).
 */
export function createVerdictView(root, { onFix }) {
  const box = el('section', 'verdict verdict--none');
  box.id = 'verdict';
  box.setAttribute('role', 'region');
  box.setAttribute('aria-label', 'Verdict');
  box.tabIndex = -1;
  const head = el('h2', 'verdict-head', 'No run yet');
  head.id = 'verdict-head';
  const staleNote = el('p', 'stale-note');
  staleNote.hidden = true;
  const numbers = el('dl', 'key-numbers');
  const sentence = el('p', 'verdict-text', 'Press Run to train both runs and compare them.');
  const causes = el('ul', 'causes');
  const note = el('p', 'verdict-note');
  note.hidden = true;
  box.append(head, staleNote, numbers, sentence, causes, note);
  root.append(box);

  function clearBody(tone, title, text) {
    box.className = `verdict verdict--${tone}`;
    delete box.dataset.grads;
    delete box.dataset.params;
    head.textContent = title;
    numbers.replaceChildren();
    sentence.textContent = text;
    causes.replaceChildren();
  }

  function showNumbers(list) {
    numbers.replaceChildren();
    for (const n of list) {
      const item = el('div', 'key-number');
      item.dataset.key = n.id;
      item.append(el('dt', '', n.label), el('dd', 'key-value', n.value), el('dd', 'key-note', n.note));
      numbers.append(item);
    }
  }

  return {
    element: box,
    /** The engine's verdict; `at` is the record the key numbers are read at; k the accumulation steps. */
    show(verdict, at, k) {
      const h = headline(verdict);
      box.className = `verdict verdict--${h.tone}`;
      box.dataset.grads = verdict.grads;
      box.dataset.params = verdict.params;
      head.textContent = h.text;
      if (at) showNumbers(keyNumbers(at, k));
      else numbers.replaceChildren();
      sentence.textContent = verdict.text;
      causes.replaceChildren();
      for (const c of verdict.causes ?? []) {
        const li = el('li', 'cause');
        li.dataset.cause = c.id;
        // The title and its fixes first; the engine's full explanation one click away.
        if (c.title) li.append(el('strong', 'cause-title', `${c.title[0].toUpperCase()}${c.title.slice(1)}.`));
        const why = el('details', 'cause-why');
        why.append(el('summary', '', 'Why, and the fix'), el('span', 'cause-text', c.text));
        const fixes = FIXES[c.id] ?? [];
        if (fixes.length) {
          const row = el('span', 'fixes');
          for (const f of fixes) {
            const b = el('button', 'fix', `Try: ${f.label}`);
            b.type = 'button';
            b.addEventListener('click', () => {
              box.focus({ preventScroll: true }); // the button is about to be replaced
              onFix(f.set, f.label);
            });
            row.append(b);
          }
          li.append(row);
        }
        li.append(why);
        causes.append(li);
      }
      return h;
    },
    running(step, total) {
      clearBody('running', `Running… step ${step} of ${total}`, 'The verdict appears when the run ends or is stopped; the table and charts update live.');
    },
    none(text, title = 'No run yet') {
      clearBody('none', title, text);
    },
    /** Marks the verdict as belonging to older settings (text), or clears the mark (null). */
    setStale(text) {
      staleNote.hidden = !text;
      staleNote.textContent = text || '';
      box.classList.toggle('is-stale', Boolean(text));
    },
    /** A short note under the causes (e.g. a Try changed a setting not shown here), or none. */
    setNote(text) {
      note.hidden = !text;
      note.textContent = text || '';
    },
  };
}
