// tests/node/picture.test.mjs — run.picture(): the core's predictions of both runs, checked
// against this file's own float64 forward pass of the lab's MLP, built from the run's parameters
// (result().final, initialParams) and the effective config; BatchNorm's running statistics are
// replayed from the data and each step's parameters, in float64, as PyTorch would update them.
// Also: the grid's documented geometry, the fit picture of non-2-D data, ref == acc bitwise
// where the runs stay bitwise equal, and what a picture costs against a step.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { lab, rng, randomConfig } from './helpers.mjs';
import { presetById } from '../../wasm/presets.mjs';

const EPS = 1e-5; // BatchNorm and LayerNorm
const TOL = 1e-5;

// ---- the test's own MLP, in float64 ---------------------------------------------------

/** erf to ~1e-7 absolute (Abramowitz & Stegun 7.1.26), enough for a 1e-5 check of GELU. */
function erf(x) {
  const s = Math.sign(x), a = Math.abs(x), t = 1 / (1 + 0.3275911 * a);
  const y = 1 - ((((1.061405429 * t - 1.453152027) * t + 1.421413741) * t - 0.284496736) * t + 0.254829592) * t * Math.exp(-a * a);
  return s * y;
}
const ACT = {
  relu: (v) => Math.max(v, 0), tanh: Math.tanh, sigmoid: (v) => 1 / (1 + Math.exp(-v)),
  gelu: (v) => 0.5 * v * (1 + erf(v / Math.SQRT2)), identity: (v) => v,
};

/** The layers of nn.Sequential(Linear, [Norm], Act, [Dropout], ..., Linear) over a flat vector in parameters() order. */
function layersOf(params, sizes, norm) {
  const layers = [];
  let off = 0;
  for (let l = 0; l + 1 < sizes.length; l++) {
    const IN = sizes[l], OUT = sizes[l + 1], hidden = l + 2 < sizes.length;
    const w = params.subarray(off, off + OUT * IN); off += OUT * IN;
    const b = params.subarray(off, off + OUT); off += OUT;
    let gamma = null, beta = null;
    if (hidden && norm !== 'none') {
      gamma = params.subarray(off, off + OUT); off += OUT;
      beta = params.subarray(off, off + OUT); off += OUT;
    }
    layers.push({ IN, OUT, w, b, gamma, beta });
  }
  assert.equal(off, params.length, 'the layout covers every parameter');
  return layers;
}

const linear = (L, x) => Array.from({ length: L.OUT }, (_, o) => {
  let s = L.b[o];
  for (let i = 0; i < L.IN; i++) s += L.w[o * L.IN + i] * x[i];
  return s;
});

/**
 * Eval-mode forward of rows (arrays of numbers); running: per hidden layer {mean, var} (BatchNorm)
 * Returns the outputs as the loss reads them: softmax, sigmoid or raw.
 */
function forward(model, rows, running) {
  const { layers, act, norm, loss } = model;
  return rows.map((x) => {
    let h = x;
    layers.forEach((L, l) => {
      let z = linear(L, h);
      if (l === layers.length - 1) { h = z; return; }
      if (norm === 'batchnorm') z = z.map((v, o) => L.gamma[o] * (v - running[l].mean[o]) / Math.sqrt(running[l].var[o] + EPS) + L.beta[o]);
      if (norm === 'layernorm') {
        const mean = z.reduce((a, v) => a + v, 0) / z.length, v2 = z.reduce((a, v) => a + (v - mean) ** 2, 0) / z.length;
        z = z.map((v, o) => L.gamma[o] * (v - mean) / Math.sqrt(v2 + EPS) + L.beta[o]);
      }
      h = z.map(ACT[act]);
    });
    if (loss === 'cross_entropy') {
      const m = Math.max(...h), e = h.map((v) => Math.exp(v - m)), s = e.reduce((a, v) => a + v, 0);
      return e.map((v) => v / s);
    }
    if (loss === 'bce') return h.map((v) => 1 / (1 + Math.exp(-v)));
    return h;
  });
}

