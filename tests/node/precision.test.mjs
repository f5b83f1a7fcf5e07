// tests/node/precision.test.mjs — `.grad` held in bf16 or fp16 between micro-batches, and
// loss scaling with GradScaler's algorithm, done right and wrong: float32 accumulation
// still matches the big batch at k = 64 while bf16 departs, more as k grows; fp16 without
// loss scaling loses small gradients and dynamic scaling keeps them; the scale follows
// GradScaler's documented update (skip and back off on inf/NaN, grow after growthInterval
// good steps); unscaling after every backward divides the early micro-batches again.
import test from 'node:test';
import assert from 'node:assert/strict';
import { lab, scalar, hashResult } from './helpers.mjs';

const l = await lab();
const ids = (r) => r.verdict.causes.map((c) => c.id);
const meanOf = (xs) => xs.reduce((a, b) => a + b, 0) / xs.length;
const sameRel = (r) => meanOf(r.steps.map((s) => s.samePoint.relNormDiff));

test('fp32 accumulation matches the big batch at k = 64; bf16 departs, more at k = 64 than at k = 4', () => {
  const at = (k, gradDtype) => l.compare({ gradDtype, correction: 'scale_loss', batchSize: 4, accumSteps: k, data: { name: 'moons', n: 4096 }, steps: 5 });
  const fp32 = at(64, 'fp32');
  assert.ok(['bitwise', 'rounding'].includes(fp32.verdict.grads), fp32.verdict.grads);
  assert.ok(sameRel(fp32) < 1e-6, `fp32: ${sameRel(fp32)}`);
  const bf4 = at(4, 'bf16'), bf64 = at(64, 'bf16');
  assert.equal(bf64.verdict.grads, 'different');
  assert.ok(ids(bf64).includes('low_precision_accumulation'), ids(bf64).join());
  assert.ok(sameRel(bf4) > 2 ** -10 && sameRel(bf4) < 2 ** -6, `bf16 k 4: ${sameRel(bf4)} (about bf16's 2^-9)`);
  assert.ok(sameRel(bf64) > 2 * sameRel(bf4), `bf16: k 64 ${sameRel(bf64)} vs k 4 ${sameRel(bf4)}`);
});

test('fp16 without loss scaling loses small gradient entries; dynamic loss scaling keeps them', () => {
  const base = { gradDtype: 'fp16', correction: 'scale_loss', batchSize: 8, accumSteps: 16,
    model: { hidden: [32, 32, 32], activation: 'sigmoid' }, data: { name: 'moons', n: 1024 }, steps: 6 };
  const none = l.compare(base);
  const lost = none.steps.reduce((a, s) => a + s.underflow, 0);
  assert.ok(lost > 100, `${lost} entries underflowed`);
  assert.ok(ids(none).includes('grad_underflow'), ids(none).join());
  const scaled = l.compare({ ...base, lossScale: { mode: 'dynamic' } });
  assert.equal(scaled.steps.reduce((a, s) => a + s.underflow, 0), 0);
  assert.ok(!ids(scaled).includes('grad_underflow'));
  assert.ok(sameRel(scaled) < sameRel(none), `scaled ${sameRel(scaled)} vs none ${sameRel(none)}`);
  // with loss scaling in float32 nothing changes but the scale: a power of two scales exactly
  const fp32 = l.compare({ ...base, gradDtype: 'fp32' }), fp32s = l.compare({ ...base, gradDtype: 'fp32', lossScale: { mode: 'static', scale: 1024 } });
  assert.deepEqual(fp32s.final.paramsAcc, fp32.final.paramsAcc, 'scaling by 2^10 and unscaling is exact in float32');
});

/** GradScaler.update as documented (torch/amp/grad_scaler.py): the scale each step should use. */
function expectedScales(steps, { mode, scale = 65536, growthFactor = 2, backoffFactor = 0.5, growthInterval = 2000 }) {
  const out = [];
  let s = scale, tracker = 0;
  for (const step of steps) {
    out.push(s);
    if (mode !== 'dynamic') continue;
    if (step.skipped) { s *= backoffFactor; tracker = 0; } else if (++tracker === growthInterval) { s *= growthFactor; tracker = 0; }
  }
  return out;
}

