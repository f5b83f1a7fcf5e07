// web/charts.mjs — the three live charts of the lab.
//
// Why uPlot: it is small (~50 kB minified, no dependencies), draws on a canvas so thousands
// of steps stay fast, has log scales, a live legend that doubles as the hover read-out,
// cursor sync between charts, and setData() for cheap live updates while training.
// It is copied from node_modules into the site (vendor/), so the page loads nothing from
// a CDN.
//
//   loss       loss per optimizer step, reference and accumulated run
//   diff       max |difference| of gradients and of parameters per step, log scale
//   ratio      gradient norm ratio ‖accumulated‖ / ‖reference‖ per step
//
// A log axis cannot show 0 (bitwise-equal steps) or tiny values: they are drawn at
// LOG_FLOOR, the bottom line of the chart, and the read-out shows the true value.
import uPlot from '../node_modules/uplot/dist/uPlot.esm.js';

export const LOG_FLOOR = 1e-12;

const COLORS = { ref: '#1f5fbf', acc: '#d0600b', grad: '#7a2fbf', params: '#0f8a6a', one: '#8a8a8a' };

/** Short text for a number in a read-out. */
export function fmt(v) {
  if (v === null || v === undefined || Number.isNaN(v)) return '–';
  if (v === Infinity) return '∞';
  if (v === 0) return '0';
  const a = Math.abs(v);
  if (a >= 1e4 || a < 1e-3) return v.toExponential(2);
  return String(Number(v.toPrecision(4)));
}

function axis(label, extra = {}) {
  return {
    label,
    stroke: '#333',
    grid: { stroke: '#e6e6e6', width: 1 },
    ticks: { stroke: '#cfcfcf', width: 1 },
    font: '12px system-ui, sans-serif',
    labelFont: '12px system-ui, sans-serif',
    ...extra,
  };
}

const stepAxis = () => axis('optimizer step', { incrs: [1, 2, 5, 10, 20, 50, 100, 200, 500, 1000, 2000, 5000, 10000] });

/**
 * The chart specs: series pulled from step records.
 * raw(record) returns the true value; plotted values may be clamped (log charts).
 */
const SPECS = [
  {
    id: 'loss',
    title: 'Loss per optimizer step',
    yLabel: 'loss',
    series: [
      { key: 'ref', label: 'reference', color: COLORS.ref, raw: (r) => r.lossRef },
      { key: 'acc', label: 'accumulated', color: COLORS.acc, raw: (r) => r.lossAcc, dash: [6, 4] },
    ],
  },
  {
    id: 'diff',
    title: 'Largest difference between the runs (log scale)',
    yLabel: 'max |difference|',
    log: true,
    note: `A log axis cannot show 0: exact zeros (bitwise equal) and values below ${LOG_FLOOR.toExponential(0)} are drawn on the bottom line, marked ≤${LOG_FLOOR.toExponential(0)}; the read-out shows the true value.`,
    series: [
      { key: 'grad', label: 'gradients', color: COLORS.grad, raw: (r) => r.grad.maxAbsDiff },
      { key: 'params', label: 'parameters', color: COLORS.params, raw: (r) => r.params.maxAbsDiff, dash: [6, 4] },
    ],
  },
  {
    id: 'ratio',
    title: 'Gradient norm ratio ‖accumulated‖ / ‖reference‖',
    yLabel: 'norm ratio',
    note: '1 means both gradients have the same size; k means the accumulated one is k times larger.',
    range: (u, min, max) => {
      const [lo, hi] = linearRange(u, Math.min(min, 1), Math.max(max, 1));
      return [Math.min(lo, 0.5), Math.max(hi, 1.5)];
    },
    series: [
      { key: 'ratio', label: 'norm ratio', color: COLORS.grad, raw: (r) => r.grad.normRatio },
      { key: 'one', label: 'same size (1)', color: COLORS.one, raw: () => 1, dash: [2, 4], width: 1 },
    ],
  },
];