/** Training-mode BatchNorm forward over a batch, updating running (momentum 0.1, unbiased variance). */
function trainForward(model, rows, running) {
  const { layers, act } = model;
  let H = rows;
  layers.forEach((L, l) => {
    let Z = H.map((x) => linear(L, x));
    if (l === layers.length - 1) return;
    const B = Z.length;
    const mean = Array.from({ length: L.OUT }, (_, o) => Z.reduce((a, z) => a + z[o], 0) / B);
    const sq = Array.from({ length: L.OUT }, (_, o) => Z.reduce((a, z) => a + (z[o] - mean[o]) ** 2, 0));
    Z = Z.map((z) => z.map((v, o) => L.gamma[o] * (v - mean[o]) / Math.sqrt(sq[o] / B + EPS) + L.beta[o]));
    for (let o = 0; o < L.OUT; o++) {
      running[l].mean[o] = 0.9 * running[l].mean[o] + 0.1 * mean[o];
      running[l].var[o] = 0.9 * running[l].var[o] + 0.1 * (B > 1 ? sq[o] / (B - 1) : sq[o] / B);
    }
    H = Z.map((z) => z.map(ACT[act]));
  });
}

const freshRunning = (sizes) => sizes.slice(1, -1).map((H) => ({ mean: new Array(H).fill(0), var: new Array(H).fill(1) }));

/** Steps the run, replaying each run's BatchNorm running statistics (even groups only). Returns {ref, acc} running. */
function stepWithRunning(run, steps, running) {
  const c = run.config, data = run.data(), G = c.batchSize * c.accumSteps;
  const perEpoch = Math.floor(data.N / G);
  assert.equal(data.N % G, 0, 'the replay covers whole groups only');
  const rowOf = (s) => Array.from(data.inputs.subarray(s * data.IN, (s + 1) * data.IN));
  for (let k = 0; k < steps; k++) {
    const t = run.result().steps.length, res = run.result();
    const paramsRef = res.final.paramsRef, paramsAcc = res.final.paramsAcc;
    const order = run.epochOrder(Math.floor(t / perEpoch)), g = t % perEpoch;
    const group = Array.from(order.subarray(g * G, (g + 1) * G), rowOf);
    const model = (p) => ({ layers: layersOf(p, c.model.sizes, c.model.norm), act: c.model.activation });
    trainForward(model(paramsRef), group, running.ref);
    for (let j = 0; j < c.accumSteps; j++) trainForward(model(paramsAcc), group.slice(j * c.batchSize, (j + 1) * c.batchSize), running.acc);
    assert.ok(run.step(), 'stepped');
  }
}

/** The test's model of one run at the current step. */
function modelOf(run, which) {
  const c = run.config, res = run.result();
  const params = res.steps.length === 0 ? res.initialParams : res.final[which === 'ref' ? 'paramsRef' : 'paramsAcc'];
  return { layers: layersOf(params, c.model.sizes, c.model.norm), act: c.model.activation, norm: c.model.norm, loss: c.loss };
}

function worstDiff(got, want) {
  let worst = 0;
  for (let i = 0; i < want.length; i++) {
    const d = Math.abs(got[i] - want[i]) / (1 + Math.abs(want[i]));
    if (!(d <= worst)) worst = d; // NaN is the worst
  }
  return worst;
}

/** The grid's cell centres as the documentation gives them, as float32 inputs. */
function gridRows(p) {
  const [x0, x1, y0, y1] = p.bounds, rows = [];
  for (let r = 0; r < p.size; r++)
    for (let c = 0; c < p.size; c++)
      rows.push([Math.fround(x0 + (c + 0.5) * (x1 - x0) / p.size), Math.fround(y0 + (r + 0.5) * (y1 - y0) / p.size)]);
  return rows;
}

