// tests/node/determinism.test.mjs — same config, same bits: twice in a row, SIMD vs scalar
// build, before and after memory growth, for configs that cover every knob.
import test from 'node:test';
import assert from 'node:assert/strict';
import { createLab } from '../../wasm/accumlab.mjs';
import { lab, scalar, hashResult } from './helpers.mjs';

// Every knob at least once (a few steps each, small data).
export const KNOB_CONFIGS = [
  {},
  { reduction: 'sum', optimizer: { lr: 0.01 } },
  { correction: 'scale_loss', model: { activation: 'relu', dropout: 0.3 }, dropoutRng: 'stream' },
  { correction: 'scale_loss', model: { activation: 'gelu', dropout: [0.2, 0.5] }, dropoutRng: 'keyed' },
  { model: { activation: 'sigmoid', norm: 'batchnorm' }, correction: 'scale_lr' },
  { model: { activation: 'identity', norm: 'layernorm' }, correction: 'global_count' },
  { optimizer: { name: 'sgd', momentum: 0.9, dampening: 0.1, weightDecay: 0.01 } },
  { optimizer: { name: 'sgd', momentum: 0.9, nesterov: true } },
  { optimizer: { name: 'adam', betas: [0.8, 0.99], eps: 1e-6 } },
  { optimizer: { name: 'adamw', weightDecay: 0.05 } },
  { clipGradNorm: 0.1, clipPlacement: 'per_micro_batch' },
  { clipGradNorm: 0.1, clipPlacement: 'after_accumulation', schedule: { name: 'cosine', tMax: 5, etaMin: 0.01 } },
  { schedule: { name: 'step', stepSize: 2, gamma: 0.5 }, schedulerStepping: 'per_micro_batch' },
  { schedule: { name: 'warmup', warmupSteps: 3 } },
  { data: { name: 'circles', n: 90, noise: 0.05 }, lastGroup: 'keep' },
  { data: { name: 'xor', n: 90, shuffle: false }, lastGroup: 'drop' },
  { data: { name: 'spirals', n: 100 }, loss: 'bce' },
  { data: { name: 'gaussians', n: 100 }, loss: 'mse' },
  { data: { name: 'regression', n: 64 }, loss: 'l1' },
  { data: { name: 'seed_example', n: 64, maskFraction: 0.3 }, correction: 'global_count' },
  { data: { name: 'digits', n: 200 }, model: { sizes: [64, 32, 10] }, seed: 7 },
  { data: { inputs: [[0, 0], [0, 1], [1, 0], [1, 1]], targets: [[0], [1], [1], [0]], mask: [[1], [1], [0], [1]] },
    model: { sizes: [2, 3, 1] }, loss: 'mse', batchSize: 1, accumSteps: 2, init: Array.from({ length: 13 }, (_, i) => (i - 6) / 10) },
].map((c) => ({ steps: 5, data: { name: 'moons', n: 96 }, ...c }));

test('the same config gives the same bits twice', async () => {
  const l = await lab();
  for (const config of KNOB_CONFIGS) assert.equal(hashResult(l.compare(config)), hashResult(l.compare(config)), JSON.stringify(config));
});

test('the SIMD and the scalar build give the same bits for every knob', async () => {
  const [simd, plain] = [await lab(), await scalar()];
  for (const config of KNOB_CONFIGS) {
    assert.equal(hashResult(simd.compare(config)), hashResult(plain.compare(config)), JSON.stringify(config));
  }
});

test('results do not change after the wasm memory has grown', async () => {
  const fresh = await createLab();
  const before = KNOB_CONFIGS.map((c) => hashResult(fresh.compare(c)));
  const grower = fresh.start({ data: { name: 'digits', n: 1797 }, model: { sizes: [64, 1024, 1024, 10] }, batchSize: 128, steps: 1 });
  grower.step();
  grower.free();
  const after = KNOB_CONFIGS.map((c) => hashResult(fresh.compare(c)));
  assert.deepEqual(after, before);
});

test('different seeds give different runs', async () => {
  const l = await lab();
  assert.notEqual(hashResult(l.compare({ seed: 1, steps: 2 })), hashResult(l.compare({ seed: 2, steps: 2 })));
});
