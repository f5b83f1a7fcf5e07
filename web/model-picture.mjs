// web/model-picture.mjs — a picture of both models, side by side, as TensorFlow Playground
// draws its output: for 2-D inputs each run's prediction over the input plane as a heat map
// with the training points on top; otherwise each run's predictions against the targets.
// Every value comes from the engine (run.picture(): a forward pass over a grid in the core);
// this module only paints them.
import { el } from './dom.mjs';

const CLASS_RGB = [[31, 95, 191], [208, 96, 11], [17, 120, 72], [140, 50, 170], [170, 30, 50], [90, 90, 90], [0, 130, 150], [150, 110, 0], [200, 60, 140], [60, 60, 160]];
const RUNS = [['ref', 'Reference (one big batch)'], ['acc', 'Accumulated (micro-batches)']];

/** The colour of a grid cell from the model's outputs there (p: the picture, for its kind). */
function cellColour(v, p, range) {
  if (p.prediction === 'softmax' && v.length > 1) {
    // A blend of the class colours by their probabilities, pale where the model is unsure.
    let r = 0; let g = 0; let b = 0; let max = 0;
    for (let c = 0; c < v.length; c++) {
      const [cr, cg, cb] = CLASS_RGB[c % CLASS_RGB.length];
      r += v[c] * cr; g += v[c] * cg; b += v[c] * cb;
      max = Math.max(max, v[c]);
    }
    const sure = (max - 1 / v.length) / (1 - 1 / v.length);
    return lighten([r, g, b], 0.25 + 0.55 * sure);
  }
  // One probability (sigmoid) or a value (regression): blue (low) to orange (high).
  const t = p.prediction === 'sigmoid' ? v[0] : (v[0] - range[0]) / (range[1] - range[0] || 1);
  return mix(CLASS_RGB[0], CLASS_RGB[1], Math.min(1, Math.max(0, t)));
}
const mix = (a, b, t) => lighten([a[0] + (b[0] - a[0]) * t, a[1] + (b[1] - a[1]) * t, a[2] + (b[2] - a[2]) * t], Math.abs(t - 0.5) * 1.1 + 0.25);
const lighten = ([r, g, b], strength) => [r, g, b].map((v) => Math.round(255 - (255 - v) * Math.min(1, Math.max(0, strength))));

/** [min, max] of output 0 over both runs' grids (regression colours share one scale). */
function valueRange(p) {
  let lo = Infinity; let hi = -Infinity;
  for (const arr of [p.ref, p.acc]) {
    for (let i = 0; i < arr.length; i += p.outputs) if (Number.isFinite(arr[i])) { lo = Math.min(lo, arr[i]); hi = Math.max(hi, arr[i]); }
  }
  return Number.isFinite(lo) ? [lo, hi] : [0, 1];
}

