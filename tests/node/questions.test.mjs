// tests/node/questions.test.mjs — DESIGN.md's eight questions, each asserted on the numbers
// the WebAssembly build produces.
import test from 'node:test';
import assert from 'node:assert/strict';
import { lab, small } from './helpers.mjs';

const rounding = (v) => v === 'rounding' || v === 'bitwise';
const causeIds = (r) => r.verdict.causes.map((c) => c.id);

test('1. unscaled mean loss gives k times the gradient (norm ratio k, cosine 1)', async () => {
  const l = await lab();
  for (const k of [2, 4, 8]) {
    const r = l.compare(small({ accumSteps: k, batchSize: 8, steps: 2 }));
    const g = r.steps[0].grad;
    assert.ok(Math.abs(g.normRatio - k) < 1e-5 * k, `k=${k}: ratio ${g.normRatio}`);
    assert.ok(g.cosine > 1 - 1e-9, `cosine ${g.cosine}`);
    assert.equal(g.allclose, false);
    // element-wise: the accumulated gradient is k × the reference, up to rounding
    const { gradRef, gradAcc } = r.first;
    let worst = 0, scale = 0;
    for (let i = 0; i < gradRef.length; i++) {
      worst = Math.max(worst, Math.abs(gradAcc[i] - k * gradRef[i]));
      scale = Math.max(scale, Math.abs(gradRef[i]));
    }
    assert.ok(scale > 1e-3, 'the gradient checked is not trivially zero');
    assert.ok(worst < 1e-5 * k * scale, `max |acc - k·ref| = ${worst}`);
    assert.equal(r.verdict.grads, 'scaled');
    assert.ok(Math.abs(r.verdict.factor - k) < 1e-4);
    assert.equal(r.verdict.params, 'different');
    assert.ok(causeIds(r).includes('mean_unscaled'));
  }
});

test('1. the fixes: scale the loss by 1/k, sum reduction, or (SGD) lr/k', async () => {
  const l = await lab();
  const scaleLoss = l.compare(small({ correction: 'scale_loss' }));
  assert.ok(rounding(scaleLoss.verdict.grads) && rounding(scaleLoss.verdict.params), scaleLoss.verdict.text);
  assert.ok(Math.abs(scaleLoss.steps[0].grad.normRatio - 1) < 1e-6);
  const sum = l.compare(small({ reduction: 'sum', optimizer: { lr: 0.01 } }));
  assert.ok(rounding(sum.verdict.grads) && rounding(sum.verdict.params), sum.verdict.text);
  const scaleLr = l.compare(small({ correction: 'scale_lr' }));
  assert.equal(scaleLr.verdict.grads, 'scaled');
  assert.ok(rounding(scaleLr.verdict.params), scaleLr.verdict.text);
  assert.equal(scaleLr.steps[0].lrAcc, scaleLr.steps[0].lrRef / 4);
});

test('2. sum reduction is equal up to rounding: allclose, not bitwise, ULPs reported', async () => {
  const r = (await lab()).compare(small({ reduction: 'sum', optimizer: { lr: 0.01 }, steps: 3 }));
  const g = r.steps[0].grad;
  assert.equal(g.allclose, true);
  assert.equal(g.bitwise, false);
  assert.ok(g.maxUlp > 0 && g.maxUlp < 1e6, `max ULP ${g.maxUlp}`);
  assert.ok(g.relNormDiff < 1e-6);
  assert.equal(r.verdict.grads, 'rounding');
  assert.deepEqual(causeIds(r), ['summation_order']);
  assert.match(r.verdict.causes[0].text, /ULP/);
});

