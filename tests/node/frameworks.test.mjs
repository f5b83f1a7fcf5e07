// tests/node/frameworks.test.mjs — what the frameworks' accumulation loops and data-parallel
// workers do, against closed forms: 40 samples in groups of 8×4 are one full group and a
// last group of one micro-batch per epoch, so a loop that divides that group's loss by k
// steps with 1/4 of the big batch's gradient; DDP's average makes a summed loss 1/W; a
// SyncBatchNorm over all replicas of one micro-step is the big batch when k = 1.
import test from 'node:test';
import assert from 'node:assert/strict';
import { lab, scalar, hashResult } from './helpers.mjs';
import { CONTRACT } from '../../wasm/contract.mjs';

const l = await lab();
const ids = (r) => r.verdict.causes.map((c) => c.id);
const CLOSE = ['bitwise', 'allclose', 'close_by_norm'];
const FORTY = { data: { name: 'moons', n: 40 }, batchSize: 8, accumSteps: 4, steps: 6 };
const near = (x, want, tol = 1e-4) => Math.abs(x - want) <= tol * Math.abs(want);

test('40 samples in 8×4: Lightning and Accelerate step the short group with 1/4 of the gradient, hf_trainer is exact', () => {
  for (const framework of ['lightning', 'accelerate']) {
    const r = l.compare({ ...FORTY, framework });
    assert.equal(r.config.correction, 'scale_loss', framework);
    for (const s of r.steps) {
      const short = s.step % 2 === 0; // steps 2, 4, 6: the epoch's last group, 1 micro-batch
      assert.equal(s.microBatches, short ? 1 : 4, `${framework} step ${s.step}`);
      assert.equal(s.groupSize, short ? 8 : 32, `${framework} step ${s.step}`);
      if (short) assert.ok(near(s.samePoint.normRatio, 0.25), `${framework} step ${s.step}: ratio ${s.samePoint.normRatio}`);
      else assert.ok(CLOSE.includes(s.samePoint.closeness), `${framework} step ${s.step}: ${s.samePoint.closeness}`);
    }
    assert.ok(ids(r).includes('uneven_last_group'), `${framework}: ${ids(r)}`);
  }
  const hf = l.compare({ ...FORTY, framework: 'hf_trainer' });
  assert.equal(hf.config.correction, 'global_count');
  for (const s of hf.steps) assert.ok(CLOSE.includes(s.samePoint.closeness), `hf_trainer step ${s.step}: ${s.samePoint.closeness}`);
  assert.ok(['bitwise', 'rounding'].includes(hf.verdict.grads), hf.verdict.grads);
  assert.ok(!ids(hf).includes('uneven_last_group'), ids(hf).join());
});

test('a short group divided by its own micro-batches is exact (lastGroupDivisor), and the plain loop names the cause', () => {
  const own = l.compare({ ...FORTY, correction: 'scale_loss', lastGroupDivisor: 'micro_batches' });
  for (const s of own.steps) assert.ok(CLOSE.includes(s.samePoint.closeness), `step ${s.step}: ${s.samePoint.closeness}`);
  assert.ok(!ids(own).includes('uneven_last_group'), ids(own).join());
  const k = l.compare({ ...FORTY, correction: 'scale_loss' });
  assert.ok(near(k.steps[1].samePoint.normRatio, 0.25));
  // an overridden framework knob wins over the framework's default
  const overridden = l.compare({ ...FORTY, framework: 'lightning', lastGroupDivisor: 'micro_batches' });
  assert.equal(overridden.config.lastGroupDivisor, 'micro_batches');
  assert.ok(CLOSE.includes(overridden.steps[1].samePoint.closeness));
});

test('DeepSpeed and the HF Trainer up to 4.45 count micro-batches across epochs: every group has 4', () => {
  for (const framework of ['deepspeed', 'hf_trainer_before_4_46']) {
    const r = l.compare({ ...FORTY, framework });
    assert.equal(r.config.groupBoundary, 'global', framework);
    for (const s of r.steps) {
      assert.equal(s.microBatches, 4, `${framework} step ${s.step}`);
      assert.equal(s.groupSize, 32, `${framework} step ${s.step}`);
      assert.ok(CLOSE.includes(s.samePoint.closeness), `${framework} step ${s.step}`);
    }
  }
  // the second group is epoch 0's fifth micro-batch then epoch 1's first three
  const run = l.start({ ...FORTY, framework: 'deepspeed', data: { name: 'moons', n: 40, shuffle: false } });
  try {
    run.step();
    const second = run.step();
    assert.equal(second.microBatches, 4);
  } finally { run.free(); }
});

