// web/checker-panel.mjs — the "Check my training loop" panel: the user describes a loop in
// a few choices, the panel says at once (without running) whether it is equivalent to the
// big batch and names every cause (the engine predicts them for the loop's config:
// causesOf, the worker's 'causes' request; words from wasm/checker.mjs), and "Run it" hands
// the loop's config to the page.
import { CHOICES, checkLoop, configFor, defaultChoices } from '../wasm/checker.mjs';

/**
 * Builds the panel inside `root`. causesOf(config) resolves to the cause ids the engine
 * predicts for a config; onRun(config) is called with the engine config of the described
 * loop when the user presses "Run it".
 */
export function createChecker(root, { causesOf, onRun }) {
  let choices = defaultChoices();
  const form = document.createElement('form');
  form.className = 'checker-form';
  form.addEventListener('submit', (e) => e.preventDefault());
  for (const c of CHOICES) {
    const field = document.createElement('div');
    field.className = 'field';
    const label = document.createElement('label');
    label.htmlFor = `chk-${c.key}`;
    label.textContent = c.label;
    const select = document.createElement('select');
    select.id = `chk-${c.key}`;
    select.name = c.key;
    for (const [value, text] of c.options) select.append(new Option(text, value));
    select.addEventListener('change', () => {
      choices = { ...choices, [c.key]: select.value };
      render();
    });
    field.append(label, select);
    if (c.help) {
      const help = document.createElement('p');
      help.className = 'help';
      help.textContent = c.help;
      field.append(help);
    }
    form.append(field);
  }

  const out = document.createElement('div');
  out.className = 'checker-out';
  out.id = 'checker-out';
  out.setAttribute('aria-live', 'polite');
  const runButton = document.createElement('button');
  runButton.type = 'button';
  runButton.id = 'checker-run';
  runButton.className = 'primary';
  runButton.textContent = 'Run it';
  runButton.addEventListener('click', () => onRun(configFor(choices)));
  const runNote = document.createElement('p');
  runNote.className = 'checker-run-note';
  runNote.textContent = 'Runs this loop in the lab (moons, m = 8, k = 4, 20 steps) and sets the controls to match.';
  root.append(form, out, runButton, runNote);

  let asked = 0; // answers to older questions are dropped
  async function render() {
    const mine = ++asked, now = choices;
    let ids;
    try {
      ids = await causesOf(configFor(now));
    } catch (e) {
      if (mine !== asked) return;
      out.dataset.equivalent = 'unknown';
      const p = document.createElement('p');
      p.className = 'checker-head';
      p.textContent = `The engine could not answer (${e.message}).`;
      out.replaceChildren(p);
      return;
    }
    if (mine !== asked) return;
    const r = checkLoop(now, ids);
    out.dataset.equivalent = r.equivalent;
    const head = document.createElement('p');
    head.className = 'checker-head';
    head.textContent = r.headline;
    const parts = [head];
    if (r.causes.length) {
      const ul = document.createElement('ul');
      ul.className = 'checker-causes';
      for (const c of r.causes) {
        const li = document.createElement('li');
        li.className = 'checker-cause';
        li.dataset.cause = c.id;
        const title = document.createElement('strong');
        title.textContent = c.title[0].toUpperCase() + c.title.slice(1);
        li.append(title, `. ${c.text}`);
        ul.append(li);
      }
      parts.push(ul);
    }
    for (const n of r.notes) {
      const p = document.createElement('p');
      p.className = 'checker-note';
      p.textContent = n;
      parts.push(p);
    }
    out.replaceChildren(...parts);
  }
  render();

  return {
    /** Asks the engine again (after it was restarted, for example). */
    refresh: render,
    /** The current choices (a copy). */
    choices: () => ({ ...choices }),
  };
}