test('3. dropout: stream masks differ with two dropout layers, keyed masks are exact', async () => {
  const l = await lab();
  const base = small({ correction: 'scale_loss', model: { dropout: 0.5 } });
  const stream = l.compare({ ...base, dropoutRng: 'stream' });
  assert.equal(stream.verdict.grads, 'different');
  assert.ok(causeIds(stream).includes('dropout_stream'));
  const keyed = l.compare({ ...base, dropoutRng: 'keyed' });
  assert.ok(rounding(keyed.verdict.grads) && rounding(keyed.verdict.params), keyed.verdict.text);
  assert.equal(keyed.steps[0].grad.allclose, true);
  // one dropout layer: both runs draw the same numbers in the same order
  const one = l.compare({ ...base, model: { sizes: [2, 16, 2], dropout: 0.5 }, dropoutRng: 'stream' });
  assert.ok(rounding(one.verdict.grads), one.verdict.text);
});

test('4. batchnorm differs (statistics over m, not m·k); layernorm is exact', async () => {
  const l = await lab();
  const bn = l.compare(small({ correction: 'scale_loss', model: { norm: 'batchnorm' } }));
  assert.equal(bn.verdict.grads, 'different');
  assert.ok(causeIds(bn).includes('batchnorm'));
  const ln = l.compare(small({ correction: 'scale_loss', model: { norm: 'layernorm' } }));
  assert.ok(rounding(ln.verdict.grads) && rounding(ln.verdict.params), ln.verdict.text);
});

test('5. clipping once after accumulation is exact; per micro-batch is not', async () => {
  const l = await lab();
  const base = small({ correction: 'scale_loss', clipGradNorm: 0.05 });
  const after = l.compare({ ...base, clipPlacement: 'after_accumulation' });
  assert.ok(after.steps[0].gradNormRef > 0.05, 'clipping really happens');
  assert.ok(rounding(after.verdict.grads) && rounding(after.verdict.params), after.verdict.text);
  const per = l.compare({ ...base, clipPlacement: 'per_micro_batch' });
  assert.equal(per.verdict.grads, 'different');
  assert.ok(causeIds(per).includes('clip_per_micro_batch'));
});

test('6. the scheduler stepped per micro-batch runs k times too fast', async () => {
  const l = await lab();
  const base = small({ correction: 'scale_loss', steps: 3, schedule: { name: 'step', stepSize: 4, gamma: 0.5 } });
  const per = l.compare({ ...base, schedulerStepping: 'per_micro_batch' });
  // after optimizer step s the accumulated run's scheduler has stepped s·k + k - 1 times
  assert.deepEqual(per.steps.map((s) => s.lrRef), [0.1, 0.1, 0.1]);
  assert.deepEqual(per.steps.map((s) => s.lrAcc), [0.1, 0.05, 0.025]);
  assert.ok(causeIds(per).includes('scheduler_per_micro_batch'));
  assert.equal(per.verdict.params, 'different');
  const once = l.compare({ ...base, schedulerStepping: 'per_optimizer_step' });
  assert.ok(rounding(once.verdict.params), once.verdict.text);
});

test('7. uneven last group: dividing by k is wrong, dividing by the group count is exact', async () => {
  const l = await lab();
  // 40 samples, groups of 32: step 2 holds the last 8 samples in one micro-batch
  const base = { data: { name: 'moons', n: 40, shuffle: false }, batchSize: 8, accumSteps: 4, steps: 2 };
  const scaleLoss = l.compare({ ...base, correction: 'scale_loss' });
  assert.equal(scaleLoss.steps[1].groupSize, 8);
  assert.equal(scaleLoss.steps[1].microBatches, 1);
  assert.ok(rounding(scaleLoss.steps[0].gradCategory));
  assert.ok(Math.abs(scaleLoss.steps[1].grad.normRatio - 0.25) < 0.05, `ratio ${scaleLoss.steps[1].grad.normRatio}`);
  assert.equal(scaleLoss.verdict.grads, 'different');
  assert.ok(causeIds(scaleLoss).includes('uneven_last_group'));
  const global = l.compare({ ...base, correction: 'global_count' });
  assert.ok(rounding(global.verdict.grads) && rounding(global.verdict.params), global.verdict.text);
  const dropped = l.compare({ ...base, correction: 'scale_loss', lastGroup: 'drop' });
  assert.ok(rounding(dropped.verdict.grads), dropped.verdict.text);
});

