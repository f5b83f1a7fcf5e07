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
  // frameworks and data-parallel workers
  { workers: 2, reduction: 'sum', optimizer: { lr: 0.005 } },
  { workers: 3, batchSize: 4, correction: 'scale_loss', model: { norm: 'batchnorm' }, syncBatchNorm: true },
  { workers: 2, accumSteps: 2, model: { norm: 'batchnorm', dropout: 0.2 }, data: { name: 'moons', n: 90 } },
  { framework: 'lightning', data: { name: 'moons', n: 40 } },
  { framework: 'deepspeed', workers: 2, batchSize: 4, data: { name: 'moons', n: 60 } },
  { framework: 'hf_trainer', workers: 2, data: { name: 'seed_example', n: 70, maskFraction: 0.4 }, loss: 'mse', countAcrossWorkers: false },
  { framework: 'accelerate', workers: 2, schedule: { name: 'step', stepSize: 1, gamma: 0.7 } },
].map((c) => ({ steps: 5, data: { name: 'moons', n: 96 }, ...c }));

/** mulberry32: the tests' own generator of random configs, independent of the core's. */
export function rng(seed) { // mulberry32: the test's own generator, independent of the core's
  return () => {
    seed = (seed + 0x6d2b79f5) | 0;
    let t = Math.imul(seed ^ (seed >>> 15), 1 | seed);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** A random valid-looking config over every knob (a few may be refused: batchnorm with 1 sample, a mask leaving no target). */
export function randomConfig(r) {
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