test('a varying number of valid targets: the HF Trainer up to 4.45 averages means (variable_targets), the current one is exact', () => {
  const masked = { ...FORTY, data: { name: 'moons', n: 40, maskFraction: 0.3 }, loss: 'mse' };
  const before = l.compare({ ...masked, framework: 'hf_trainer_before_4_46' });
  assert.ok(ids(before).includes('variable_targets'), ids(before).join());
  assert.ok(before.steps.some((s) => s.samePoint.closeness === 'not_close'));
  const after = l.compare({ ...masked, framework: 'hf_trainer' });
  for (const s of after.steps) assert.ok(CLOSE.includes(s.samePoint.closeness), `step ${s.step}: ${s.samePoint.closeness}`);
  assert.ok(!ids(after).includes('variable_targets'), ids(after).join());
});

test('workers: DDP averages, so a summed loss gives 1/W; a mean loss divided by k is batch W·m·k', () => {
  for (const W of [2, 3]) {
    const data = { name: 'moons', n: W * 32 * 3 }; // whole groups of W·m·k
    const sum = l.compare({ reduction: 'sum', workers: W, data, optimizer: { lr: 0.002 }, steps: 5 });
    for (const s of sum.steps) {
      assert.equal(s.groupSize, W * 32);
      assert.ok(near(s.samePoint.normRatio, 1 / W), `W ${W} step ${s.step}: ${s.samePoint.normRatio}`);
    }
    assert.ok(ids(sum).includes('world_size_average'), ids(sum).join());
    const mean = l.compare({ workers: W, data, correction: 'scale_loss', steps: 5 });
    for (const s of mean.steps) assert.ok(CLOSE.includes(s.samePoint.closeness), `W ${W} step ${s.step}`);
    assert.ok(['bitwise', 'rounding'].includes(mean.verdict.grads));
    // the HF Trainer's count across devices undoes the average: exact with a sum of tokens
    const hf = l.compare({ workers: W, framework: 'hf_trainer', data: { name: 'moons', n: 256, maskFraction: 0.3 }, loss: 'mse', steps: 5 });
    for (const s of hf.steps) assert.ok(CLOSE.includes(s.samePoint.closeness), `hf W ${W} step ${s.step}`);
    const own = l.compare({ workers: W, framework: 'hf_trainer', countAcrossWorkers: false, data: { name: 'moons', n: 256, maskFraction: 0.3 }, loss: 'mse', steps: 5 });
    assert.ok(ids(own).includes('variable_targets'), `each replica its own count: ${ids(own)}`);
  }
});

test('BatchNorm with workers and k = 1: per replica it differs, SyncBatchNorm is the big batch', () => {
  const bn = { workers: 2, accumSteps: 1, model: { norm: 'batchnorm' }, steps: 5 };
  const per = l.compare(bn);
  assert.ok(ids(per).includes('batchnorm'), ids(per).join());
  assert.ok(per.steps.every((s) => s.samePoint.closeness === 'not_close'));
  const sync = l.compare({ ...bn, syncBatchNorm: true });
  for (const s of sync.steps) assert.ok(CLOSE.includes(s.samePoint.closeness), `step ${s.step}`);
  assert.ok(!ids(sync).includes('batchnorm'));
  // with accumulation SyncBatchNorm still normalises over one micro-step, not the group
  const syncK = l.compare({ ...bn, accumSteps: 4, correction: 'scale_loss', syncBatchNorm: true });
  assert.ok(ids(syncK).includes('batchnorm'));
});

test("Accelerate's prepared scheduler steps once per process: with 2 workers the schedule runs twice as fast", () => {
  const r = l.compare({ framework: 'accelerate', workers: 2, schedule: { name: 'step', stepSize: 2, gamma: 0.5 }, steps: 6 });
  assert.equal(r.config.schedulerStepsPerOptimizerStep, 2);
  const lr = (t) => 0.1 * 0.5 ** Math.floor(t / 2);
  r.steps.forEach((s, i) => {
    assert.ok(near(s.lrRef, lr(i), 1e-12), `ref step ${s.step}`);
    assert.ok(near(s.lrAcc, lr(2 * i), 1e-12), `acc step ${s.step}: ${s.lrAcc}`);
  });
  assert.ok(ids(r).includes('scheduler_steps_multiplied'), ids(r).join());
  assert.ok(!ids(r).includes('scheduler_per_micro_batch'));
});