test('7. variable numbers of valid targets: only num_items_in_batch (global_count) is exact', async () => {
  const l = await lab();
  const base = { data: { name: 'seed_example', n: 64, maskFraction: 0.4 }, loss: 'mse', steps: 3 };
  const scaleLoss = l.compare({ ...base, correction: 'scale_loss' });
  assert.equal(scaleLoss.verdict.grads, 'different');
  assert.ok(causeIds(scaleLoss).includes('variable_targets'));
  const global = l.compare({ ...base, correction: 'global_count' });
  assert.ok(rounding(global.verdict.grads) && rounding(global.verdict.params), global.verdict.text);
});

test('8. scale_lr is exact for SGD and momentum, not with weight decay', async () => {
  const l = await lab();
  const mom = l.compare(small({ correction: 'scale_lr', optimizer: { name: 'sgd', lr: 0.1, momentum: 0.9 } }));
  assert.ok(rounding(mom.verdict.params), mom.verdict.text);
  const wd = l.compare(small({ correction: 'scale_lr', optimizer: { name: 'sgd', lr: 0.1, weightDecay: 0.1 } }));
  assert.equal(wd.verdict.params, 'different');
  assert.ok(causeIds(wd).includes('scale_lr_weight_decay'));
  const adamw = l.compare(small({ correction: 'scale_lr', optimizer: { name: 'adamw' } }));
  assert.equal(adamw.verdict.params, 'different');
});

test('8. Adam is nearly scale invariant: an unscaled mean moves it far less than SGD', async () => {
  const l = await lab();
  const sgd = l.compare(small({ steps: 8, optimizer: { name: 'sgd', lr: 0.001 } }));
  const adam = l.compare(small({ steps: 8, optimizer: { name: 'adam', lr: 0.001 } }));
  assert.equal(adam.verdict.grads, 'scaled');
  const last = (r) => r.steps.at(-1).params.relNormDiff;
  assert.ok(last(adam) * 10 < last(sgd), `adam ${last(adam)} vs sgd ${last(sgd)}`);
  assert.ok(causeIds(adam).includes('adam_scale'));
});

test('the forum example: 4-8-2 ReLU, L1, two samples, one per micro-batch', async () => {
  const l = await lab();
  const base = {
    data: { name: 'seed_example', n: 2, shuffle: false }, model: { sizes: [4, 8, 2], activation: 'relu' },
    loss: 'l1', batchSize: 1, accumSteps: 2, steps: 1,
  };
  const sum = l.compare({ ...base, reduction: 'sum', optimizer: { lr: 0.1 } });
  assert.equal(sum.steps[0].grad.allclose, true);
  assert.equal(sum.steps[0].params.allclose, true);
  // mean: batch lr 1.0, accumulation lr 0.5 (scale_lr with k = 2): same parameters, gradients 2x
  const mean = l.compare({ ...base, reduction: 'mean', correction: 'scale_lr', optimizer: { lr: 1.0 } });
  assert.equal(mean.steps[0].lrRef, 1.0);
  assert.equal(mean.steps[0].lrAcc, 0.5);
  assert.ok(Math.abs(mean.steps[0].grad.normRatio - 2) < 1e-6);
  assert.equal(mean.steps[0].params.allclose, true);
  assert.equal(mean.verdict.grads, 'scaled');
});

test('divergence ends the run cleanly with verdict diverged and the step', async () => {
  const r = (await lab()).compare({ data: { name: 'regression', n: 64 }, reduction: 'sum', optimizer: { lr: 50 }, steps: 50 });
  assert.equal(r.verdict.params, 'diverged');
  assert.ok(r.verdict.divergedStep >= 1 && r.verdict.divergedStep <= 50);
  assert.equal(r.steps.length, r.verdict.divergedStep, 'the step that produced the non-finite value is the last record');
  assert.equal(r.steps.at(-1).diverged, true);
  for (const s of r.steps.slice(0, -1)) assert.ok(Number.isFinite(s.lossRef) && Number.isFinite(s.lossAcc) && !s.diverged);
  assert.ok(causeIds(r).includes('diverged'));
});
