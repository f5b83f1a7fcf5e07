// web/sweep-panel.mjs — "Sweep k": the page's settings once per k = 1, 2, 4, … 64 in the engine
// worker (the 'sweep' request: wasm/sweep.mjs), shown as a table with a bar per k on a log
// scale, so drift with k is one picture. The numbers are the engine's; this module only shows.
import { fmt } from './format.mjs';

export const SWEEP_K = Object.freeze([1, 2, 4, 8, 16, 32, 64]);

/** A bar's width in % for a relative difference: log scale from 1e-8 (0 %) to 1 (100 %). */
export function barWidth(rel) {
  if (!(rel > 0)) return 0;
  return Math.max(1, Math.min(100, ((Math.log10(rel) + 8) / 8) * 100));
}

/**
 * root: the <details id="sweep"> of index.html. sweepOf(config, field, values): a promise of
 * {rows} (the worker's); configNow(): the engine config of the page's current settings.
 */
export function createSweep(root, { sweepOf, configNow }) {
  const button = root.querySelector('#sweep-run'), status = root.querySelector('#sweep-status');
  const table = root.querySelector('#sweep-table'), body = table.querySelector('tbody');
  let busy = false;

  function show(rows) {
    body.replaceChildren(...rows.map((r) => {
      const tr = document.createElement('tr');
      tr.dataset.k = String(r.value);
      const k = document.createElement('th');
      k.scope = 'row';
      k.textContent = String(r.value);
      const rel = document.createElement('td'), verdict = document.createElement('td');
      if (r.error) {
        rel.textContent = '—';
        verdict.textContent = r.error;
        tr.dataset.error = 'true';
      } else {
        tr.dataset.rel = String(r.meanRel);
        const bar = document.createElement('span');
        bar.className = 'sweep-bar';
        bar.style.width = `${0.75 * barWidth(r.meanRel)}%`; // room for the number beside it
        rel.append(bar, document.createTextNode(` ${fmt(r.meanRel)}`));
        verdict.textContent = r.grads;
      }
      tr.append(k, rel, verdict);
      return tr;
    }));
    table.hidden = false;
  }

  button.addEventListener('click', async () => {
    if (busy) return;
    busy = true;
    button.disabled = true;
    status.textContent = 'Sweeping k = 1 … 64…';
    try {
      const { rows } = await sweepOf(configNow(), 'accumSteps', SWEEP_K);
      show(rows);
      status.textContent = `Done: ${rows.filter((r) => !r.error).length} of ${rows.length} values of k ran.`;
    } catch (e) {
      status.textContent = `The sweep stopped: ${e.message}`;
    } finally {
      busy = false;
      button.disabled = false;
    }
  });
  return {
    /** The settings changed: the old table no longer describes them. */
    stale() { if (!table.hidden) status.textContent = 'The settings changed: sweep again to update the table.'; },
  };
}