// A linear range with some room: nearly constant data (a norm ratio of 1.00000002 at
// every step) would otherwise get a span of 1e-8 and ticks uPlot cannot lay out.
function linearRange(u, min, max) {
  if (!Number.isFinite(min) || !Number.isFinite(max)) return [0, 1];
  const mid = (min + max) / 2;
  const half = Math.max((max - min) / 2 * 1.1, Math.abs(mid) * 0.05, 1e-6);
  return [mid - half, mid + half];
}

// Steps 1..n (at least 1..2, so a single point has an axis).
function stepRange(u, min, max) {
  if (!Number.isFinite(min) || !Number.isFinite(max)) return [1, 2];
  return [Math.min(1, min), Math.max(min + 1, max)];
}

function logRange(u, min, max) {
  if (!Number.isFinite(min) || !Number.isFinite(max)) return [LOG_FLOOR, 1];
  const lo = Math.min(LOG_FLOOR, min > 0 ? min : LOG_FLOOR);
  const hi = max > 0 ? max : 1;
  const a = Math.floor(Math.log10(lo));
  let b = Math.ceil(Math.log10(hi));
  if (b <= a) b = a + 1;
  return [10 ** a, 10 ** b];
}

// Label powers of ten only ("1e-7"); uPlot passes null for ticks it filtered out.
function logTickLabels(u, ticks) {
  return ticks.map((t) => {
    if (t === null || t === undefined || t <= 0) return '';
    const e = Math.log10(t);
    if (Math.abs(t / LOG_FLOOR - 1) < 1e-9) return `≤1e${Math.round(e)}`; // the floor: 0 lands here
    return Math.abs(e - Math.round(e)) < 1e-9 ? `1e${Math.round(e)}` : '';
  });
}

// Grid lines at powers of ten only, at most about six of them.
function logSplits(u, axisIdx, min, max) {
  if (!(min > 0) || !(max > 0) || !Number.isFinite(min) || !Number.isFinite(max)) return [];
  const a = Math.round(Math.log10(min));
  const b = Math.round(Math.log10(max));
  const every = Math.max(1, Math.ceil((b - a) / 6));
  const out = [];
  for (let e = a; e <= b; e += every) out.push(10 ** e);
  return out;
}

// The uPlot instance of one chart, drawing `data` (raws: the unclamped values for the read-out).
function makePlot(spec, host, width, data, raws) {
  const opts = {
    width,
    height: 220,
    cursor: { sync: { key: 'accumlab-steps' }, points: { size: 7 } },
    legend: { live: true },
    scales: {
      x: { time: false, range: stepRange },
      y: spec.log ? { distr: 3, range: logRange } : { range: spec.range ?? linearRange },
    },
    axes: [stepAxis(), axis(spec.yLabel, { size: 64, ...(spec.log ? { values: logTickLabels, splits: logSplits } : {}) })],
    series: [
      // Without hover, the read-out shows the newest step.
      { label: 'step', value: (u, v) => { const x = v ?? u.data[0].at(-1); return x === undefined ? '–' : String(x); } },
      ...spec.series.map((s, i) => ({
        label: s.label,
        stroke: s.color,
        width: s.width ?? 2,
        dash: s.dash,
        points: { show: (u) => u.data[0].length <= 60, size: 5, fill: s.color },
        // The read-out shows the true value, not the clamped one.
        value: (u, v, si, idx) => fmt(raws[i][idx ?? raws[i].length - 1]),
      })),
    ],
  };
  return new uPlot(opts, data, host);
}

/**
 * Creates the charts inside `root` (an element). Returns:
 *   reset()            empty every chart
 *   push(records)      append step records (one point per step per series)
 *   flush()            draw now (push batches drawing into animation frames)
 *   pointCounts()      {chartId: {seriesLabel: number of points}}
 *   ids()              the chart ids, in page order
 *   figure(id)         {figure, title}: the chart's <figure> (its plot may not exist yet)
 *   imageParts(id)     {title, canvas, series: [{label, color, dash}]} for a PNG export
 */
