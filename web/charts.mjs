// web/charts.mjs — the live charts of the lab, in page order:
//
//   ratio      ‖accumulated‖ / ‖reference‖ of the gradients AT THE SAME PARAMETERS (record.samePoint:
//              the accumulated loop run at the reference run's parameters), with lines at 1 (same
//              size) and at k (the k micro-batch means added up without dividing by k); with
//              clipping on, also the ratio before clipping (record.unclipped.normRatio), which
//              clipping can hide
//   lr         learning rate of both runs, shown only when they differ at some step
//   gradnorm   gradient norms at the same point before clipping (record.unclipped), with the
//              clip threshold; shown only when clipping is on
//   loss       loss per optimizer step, both runs
//   diff       max |difference| of the gradients (same point) and of the parameters, log scale
//
// Every chart has a marker at the step the page's table shows (setCursor), and hovering a chart
// reports the step under the pointer (onCursor), so the table follows.
//
// Why uPlot: it is small (~50 kB minified, no dependencies), draws on a canvas so thousands
// of steps stay fast, has log scales, a live legend that doubles as the hover read-out,
// cursor sync between charts, and setData() for cheap live updates while training.
// It is copied from node_modules into the site (vendor/), so the page loads nothing from
// a CDN.
//
// A log axis cannot show 0 (bitwise-equal steps) or tiny values: they are drawn at
// LOG_FLOOR, the bottom line of the chart, and the read-out shows the true value.
//
// Layout shifts: a chart's visibility changes at most once per run. The gradnorm chart (and the
// ratio's "before clipping" series) follow setContext({clipNorm}), called before a run. The lr
// chart is decided by the records: reset() leaves it as it was; the first record of the run
// shows it (lrRef ≠ lrAcc) or hides it, and a later step whose learning rates differ shows it.
// Re-running an experiment therefore moves nothing.
import uPlot from '../node_modules/uplot/dist/uPlot.esm.js';
import { fmt } from './format.mjs';

export const LOG_FLOOR = 1e-12;

const COLORS = {
  ref: '#1f5fbf', acc: '#c2570a', grad: '#6a28a8', params: '#0b7a5d', unclipped: '#8a4b00',
  same: '#11643f', k: '#a1182a', clip: '#4a5060', marker: '#1b1d21',
};
const DASHED = [6, 4];
const FONT = 'system-ui, -apple-system, "Segoe UI", Roboto, "Noto Sans", sans-serif';

/** The two runs' series of a chart: the reference solid, the accumulated run dashed. */
const bothRuns = (ref, acc) => [
  { key: 'ref', label: 'reference', color: COLORS.ref, raw: ref },
  { key: 'acc', label: 'accumulated', color: COLORS.acc, dash: DASHED, raw: acc },
];

export { fmt }; // the page's one number format (web/format.mjs), also for the read-outs

// The y axis: the same width in every chart (52 px and the 14 px label: "≤1e-12" fits), so the
// plots and their step markers line up, or as wide as its longest tick label needs.
const Y_AXIS = 52;
function axisSize(u, values, axisIdx, cycleNum) {
  const a = u.axes[axisIdx];
  if (cycleNum > 1) return a._size;
  let size = a.ticks.size + a.gap + 4;
  const longest = (values ?? []).reduce((acc, v) => (v && v.length > acc.length ? v : acc), '');
  if (longest) {
    u.ctx.font = a.font[0];
    size += u.ctx.measureText(longest).width / (uPlot.pxRatio || 1); // the font is in canvas pixels
  }
  return Math.max(Y_AXIS, Math.ceil(size));
}

function axis(label, extra = {}) {
  return {
    label,
    stroke: '#2b2f36', // 13:1 on white
    grid: { stroke: '#e6e6e6', width: 1 },
    ticks: { stroke: '#cfcfcf', width: 1, size: 4 },
    font: `11px ${FONT}`,
    labelFont: `11px ${FONT}`,
    ...extra,
  };
}

const stepAxis = () => axis('optimizer step', {
  size: 22, labelSize: 14, labelGap: 0, gap: 3,
  incrs: [1, 2, 5, 10, 20, 50, 100, 200, 500, 1000, 2000, 5000, 10000, 20000, 50000, 100000],
});