function drawGrid(canvas, p, values) {
  const ctx = canvas.getContext('2d');
  const { size, outputs } = p;
  const range = valueRange(p);
  const img = ctx.createImageData(size, size);
  for (let row = 0; row < size; row++) {
    for (let col = 0; col < size; col++) {
      const cell = row * size + col; // row 0 = lowest y: drawn at the bottom
      const [r, g, b] = cellColour(values.subarray(cell * outputs, cell * outputs + outputs), p, range);
      const o = ((size - 1 - row) * size + col) * 4;
      img.data[o] = r; img.data[o + 1] = g; img.data[o + 2] = b; img.data[o + 3] = 255;
    }
  }
  // Paint the size×size image, scaled up smoothly to the canvas.
  // (a plain canvas, not OffscreenCanvas: Safari before 16.4 has none)
  const tmp = Object.assign(document.createElement('canvas'), { width: size, height: size });
  tmp.getContext('2d').putImageData(img, 0, 0);
  ctx.imageSmoothingEnabled = true;
  ctx.clearRect(0, 0, canvas.width, canvas.height);
  ctx.drawImage(tmp, 0, 0, canvas.width, canvas.height);
  const [x0, x1, y0, y1] = p.bounds;
  const { x, y, label, target } = p.points;
  const W = canvas.width; const H = canvas.height;
  let tRange = [0, 1];
  if (!label && target) {
    let lo = Infinity; let hi = -Infinity;
    for (const v of target) { lo = Math.min(lo, v); hi = Math.max(hi, v); }
    tRange = [lo, hi];
  }
  for (let i = 0; i < x.length; i++) {
    const px = ((x[i] - x0) / (x1 - x0)) * W;
    const py = H - ((y[i] - y0) / (y1 - y0)) * H;
    const [r, g, b] = label ? CLASS_RGB[label[i] % CLASS_RGB.length]
      : mix(CLASS_RGB[0], CLASS_RGB[1], (target[i] - tRange[0]) / (tRange[1] - tRange[0] || 1)).map((c) => c * 0.7);
    ctx.beginPath();
    ctx.arc(px, py, 2.6 * (W / 200), 0, 2 * Math.PI);
    ctx.fillStyle = `rgb(${r},${g},${b})`;
    ctx.fill();
    ctx.lineWidth = 1;
    ctx.strokeStyle = '#fff';
    ctx.stroke();
  }
}

/** Axes-free scatter helper: maps data ranges onto the canvas with a small margin. */
function scaler(lo, hi, pixels, flip) {
  if (!(hi > lo)) { lo -= 1; hi += 1; }
  const pad = (hi - lo) * 0.06;
  const a = lo - pad; const b = hi + pad;
  return (v) => (flip ? pixels - ((v - a) / (b - a)) * pixels : ((v - a) / (b - a)) * pixels);
}
const finiteRange = (arrays) => {
  let lo = Infinity; let hi = -Infinity;
  for (const arr of arrays) for (const v of arr) if (Number.isFinite(v)) { lo = Math.min(lo, v); hi = Math.max(hi, v); }
  return Number.isFinite(lo) ? [lo, hi] : [0, 1];
};
function dot(ctx, x, y, r, fill) {
  ctx.beginPath();
  ctx.arc(x, y, r, 0, 2 * Math.PI);
  ctx.fillStyle = fill;
  ctx.fill();
}

/** 'fit' pictures: a curve over a 1-D input, each class sample's true-class probability, or prediction against target. */
function drawFit(canvas, p, id, order) {
  const ctx = canvas.getContext('2d');
  const W = canvas.width; const H = canvas.height; const r = 2.2 * (W / 200);
  ctx.fillStyle = '#fff';
  ctx.fillRect(0, 0, W, H);
  const pred = p[id];
  ctx.lineWidth = 1;
  ctx.strokeStyle = '#8a8a8a';
  ctx.setLineDash([4, 4]);
  if (p.curve) { // regression on one input: the model's curve over x, and the samples
    const [x0, x1] = p.curve.bounds;
    const [lo, hi] = finiteRange([p.targets, p.curve.ref, p.curve.acc]);
    const sx = scaler(x0, x1, W, false); const sy = scaler(lo, hi, H, true);
    ctx.setLineDash([]);
    for (let i = 0; i < p.n; i++) dot(ctx, sx(p.input[i]), sy(p.targets[i]), r, 'rgba(90, 96, 112, 0.55)');
    ctx.strokeStyle = id === 'ref' ? '#1f5fbf' : '#d0600b';
    ctx.lineWidth = 2.5 * (W / 200);
    ctx.beginPath();
    p.curve[id].forEach((v, i) => { const X = sx(p.curve.x[i]); const Y = sy(v); if (i) ctx.lineTo(X, Y); else ctx.moveTo(X, Y); });
    ctx.stroke();
    return;
  }
  if (p.label) { // classes: each sample's probability of its true class, samples in the reference's order
    const sy = scaler(0, 1, H, true);
    ctx.beginPath(); ctx.moveTo(0, sy(1)); ctx.lineTo(W, sy(1)); ctx.stroke();
    ctx.setLineDash([]);
    order.forEach((s, i) => dot(ctx, ((i + 0.5) / order.length) * W, sy(pred[s]), r, 'rgba(31, 95, 191, 0.7)'));
    return;
  }
  const [lo, hi] = finiteRange([p.targets, pred]);
  const sx = scaler(lo, hi, W, false); const sy = scaler(lo, hi, H, true);
  ctx.beginPath(); ctx.moveTo(sx(lo), sy(lo)); ctx.lineTo(sx(hi), sy(hi)); ctx.stroke();
  ctx.setLineDash([]);
  for (let i = 0; i < p.n; i++) if (Number.isFinite(pred[i])) dot(ctx, sx(p.targets[i]), sy(pred[i]), r, 'rgba(31, 95, 191, 0.7)');
}

