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
 * Export buttons in `root` (JSON, CSV) and a PNG button in every chart's caption.
 *   current(): {config, result, presetId, subtitle} of the results on screen, or null before a run
 *   charts: the controller of charts.mjs
 */
export function createExports(root, { current, charts }) {
  const label = document.createElement('span');
  label.className = 'export-label';
  label.textContent = 'Download results:';
  const json = button('JSON', 'share-button export-json');
  json.id = 'export-json';
  const csv = button('CSV', 'share-button export-csv');
  csv.id = 'export-csv';
  root.append(label, json, csv);

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

  /** Enables the buttons when there are results to export. */
  function update() {
    const ready = Boolean(current());
    for (const b of [json, csv, ...pngButtons]) b.disabled = !ready;
  }
  update();
  return { update };
}
