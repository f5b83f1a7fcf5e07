// tests/node/same-point.test.mjs — the comparison at the same point: the accumulated loop's
// gradient evaluated at the reference run's parameters, every step, so the lesson holds at
// every step; clipping compared before and after, so it cannot hide a broken loop; one
// closeness for every metric; divergence as a flagged record.
import test from 'node:test';
import assert from 'node:assert/strict';
import { presetById } from '../../wasm/presets.mjs';
import { lab } from './helpers.mjs';

const l = await lab();
const ids = (r) => r.verdict.causes.map((c) => c.id);
const CLOSE = ['bitwise', 'allclose', 'close_by_norm'];

function everyStepScaledBy(r, k, label) {
  assert.ok(r.steps.length >= 20, label);
  for (const s of r.steps) {
    assert.ok(Math.abs(s.samePoint.normRatio - k) <= 1e-4 * k, `${label}: step ${s.step} same-point ratio ${s.samePoint.normRatio}`);
    assert.ok(Math.abs(s.samePoint.cosine - 1) <= 1e-6, `${label}: step ${s.step} cosine ${s.samePoint.cosine}`);
    assert.equal(s.gradCategory, 'scaled', `${label}: step ${s.step}`);
  }
  assert.equal(r.verdict.grads, 'scaled', label);
  assert.ok(Math.abs(r.verdict.factor - k) <= 1e-4 * k, label);
  assert.equal(r.verdict.judgedSteps, r.steps.length, `${label}: every step is judged`);
}

test('unscaled mean loss: k times the gradient at the same point, at every step', () => {
  const four = l.compare({ batchSize: 8, accumSteps: 4, steps: 20 });
  everyStepScaledBy(four, 4, 'k 4');
  // Along each run the ratio wanders once the parameters part (why the same point is needed).
  assert.ok(four.steps.some((s) => Math.abs(s.grad.normRatio - 4) > 0.1), 'the per-run ratio is not 4 at every step');
  everyStepScaledBy(l.compare({ batchSize: 8, accumSteps: 7, data: { name: 'moons', n: 224 }, model: { activation: 'tanh' }, steps: 20 }), 7, 'k 7 tanh');
  const digits = presetById('poorer-results');
  const noDropout = { ...digits.config, model: { ...digits.config.model, dropout: 0 }, steps: 20 };
  everyStepScaledBy(l.compare(noDropout), noDropout.accumSteps, 'the digits preset without dropout');
});

test('sum reduction: close at the same point at every step', () => {
  const r = l.compare({ reduction: 'sum', optimizer: { lr: 0.005 }, steps: 20 });
  for (const s of r.steps) assert.ok(CLOSE.includes(s.samePoint.closeness), `step ${s.step}: ${s.samePoint.closeness}`);
  assert.ok(['bitwise', 'rounding'].includes(r.verdict.grads));
});

