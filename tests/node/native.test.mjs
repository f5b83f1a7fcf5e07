// tests/node/native.test.mjs — the native build (gcc, SSE2) and the WebAssembly builds give
// the same bits: every double of every step record and the final parameter vectors.
import test from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { lab, scalar, KNOB_CONFIGS } from './helpers.mjs';

// Built by `make test` (test-node depends on it): a missing binary is a failure, not a skip.
const NATIVE = fileURLToPath(new URL('../../build/native/accumlab_native', import.meta.url));

const hex64 = (x) => {
  const b = new DataView(new ArrayBuffer(8));
  b.setFloat64(0, typeof x === 'boolean' ? Number(x) : x);
  return b.getBigUint64(0).toString(16).padStart(16, '0');
};
const fnv = (floats) => {
  let h = 0xcbf29ce484222325n;
  for (const byte of new Uint8Array(floats.buffer, floats.byteOffset, floats.byteLength)) h = ((h ^ BigInt(byte)) * 0x100000001b3n) & 0xffffffffffffffffn;
  return h.toString(16).padStart(16, '0');
};

/** The wasm result in native_run.c's format: every double of each record in memory order. */
function linesOf(result, contract) {
  const fields = [...contract.record.fields].sort((a, b) => a.offset - b.offset);
  const value = (s, { name, kind }) => {
    const [a, b] = name.split('.');
    const v = b === undefined ? s[a] : s[a][b];
    return kind === 'gradCategory' ? contract.gradCategories.indexOf(v) : kind === 'closeness' ? contract.closeness.indexOf(v) : v;
  };
  const lines = result.steps.map((s) => fields.map((f) => hex64(value(s, f))).join(' '));
  lines.push(`init ${fnv(result.initialParams)}`, `ref ${fnv(result.final.paramsRef)}`, `acc ${fnv(result.final.paramsAcc)}`);
  return lines;
}

test('native and WebAssembly (SIMD and scalar) give identical bits for every knob', async () => {
  assert.ok(existsSync(NATIVE), `${NATIVE} is missing: make test builds it (make native)`);
  const builds = [await lab(), await scalar()];
  // and the precision knobs (not in KNOB_CONFIGS: the PyTorch export does not write them)
  const precision = [
    { gradDtype: 'bf16', accumSteps: 8, steps: 3 },
    { gradDtype: 'fp16', reduction: 'sum', lossScale: { mode: 'dynamic', growthInterval: 1 }, optimizer: { lr: 0.005 }, steps: 4 },
    { gradDtype: 'fp16', correction: 'scale_loss', lossScale: { mode: 'static', scale: 512 }, scalerUpdate: 'per_micro_batch', model: { norm: 'batchnorm', dropout: 0.2 }, steps: 3 },
  ].map((c) => ({ data: { name: 'moons', n: 96 }, ...c }));
  for (const config of [...KNOB_CONFIGS, ...precision]) {
    const p = spawnSync(NATIVE, { input: JSON.stringify(config), encoding: 'utf8' });
    assert.equal(p.status, 0, p.stderr);
    const native = p.stdout.trim().split('\n').filter((l) => !l.startsWith('verdict'));
    for (const build of builds) assert.deepEqual(linesOf(build.compare(config), build.contract), native, `${build.simd ? 'simd' : 'scalar'}: ${JSON.stringify(config)}`);
  }
});

test('the same-point shortcuts (the reference forward reused; the reference backward taking the loop too) give the bits of the full pass', () => {
  const FULL = fileURLToPath(new URL('../../build/native/accumlab_native_fullpass', import.meta.url));
  assert.ok(existsSync(FULL), `${FULL} is missing: make test builds it`);
  const configs = [...KNOB_CONFIGS];
  // uneven micro-batches (m 3, n 101), LayerNorm, keyed masks, every correction, both reductions
  for (const data of ['moons', 'digits', 'regression']) for (const m of [1, 3, 8]) for (const k of [2, 3]) for (const norm of ['none', 'layernorm']) {
    configs.push({ data: { name: data, n: data === 'digits' ? 200 : 101 }, batchSize: m, accumSteps: k, model: { norm, dropout: m === 3 ? 0.3 : 0 },
      dropoutRng: 'keyed', steps: 3, correction: ['none', 'scale_loss', 'global_count'][(m + k) % 3], reduction: k === 3 ? 'sum' : 'mean', optimizer: { lr: 0.01 } });
  }
  // the same point taken inside the reference's backward (c = the loop's loss scale over the
  // reference's, a power of two): tanh and identity, c = 4 and 1/2 (2 workers, a sum), keyed
  // dropout, a momentum optimizer; c = 1/3 (3 workers) and a weight of 1e-20 (outside the
  // magnitudes that bound the roundings) take the loop's own backwards
  configs.push(
    { model: { activation: 'tanh', dropout: 0.2 }, dropoutRng: 'keyed', accumSteps: 4, optimizer: { name: 'sgd', momentum: 0.9 } },
    { model: { activation: 'identity', sizes: [2, 8, 8, 2] }, accumSteps: 8, batchSize: 2 },
    { workers: 2, reduction: 'sum', accumSteps: 2, model: { activation: 'tanh' }, optimizer: { lr: 0.005 } },
    { workers: 3, batchSize: 2, correction: 'scale_loss', data: { name: 'digits', n: 200 }, model: { sizes: [64, 16, 10] } },
    // syncBatchNorm with W > 1 (even without a norm) backwards a micro-step's replicas at once
    { workers: 2, syncBatchNorm: true, batchSize: 4, accumSteps: 4, model: { hidden: [32, 32], activation: 'relu' }, data: { name: 'moons', n: 256 }, optimizer: { name: 'adam' } },
    { model: { sizes: [2, 4, 2], activation: 'relu' }, accumSteps: 4, init: [0, 0, 0.2, 0.1, -0.4, 0.6, 0.3, -0.2, -1, 0, -0.1, 0.2, 1e-20, 0.3, -0.5, 0.4, 0.2, -0.3, 0.1, 0.2, 0, 0] },
  );
  for (const config of configs.map((c) => ({ steps: 5, data: { name: 'moons', n: 96 }, ...c }))) {
    const input = JSON.stringify(config);
    const fast = spawnSync(NATIVE, { input, encoding: 'utf8' }), full = spawnSync(FULL, { input, encoding: 'utf8' });
    assert.equal(fast.status, 0, fast.stderr);
    assert.equal(fast.stdout, full.stdout, input);
  }
});
