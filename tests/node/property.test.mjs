// tests/node/property.test.mjs — hundreds of random valid configs: no trap, every number
// finite unless the run is flagged diverged, the first step's metrics recomputed here in
// float64 from the two gradient vectors (the definitions of DESIGN.md, not the core's code),
// and closed forms wherever a config has one: the first step's gradient ratio for each
// reduction and correction, equal first losses, and the SGD update p - lr·g.
import test from 'node:test';
import assert from 'node:assert/strict';
import { lab, rng, randomConfig } from './helpers.mjs';
import { AccumLabError } from '../../wasm/accumlab.mjs';

const RUNS = Number(process.env.ACCUMLAB_PROPERTY_RUNS ?? 500);

/** The metrics of DESIGN.md for a (accumulated) against b (reference), in float64, naively. */
function metricsOf(a, b, rtol = 1e-5, atol = 1e-8) {
  let allclose = true, bitwise = true, maxAbsDiff = 0, dot = 0, na = 0, nb = 0, nd = 0;
  for (let i = 0; i < a.length; i++) {
    const x = a[i], y = b[i], d = Math.abs(x - y);
    if (!Object.is(x, y)) bitwise = false; // the same bits (NaN aside: never in a judged step)
    if (!(x === y || d <= atol + rtol * Math.abs(y))) allclose = false;
    maxAbsDiff = Math.max(maxAbsDiff, d);
    dot += x * y; na += x * x; nb += y * y; nd += (x - y) ** 2;
  }
  const cosine = na === 0 && nb === 0 ? 1 : dot / Math.sqrt(na * nb);
  return { allclose, bitwise, maxAbsDiff, cosine, normRatio: Math.sqrt(na / nb), relNormDiff: Math.sqrt(nd / nb) };
}

/** The first step's accumulated/reference gradient ratio a config implies, or null when it has none
 * (dropout, BatchNorm, clipping, masks or a short first group make the first gradients differ otherwise). */
function closedFormRatio(c, N) {
  const W = c.workers ?? 1, G = W * c.batchSize * c.accumSteps, k = c.accumSteps;
  if (c.model.dropout > 0 || c.model.norm === 'batchnorm' || c.clipGradNorm > 0 || c.data.maskFraction > 0 || N < G) return null;
  const mean = c.reduction === 'mean';
  // DDP averages W replicas: right for a mean, 1/W for a sum (global_count counts over all and undoes it)
  const ratio = { none: mean ? k : 1 / W, scale_loss: mean ? 1 : 1 / (k * W), scale_lr: mean ? k : 1 / W, global_count: mean ? 1 : null }[c.correction];
  return ratio ?? null;
}