test('clipping after accumulation cannot hide an unscaled mean: clip_masks, the ratio before clipping', () => {
  const r = l.compare({ batchSize: 8, accumSteps: 4, clipGradNorm: 0.1 });
  assert.deepEqual(ids(r).filter((id) => id !== 'summation_order'), ['mean_unscaled', 'clip_masks']);
  assert.ok(!['bitwise', 'rounding'].includes(r.verdict.grads), `grads ${r.verdict.grads}`);
  assert.ok(Math.abs(r.verdict.factor - 4) <= 4e-4, `factor ${r.verdict.factor}`);
  for (const s of r.steps.filter((x) => x.clipped)) {
    assert.ok(Math.abs(s.unclipped.normRatio - 4) <= 4e-4, `step ${s.step}: unclipped ratio ${s.unclipped.normRatio}`);
    assert.ok(CLOSE.includes(s.samePoint.closeness), 'the clipped gradients agree');
  }
  assert.ok(r.steps.filter((x) => x.clipped).length >= 10);
  assert.match(r.verdict.text, /Clipping hides a broken loop/);
  assert.match(r.verdict.causes.find((c) => c.id === 'clip_masks').text, /4× the big batch's/);
  // Fixed, nothing is hidden: clipping once after accumulation is exact.
  const fixed = l.compare({ batchSize: 8, accumSteps: 4, clipGradNorm: 0.1, correction: 'scale_loss' });
  assert.ok(['bitwise', 'rounding'].includes(fixed.verdict.grads) && !ids(fixed).includes('clip_masks'), fixed.verdict.text);
});

test('rounding that training amplifies is named, not called a difference without a cause', () => {
  // lr 0.1 on a sum of 32 samples: the same gradients at every step, chaotic training
  const r = l.compare({ reduction: 'sum', steps: 20 });
  assert.equal(r.verdict.grads, 'rounding');
  assert.equal(r.verdict.params, 'different');
  assert.deepEqual(ids(r), ['rounding_amplified']);
  assert.doesNotMatch(r.verdict.text, /differs|drift apart/);
  // the AdamW case: never "different" without a cause
  const adam = l.compare({ model: { hidden: [20, 10], activation: 'sigmoid' }, loss: 'l1', reduction: 'sum', correction: 'global_count',
    batchSize: 8, accumSteps: 2, optimizer: { name: 'adamw', lr: 1e-3 } });
  assert.ok(adam.verdict.params !== 'different' || ids(adam).length > 0, adam.verdict.text);
});

test('divergence at step 1: a flagged record, verdict diverged, what it can name', () => {
  for (const [optimizer, words] of [[{ lr: 1e308 }, /learning rate/], [{ weightDecay: 1e300 }, /weight decay/]]) {
    const r = l.compare({ optimizer });
    assert.equal(r.steps.length, 1, JSON.stringify(optimizer));
    assert.equal(r.steps[0].diverged, true);
    assert.equal(r.verdict.params, 'diverged');
    assert.equal(r.verdict.divergedStep, 1);
    assert.equal(ids(r)[0], 'diverged');
    assert.match(r.verdict.causes[0].text, words);
    assert.equal(r.verdict.judgedSteps, 1, 'the gradients of step 1 were finite: judged');
  }
});

test('every record\'s closeness agrees with its category and the verdict', () => {
  const configs = [{}, { correction: 'scale_loss' }, { reduction: 'sum', optimizer: { lr: 0.005 } }, { model: { dropout: 0.3 } },
    { model: { dropout: 0.3 }, dropoutRng: 'keyed', correction: 'scale_loss' }, { model: { norm: 'batchnorm' }, correction: 'scale_loss' },
    { clipGradNorm: 0.1 }, { accumSteps: 1 }, presetById('sum-reduction').config, presetById('adam-unscaled').config];
  for (const c of configs) {
    const r = l.compare(c), label = JSON.stringify(c);
    for (const s of r.steps) {
      for (const m of [s.grad, s.params, s.samePoint]) {
        assert.equal(m.closeness === 'bitwise', m.bitwise, label);
        if (m.closeness === 'allclose') assert.ok(m.allclose, label);
        if (m.closeness === 'close_by_norm') assert.ok(!m.allclose && m.relNormDiff <= 1e-5, label);
        if (m.closeness === 'not_close') assert.ok(!m.allclose && m.relNormDiff > 1e-5, label);
      }
      const close = CLOSE.includes(s.samePoint.closeness);
      if (s.gradCategory === 'bitwise') assert.equal(s.samePoint.closeness, 'bitwise', label);
      if (s.gradCategory === 'rounding') assert.ok(close, label);
      if (s.gradCategory === 'scaled' || s.gradCategory === 'different') assert.ok(!close || s.clipped, `${label}: step ${s.step}`);
    }
    const cats = new Set(r.steps.map((s) => s.gradCategory));
    if (r.verdict.grads === 'bitwise') assert.deepEqual([...cats], ['bitwise'], label);
    if (r.verdict.grads === 'rounding') assert.ok([...cats].every((x) => x === 'bitwise' || x === 'rounding'), label);
    if (['scaled', 'different'].includes(r.verdict.grads)) assert.ok(!cats.has('bitwise') || cats.size > 1, label);
  }
});

test('the same-point pass changes neither run: both trajectories are those of the engine without it', () => {
  // FNV-1a of the final parameters of both runs, computed with the engine as it was before
  // the same-point pass existed (commit ff348a2, scalar build): stream dropout masks (the
  // pass draws from a copy of the accumulated run's generator), BatchNorm (its statistics
  // go to scratch), clipping per micro-batch (two extra passes), a schedule and masks.
  const fnv = (f) => {
    let h = 0x811c9dc5;
    for (const b of new Uint8Array(f.buffer, f.byteOffset, f.byteLength)) h = Math.imul(h ^ b, 0x01000193) >>> 0;
    return h.toString(16).padStart(8, '0');
  };
  const cases = [
    [{ model: { dropout: 0.3 }, steps: 8 }, ['39735387', '7e39ff03']],
    [{ model: { dropout: 0.3, norm: 'batchnorm' }, steps: 6, correction: 'scale_loss' }, ['0eb10923', 'd07efbff']],
    [{ clipGradNorm: 0.1, clipPlacement: 'per_micro_batch', steps: 6 }, ['dba8633b', 'c15162b6']],
    [{ optimizer: { name: 'adam', lr: 0.01 }, schedule: { name: 'cosine' }, schedulerStepping: 'per_micro_batch', steps: 6 }, ['e319b381', '2833f22f']],
    [{ data: { name: 'moons', n: 100, maskFraction: 0.4 }, steps: 6 }, ['8868a159', '4a0579f0']],
  ];
  for (const [config, want] of cases) {
    const r = l.compare(config);
    assert.deepEqual([fnv(r.final.paramsRef), fnv(r.final.paramsAcc)], want, JSON.stringify(config));
    assert.ok(r.steps.slice(1).some((s) => s.samePoint.normRatio !== s.grad.normRatio), 'the pass ran (the runs parted)');
  }
});