test("the loss scale follows GradScaler's algorithm: skip and back off on inf, grow after growthInterval good steps", () => {
  const overflow = { gradDtype: 'fp16', reduction: 'sum', optimizer: { lr: 0.005 }, steps: 12 };
  for (const lossScale of [{ mode: 'dynamic' }, { mode: 'dynamic', growthInterval: 2, growthFactor: 4, backoffFactor: 0.25 }, { mode: 'static', scale: 65536 }]) {
    const r = l.compare({ ...overflow, lossScale });
    const label = JSON.stringify(lossScale);
    assert.deepEqual(r.steps.map((s) => s.lossScale), expectedScales(r.steps, lossScale), label);
    const skipped = r.steps.filter((s) => s.skipped).length;
    assert.ok(skipped >= 1, `${label}: some step overflows (${skipped})`);
    assert.ok(ids(r).includes('loss_scale_overflow'), `${label}: ${ids(r)}`);
    assert.notEqual(r.verdict.params, 'diverged', `${label}: a skipped step is not a divergence`);
    for (const s of r.steps) if (s.skipped) assert.equal(s.gradCategory, 'unjudged', `${label}: step ${s.step}`);
  }
  // a skipped step leaves the accumulated run's parameters as they were
  const one = l.compare({ ...overflow, steps: 1, lossScale: { mode: 'dynamic' } });
  assert.equal(one.steps[0].skipped, true);
  assert.deepEqual(one.first.paramsAcc, one.initialParams);
  assert.notDeepEqual(one.first.paramsRef, one.initialParams);
});

test('unscale_ and update after every backward: the micro-batches are divided by the scale again', () => {
  // k = 1, a static scale S in float32: unscale_ after the backward, then scaler.step's: g / S
  const S = 1024;
  const k1 = l.compare({ accumSteps: 1, lossScale: { mode: 'static', scale: S }, scalerUpdate: 'per_micro_batch', steps: 3 });
  for (const s of k1.steps) assert.ok(Math.abs(s.samePoint.normRatio - 1 / S) < 1e-9, `step ${s.step}: ${s.samePoint.normRatio}`);
  const k4 = l.compare({ correction: 'scale_loss', lossScale: { mode: 'dynamic' }, scalerUpdate: 'per_micro_batch', steps: 5 });
  assert.ok(ids(k4).includes('scaler_per_micro_batch'), ids(k4).join());
  assert.ok(k4.steps.every((s) => s.samePoint.normRatio < 1e-3));
  const right = l.compare({ correction: 'scale_loss', lossScale: { mode: 'dynamic' }, steps: 5 });
  assert.ok(['bitwise', 'rounding'].includes(right.verdict.grads), right.verdict.grads);
  assert.ok(!ids(right).includes('scaler_per_micro_batch'));
});

test('bf16 and fp16 give the same bits in the SIMD and scalar builds; errors for what is not simulated', async () => {
  const s = await scalar();
  for (const config of [
    { gradDtype: 'bf16', accumSteps: 8, steps: 3 },
    { gradDtype: 'fp16', reduction: 'sum', lossScale: { mode: 'dynamic', growthInterval: 1 }, optimizer: { lr: 0.005 }, steps: 4 },
    { gradDtype: 'fp16', lossScale: { mode: 'static', scale: 512 }, scalerUpdate: 'per_micro_batch', model: { norm: 'batchnorm', dropout: 0.2 }, steps: 3 },
  ]) assert.equal(hashResult(l.compare(config)), hashResult(s.compare(config)), JSON.stringify(config));
  assert.throws(() => l.compare({ gradDtype: 'bf16', workers: 2 }), (e) => e.field === 'gradDtype');
  assert.throws(() => l.compare({ lossScale: { mode: 'dynamic', backoffFactor: 1 } }), (e) => e.field === 'lossScale.backoffFactor');
  assert.throws(() => l.compare({ gradDtype: 'fp8' }), (e) => e.field === 'gradDtype' && /bf16/.test(e.message));
});
