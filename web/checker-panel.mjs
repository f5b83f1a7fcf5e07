// web/checker-panel.mjs — the "Check my training loop" panel: the user describes a loop in
// a few choices, and the panel answers at once (without running), in order: what breaks
// equivalence with the big batch (each with its fix), what is expected noise, what the loop
// does right, and the corrected loop as code to copy. The engine predicts the causes
// for the loop's config (causesOf, the worker's 'causes' request); the words, the fixes and the
// code come from wasm/checker.mjs. "Run it" hands the loop's config to the page.
//
// The questions are CHOICES, in order; the first two say whose loop it is (a plain loop or a
// framework) and on how many GPUs. A question reads as it does for the loop (questionFor):
// with a framework the loss question asks what you do on top of it, clipping and the
// scheduler speak its API, and answers that do not exist for the loop are disabled with why.
// Answering goes through withChoice (a new framework keeps or resets the loss answer).
//
// Layout (web/checker.css): the root is a size container, so the panel lays itself out for
// the room its host gives it: choices in a grid of several columns and the answer beside them
// when wide, one column on a phone or in a narrow sidebar.
import { CHOICES, EXAMPLES, SETUP_KEYS, checkLoop, configFor, defaultChoices, normalizeChoices, questionFor, setupWords, withChoice } from '../wasm/checker.mjs';

const el = (tag, props = {}, ...children) => {
  const e = document.createElement(tag);
  for (const [k, v] of Object.entries(props)) {
    if (k === 'class') e.className = v;
    else if (k.startsWith('data-') || k.startsWith('aria-') || k === 'role' || k === 'for' || k === 'tabindex') e.setAttribute(k, v);
    else e[k] = v;
  }
  e.append(...children);
  return e;
};

/** The answer's four parts, in order: [id, heading]. */
export const PARTS = [
  ['breaks', '1. What breaks equivalence'],
  ['noise', '2. Expected noise'],
  ['right', '3. What the loop does right'],
  ['code', '4. The corrected loop'],
];

/**
 * Builds the panel inside `root`. causesOf(config) resolves to the cause ids the engine
 * predicts for a config; onRun(config) is called with the engine config of the described
 * loop when the user presses "Run it" (or of the corrected loop: "Run the corrected loop").
 */