/** Checks a picture against the test's forward; running: {ref, acc} (BatchNorm) or null. */
function checkPicture(run, p, running, what) {
  const data = run.data();
  const which = [['ref', p.ref, running?.ref], ['acc', p.acc, running?.acc]];
  if (p.kind === 'grid') {
    assert.equal(p.ref.length, p.size * p.size * p.outputs, `${what}: size·size·outputs values`);
    const rows = gridRows(p);
    for (const [id, got, stats] of which) {
      const want = forward(modelOf(run, id), rows, stats ?? freshRunning(run.config.model.sizes)).flat();
      const d = worstDiff(got, want);
      assert.ok(d <= TOL, `${what}: ${id} grid within ${d.toExponential(2)} of the float64 forward`);
    }
    // the box of the inputs, padded by 10% of its width on each side
    for (let dim = 0; dim < 2; dim++) {
      let lo = Infinity, hi = -Infinity;
      for (let i = 0; i < data.N; i++) { lo = Math.min(lo, data.inputs[i * 2 + dim]); hi = Math.max(hi, data.inputs[i * 2 + dim]); }
      const pad = 0.1 * (hi - lo);
      assert.ok(Math.abs(p.bounds[2 * dim] - (lo - pad)) <= 1e-6 * (1 + Math.abs(lo)) && Math.abs(p.bounds[2 * dim + 1] - (hi + pad)) <= 1e-6 * (1 + Math.abs(hi)),
        `${what}: bounds ${p.bounds} around [${lo}, ${hi}]`);
    }
    for (let i = 0; i < p.points.samples.length; i++) {
      const s = p.points.samples[i];
      assert.equal(p.points.x[i], data.inputs[s * 2]);
      assert.equal(p.points.y[i], data.inputs[s * 2 + 1]);
    }
  } else {
    const rows = Array.from(p.samples, (s) => Array.from(data.inputs.subarray(s * data.IN, (s + 1) * data.IN)));
    for (const [id, , stats] of which) {
      const want = forward(modelOf(run, id), rows, stats ?? freshRunning(run.config.model.sizes));
      const got = p[`${id}Outputs`];
      const d = worstDiff(got, want.flat());
      assert.ok(d <= TOL, `${what}: ${id} predictions within ${d.toExponential(2)} of the float64 forward`);
      // the plotted value: the true class's prediction, or output 0
      const plotted = want.map((y, i) => (p.classes > 0 ? (p.outputs === 1 ? (p.label[i] ? y[0] : 1 - y[0]) : y[p.label[i]]) : y[0]));
      assert.ok(worstDiff(p[id], plotted) <= TOL, `${what}: ${id} plotted values`);
      if (p.classes > 0) {
        const cls = want.map((y) => (p.outputs === 1 ? (y[0] >= 0.5 ? 1 : 0) : y.indexOf(Math.max(...y))));
        const agree = cls.filter((k, i) => k === p[`${id}Class`][i]).length;
        assert.ok(agree >= cls.length - 1, `${what}: ${id} predicted classes (${agree}/${cls.length})`); // a near tie may round either way
      }
    }
  }
}

// ---- the tests -------------------------------------------------------------------------

test('grid pictures of both runs agree with a float64 forward of their parameters, at the start and after steps', async () => {
  const l = await lab();
  const configs = [
    ['moons default', {}],
    ...['sum-reduction', 'dropout', 'layernorm', 'adam-unscaled', 'clipping'].map((id) => [id, presetById(id).config]),
    ['spirals, gelu, bce with one logit', { data: { name: 'spirals', n: 120 }, model: { sizes: [2, 12, 9, 1], activation: 'gelu' }, loss: 'bce' }],
    ['gaussians, sigmoid, mse', { data: { name: 'gaussians', n: 96 }, model: { activation: 'sigmoid' }, loss: 'mse' }],
    ['xor, relu, layernorm', { data: { name: 'xor', n: 64 }, model: { hidden: [7, 5], activation: 'relu', norm: 'layernorm' } }],
  ];
  for (const [what, config] of configs) {
    const run = l.start({ ...config, steps: 6 });
    try {
      const p0 = run.picture({ size: 13 });
      assert.deepEqual([p0.kind, p0.step, p0.size], ['grid', 0, 13], what);
      checkPicture(run, p0, null, `${what}, step 0`);
      assert.deepEqual(p0.acc, p0.ref, `${what}: both runs start as one`);
      for (let s = 0; s < 3; s++) run.step();
      checkPicture(run, run.picture({ size: 11 }), null, `${what}, step 3`);
      while (run.step()) { /* to the end */ }
      const last = run.picture({ size: 9 });
      assert.equal(last.step, 6);
      checkPicture(run, last, null, `${what}, step 6`);
    } finally {
      run.free();
    }
  }
});

