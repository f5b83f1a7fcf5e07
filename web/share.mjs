// web/share.mjs — the "Copy link" button and the export buttons (JSON, CSV, a PNG per chart).
// Every setting is already in the address bar (state.mjs), so the link is location.href.
import { chartPNG, download, exportName, resultJSON, stepsCSV } from './export.mjs';

function button(text, className) {
  const b = document.createElement('button');
  b.type = 'button';
  b.className = className;
  b.textContent = text;
  return b;
}

/**
 * A "Copy link" button in `root`. Uses the Clipboard API; where it is missing or refused
 * (insecure page, iframe without clipboard-write), shows the link in a selected text field
 * to copy by hand. `link()` returns the text to copy.
 */
export function createCopyLink(root, { link = () => location.href } = {}) {
  const b = button('Copy link', 'share-button copy-link');
  b.id = 'copy-link';
  const note = document.createElement('span');
  note.className = 'copy-note';
  note.id = 'copy-note';
  note.setAttribute('role', 'status');
  const field = document.createElement('input');
  field.type = 'text';
  field.readOnly = true;
  field.id = 'copy-field';
  field.className = 'copy-field';
  field.setAttribute('aria-label', 'Link to this experiment');
  field.hidden = true;
  let clearTimer = 0;

  function fallback(text) {
    field.value = text;
    field.hidden = false;
    field.focus();
    field.select();
    note.textContent = 'Copy the selected link (Ctrl+C / ⌘C).';
  }

  b.addEventListener('click', async () => {
    const text = link();
    clearTimeout(clearTimer);
    if (!navigator.clipboard?.writeText) {
      fallback(text);
      return;
    }
    try {
      await navigator.clipboard.writeText(text);
      field.hidden = true;
      note.textContent = 'Link copied';
      clearTimer = setTimeout(() => { note.textContent = ''; }, 4000);
    } catch {
      fallback(text);
    }
  });
  root.append(b, note, field);
  return { button: b, field, note };
}

/**
 * Export buttons in `root` (JSON, CSV, the PyTorch script) and a PNG button in every chart's caption.
 *   current(): {config, result, presetId, subtitle, title} of the results on screen, or null before a run
 *   charts: the controller of charts.mjs
 *   torchScript(config, title): a promise of {text}, the experiment as a PyTorch script (the engine worker's)
 */
export function createExports(root, { current, charts, torchScript }) {
  const label = document.createElement('span');
  label.className = 'export-label';
  label.textContent = 'Download results:';
  const json = button('JSON', 'share-button export-json');
  json.id = 'export-json';
  const csv = button('CSV', 'share-button export-csv');
  csv.id = 'export-csv';
  const script = button('PyTorch script', 'share-button export-torch');
  script.id = 'export-torch';
  script.title = 'The same experiment as a self-contained PyTorch script: python3 script.py (with GPUs > 1, W processes with torch.distributed)';
  const scriptNote = document.createElement('span');
  scriptNote.className = 'export-note';
  scriptNote.setAttribute('role', 'status');
  root.append(label, json, csv, script, scriptNote);

  const pngButtons = [];
  for (const id of charts.ids()) {
    const { figure, title } = charts.figure(id);
    const png = button('PNG', 'share-button export-png');
    png.dataset.chart = id;
    png.setAttribute('aria-label', `Download the chart “${title}” as PNG`);
    png.addEventListener('click', async () => {
      const now = current();
      if (!now) return;
      const blob = await chartPNG({ ...charts.imageParts(id), subtitle: now.subtitle });
      download(blob, `${exportName(now.config, now.result.steps.length, now.presetId)}-${id}.png`);
    });
    figure.querySelector('figcaption')?.append(' ', png);
    pngButtons.push(png);
  }

  json.addEventListener('click', () => {
    const now = current();
    if (!now) return;
    const text = resultJSON({ config: now.config, result: now.result, url: location.href });
    download(new Blob([text], { type: 'application/json' }), `${exportName(now.config, now.result.steps.length, now.presetId)}.json`);
  });
  csv.addEventListener('click', () => {
    const now = current();
    if (!now) return;
    download(new Blob([stepsCSV(now.result.steps)], { type: 'text/csv' }), `${exportName(now.config, now.result.steps.length, now.presetId)}.csv`);
  });

  script.addEventListener('click', async () => {
    const now = current();
    if (!now) return;
    scriptNote.textContent = '';
    try {
      const { text } = await torchScript(now.config, now.title ?? '');
      download(new Blob([text], { type: 'text/x-python' }), `${exportName(now.config, now.result.steps.length, now.presetId)}.py`);
    } catch (e) {
      scriptNote.textContent = `No script: ${e.message}`;
    }
  });

  /** Enables the buttons when there are results to export. */
  function update() {
    const ready = Boolean(current());
    for (const b of [json, csv, script, ...pngButtons]) b.disabled = !ready;
  }
  update();
  return { update };
}