export function createChecker(root, { causesOf, onRun }) {
  let choices = defaultChoices();
  let answer = null; // the last checkLoop result shown
  root.classList.add('chk');

  // --- the choices
  const form = el('form', { class: 'chk-form', 'aria-label': 'Your training loop' });
  form.addEventListener('submit', (e) => e.preventDefault());
  const examples = el('div', { class: 'chk-examples', role: 'group', 'aria-labelledby': 'chk-examples-label' },
    el('span', { class: 'chk-examples-label', id: 'chk-examples-label' }, 'Start from:'));
  for (const x of EXAMPLES) {
    const b = el('button', { type: 'button', class: 'chk-example', 'data-example': x.id, title: x.about }, x.label);
    b.addEventListener('click', () => setChoices(x.choices));
    examples.append(b);
  }
  const grid = el('div', { class: 'chk-grid' });
  // Whose loop and on how many GPUs: a bar of its own above the loop's questions.
  const setupBar = el('div', { class: 'chk-setup', role: 'group', 'aria-label': 'Whose loop, on how many GPUs' });
  const fields = {}; // key -> {select, label, help}
  for (const c of CHOICES) {
    const id = `chk-${c.key}`;
    const select = el('select', { id, name: c.key });
    select.addEventListener('change', () => {
      choices = withChoice(choices, c.key, select.value);
      syncQuestions();
      render();
    });
    const label = el('label', { for: id }, c.label);
    const help = el('p', { class: 'help', id: `${id}-help` });
    const setup = SETUP_KEYS.includes(c.key);
    // In the bar the help is read with the select (and shown as its tooltip), not printed.
    if (setup) help.classList.add('chk-sr');
    const field = el('div', { class: `field chk-field${setup ? ' chk-field--setup' : ''}`, 'data-question': c.key }, label, select, help);
    fields[c.key] = { select, label, help };
    (setup ? setupBar : grid).append(field);
  }

  /** Every question as it reads for the current loop: its label, help and answers (some disabled, with why). */
  function syncQuestions() {
    for (const c of CHOICES) {
      const q = questionFor(c.key, choices), f = fields[c.key];
      f.label.textContent = q.label;
      f.help.textContent = q.help ?? '';
      f.help.hidden = !q.help;
      if (SETUP_KEYS.includes(c.key)) f.select.title = q.help ?? '';
      if (q.help) f.select.setAttribute('aria-describedby', f.help.id);
      else f.select.removeAttribute('aria-describedby');
      const want = q.options.map((o) => [o.value, o.disabled ? `${o.label} (${o.disabled})` : o.label, !!o.disabled]);
      const have = [...f.select.options].map((o) => [o.value, o.text, o.disabled]);
      if (JSON.stringify(want) !== JSON.stringify(have)) {
        f.select.replaceChildren(...want.map(([value, text, disabled]) => {
          const o = new Option(text, value);
          o.disabled = disabled;
          return o;
        }));
      }
      f.select.value = choices[c.key];
    }
  }
  const runButton = el('button', { type: 'button', id: 'checker-run', class: 'chk-button chk-primary' }, 'Run it');
  runButton.addEventListener('click', () => onRun(configFor(choices)));
  const runFixed = el('button', { type: 'button', id: 'checker-run-fixed', class: 'chk-button' }, 'Run the corrected loop');
  runFixed.addEventListener('click', () => { if (answer) onRun(configFor(answer.corrected)); });
  const runNote = el('p', { class: 'chk-run-note' });
  const runNoteText = () => {
    const W = Number(choices.workers);
    return `Runs the loop in the lab (moons, m = 8, k = 4${W > 1 ? `, ${W} simulated GPUs` : ''}, 20 steps) and sets the controls to match.`;
  };
  form.append(el('div', { class: 'chk-top' }, setupBar, examples), grid, el('div', { class: 'chk-actions' }, runButton, runFixed), runNote);

  // --- the answer: a short summary (announced), then the four parts
  const out = el('section', { id: 'checker-out', class: 'chk-answer', 'aria-labelledby': 'chk-answer-title', 'data-equivalent': 'unknown' });
  const summary = el('p', { id: 'chk-summary', class: 'chk-summary', role: 'status', 'aria-live': 'polite' }, 'Asking the engine…');
  out.append(el('h3', { id: 'chk-answer-title', class: 'chk-answer-title' }, 'The answer'), summary);
  const parts = {};
  for (const [id, heading] of PARTS) {
    const body = el('div', { class: 'chk-part-body' });
    const section = el('section', { class: `chk-part chk-part--${id}`, 'data-part': id, 'aria-labelledby': `chk-h-${id}` },
      el('h4', { id: `chk-h-${id}`, class: 'chk-part-title' }, heading), body);
    parts[id] = { section, body };
    out.append(section);
  }
  // The code part: a copy button, a status and the code itself (focusable: it scrolls sideways).
  const copyButton = el('button', { type: 'button', id: 'checker-copy', class: 'chk-button chk-copy' }, 'Copy');
  const copyNote = el('span', { id: 'checker-copy-note', class: 'chk-copy-note', role: 'status' });
  const codeIntro = el('p', { class: 'chk-code-intro' });
  const codeEl = el('code', { class: 'language-python' });
  const pre = el('pre', { id: 'checker-code', class: 'chk-code', tabindex: '0', 'aria-label': 'The corrected loop, PyTorch code' }, codeEl);
  parts.code.body.append(el('div', { class: 'chk-code-bar' }, codeIntro, el('span', { class: 'chk-code-tools' }, copyButton, copyNote)), pre);
  let copyTimer = 0;
  copyButton.addEventListener('click', async () => {
    clearTimeout(copyTimer);
    const text = codeEl.textContent;
    let copied = false;
    try {
      if (navigator.clipboard?.writeText) {
        await navigator.clipboard.writeText(text);
        copied = true;
      }
    } catch { /* refused (insecure page, iframe without clipboard-write): select it instead */ }
    if (copied) {
      copyNote.textContent = 'Copied';
    } else {
      const range = document.createRange();
      range.selectNodeContents(codeEl);
      const sel = getSelection();
      sel.removeAllRanges();
      sel.addRange(range);
      pre.focus();
      copyNote.textContent = 'The code is selected: press Ctrl+C (⌘C) to copy it.';
    }
    pre.dataset.copied = copied ? 'clipboard' : 'selected';
    copyTimer = setTimeout(() => { copyNote.textContent = ''; }, 6000);
  });

  root.replaceChildren(el('div', { class: 'chk-layout' }, form, out));
  syncQuestions();
  runNote.textContent = runNoteText();

  function setChoices(next) {
    choices = normalizeChoices({ ...defaultChoices(), ...next });
    syncQuestions();
    render();
  }

  const loopKey = (ch) => CHOICES.map((c) => ch[c.key]).join(',');
  /** Whose code the loop is written as. */
  const codeLanguage = (ch) => ({ pytorch: 'PyTorch', lightning: 'Lightning', accelerate: 'Accelerate', deepspeed: 'DeepSpeed' }[ch.framework] ?? 'HF Trainer');

  function item(cls, title, ...paras) {
    const li = el('li', { class: cls });
    li.append(el('strong', { class: 'chk-item-title' }, title));
    for (const [c, text] of paras) if (text) li.append(el('p', { class: c }, text));
    return li;
  }

  function show(r) {
    answer = r;
    out.dataset.equivalent = r.equivalent;
    out.dataset.causes = r.causes.map((c) => c.id).join(' ');
    out.dataset.loop = loopKey(choices);
    summary.textContent = r.summary;
    runNote.textContent = runNoteText();
    // 1. what breaks equivalence
    if (r.breaks.length) {
      const ul = el('ul', { class: 'chk-list chk-breaks' });
      for (const b of r.breaks) {
        const li = item('chk-break', b.title, ['chk-text', b.text], ['chk-fix', b.fix], ...b.notes.map((n) => ['chk-note', n]));
        li.dataset.cause = b.id;
        ul.append(li);
      }
      parts.breaks.body.replaceChildren(ul);
    } else {
      parts.breaks.body.replaceChildren(el('p', { class: 'chk-none' },
        r.equivalent === 'updates' ? 'Nothing: lr ÷ k with plain SGD makes every update the big batch\'s (the gradient itself is k× by design).' : 'Nothing: this loop computes the big batch\'s gradients.'));
    }
    // 2. expected noise
    const noise = el('ul', { class: 'chk-list chk-noise' });
    for (const n of r.noise) {
      const li = item('chk-noise-item', n.title, ['chk-text', n.text], ['chk-check', n.check]);
      li.dataset.noise = n.id;
      noise.append(li);
    }
    parts.noise.body.replaceChildren(noise);
    // 3. what the loop does right
    const right = el('ul', { class: 'chk-list chk-right' });
    for (const line of r.right) right.append(el('li', { class: 'chk-ok' }, el('span', { class: 'chk-tick', 'aria-hidden': 'true' }, '✓ '), line));
    parts.right.body.replaceChildren(right);
    // 4. the corrected loop
    parts.code.section.querySelector('h4').textContent = r.breaks.length ? PARTS[3][1] : '4. The loop as code';
    const setup = setupWords(choices), lang = codeLanguage(r.corrected);
    codeIntro.textContent = (r.breaks.length
      ? `Every breaking choice fixed (see “#\u00a0fixed:”)${r.noise.some((n) => n.id === 'dropout_stream') ? '; dropout left as it is, with a comment' : ''}. The lab's small model stands for yours.`
      : `Nothing to fix: your loop as ${lang} code${r.noise.some((n) => n.id === 'dropout_stream') ? ' (dropout kept, with a comment)' : ''}. The lab's small model stands for yours.`)
      + (setup ? ` Written for ${setupWords(r.corrected)}.` : '');
    pre.setAttribute('aria-label', `The ${r.breaks.length ? 'corrected ' : ''}loop, ${lang} code`);
    codeEl.textContent = r.code;
    delete pre.dataset.copied;
    copyNote.textContent = '';
    runFixed.hidden = r.breaks.length === 0;
  }

  let asked = 0; // answers to older questions are dropped
  async function render() {
    const mine = ++asked, now = choices;
    out.setAttribute('aria-busy', 'true');
    let ids;
    try {
      ids = await causesOf(configFor(now));
    } catch (e) {
      if (mine !== asked) return;
      out.dataset.equivalent = 'unknown';
      out.removeAttribute('aria-busy');
      summary.textContent = `The engine could not answer (${e.message}).`;
      return;
    }
    if (mine !== asked) return;
    out.removeAttribute('aria-busy');
    show(checkLoop(now, ids));
  }
  render();

  return {
    /** Asks the engine again (after it was restarted, for example). */
    refresh: render,
    /** The current choices (a copy). */
    choices: () => ({ ...choices }),
    /** Sets the choices (missing keys: the defaults) and answers for them. */
    set: setChoices,
  };
}
