// tests/node/helpers.mjs — shared set-up for the Node tests: one lab per build, loaded once.
import { createLab } from '../../wasm/accumlab.mjs';

let simdLab, scalarLab;
export async function lab() { return (simdLab ??= await createLab({ simd: true })); }
export async function scalar() { return (scalarLab ??= await createLab({ simd: false })); }

/** A small, fast experiment on moons; fields given override. */
export function small(overrides = {}) {
  return { data: { name: 'moons', n: 128 }, steps: 4, ...overrides };
}

/** FNV-1a over every number of a result (records and vectors), as hex: equal hashes = same bits. */
export function hashResult(result) {
  let h = 0xcbf29ce484222325n;
  const prime = 0x100000001b3n, mask = (1n << 64n) - 1n;
  const f64 = new Float64Array(1), u8 = new Uint8Array(f64.buffer);
  const eat = (x) => {
    f64[0] = typeof x === 'boolean' ? Number(x) : x;
    for (const b of u8) h = ((h ^ BigInt(b)) * prime) & mask;
  };
  const walk = (v) => {
    if (typeof v === 'number' || typeof v === 'boolean') eat(v);
    else if (ArrayBuffer.isView(v)) for (const x of v) eat(x);
    else if (Array.isArray(v)) v.forEach(walk);
    else if (v && typeof v === 'object') for (const k of Object.keys(v).sort()) walk(v[k]);
  };
  walk({ steps: result.steps, initialParams: result.initialParams, first: result.first, final: result.final });
  return h.toString(16).padStart(16, '0');
}

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