test('one worker is the plain loop bit for bit, and workers give the same bits in the SIMD and scalar builds', async () => {
  const s = await scalar();
  const base = { data: { name: 'moons', n: 96 }, steps: 4 };
  assert.equal(hashResult(l.compare({ ...base, workers: 1 })), hashResult(l.compare(base)));
  for (const config of [
    { workers: 2, model: { dropout: 0.3 }, correction: 'scale_loss' },
    { workers: 3, model: { norm: 'batchnorm' }, syncBatchNorm: true },
    { workers: 2, model: { norm: 'batchnorm', dropout: 0.2 } },
    { workers: 2, framework: 'deepspeed', data: { name: 'moons', n: 90 } },
  ]) {
    const c = { ...base, ...config, data: config.data ?? base.data };
    assert.equal(hashResult(l.compare(c)), hashResult(s.compare(c)), JSON.stringify(c));
  }
});

test('clear errors: too many workers for the data or the batch limit, per-micro-batch clipping with workers', () => {
  assert.throws(() => l.compare({ workers: 64, batchSize: 8, accumSteps: 16 }), (e) => e.field === 'workers' && e.code === 'limit' && /4096/.test(e.message));
  assert.throws(() => l.compare({ workers: 40, batchSize: 8, accumSteps: 1 }), (e) => e.field === 'workers' && /larger than the data/.test(e.message));
  assert.throws(() => l.compare({ workers: 2, clipGradNorm: 1, clipPlacement: 'per_micro_batch' }), (e) => e.field === 'clipPlacement');
  assert.throws(() => l.compare({ framework: 'keras' }), (e) => e.field === 'framework' && /lightning/.test(e.message));
});

test("the contract's frameworks table is what the engine settles", () => {
  for (const f of CONTRACT.frameworks) {
    const r = l.start({ framework: f.name, workers: 2 });
    try {
      assert.equal(r.config.correction, f.correction, f.name);
      assert.equal(r.config.groupBoundary, f.groupBoundary, f.name);
      assert.equal(r.config.lastGroupDivisor, f.lastGroupDivisor, f.name);
      assert.equal(r.config.schedulerStepsPerOptimizerStep, f.schedulerStepsPerWorker ? 2 : 1, f.name);
    } finally { r.free(); }
  }
});

test('a replica with no valid target in its share of the group adds nothing (no 1/0)', () => {
  const r = l.compare({ seed: 2, data: { name: 'moons', n: 16, maskFraction: 0.75 }, loss: 'mse', batchSize: 2, accumSteps: 1,
    workers: 2, correction: 'global_count', countAcrossWorkers: false, steps: 3 });
  assert.equal(r.verdict.params === 'diverged', false);
  for (const s of r.steps) assert.ok(Number.isFinite(s.gradNormAcc), `step ${s.step}: ${s.gradNormAcc}`);
});

test('predicted causes are the observed ones for short groups: sizes that differ are not "variable targets"', () => {
  const predicted = (config) => l.configCauses(JSON.stringify(config)).map((c) => c.id ?? c).sort();
  // 44 = 2 x 16 + 12: the last group is 8 + 4 samples, every target valid
  const mixed = { data: { name: 'moons', n: 44 }, batchSize: 8, accumSteps: 2, correction: 'scale_loss', steps: 6 };
  const r = l.compare(mixed);
  assert.deepEqual(ids(r).sort(), ['uneven_last_group']);
  assert.deepEqual(predicted(mixed), ['uneven_last_group']);
  // 100 = 3 x 32 + 4: the last group is one micro-batch of 4; divided by its own count (1) it is exact
  const single = { data: { name: 'moons', n: 100 }, correction: 'scale_loss', lastGroupDivisor: 'micro_batches', steps: 8 };
  const s = l.compare(single);
  for (const st of s.steps) assert.ok(CLOSE.includes(st.samePoint.closeness), `step ${st.step}`);
  assert.ok(!ids(s).includes('uneven_last_group'), ids(s).join());
  assert.ok(!predicted(single).includes('uneven_last_group'), predicted(single).join());
  // ... while 8 + 4 divided by 2 is not: a mean per micro-batch weights the 4 twice as much
  const mixedOwn = l.compare({ ...mixed, lastGroupDivisor: 'micro_batches' });
  assert.ok(ids(mixedOwn).includes('uneven_last_group'));
  assert.ok(predicted({ ...mixed, lastGroupDivisor: 'micro_batches' }).includes('uneven_last_group'));
});