// A linear range with some room: nearly constant data (a norm ratio of 1.00000002 at
// every step) would otherwise get a span of 1e-8 and ticks uPlot cannot lay out.
function linearRange(u, min, max) {
  if (!Number.isFinite(min) || !Number.isFinite(max)) return [0, 1];
  const mid = (min + max) / 2;
  const half = Math.max((max - min) / 2 * 1.1, Math.abs(mid) * 0.05, 1e-6);
  return [mid - half, mid + half];
}

// From 0 to a little above the largest value (or `also`): norms and learning rates.
function fromZero(u, max, also = 0) {
  let hi = Math.max(Number.isFinite(max) ? max : 0, also);
  if (!(hi > 0)) hi = 1;
  return [0, hi * 1.18];
}

// Steps 1..n (at least 1..2, so a single point has an axis), with a little room at both ends
// so the first and last points, and the step marker on them, stay clear of the edges.
function stepRange(u, min, max) {
  let lo = 1;
  let hi = 2;
  if (Number.isFinite(min) && Number.isFinite(max)) {
    lo = Math.min(1, min);
    hi = Math.max(min + 1, max);
  }
  const pad = Math.max(0.25, (hi - lo) * 0.02);
  return [lo - pad, hi + pad];
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

// Grid lines at powers of ten only, at most about five of them.
function logSplits(u, axisIdx, min, max) {
  if (!(min > 0) || !(max > 0) || !Number.isFinite(min) || !Number.isFinite(max)) return [];
  const a = Math.round(Math.log10(min));
  const b = Math.round(Math.log10(max));
  const every = Math.max(1, Math.ceil((b - a) / 5));
  const out = [];
  for (let e = a; e <= b; e += every) out.push(10 ** e);
  return out;
}

const differs = (a, b) => Number.isFinite(a) && Number.isFinite(b)
  && Math.abs(a - b) > 1e-9 * Math.max(Math.abs(a), Math.abs(b));

/**
 * The chart specs, in page order. Series pull values from step records: raw(record) is the
 * true value (the read-out), the plotted one may be clamped (log charts). when(view) leaves a
 * series out; lines(view) are horizontal reference lines drawn with a label on the plot;
 * shown(view) hides the whole figure. view: {k, clipNorm, clipping, lrDiffers}.
 */
const SPECS = [
  {
    id: 'ratio',
    title: 'Gradient norm ratio at the same point',
    yLabel: '‖acc‖ / ‖ref‖',
    note: (v) => {
      const k = v.k > 1 ? v.k : 'k';
      const ddp = v.ddpSum ? ` On the 1/${Math.round(1 / v.ddpSum)} line: DDP averaged the workers’ summed losses.` : '';
      return `Both gradients taken at the reference run’s parameters. On the 1 line: same size; on the ${k} line: the ${k} micro-batch means were added up, not averaged.${ddp}${v.clipping ? ' Dashed: before clipping, which can hide a wrong scale.' : ''}`;
    },
    range: (u, min, max, v) => {
      const lo = Math.min(Number.isFinite(min) ? min : 1, 1, v.ddpSum || 1);
      const hi = Math.max(Number.isFinite(max) ? max : 1, v.k > 1 ? v.k : 1);
      const span = Math.max(hi - lo, 0.5);
      return [Math.max(lo - 0.12 * span, lo >= 0 ? 0 : -Infinity), hi + 0.2 * span];
    },
    lines: (v) => [
      { key: 'one', value: 1, label: '1: same size', color: COLORS.same, dash: [2, 3] },
      ...(v.k > 1 ? [{ key: 'k', value: v.k, label: `${v.k}: k× too large, summed without dividing`, color: COLORS.k, dash: [8, 4] }] : []),
      ...(v.ddpSum ? [{ key: 'w', value: v.ddpSum, label: `1/${Math.round(1 / v.ddpSum)}: DDP’s average of summed losses`, color: COLORS.k, dash: [8, 4] }] : []),
    ],
    series: [
      { key: 'ratio', label: 'norm ratio', color: COLORS.grad, raw: (r) => (r.samePoint ?? r.grad).normRatio },
      { key: 'unclipped', label: 'before clipping', color: COLORS.unclipped, dash: DASHED, when: (v) => v.clipping, raw: (r) => r.unclipped?.normRatio },
    ],
  },
  {
    id: 'lr',
    title: 'Learning rate per optimizer step',
    yLabel: 'learning rate',
    note: () => 'Shown because the two runs’ learning rates differ.',
    shown: (v) => v.lrDiffers,
    range: (u, min, max) => fromZero(u, max),
    series: bothRuns((r) => r.lrRef, (r) => r.lrAcc),
  },
  {
    id: 'gradnorm',
    title: 'Gradient norm before clipping',
    yLabel: 'gradient norm',
    note: (v) => `At the same point, before clipping. ${v.clipNorm > 0 ? `Above max_norm ${fmt(v.clipNorm)}` : 'Above max_norm'} clipping scales a gradient down to it.`,
    shown: (v) => v.clipping,
    range: (u, min, max, v) => fromZero(u, max, v.clipNorm > 0 ? v.clipNorm : 0),
    lines: (v) => (v.clipNorm > 0 ? [{ key: 'clip', value: v.clipNorm, label: `max_norm ${fmt(v.clipNorm)}`, color: COLORS.clip, dash: [8, 4] }] : []),
    series: bothRuns((r) => r.unclipped?.normRef ?? r.gradNormRef, (r) => r.unclipped?.normAcc ?? r.gradNormAcc),
  },
  {
    id: 'loss',
    title: 'Loss per optimizer step',
    yLabel: 'loss',
    note: () => 'A lower loss does not mean a right loop: a gradient k× too large acts like a k× larger learning rate.',
    series: bothRuns((r) => r.lossRef, (r) => r.lossAcc),
  },
  {
    id: 'diff',
    title: 'Largest difference between the runs (log scale)',
    yLabel: 'max |difference|',
    log: true,
    note: () => `Gradients at the same point, and parameters. 0 (bitwise equal) and values below ${LOG_FLOOR.toExponential(0)} are drawn on the bottom line, ≤${LOG_FLOOR.toExponential(0)}; the read-out shows the true value.`,
    series: [
      { key: 'grad', label: 'gradients (same point)', color: COLORS.grad, raw: (r) => (r.samePoint ?? r.grad).maxAbsDiff },
      { key: 'params', label: 'parameters', color: COLORS.params, dash: DASHED, raw: (r) => r.params.maxAbsDiff },
    ],
  },
];

// Horizontal reference lines, under the series (drawAxes runs before the series are drawn).
function drawLines(u, lines) {
  const ctx = u.ctx;
  const { left, top, width, height } = u.bbox;
  const ratio = uPlot.pxRatio || 1;
  ctx.save();
  for (const l of lines) {
    const y = Math.round(u.valToPos(l.value, 'y', true)) + 0.5;
    if (!(y >= top - 1 && y <= top + height + 1)) continue;
    ctx.strokeStyle = l.color;
    ctx.lineWidth = 1.5 * ratio;
    ctx.setLineDash(l.dash.map((d) => d * ratio));
    ctx.beginPath();
    ctx.moveTo(left, y);
    ctx.lineTo(left + width, y);
    ctx.stroke();
  }
  ctx.restore();
}

// The lines' labels, over the series, right-aligned just above each line, on a white halo.
function drawLineLabels(u, lines) {
  const ctx = u.ctx;
  const { left, top, width, height } = u.bbox;
  const ratio = uPlot.pxRatio || 1;
  ctx.save();
  ctx.font = `600 ${Math.round(11 * ratio)}px ${FONT}`;
  ctx.textAlign = 'right';
  ctx.textBaseline = 'bottom';
  ctx.lineJoin = 'round';
  for (const l of lines) {
    const y = u.valToPos(l.value, 'y', true);
    if (!(y >= top - 1 && y <= top + height + 1)) continue;
    // Above the line, or below it when the line is at the top edge.
    const above = y - top > 14 * ratio;
    ctx.textBaseline = above ? 'bottom' : 'top';
    const ty = above ? y - 3 * ratio : y + 3 * ratio;
    const tx = left + width - 4 * ratio;
    ctx.strokeStyle = 'rgba(255,255,255,0.92)';
    ctx.lineWidth = 3 * ratio;
    ctx.strokeText(l.label, tx, ty);
    ctx.fillStyle = l.color;
    ctx.fillText(l.label, tx, ty);
  }
  ctx.restore();
}

/**
 * Creates the charts inside `root` (an element).
 * opts: {onCursor(step|null): the step under the pointer while hovering a chart, null on leaving;
 *        height: plot height in px (default 170)}
 * Returns:
 *   setContext({k, clipNorm, workers, sum})  the experiment's k (the k line), W with a sum loss (the 1/W line) and clip threshold (clipping on
 *                      when > 0; undefined, null or 0: off): call before a run; reset() keeps
 *                      it. Without k, k is the first record's microBatches; without a clipNorm
 *                      key, clipping counts as on once a record is clipped.
 *   setCursor(step)    a marker at that step in every chart (null: none); the legends read
 *                      that step when the pointer is not over a chart
 *   reset()            empty every chart
 *   push(records)      append step records (one point per step per series)
 *   flush()            draw now (push batches drawing into animation frames)
 *   pointCounts()      {chartId: {seriesLabel: number of points}}
 *   ids()              the chart ids, in page order (hidden ones too)
 *   figure(id)         {figure, title}: the chart's <figure> (its plot may not exist yet)
 *   imageParts(id)     {title, canvas, series: [{label, color, dash}]} for a PNG export
 */
export function createCharts(root, { onCursor, height = 170 } = {}) {
  const syncKey = `accumlab-steps-${Math.random().toString(36).slice(2)}`; // one cursor sync group per chart set (no module state)
  const charts = [];
  let frame = 0;
  let context = {}; // what setContext gave
  let firstMicroBatches = 0; // the first record's, for k without a context
  const fromRecords = { decided: false, lrDiffers: false, clipped: false };
  let cursorStep = null;
  let lastEmitted = null;
  let steps = []; // the x values, shared by every chart

  const view = () => {
    const k = Number.isFinite(context.k) && context.k > 0 ? context.k : firstMicroBatches;
    const clipNorm = Number.isFinite(context.clipNorm) && context.clipNorm > 0 ? context.clipNorm : 0;
    const clipping = 'clipNorm' in context ? clipNorm > 0 : fromRecords.clipped;
    // DDP's 1/W line: W workers averaging summed losses
    const ddpSum = context.workers > 1 && context.sum ? 1 / context.workers : 0;
    return { k, clipNorm, clipping, lrDiffers: fromRecords.lrDiffers, ddpSum };
  };

  // Leaving a chart says null a moment later, so that moving from one chart to the next (across
  // the gap between them) reads as one move and the page's table does not flick back.
  let leaveTimer = 0;
  const emit = (step) => {
    clearTimeout(leaveTimer);
    if (step === null) {
      if (lastEmitted !== null) leaveTimer = setTimeout(() => send(null), 120);
      return;
    }
    send(step);
  };
  const send = (step) => {
    if (step === lastEmitted) return;
    lastEmitted = step;
    if (onCursor) onCursor(step);
  };

  // The index of the step the legend reads when not hovering: the marker's, else the newest.
  const restIndex = () => {
    if (cursorStep !== null && steps.length) {
      const guess = cursorStep - steps[0]; // steps are consecutive: no search
      const i = steps[guess] === cursorStep ? guess : steps.indexOf(cursorStep);
      if (i >= 0) return i;
    }
    return steps.length - 1;
  };

  const placeMarker = (c, u = c.plot) => {
    const m = c.marker;
    if (!m || !u) return;
    const n = steps.length;
    if (cursorStep === null || !n || cursorStep < steps[0] || cursorStep > steps[n - 1]) {
      m.hidden = true;
      return;
    }
    const x = u.valToPos(cursorStep, 'x');
    m.hidden = !Number.isFinite(x);
    if (!m.hidden) m.style.left = `${Math.round(x) - 1}px`;
  };

  function makePlot(c, width) {
    const { spec } = c;
    const active = c.active;
    const opts = {
      width,
      height,
      cursor: {
        sync: { key: syncKey },
        points: { size: 7 },
        drag: { x: false, y: false }, // no drag-to-zoom: a drag is a scrub along the steps
      },
      legend: {
        live: true,
        markers: { width: 2, dash: (u, i) => (i > 0 && active[i - 1]?.dash ? 'dashed' : 'solid') },
      },
      scales: {
        x: { time: false, range: stepRange },
        y: spec.log ? { distr: 3, range: logRange }
          : { range: (u, min, max) => (spec.range ? spec.range(u, min, max, view()) : linearRange(u, min, max)) },
      },
      axes: [stepAxis(), axis(spec.yLabel, {
        size: axisSize, labelSize: 14, labelGap: 0, gap: 3, space: 24,
        // Log: every power of ten logSplits picks gets its label (uPlot's filter would drop some).
        ...(spec.log ? { values: logTickLabels, splits: logSplits, filter: (u, splits) => splits } : {}),
      })],
      series: [
        // Without hover, the read-out shows the marker's step, else the newest.
        { label: 'step', value: (u, v) => { const x = v ?? steps[restIndex()]; return x === undefined ? '–' : String(x); } },
        ...active.map((s) => ({
          label: s.label,
          stroke: s.color,
          width: s.width ?? 2,
          dash: s.dash,
          points: { show: (u) => u.data[0].length <= 60, size: 5, fill: s.color },
          // The read-out shows the true value, not the clamped one.
          value: (u, v, si, idx) => fmt(c.raws[s.key][idx ?? restIndex()]),
        })),
      ],
      hooks: {
        drawAxes: [(u) => drawLines(u, c.lines)],
        draw: [(u) => {
          drawLineLabels(u, c.lines);
          placeMarker(c, u);
          c.figure.dataset.yRange = JSON.stringify([u.scales.y.min, u.scales.y.max]);
        }],
        setCursor: [(u) => {
          const idx = u.cursor.idx;
          emit(idx === null || idx === undefined ? null : (u.data[0][idx] ?? null));
        }],
      },
    };
    const plot = new uPlot(opts, plotData(c), c.host);
    const marker = document.createElement('div');
    marker.className = 'chart-cursor';
    marker.hidden = true;
    marker.setAttribute('aria-hidden', 'true');
    plot.over.append(marker);
    c.marker = marker;
    c.plot = plot;
    placeMarker(c); // the first draw ran inside new uPlot(), before the marker existed
    plot.over.addEventListener('mouseleave', () => emit(null));
    return plot;
  }

  const plotData = (c) => [steps, ...c.active.map((s) => c.data[s.key])];

  const resize = () => {
    for (const c of charts) {
      if (!c.plot || c.figure.hidden) continue;
      const w = Math.max(240, Math.floor(c.host.clientWidth));
      if (w && w !== c.plot.width) c.plot.setSize({ width: w, height });
    }
  };
  const observer = new ResizeObserver(resize);

  // uPlot takes ~20 ms per chart to set up (fonts, axes, a layout): done at once with the rest
  // of the page's start, that made one long task of ~100 ms. The figures and their data exist
  // at once; each plot is made in a task of its own after the first frame, or when needed.
  // Hidden charts get their plot when they are shown (or exported).
  const ensurePlot = (c) => {
    if (c.plot) return c.plot;
    const width = Math.max(260, c.host.clientWidth || root.clientWidth || 600);
    c.plot = makePlot(c, width);
    c.plot.setLegend(); // the read-out of the newest step, if points came before the plot
    observer.observe(c.host);
    return c.plot;
  };

  // The series and lines a chart has in this view; a new set of series makes a new plot.
  const applyView = (c, v) => {
    const active = c.spec.series.filter((s) => !s.when || s.when(v));
    const changed = active.length !== c.active.length || active.some((s, i) => s !== c.active[i]);
    c.active = active;
    c.lines = c.spec.lines ? c.spec.lines(v) : [];
    const hidden = c.spec.shown ? !c.spec.shown(v) : false;
    if (c.figure.hidden !== hidden) c.figure.hidden = hidden;
    const note = c.spec.note(v);
    if (c.note.textContent !== note) c.note.textContent = note;
    const lines = JSON.stringify(Object.fromEntries(c.lines.map((l) => [l.label, l.value])));
    if (c.figure.dataset.lines !== lines) c.figure.dataset.lines = lines;
    if (changed && c.plot) {
      c.plot.destroy();
      c.plot = null;
      c.marker = null;
    }
    if (!hidden && !c.plot && c.madeOnce) ensurePlot(c);
  };

  for (const spec of SPECS) {
    const figure = document.createElement('figure');
    figure.className = 'chart';
    figure.dataset.chart = spec.id;
    const caption = document.createElement('figcaption');
    const title = document.createElement('span');
    title.className = 'chart-title';
    title.textContent = spec.title;
    caption.append(title);
    const host = document.createElement('div');
    host.className = 'chart-host';
    const note = document.createElement('p');
    note.className = 'chart-note';
    const text = document.createElement('p');
    text.className = 'chart-text';
    figure.append(caption, host, note, text);
    root.append(figure);
    const data = Object.fromEntries(spec.series.map((s) => [s.key, []]));
    const raws = Object.fromEntries(spec.series.map((s) => [s.key, []]));
    const counts = Object.fromEntries(spec.series.map((s) => [s.key, 0])); // plotted (non-null) points
    const c = { spec, figure, host, note, text, plot: null, marker: null, data, raws, counts, active: [], lines: [], madeOnce: false };
    charts.push(c);
    applyView(c, view());
  }
  const pending = charts.slice();
  const makeNext = () => {
    const c = pending.shift();
    if (!c) return;
    c.madeOnce = true;
    if (!c.figure.hidden) ensurePlot(c);
    setTimeout(makeNext, 0);
  };
  requestAnimationFrame(() => setTimeout(makeNext, 0));

  const describe = (c) => {
    const n = steps.length;
    if (!n) return `${c.spec.title}: no steps yet.`;
    const i = n - 1;
    const vals = c.active.map((s) => `${s.label} ${fmt(c.raws[s.key][i])}`).join(', ');
    const lines = c.lines.length ? ` Lines at ${c.lines.map((l) => `${fmt(l.value)} (${l.label.replace(/^[^:]*:\s*/, '')})`).join(' and ')}.` : '';
    return `${c.spec.title}, step ${steps[i]} of ${n}: ${vals}.${lines}`;
  };

  const draw = () => {
    frame = 0;
    const v = view();
    for (const c of charts) {
      applyView(c, v);
      if (c.plot && !c.figure.hidden) {
        c.plot.setData(plotData(c));
        c.plot.setLegend(); // refresh the read-out (the marker's or newest step when not hovering)
      }
      const counts = {};
      for (const s of c.active) counts[s.label] = c.counts[s.key];
      c.figure.dataset.points = JSON.stringify(counts);
      c.figure.setAttribute('aria-label', `${c.spec.title}: ${steps.length} steps`);
      c.text.textContent = describe(c);
    }
  };
  const schedule = () => {
    if (!frame) frame = requestAnimationFrame(draw);
  };

  return {
    setContext(ctx = {}) {
      // {k, clipNorm: undefined} says "no clipping"; leaving clipNorm out lets the records tell.
      context = { k: Number(ctx.k), workers: Number(ctx.workers ?? 1), sum: Boolean(ctx.sum),
        ...('clipNorm' in ctx ? { clipNorm: Number(ctx.clipNorm ?? 0) } : {}) };
      if (frame) cancelAnimationFrame(frame);
      draw();
    },
    setCursor(step) {
      cursorStep = Number.isFinite(step) ? step : null;
      for (const c of charts) {
        if (cursorStep === null) delete c.figure.dataset.cursor;
        else c.figure.dataset.cursor = String(cursorStep);
        if (c.plot) {
          placeMarker(c);
          if (c.plot.cursor.idx === null || c.plot.cursor.idx === undefined) c.plot.setLegend();
        }
      }
    },
    reset() {
      steps = [];
      for (const c of charts) {
        for (const arr of Object.values(c.data)) arr.length = 0;
        for (const arr of Object.values(c.raws)) arr.length = 0;
        for (const key of Object.keys(c.counts)) c.counts[key] = 0;
      }
      fromRecords.decided = false; // lrDiffers and clipped stay until the run's first record
      firstMicroBatches = 0;
      if (frame) cancelAnimationFrame(frame);
      draw();
    },
    push(records) {
      for (const r of records) {
        if (!fromRecords.decided) {
          fromRecords.decided = true;
          fromRecords.lrDiffers = differs(r.lrRef, r.lrAcc);
          fromRecords.clipped = Boolean(r.clipped);
          firstMicroBatches = r.microBatches ?? 0;
        } else {
          if (!fromRecords.lrDiffers && differs(r.lrRef, r.lrAcc)) fromRecords.lrDiffers = true;
          if (r.clipped) fromRecords.clipped = true;
        }
        steps.push(r.step);
        for (const c of charts) {
          for (const s of c.spec.series) {
            const v = s.raw(r);
            c.raws[s.key].push(v);
            let y = Number.isFinite(v) ? v : null;
            if (c.spec.log && y !== null) y = Math.max(y, LOG_FLOOR);
            c.data[s.key].push(y);
            if (y !== null) c.counts[s.key]++;
          }
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
      if (c.figure.hidden) c.plot.setData(plotData(c)); // draw() leaves hidden plots alone
      const series = c.active.map((s) => ({ label: s.label, color: s.color, dash: s.dash }));
      return { title: c.spec.title, canvas: c.plot.ctx.canvas, series, figure: c.figure };
    },
  };
}
