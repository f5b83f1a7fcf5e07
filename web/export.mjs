// web/export.mjs — results out of the page: JSON (the engine's whole result and the config),
// CSV (one row per optimizer step) and a chart as PNG. The text builders are pure (Node
// tests can call them); download() and chartPNG() need a DOM.

import { toJSONText } from '../wasm/json-out.mjs';
import { CONTRACT } from '../wasm/contract.mjs';

/** Columns of the CSV: every field of the core's step record, in its order (core/contract.c);
 * a dotted name reads a nested value (grad.allclose is record.grad.allclose). */
export const CSV_COLUMNS = CONTRACT.record.fields.map(({ name }) => {
  const [a, b] = name.split('.');
  return [name, b === undefined ? (r) => r[a] : (r) => r[a]?.[b]];
});

/** FNV-1a of a string as 8 hex digits: a short, stable name for a config. */
export function shortHash(text) {
  let h = 0x811c9dc5;
  for (let i = 0; i < text.length; i++) {
    h ^= text.charCodeAt(i);
    h = Math.imul(h, 0x01000193) >>> 0;
  }
  return h.toString(16).padStart(8, '0');
}

/** "dropout-1a2b3c4d-20steps" or "accumlab-…": the stem of every exported file's name. */
export function exportName(config, steps, presetId) {
  const stem = presetId && /^[\w-]+$/.test(presetId) ? presetId : 'accumlab';
  return `${stem}-${shortHash(JSON.stringify(config))}-${steps}steps`;
}

// Typed arrays become plain arrays; non-finite numbers become strings ("Infinity", "NaN"),
// since JSON has no such numbers and null would hide them.
/** The JSON export: {accumlab, url, config, result} with the engine's full result. */
export function resultJSON({ config, result, url }) {
  return `${toJSONText({ accumlab: 1, url, config, result }, 2)}\n`;
}

function csvCell(v) {
  if (v === undefined || v === null) return '';
  if (typeof v === 'boolean') return v ? 'true' : 'false';
  if (typeof v === 'number') return Number.isFinite(v) ? String(v) : String(v);
  const t = String(v);
  return /[",\n]/.test(t) ? `"${t.replace(/"/g, '""')}"` : t;
}

/** The CSV export: a header row, then one row per step record (full float precision). */
export function stepsCSV(steps) {
  const rows = [CSV_COLUMNS.map(([name]) => name).join(',')];
  for (const r of steps) rows.push(CSV_COLUMNS.map(([, get]) => csvCell(get(r))).join(','));
  return `${rows.join('\n')}\n`;
}

/** Saves a Blob as a file through a temporary <a download> link. */
export function download(blob, filename) {
  const url = URL.createObjectURL(blob);
  const a = document.createElement('a');
  a.href = url;
  a.download = filename;
  a.hidden = true;
  document.body.append(a);
  a.click();
  a.remove();
  // The download has its own reference; revoking later keeps slow browsers safe.
  setTimeout(() => URL.revokeObjectURL(url), 60000);
}

/**
 * A PNG of one chart: its title (and a subtitle naming the runs), the plot canvas (uPlot
 * draws axes and lines on it) and a legend, on white.
 * parts: {title, subtitle, canvas, series: [{label, color, dash}]}. Resolves to a Blob.
 */
export function chartPNG({ title, subtitle, canvas, series }) {
  const scale = canvas.width / Math.max(1, canvas.clientWidth || canvas.width);
  const pad = Math.round(12 * scale);
  const titleH = Math.round((subtitle ? 44 : 26) * scale);
  const legendH = Math.round(24 * scale);
  const out = document.createElement('canvas');
  out.width = canvas.width + 2 * pad;
  out.height = titleH + canvas.height + legendH + 2 * pad;
  const g = out.getContext('2d');
  g.fillStyle = '#ffffff';
  g.fillRect(0, 0, out.width, out.height);
  g.fillStyle = '#1b1d21';
  g.textBaseline = 'middle';
  g.font = `600 ${Math.round(15 * scale)}px system-ui, sans-serif`;
  g.fillText(title, pad, pad + 13 * scale);
  if (subtitle) {
    g.fillStyle = '#5a6070';
    g.font = `${Math.round(12 * scale)}px system-ui, sans-serif`;
    g.fillText(subtitle, pad, pad + 32 * scale);
  }
  g.drawImage(canvas, pad, pad + titleH);
  // Legend: a line sample in each series' colour and dash, then its label.
  let x = pad;
  const y = pad + titleH + canvas.height + legendH / 2;
  g.font = `${Math.round(13 * scale)}px system-ui, sans-serif`;
  for (const s of series) {
    g.strokeStyle = s.color;
    g.lineWidth = 2 * scale;
    g.setLineDash((s.dash ?? []).map((d) => d * scale));
    g.beginPath();
    g.moveTo(x, y);
    g.lineTo(x + 24 * scale, y);
    g.stroke();
    g.setLineDash([]);
    g.fillStyle = '#1b1d21';
    g.fillText(s.label, x + 30 * scale, y);
    x += 30 * scale + g.measureText(s.label).width + 18 * scale;
  }
  return new Promise((resolve, reject) => {
    out.toBlob((blob) => (blob ? resolve(blob) : reject(new Error('the chart could not be drawn as PNG'))), 'image/png');
  });
}