test('BatchNorm in eval mode uses each run\'s own running statistics (replayed in float64)', async () => {
  const run = (await lab()).start({ ...presetById('batchnorm').config, steps: 10 });
  try {
    const c = run.config;
    const running = { ref: freshRunning(c.model.sizes), acc: freshRunning(c.model.sizes) };
    checkPicture(run, run.picture({ size: 10 }), running, 'batchnorm, step 0');
    stepWithRunning(run, 4, running);
    checkPicture(run, run.picture({ size: 10 }), running, 'batchnorm, step 4');
    stepWithRunning(run, 6, running);
    const p = run.picture({ size: 10 });
    checkPicture(run, p, running, 'batchnorm, step 10');
    // with the other run's statistics the numbers would be off: the check can tell them apart
    const swapped = forward(modelOf(run, 'acc'), gridRows(p), running.ref).flat();
    assert.ok(worstDiff(p.acc, swapped) > 1e-3, 'the accumulated run has statistics of its own (updated k times a step)');
  } finally {
    run.free();
  }
});

test('random configs: every picture agrees with the float64 forward', async () => {
  const l = await lab(), r = rng(1313);
  let checked = 0, grids = 0;
  for (let i = 0; checked < 24 && i < 200; i++) {
    const config = randomConfig(r);
    config.steps = 3;
    let run;
    try { run = l.start(config); } catch { continue; } // a few random configs are refused
    try {
      if (run.config.model.norm === 'batchnorm') { // running statistics checked above: here at the start only
        checkPicture(run, run.picture({ size: 7 }), null, `random ${i}, step 0`);
      } else {
        while (run.step()) { /* to the end */ }
        const p = run.picture({ size: 7, maxPoints: 40 });
        checkPicture(run, p, null, `random ${i} (${JSON.stringify(config)})`);
        if (p.kind === 'grid') grids++;
      }
      checked++;
    } finally {
      run.free();
    }
  }
  assert.equal(checked, 24);
  assert.ok(grids >= 3, `${grids} grid pictures among them`);
});

test('fit pictures: digits by the true class\'s probability, regression by output 0, one input feature also as a curve', async () => {
  const l = await lab();
  const digits = l.start({ ...presetById('poorer-results').config, steps: 3 });
  try {
    while (digits.step()) { /* to the end */ }
    const p = digits.picture();
    assert.deepEqual([p.kind, p.n, p.outputs, p.prediction, p.classes, p.curve, p.input], ['fit', 256, 10, 'softmax', 10, null, null]);
    assert.ok(p.targets.every((t) => t === 1) && p.label instanceof Int32Array && p.refClass instanceof Int32Array);
    const data = digits.data();
    assert.ok(Array.from(p.samples).every((s, i) => p.label[i] === data.targets[s]), 'labels are the samples\' classes');
    assert.ok(new Set(p.samples).size === 256 && p.samples.at(-1) < 1797 && p.samples.at(-1) > 1700, 'spread over the data');
    checkPicture(digits, p, null, 'digits after 3 steps');
    assert.equal(digits.picture({ maxPoints: 10 }).n, 10);
  } finally {
    digits.free();
  }
  const reg = l.start({ data: { name: 'regression', n: 80 }, steps: 4 });
  try {
    while (reg.step()) { /* to the end */ }
    const p = reg.picture({ size: 21 });
    assert.deepEqual([p.kind, p.n, p.outputs, p.prediction, p.classes, p.label, p.refClass], ['fit', 80, 1, 'values', 0, null, null]);
    const data = reg.data();
    assert.ok(Array.from(p.samples).every((s, i) => p.targets[i] === data.targets[s] && p.input[i] === data.inputs[s]));
    checkPicture(reg, p, null, 'regression');
    // the curve: both runs along the padded input range, at the cells' centres
    const { curve } = p;
    assert.equal(curve.size, 21);
    const lo = Math.min(...data.inputs), hi = Math.max(...data.inputs);
    assert.ok(Math.abs(curve.bounds[0] - (lo - 0.1 * (hi - lo))) < 1e-6 && Math.abs(curve.bounds[1] - (hi + 0.1 * (hi - lo))) < 1e-6);
    for (const id of ['ref', 'acc']) {
      const want = forward(modelOf(reg, id), Array.from(curve.x, (v) => [v]), null).flat();
      assert.ok(worstDiff(curve[id], want) <= TOL, `${id} curve`);
    }
    assert.ok(curve.x.every((v, c) => Math.abs(v - (curve.bounds[0] + (c + 0.5) * (curve.bounds[1] - curve.bounds[0]) / 21)) < 1e-6));
  } finally {
    reg.free();
  }
});

