// tests/node/property.test.mjs — hundreds of random valid configs: no trap, every number
// finite unless the run is flagged diverged, and every verdict recomputed independently
// here from the run's own numbers.
import test from 'node:test';
import assert from 'node:assert/strict';
import { lab } from './helpers.mjs';
import { AccumLabError } from '../../wasm/accumlab.mjs';

const RUNS = Number(process.env.ACCUMLAB_PROPERTY_RUNS ?? 500);

function rng(seed) { // mulberry32: the test's own generator, independent of the core's
  return () => {
    seed = (seed + 0x6d2b79f5) | 0;
    let t = Math.imul(seed ^ (seed >>> 15), 1 | seed);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

function randomConfig(r) {
  const pick = (xs) => xs[Math.floor(r() * xs.length)];
  const data = pick(['moons', 'circles', 'xor', 'spirals', 'gaussians', 'regression', 'seed_example', 'digits']);
  const classes = !['regression', 'seed_example'].includes(data);
  const batchSize = 1 + Math.floor(r() * 6), accumSteps = 1 + Math.floor(r() * 4);
  const norm = pick(['none', 'none', 'batchnorm', 'layernorm']);
  const config = {
    seed: Math.floor(r() * 1e6),
    data: { name: data, n: Math.max(batchSize * accumSteps - 3, batchSize) + Math.floor(r() * 40), noise: r() * 0.3,
      maskFraction: !classes && r() < 0.3 ? r() * 0.5 : 0, shuffle: r() < 0.7 },
    model: {
      sizes: undefined, activation: pick(['relu', 'tanh', 'sigmoid', 'gelu', 'identity']),
      dropout: r() < 0.3 ? r() * 0.6 : 0, norm,
    },
    loss: classes ? pick(['cross_entropy', 'mse', 'bce', 'l1']) : pick(['mse', 'l1', 'bce']),
    reduction: pick(['mean', 'sum']),
    batchSize: norm === 'batchnorm' ? Math.max(2, batchSize) : batchSize,
    accumSteps,
    correction: pick(['none', 'scale_loss', 'scale_lr', 'global_count']),
    optimizer: pick([{ name: 'sgd', lr: r() * 0.3 + 1e-3, momentum: r() < 0.5 ? 0.9 : 0 }, { name: 'adam', lr: 0.01 }, { name: 'adamw' }]),
    clipGradNorm: r() < 0.3 ? r() : 0,
    clipPlacement: pick(['after_accumulation', 'per_micro_batch']),
    schedule: { name: pick(['constant', 'step', 'cosine', 'warmup']), stepSize: 2 },
    schedulerStepping: pick(['per_optimizer_step', 'per_micro_batch']),
    dropoutRng: pick(['stream', 'keyed']),
    steps: 1 + Math.floor(r() * 4),
    lastGroup: pick(['keep', 'drop']),
  };
  delete config.model.sizes;
  if (config.lastGroup === 'drop' && config.data.n < config.batchSize * accumSteps) config.lastGroup = 'keep';
  if (config.data.n < config.batchSize) config.data.n = config.batchSize;
  return config;
}

const roundingClose = (m, rtol) => m.allclose || m.relNormDiff <= rtol;
const category = (g, rtol) => (g.bitwise ? 0 : roundingClose(g, rtol) ? 1
  : g.scaledResidual <= rtol && Math.abs(g.scale - 1) > 1e-3 ? 2 : 3);
const GRADS = ['bitwise', 'rounding', 'scaled', 'different'];

/** The verdict as DESIGN.md defines it, recomputed from the step records alone. */
function expectedVerdict(steps, rtol) {
  let grads = 0, factor, judged = 0, params = 0, closeIn = true;
  for (const s of steps) {
    const cat = category(s.grad, rtol);
    assert.equal(s.gradCategory, GRADS[cat], `step ${s.step} category`);
    if (closeIn) {
      if (judged === 0) { grads = cat; factor = s.grad.scale; }
      else if (cat === 2 || grads === 2) { if (!(cat === grads && Math.abs(s.grad.scale / factor - 1) <= 1e-3)) grads = 3; }
      else grads = Math.max(grads, cat);
      judged++;
    }
    const pc = s.params.bitwise ? 0 : roundingClose(s.params, rtol) ? 1 : 2;
    params = Math.max(params, pc);
    closeIn = pc !== 2;
  }
  return { grads: GRADS[grads], params: ['bitwise', 'rounding', 'different'][params], judged };
}

test(`${RUNS} random valid configs: no trap, finite numbers or diverged, consistent verdicts`, async () => {
  const l = await lab();
  const r = rng(20261123);
  let diverged = 0;
  const seen = new Set();
  for (let i = 0; i < RUNS; i++) {
    let config, result;
    for (;;) { // rejected as documented (batchnorm with a 1-sample micro-batch, a group with no valid target): draw again
      config = randomConfig(r);
      try { result = l.compare(config); break; } catch (e) {
        if (!(e instanceof AccumLabError) || !(/batchnorm/.test(e.message) || e.field === 'data.mask')) throw e;
      }
    }
    const label = `#${i} ${JSON.stringify(config)}`;
    const v = result.verdict;
    seen.add(`${v.grads}/${v.params}`);
    if (v.params === 'diverged') {
      diverged++;
      assert.equal(result.steps.length, v.divergedStep - 1, label);
    } else {
      assert.equal(result.steps.length, config.steps, label);
    }
    for (const s of result.steps) {
      for (const x of [s.lossRef, s.lossAcc, s.lrRef, s.lrAcc, s.grad.maxAbsDiff, s.params.maxAbsDiff, s.grad.cosine]) {
        assert.ok(Number.isFinite(x), `${label}: step ${s.step} has ${x}`);
      }
      assert.equal(s.grad.bitwise && !s.grad.allclose, false, label);
      if (s.grad.bitwise) assert.equal(s.grad.maxAbsDiff, 0, label);
    }
    if (v.params !== 'diverged') {
      for (const x of result.final.paramsRef) assert.ok(Number.isFinite(x), label);
      const want = expectedVerdict(result.steps, 1e-5);
      assert.equal(v.grads, want.grads, `${label}: grads`);
      assert.equal(v.params, want.params, `${label}: params`);
      assert.equal(v.judgedSteps, want.judged, `${label}: judged steps`);
      if (v.grads === 'scaled') assert.ok(Number.isFinite(v.factor), label);
    }
    assert.ok(v.text.length > 0, label);
    const sumOverCount = config.reduction === 'sum' && config.correction === 'global_count';
    if (config.accumSteps === 1 && !sumOverCount && v.params !== 'diverged') assert.equal(v.grads, 'bitwise', `${label}: k = 1 is the big batch`);
  }
  assert.ok(seen.size >= 4, `the random configs reach several verdicts: ${[...seen]}`);
  assert.ok(diverged < RUNS / 4, `${diverged} diverged`);
});