export function createCharts(root) {
  const charts = [];
  let frame = 0;

  const resize = () => {
    for (const c of charts) {
      if (!c.plot) continue;
      const w = Math.max(240, Math.floor(c.host.clientWidth));
      if (w && w !== c.plot.width) c.plot.setSize({ width: w, height: 220 });
    }
  };
  const observer = new ResizeObserver(resize);

  // uPlot takes ~20 ms per chart to set up (fonts, axes, a layout): done at once with the rest
  // of the page's start, that made one long task of ~100 ms. The figures and their data exist
  // at once; each plot is made in a task of its own after the first frame, or when needed.
  const ensurePlot = (c) => {
    if (c.plot) return c.plot;
    const width = Math.max(260, c.host.clientWidth || root.clientWidth || 600);
    c.plot = makePlot(c.spec, c.host, width, c.data, c.raws);
    c.plot.setLegend(); // the read-out of the newest step, if points came before the plot
    observer.observe(c.host);
    return c.plot;
  };

  for (const spec of SPECS) {
    const figure = document.createElement('figure');
    figure.className = 'chart';
    figure.dataset.chart = spec.id;
    const caption = document.createElement('figcaption');
    caption.textContent = spec.title;
    const host = document.createElement('div');
    host.className = 'chart-host';
    figure.append(caption, host);
    if (spec.note) {
      const note = document.createElement('p');
      note.className = 'chart-note';
      note.textContent = spec.note;
      figure.append(note);
    }
    root.append(figure);
    const data = [[], ...spec.series.map(() => [])];
    charts.push({ spec, figure, host, plot: null, data, raws: spec.series.map(() => []) });
  }
  const pending = charts.slice();
  const makeNext = () => {
    const c = pending.shift();
    if (!c) return;
    ensurePlot(c);
    setTimeout(makeNext, 0);
  };
  requestAnimationFrame(() => setTimeout(makeNext, 0));

  const draw = () => {
    frame = 0;
    for (const c of charts) {
      if (c.plot) {
        c.plot.setData(c.data);
        c.plot.setLegend(); // refresh the read-out (the newest step when not hovering)
      }
      const counts = {};
      c.spec.series.forEach((s, i) => {
        counts[s.label] = c.data[i + 1].filter((v) => v !== null && v !== undefined).length;
      });
      c.figure.dataset.points = JSON.stringify(counts);
      c.figure.setAttribute('aria-label', `${c.spec.title}: ${c.data[0].length} steps`);
    }
  };
  const schedule = () => {
    if (!frame) frame = requestAnimationFrame(draw);
  };

  return {
    reset() {
      for (const c of charts) {
        for (const arr of c.data) arr.length = 0;
        for (const arr of c.raws) arr.length = 0;
      }
      if (frame) cancelAnimationFrame(frame);
      draw();
    },
    push(records) {
      for (const r of records) {
        for (const c of charts) {
          c.data[0].push(r.step);
          c.spec.series.forEach((s, i) => {
            const v = s.raw(r);
            c.raws[i].push(v);
            let y = Number.isFinite(v) ? v : null;
            if (c.spec.log && y !== null) y = Math.max(y, LOG_FLOOR);
            c.data[i + 1].push(y);
          });
        }
      }
      schedule();
    },
    flush() {
      if (frame) cancelAnimationFrame(frame);
      draw();
    },
    pointCounts() {
      return Object.fromEntries(charts.map((c) => [c.spec.id, JSON.parse(c.figure.dataset.points || '{}')]));
    },
    ids: () => charts.map((c) => c.spec.id),
    figure(id) {
      const c = charts.find((x) => x.spec.id === id);
      return c ? { figure: c.figure, title: c.spec.title } : null;
    },
    imageParts(id) {
      const c = charts.find((x) => x.spec.id === id);
      if (!c) return null;
      ensurePlot(c);
      draw(); // the canvas shows every point pushed so far
      const series = c.spec.series.map((s) => ({ label: s.label, color: s.color, dash: s.dash }));
      return { title: c.spec.title, canvas: c.plot.ctx.canvas, series, figure: c.figure };
    },
  };
}