test('ref and acc are bitwise equal where the runs are (forum-sum) and differ where the parameters part', async () => {
  const l = await lab();
  const forum = l.start(presetById('forum-sum').config);
  try {
    while (forum.step()) { /* to the end */ }
    const res = forum.result();
    assert.equal(res.verdict.params, 'bitwise', 'the preset is bitwise equal');
    const p = forum.picture();
    assert.equal(p.kind, 'fit');
    assert.ok(p.refOutputs.some((v) => v !== 0));
    assert.deepEqual(new Uint32Array(p.accOutputs.buffer), new Uint32Array(p.refOutputs.buffer), 'the same bits');
    checkPicture(forum, p, null, 'forum-sum');
  } finally {
    forum.free();
  }
  for (const id of ['poorer-results', 'scale-lr-weight-decay']) {
    const run = l.start({ ...presetById(id).config, steps: 10 });
    try {
      while (run.step()) { /* to the end */ }
      assert.equal(run.result().verdict.params, 'different', id);
      const p = run.picture({ size: 16 });
      assert.ok(worstDiff(p.accOutputs ?? p.acc, p.refOutputs ?? p.ref) > 1e-4, `${id}: the pictures differ`);
    } finally {
      run.free();
    }
  }
});

test('picture options are checked, the picture is the current step, and the run is unchanged by it', async () => {
  const l = await lab();
  const a = l.start({ steps: 5 }), b = l.start({ steps: 5 });
  try {
    assert.throws(() => a.picture({ size: 0 }), (e) => e.code === 'range' && e.field === 'size' && /1\.\.512/.test(e.message));
    assert.throws(() => a.picture({ size: 513 }), (e) => e.code === 'range');
    assert.throws(() => a.picture({ size: 2.5 }), (e) => e.code === 'type' && e.field === 'size');
    assert.throws(() => a.picture({ maxPoints: 0 }), (e) => e.code === 'range' && e.field === 'maxPoints');
    const p = a.picture();
    assert.deepEqual([p.size, p.ref.length, p.points.samples.length, p.points.label.length, p.points.target], [48, 48 * 48 * 2, 256, 256, null]);
    p.points.x[0] = 1e9; // the caller's copy
    assert.notEqual(a.picture({ size: 2 }).points.x[0], 1e9);
    for (let s = 0; s < 5; s++) {
      a.picture({ size: 8 });
      a.step();
      b.step();
      assert.equal(a.picture({ size: 3 }).step, s + 1);
    }
    assert.deepEqual(a.result().steps, b.result().steps, 'pictures between steps change no record');
    a.free();
    assert.throws(() => a.picture(), (e) => e.code === 'state');
  } finally {
    a.free();
    b.free();
  }
});

test('what a picture costs against a step (printed; the protocol draws one at most every 150 ms)', async () => {
  const l = await lab();
  const median = (xs) => [...xs].sort((x, y) => x - y)[Math.floor(xs.length / 2)];
  const lines = [];
  for (const [what, config, opts] of [['moons default, 48×48', {}, {}], ['poorer-results (the largest preset), 256 samples', presetById('poorer-results').config, {}]]) {
    const run = l.start({ ...config, steps: 1000 });
    try {
      const steps = [], pics = [];
      for (let i = 0; i < 50; i++) {
        let t = performance.now();
        run.step();
        steps.push(performance.now() - t);
        t = performance.now();
        run.picture(opts);
        pics.push(performance.now() - t);
      }
      const pm = median(pics.slice(10)), sm = median(steps.slice(10));
      lines.push(`${what}: picture ${pm.toFixed(2)} ms, step ${sm.toFixed(2)} ms`);
      assert.ok(pm < 15, `${what}: a picture takes ${pm.toFixed(2)} ms`); // generous: CI machines are shared
    } finally {
      run.free();
    }
  }
  console.log(lines.join('\n'));
});