test(`${RUNS} random valid configs: no trap, finite numbers or diverged, consistent verdicts`, async () => {
  const l = await lab();
  const r = rng(20261123);
  const rw = rng(20261201); // workers and frameworks on half the configs, from their own generator (the base configs stay)
  const FRAMEWORKS = ['pytorch', 'lightning', 'accelerate', 'hf_trainer_before_4_46', 'hf_trainer', 'deepspeed'];
  let diverged = 0, checked = 0, sgdChecked = 0;
  const seen = new Set();
  for (let i = 0; i < RUNS; i++) {
    let config, result;
    for (;;) { // rejected as documented (batchnorm with a 1-sample micro-batch, a group with no valid target): draw again
      config = randomConfig(r);
      if (rw() < 0.5) {
        config.workers = 1 + Math.floor(rw() * 3);
        config.framework = FRAMEWORKS[Math.floor(rw() * FRAMEWORKS.length)];
        config.data.n = Math.max(config.data.n, config.workers * config.batchSize);
        if (config.workers > 1) config.clipPlacement = 'after_accumulation'; // per micro-batch with workers is refused
        if (config.lastGroup === 'drop' && config.data.n < config.workers * config.batchSize * config.accumSteps) config.lastGroup = 'keep';
      }
      try { result = l.compare(config); break; } catch (e) {
        if (!(e instanceof AccumLabError) || !(/batchnorm/.test(e.message) || e.field?.startsWith('data.mask'))) throw e;
      }
    }
    const label = `#${i} ${JSON.stringify(config)}`;
    const v = result.verdict;
    seen.add(`${v.grads}/${v.params}`);
    if (v.params === 'diverged') {
      diverged++;
      assert.equal(result.steps.length, v.divergedStep, `${label}: the divergent step is the last record`);
      assert.equal(result.steps.at(-1).diverged, true, label);
    } else {
      assert.equal(result.steps.length, config.steps, label);
    }
    for (const s of result.steps) {
      for (const x of [s.lossRef, s.lossAcc, s.lrRef, s.lrAcc, s.grad.maxAbsDiff, s.params.maxAbsDiff, s.grad.cosine]) {
        if (!s.diverged) assert.ok(Number.isFinite(x), `${label}: step ${s.step} has ${x}`);
      }
      assert.equal(s.grad.bitwise && !s.grad.allclose, false, label);
      if (s.grad.bitwise) assert.equal(s.grad.maxAbsDiff, 0, label);
    }
    if (v.params !== 'diverged') {
      for (const x of result.final.paramsRef) assert.ok(Number.isFinite(x), label);
      // The first step's gradient metrics, recomputed from the vectors.
      const { gradRef, gradAcc, paramsRef } = result.first;
      const m = metricsOf(gradAcc, gradRef), g = result.steps[0].grad;
      assert.equal(g.allclose, m.allclose, `${label}: allclose`);
      assert.equal(g.bitwise, m.bitwise, `${label}: bitwise`);
      assert.ok(Math.abs(g.maxAbsDiff - m.maxAbsDiff) <= 1e-12 * (1 + m.maxAbsDiff), `${label}: max |diff|`);
      assert.ok(Math.abs(g.cosine - m.cosine) <= 1e-9, `${label}: cosine ${g.cosine} vs ${m.cosine}`);
      if (Number.isFinite(m.normRatio)) assert.ok(Math.abs(g.normRatio / m.normRatio - 1) <= 1e-9, `${label}: norm ratio`);
      // Closed forms.
      const ratio = closedFormRatio(config, result.config.data.n);
      if (ratio !== null && m.normRatio > 0) {
        assert.ok(Math.abs(g.normRatio / ratio - 1) <= 1e-4 && g.cosine > 1 - 1e-6,
          `${label}: first-step ratio ${g.normRatio}, cosine ${g.cosine}; the config implies ${ratio}`);
        const l = result.steps[0];
        assert.ok(Math.abs(l.lossAcc - l.lossRef) <= 1e-5 * Math.abs(l.lossRef) + 1e-7, `${label}: first losses ${l.lossRef} ${l.lossAcc}`);
        checked++;
      }
      const o = result.config.optimizer;
      if (o.name === 'sgd' && o.momentum === 0 && o.weightDecay === 0 && config.clipGradNorm === 0) {
        const lr = result.steps[0].lrRef;
        for (let i = 0; i < paramsRef.length; i++) {
          const want = result.initialParams[i] - lr * gradRef[i]; // float32 rounding of p + (-lr)·g, at most
          const tol = 2 ** -23 * (Math.abs(result.initialParams[i]) + Math.abs(lr * gradRef[i])) * 2 + 1e-30;
          assert.ok(Math.abs(paramsRef[i] - want) <= tol, `${label}: SGD update of parameter ${i}`);
        }
        sgdChecked++;
      }
    }
    assert.ok(v.text.length > 0, label);
    const sumOverCount = config.reduction === 'sum' && config.correction === 'global_count';
    if (config.accumSteps === 1 && (config.workers ?? 1) === 1 && !sumOverCount && v.params !== 'diverged') assert.equal(v.grads, 'bitwise', `${label}: k = 1 is the big batch`);
  }
  assert.ok(seen.size >= 4, `the random configs reach several verdicts: ${[...seen]}`);
  assert.ok(diverged < RUNS / 4, `${diverged} diverged`);
  // The closed forms were not vacuous.
  console.log(`# closed-form first steps: ${checked}, SGD updates: ${sgdChecked}, diverged: ${diverged} of ${RUNS}`);
  assert.ok(checked >= RUNS / 10 && sgdChecked >= RUNS / 10, `closed forms checked on ${checked} runs, SGD updates on ${sgdChecked}`);
});