const NOTES = {
  grid: 'colour = what each model predicts over the input plane (pale where unsure); dots = training samples.',
  curve: 'each model\'s prediction over the input (line); dots = training samples.',
  classes: 'each dot is a sample: the probability the model gives its true class (top line = 1, certain and right).',
  fit: 'each dot is a sample, prediction (up) against target (across); on the dashed line = exact.',
};
const kindOf = (p) => (p.kind === 'grid' ? 'grid' : p.curve ? 'curve' : p.label ? 'classes' : 'fit');

/**
 * The picture in `root`. update(picture) paints an engine picture (run.picture()); clear()
 * empties it. The canvases keep their size, so drawing never moves the page.
 */
export function createPicture(root) {
  // The figures are in index.html (their space is reserved before any script runs); a root
  // without them (a test page) gets them built here.
  if (!root.querySelector('.picture-row')) {
    const row = el('div', 'picture-row');
    for (const [id, label] of RUNS) {
      const fig = el('figure', 'picture-run');
      fig.dataset.run = id;
      const canvas = document.createElement('canvas');
      canvas.width = 240;
      canvas.height = 240;
      canvas.setAttribute('role', 'img');
      canvas.setAttribute('aria-label', `${label}: no picture yet`);
      fig.append(canvas, el('figcaption', '', label));
      row.append(fig);
    }
    root.append(row, el('p', 'picture-note', 'Run the lab to see what each model predicts.'));
  }
  const canvases = Object.fromEntries(RUNS.map(([id]) => [id, root.querySelector(`.picture-run[data-run="${id}"] canvas`)]));
  const caption = root.querySelector('.picture-note');

  return {
    update(p) {
      if (!p) return;
      const kind = kindOf(p);
      root.dataset.kind = kind;
      root.dataset.step = String(p.step ?? '');
      // Class samples in the order of the reference's confidence: the two pictures compare dot by dot.
      const order = kind === 'classes' ? [...p.ref.keys()].sort((a, b) => p.ref[a] - p.ref[b]) : null;
      for (const [id, label] of RUNS) {
        if (kind === 'grid') drawGrid(canvases[id], p, p[id]);
        else drawFit(canvases[id], p, id, order);
        canvases[id].setAttribute('aria-label', `${label} after step ${p.step}: ${NOTES[kind]}`);
      }
      const same = p.ref.length === p.acc.length && p.ref.every((v, i) => Object.is(v, p.acc[i]));
      root.dataset.same = String(same);
      caption.textContent = `After step ${p.step}${same ? ' (the two models predict the same, bit for bit)' : ''}: ${NOTES[kind]}`;
    },
    clear() {
      for (const [id, label] of RUNS) {
        canvases[id].getContext('2d').clearRect(0, 0, canvases[id].width, canvases[id].height);
        canvases[id].setAttribute('aria-label', `${label}: no picture yet`);
      }
      caption.textContent = 'Run the lab to see what each model predicts.';
      delete root.dataset.step;
    },
  };
}
