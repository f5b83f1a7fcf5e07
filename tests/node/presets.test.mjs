// tests/node/presets.test.mjs — every preset still shows what its text says.
import test from 'node:test';
import assert from 'node:assert/strict';
import { DEFAULT_TEXT, PRESETS, presetById } from '../../wasm/presets.mjs';
import { lab } from './helpers.mjs';

test('there is a preset for each of the questions (frameworks and workers too) and for both stories', () => {
  const questions = new Set(PRESETS.map((p) => p.question));
  for (let q = 1; q <= 11; q++) assert.ok(questions.has(q), `question ${q}`);
  // a framework's or DDP's behaviour names where it was read: file or issue, and version
  for (const p of PRESETS.filter((x) => x.question >= 9)) assert.match(p.text.source ?? '', /\d+\.\d+.*\.(py|cpp|rst)|#\d+/, p.id);
  for (const id of ['poorer-results', 'poorer-results-fixed', 'poorer-results-dropout', 'poorer-results-keyed', 'forum-sum', 'forum-mean-lr'])
    assert.ok(presetById(id), id);
  assert.equal(new Set(PRESETS.map((p) => p.id)).size, PRESETS.length, 'ids are unique');
  for (const p of PRESETS) for (const key of ['see', 'why', 'fix', 'code']) assert.ok(p.text[key].length > 10, `${p.id}.${key}`);
});

for (const preset of PRESETS) {
  test(`preset ${preset.id}: ${preset.expect.grads} gradients, ${preset.expect.params} parameters`, async () => {
    const r = (await lab()).compare(preset.config);
    const v = r.verdict;
    assert.equal(v.grads, preset.expect.grads, v.text);
    assert.equal(v.params, preset.expect.params, v.text);
    assert.deepEqual(v.causes.map((c) => c.id).sort(), [...preset.expect.causes].sort(), v.text);
    if (preset.expect.factor) assert.ok(Math.abs(v.factor - preset.expect.factor) < 1e-4, `factor ${v.factor}`);
  });
}

test('the numbers the preset texts quote', async () => {
  const l = await lab();
  // precision: bf16 "about 0.8% off at k 64, 0.3% at k 4"; fp16 "over 1.8 million entries became 0, the largest
  // relative difference over 1000x; with dynamic loss scaling about 80"; GradScaler per micro-batch "about 4e-6"
  const relOf = (r) => r.steps.reduce((a, x) => a + x.samePoint.relNormDiff, 0) / r.steps.length;
  const bf = presetById('bf16-accumulation').config;
  assert.ok(Math.abs(relOf(l.compare(bf)) - 0.008) < 0.001);
  assert.ok(Math.abs(relOf(l.compare({ ...bf, accumSteps: 4 })) - 0.003) < 0.0005);
  const uf = presetById('fp16-underflow').config, under = l.compare(uf);
  assert.ok(under.steps.reduce((a, x) => a + x.underflow, 0) > 1.8e6);
  assert.ok(under.steps[0].samePoint.maxRelDiff > 1000);
  const kept = l.compare({ ...uf, lossScale: { mode: 'dynamic' } }).steps.reduce((a, x) => a + x.underflow, 0);
  assert.ok(kept > 40 && kept < 120, `${kept} left`);
  const per = l.compare(presetById('gradscaler-per-micro-batch').config);
  assert.ok(per.steps.every((x) => x.samePoint.normRatio > 2e-6 && x.samePoint.normRatio < 1e-5), 'about 4e-6');
  assert.ok(['bitwise', 'rounding'].includes(l.compare({ ...presetById('gradscaler-per-micro-batch').config, scalerUpdate: 'per_optimizer_step' }).verdict.grads));
  const mean = (steps, key) => steps.reduce((a, s) => a + s[key], 0) / steps.length;
  // poorer-results: "with lr 0.5 the accumulated run trains worse (higher loss)"
  const poorer = l.compare(presetById('poorer-results').config);
  assert.ok(mean(poorer.steps.slice(-10), 'lossAcc') > mean(poorer.steps.slice(-10), 'lossRef'));
  assert.ok(Math.abs(poorer.steps[0].grad.normRatio - 4) < 1e-4 && poorer.steps[0].grad.cosine > 1 - 1e-9);
  // sum-reduction: "step 1: allclose, not bitwise (tens of ULPs); later a few entries fail
  // allclose, yet the gradient as a whole agrees to about 1e-7 (norm-wise)"
  const sum = l.compare(presetById('sum-reduction').config);
  assert.equal(sum.steps[0].grad.allclose, true);
  assert.equal(sum.steps[0].grad.bitwise, false);
  assert.ok(sum.steps[0].grad.maxUlp >= 10 && sum.steps[0].grad.maxUlp < 100, `${sum.steps[0].grad.maxUlp} ULP`);
  assert.ok(sum.steps.some((s) => !s.grad.allclose), 'some later step fails the element-wise allclose');
  const worst = Math.max(...sum.steps.map((s) => s.grad.relNormDiff));
  assert.ok(worst > 1e-8 && worst < 1e-6, `norm-wise diff ${worst}`);
  // uneven-last-group: "equal until the epoch's last group (100 = 3 x 32 + 4)"
  const uneven = l.compare(presetById('uneven-last-group').config);
  assert.deepEqual(uneven.steps.slice(0, 4).map((s) => s.groupSize), [32, 32, 32, 4]);
  assert.deepEqual(uneven.steps.slice(0, 3).map((s) => s.gradCategory).every((c) => c === 'rounding' || c === 'bitwise'), true);
  assert.equal(uneven.steps[3].gradCategory, 'scaled');
  assert.ok(Math.abs(uneven.steps[3].grad.scale - 0.25) < 1e-4, 'the last group is 4x too small');
  // scheduler: "the gradients agree at step 1, but the learning rates do not"
  const sched = l.compare(presetById('scheduler').config);
  assert.ok(sched.steps[0].grad.allclose);
  assert.notEqual(sched.steps[0].lrAcc, sched.steps[0].lrRef);
  // forum-mean-lr: "the gradients differ by exactly 2x, yet the parameters are identical"
  const forum = l.compare(presetById('forum-mean-lr').config);
  assert.equal(forum.steps[0].grad.normRatio, 2);
  assert.ok(forum.steps.every((s) => s.params.bitwise));
});

test('the default experiment\'s story: ×4 at every step (same point), and the accumulated run reaches the lower loss', async () => {
  const r = (await lab()).compare({});
  for (const s of r.steps) assert.ok(Math.abs(s.samePoint.normRatio - 4) < 1e-3 && s.samePoint.cosine > 1 - 1e-6, `step ${s.step}: ${s.samePoint.normRatio}`);
  const mean = (key) => r.steps.slice(-10).reduce((a, s) => a + s[key], 0) / 10;
  assert.ok(mean('lossAcc') < mean('lossRef'), `last 10 steps: accumulated ${mean('lossAcc')} < reference ${mean('lossRef')}`);
  assert.match(DEFAULT_TEXT.see, /LOWER loss/);
  assert.deepEqual(r.verdict.causes.map((c) => c.id), ['mean_unscaled']);
});
