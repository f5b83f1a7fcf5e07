// tests/node/api.test.mjs — the public JS contract: createLab, compare, start/step/free, errors.
import test from 'node:test';
import assert from 'node:assert/strict';
import { readFile } from 'node:fs/promises';
import { createLab, AccumLabError, simdSupported } from '../../wasm/accumlab.mjs';
import { lab, scalar, small, hashResult } from './helpers.mjs';

test('Node 20 supports SIMD and createLab picks the SIMD build by default', async () => {
  assert.equal(simdSupported(), true);
  const l = await createLab();
  assert.equal(l.simd, true);
  assert.equal((await scalar()).simd, false);
});

test('createLab accepts the module bytes directly', async () => {
  const bytes = await readFile(new URL('../../wasm/accumlab-scalar.wasm', import.meta.url));
  const l = await createLab({ wasmBytes: bytes, simd: false });
  assert.equal(l.compare(small({ steps: 1 })).steps.length, 1);
});

test('compare returns the documented result shape', async () => {
  const r = (await lab()).compare(small());
  assert.equal(typeof r.paramCount, 'number');
  assert.ok(r.initialParams instanceof Float32Array);
  assert.equal(r.initialParams.length, r.paramCount);
  // moons: 2-16-16-2 → 2·16+16 + 16·16+16 + 16·2+2 parameters
  assert.equal(r.paramCount, 2 * 16 + 16 + 16 * 16 + 16 + 16 * 2 + 2);
  assert.equal(r.steps.length, 4);
  for (const [i, s] of r.steps.entries()) {
    assert.equal(s.step, i + 1);
    for (const key of ['lossRef', 'lossAcc', 'lrRef', 'lrAcc']) assert.equal(typeof s[key], 'number', key);
    for (const part of [s.grad, s.params]) {
      for (const key of ['maxAbsDiff', 'maxRelDiff', 'maxUlp', 'cosine', 'normRatio']) assert.equal(typeof part[key], 'number', key);
      assert.equal(typeof part.allclose, 'boolean');
      assert.equal(typeof part.bitwise, 'boolean');
    }
  }
  for (const key of ['gradRef', 'gradAcc', 'paramsRef', 'paramsAcc']) {
    assert.ok(r.first[key] instanceof Float32Array, key);
    assert.equal(r.first[key].length, r.paramCount);
  }
  assert.ok(r.final.paramsRef instanceof Float32Array);
  assert.ok(['bitwise', 'rounding', 'scaled', 'different'].includes(r.verdict.grads));
  assert.ok(['bitwise', 'rounding', 'different', 'diverged'].includes(r.verdict.params));
  assert.ok(Array.isArray(r.verdict.causes));
  assert.equal(typeof r.verdict.text, 'string');
  assert.ok(r.verdict.text.length > 20);
});

test('the first parameters are the initial ones moved by one step, and init is honoured', async () => {
  const l = await lab();
  const r = l.compare(small({ steps: 1 }));
  const init = Array.from(r.initialParams, (x) => x * 0.5);
  const r2 = l.compare(small({ steps: 1, init }));
  assert.deepEqual(Array.from(r2.initialParams), init.map(Math.fround));
});

test('start/step/result/free steps one optimizer step at a time', async () => {
  const run = (await lab()).start(small({ steps: 3 }));
  assert.equal(run.totalSteps, 3);
  assert.equal(run.step().step, 1);
  assert.equal(run.result().steps.length, 1);
  assert.equal(run.step().step, 2);
  assert.equal(run.step().step, 3);
  assert.equal(run.step(), null);
  assert.equal(run.step(), null);
  assert.equal(run.done, true);
  run.free();
  run.free();
  assert.throws(() => run.step(), (e) => e instanceof AccumLabError && e.code === 'state');
});

test('bad configs throw AccumLabError naming the field, and the lab keeps working', async () => {
  const l = await lab();
  const cases = [
    [{ optimizer: { lr: -1 } }, 'range', 'optimizer.lr'],
    [{ batchsize: 8 }, 'unknown', 'batchsize'],
    [{ reduction: 'median' }, 'unknown', 'reduction'],
    [{ batchSize: 0 }, 'range', 'batchSize'],
    [{ accumSteps: 0 }, 'range', 'accumSteps'],
    [{ batchSize: 'eight' }, 'type', 'batchSize'],
    [{ batchSize: 300, data: { name: 'moons', n: 100 } }, 'range', 'batchSize'],
    [{ init: [1, 2, 3] }, 'shape', 'init'],
    [{ model: { sizes: [3, 8, 2] } }, 'shape', 'model.sizes[0]'],
    [{ loss: 'cross_entropy', data: { name: 'regression' } }, 'shape', 'loss'],
    [{ data: { inputs: [[0, 1], [1, 0]], targets: [0, 5] }, model: { sizes: [2, 4, 2] } }, 'range', 'data.targets'],
    [{ optimizer: { lr: NaN } }, null, 'optimizer.lr'],
    [{ model: { sizes: [2, 5000, 2] } }, null, 'model.sizes[1]'],
  ];
  for (const [config, code, field] of cases) {
    assert.throws(() => l.compare(config), (e) => {
      assert.ok(e instanceof AccumLabError, `${JSON.stringify(config)}: ${e}`);
      if (code) assert.equal(e.code, code, `${JSON.stringify(config)}: ${e.message}`);
      assert.equal(e.field, field, `${JSON.stringify(config)}: ${e.message}`);
      assert.ok(e.message.length > 10);
      return true;
    });
  }
  assert.equal(l.compare(small({ steps: 2 })).steps.length, 2);
});

test('a non-object config is rejected before reaching the core', async () => {
  const l = await lab();
  for (const bad of [null, 3, 'x', [1]]) assert.throws(() => l.start(bad), AccumLabError);
});

test('explicit data: inputs, class targets and mask', async () => {
  const r = (await lab()).compare({
    data: { inputs: [[0, 0], [0, 1], [1, 0], [1, 1]], targets: [0, 1, 1, 0] },
    model: { sizes: [2, 4, 2] }, batchSize: 1, accumSteps: 2, steps: 2, correction: 'scale_loss',
  });
  assert.equal(r.steps.length, 2);
  assert.equal(r.verdict.params === 'rounding' || r.verdict.params === 'bitwise', true);
});

test('memory is released: many experiments in a row do not grow the instance', async () => {
  const l = await createLab();
  const big = { data: { name: 'digits', n: 1797 }, model: { sizes: [64, 256, 256, 10] }, batchSize: 64, steps: 1 };
  assert.equal(l.compare(big).steps.length, 1);
  for (let i = 0; i < 20; i++) l.compare(small({ steps: 1, seed: i }));
  const after = l.memoryBytes;
  // Each of these needs ~3 MiB of arena: without free() the instance would grow by 60+ MiB.
  for (let i = 0; i < 20; i++) l.compare({ ...big, seed: i });
  for (let i = 0; i < 200; i++) l.compare(small({ steps: 1, seed: i }));
  for (let i = 0; i < 50; i++) { try { l.start({ batchSize: 0 }); } catch { /* refused */ } }
  assert.equal(l.memoryBytes, after, `memory grew from ${after} to ${l.memoryBytes} bytes`);
});

test('class targets are one-hot for mse whatever the output count; bce on one output takes a 0/1 label', async () => {
  const l = await createLab();
  // The bug this replaced: a 1-output model used the class index itself as the target (loss 0, gradient 0).
  const r = l.compare({ model: { sizes: [1, 1] }, loss: 'mse', batchSize: 1, accumSteps: 1, steps: 1,
    data: { inputs: [[0], [0]], targets: [0, 0], shuffle: false }, init: [0, 0] });
  assert.equal(r.steps[0].lossRef, 1, 'one-hot of class 0 over one output is [1]: (0 - 1)² = 1, as PyTorch');
  assert.ok(Math.abs(r.steps[0].gradNormRef - 2) < 1e-6, `gradient norm ${r.steps[0].gradNormRef}: d/db (b - 1)² = -2`);
  // BCEWithLogitsLoss on one logit: label 1, logit 0 → loss ln 2, d/db = sigmoid(0) - 1 = -0.5
  const b = l.compare({ model: { sizes: [1, 1] }, loss: 'bce', batchSize: 1, accumSteps: 1, steps: 1,
    data: { inputs: [[0], [0]], targets: [1, 1], shuffle: false }, init: [0, 0] });
  assert.ok(Math.abs(b.steps[0].lossRef - Math.log(2)) < 1e-6, `bce loss ${b.steps[0].lossRef}`);
  assert.ok(Math.abs(b.steps[0].gradNormRef - 0.5) < 1e-6, `bce gradient ${b.steps[0].gradNormRef}`);
  // and on a built-in 2-class set with model.sizes ending in 1
  assert.deepEqual(l.compare({ data: { name: 'moons' }, loss: 'bce', model: { sizes: [2, 8, 1] }, steps: 1 }).config.model.sizes, [2, 8, 1]);
});

test('hostile configs always throw AccumLabError with a code and the field the caller gave', async () => {
  const l = await lab();
  const cyclic = { data: { name: 'moons' } };
  cyclic.data.self = cyclic;
  let deep = {};
  for (let i = 0, d = deep; i < 20000; i++) d = d.a = {};
  const cases = [
    [{ batchSize: 8n }, 'type', 'batchSize', /BigInt/],
    [cyclic, 'type', 'data.self', /cycle/],
    [{ get batchSize() { throw new Error('boom'); } }, 'type', 'batchSize', /threw: boom/],
    [deep, 'limit', null, /nested deeper/],
    [{ batchSize: () => 8 }, 'type', 'batchSize', /function/],
    [{ batchSize: Symbol('m') }, 'type', 'batchSize', /Symbol/],
    [{ data: new Map([['name', 'moons']]) }, 'type', 'data', /a Map/],
    [{ optimizer: new (class Opt {})() }, 'type', 'optimizer', /an instance of Opt; give a plain object/],
    [{ model: { hidden: [4, undefined] } }, 'type', 'model.hidden[1]', /undefined/],
    [{ data: { name: 'moons\ud800' } }, 'type', 'data.name', /lone surrogate/],
    [{ data: { name: 'moons', n: 8, maskFraction: 0.999 }, batchSize: 1, accumSteps: 1 }, 'shape', 'data.maskFraction', /maskFraction/],
    [{ data: { name: 'moons', n: 100000 }, model: { hidden: [64] }, batchSize: 4096, accumSteps: 1, steps: 1 }, null, null, null],
    [5, 'type', '', /got a number/],
    ['{"batchSize": 4, "batchSize": 8}', 'parse', 'batchSize', /twice/],
    [[1], 'type', '', /got an array/],
  ];
  for (const [config, code, field, message] of cases) {
    let error = null;
    try { l.start(config).free(); } catch (e) { error = e; }
    if (code === null) { assert.equal(error, null, 'a big legal config starts'); continue; }
    assert.ok(error instanceof AccumLabError, `${String(field)}: ${error?.constructor.name} ${error?.message}`);
    assert.equal(error.code, code, error.message);
    if (field !== null) assert.equal(error.field, field, error.message);
    else assert.match(error.field, /^a(\.a)+$/);
    assert.match(error.message, message);
  }
  // undefined members are left out, as JSON.stringify does; typed arrays are number arrays
  assert.equal(l.start({ batchSize: undefined, data: { name: 'moons', n: 16 }, steps: 1 }).config.batchSize, 8);
  const r = l.compare({ data: { inputs: [new Float32Array([0, 1]), new Float64Array([1, 0])], targets: new Float32Array([0, 1]) },
    loss: 'cross_entropy', batchSize: 1, accumSteps: 2, steps: 1 });
  assert.equal(r.steps.length, 1);
});

test('rtol = atol = 0: a loop that is right is different only by rounding, and the verdict says so', async () => {
  const l = await lab();
  const r = l.compare(small({ correction: 'scale_loss', rtol: 0, atol: 0, steps: 2 }));
  assert.equal(r.verdict.grads, 'different');
  assert.deepEqual(r.verdict.causes.map((c) => c.id), ['zero_tolerance']);
  assert.match(r.verdict.text, /rtol and atol are 0/);
  const wrong = l.compare(small({ rtol: 0, atol: 0, steps: 2 }));
  assert.deepEqual(wrong.verdict.causes.map((c) => c.id), ['mean_unscaled'], 'a real cause is named instead');
});

test('creation stays fast for any legal size: masks are checked for the first groups, later ones at their step', async () => {
  const l = await lab();
  const t0 = performance.now();
  const big = l.start({ data: { name: 'seed_example', n: 100000, maskFraction: 0.5 }, batchSize: 4096, accumSteps: 1, steps: 100000 });
  const ms = performance.now() - t0;
  big.free();
  assert.ok(ms < 1000, `start took ${ms.toFixed(0)} ms (it gathered every future step's group: 6.2 s)`);
  const masked = (seed) => ({ seed, data: { name: 'seed_example', n: 5000, maskFraction: 0.9 }, model: { hidden: [] }, loss: 'mse',
    batchSize: 50, accumSteps: 1, steps: 100000 });
  // seed 1: a group of the first steps has no valid target: refused at creation
  assert.throws(() => l.start(masked(1)), (e) => e.field === 'data.maskFraction' && /group of step 1842 /.test(e.message));
  // seed 2: the first such group is at step 25182, past what creation looks at: that step fails, named the same way
  const run = l.start(masked(2));
  let error = null;
  try { while (run.step()); } catch (e) { error = e; }
  assert.ok(error instanceof AccumLabError && error.field === 'data.maskFraction', String(error));
  assert.match(error.message, /the maskFraction leaves the group of step 25182 \(50 samples\) with no valid target/);
  assert.equal(run.result().steps.length, 25181, 'every step before it is kept');
  run.free();
});

test('big explicit data crosses as binary blocks: the same bits as JSON text, errors still name the element', async () => {
  const l = await lab();
  const r = (i, j) => Math.fround(Math.sin(i * 7 + j));
  const rows = Array.from({ length: 40 }, (_, i) => Array.from({ length: 3 }, (_, j) => r(i, j)));
  const base = { model: { sizes: [3, 5, 2] }, loss: 'mse', batchSize: 4, accumSteps: 2, steps: 3 };
  const targets = rows.map(([a, b]) => [a * b, a - b]);
  const mask = rows.map((_, i) => [i % 3 ? 1 : 0, 1]);
  const viaText = l.compare(JSON.stringify({ ...base, data: { inputs: rows, targets, mask } })); // the JSON path, as the caller wrote it
  const forms = [
    { inputs: rows, targets, mask },                                            // nested numbers
    { inputs: rows.map((x) => Float32Array.from(x)), targets: targets.map((x) => Float64Array.from(x)), mask },
    { inputs: { values: Float32Array.from(rows.flat()), shape: [40, 3] }, targets: { values: targets.flat(), shape: [40, 2] },
      mask: { values: new Float32Array(mask.flat()), shape: [40, 2] } },
  ];
  for (const data of forms) assert.equal(hashResult(l.compare({ ...base, data })), hashResult(viaText));
  // class targets as a typed array, init as one
  const cls = l.compare({ data: { inputs: { values: Float32Array.from(rows.flat()), shape: [40, 3] }, targets: new Int32Array(40).map((_, i) => i % 3) },
    model: { sizes: [3, 4, 3] }, init: new Float32Array(31).fill(0.1), steps: 1 });
  assert.equal(cls.config.loss, 'cross_entropy');
  assert.deepEqual(Array.from(cls.initialParams.slice(0, 2)), [Math.fround(0.1), Math.fround(0.1)]);
  const refused = (data, field, re) => {
    assert.throws(() => l.start({ ...base, data }), (e) => e instanceof AccumLabError && e.field === field && re.test(e.message), field);
  };
  const bad = rows.map((x) => Float32Array.from(x));
  bad[3][1] = NaN;
  refused({ inputs: bad, targets }, 'data.inputs[3][1]', /must be a finite number/);
  refused({ inputs: rows, targets, mask: mask.map((m, i) => (i === 5 ? Float32Array.from([2, 1]) : Float32Array.from(m))) }, 'data.mask[5][0]', /0 or 1/);
  refused({ inputs: { values: new Float32Array(10), shape: [4, 3] }, targets }, 'data.inputs.values', /holds 10 numbers, but shape \[4,3\] needs 12/);
  refused({ inputs: rows, targets: new Float32Array(40).fill(1.5) }, 'data.targets[0]', /class index/);
  // a binary block written as JSON text has no arrays behind it: named, not read
  assert.throws(() => l.start('{"data": {"inputs": {"binary": 0, "shape": [2, 2]}, "targets": [0, 1]}}'),
    (e) => e.field === 'data.inputs' && /binding passed 0/.test(e.message));
});

test('the biggest explicit data (4096 x 4096, a mask, batch 4096, 100,000 steps) starts within 1 s and within the memory limit', async () => {
  const fresh = await createLab(); // its own instance, so that its memory is this experiment's
  const N = 4096, IN = 4096;
  const values = new Float32Array(N * IN).map((_, i) => (i % 97) / 97);
  const t0 = performance.now();
  const run = fresh.start({
    data: { inputs: { values, shape: [N, IN] }, targets: { values: new Float32Array(N).map((_, i) => i % 2), shape: [N, 1] },
      mask: { values: new Float32Array(N).map((_, i) => (i % 3 ? 1 : 0)), shape: [N, 1] } },
    loss: 'mse', model: { hidden: [4] }, batchSize: 4096, accumSteps: 1, steps: 100000,
  });
  const ms = performance.now() - t0;
  const mib = fresh.memoryBytes / 2 ** 20;
  run.free();
  assert.ok(ms < 1000, `start took ${ms.toFixed(0)} ms (it was 798 s: the mask check gathered every future group's inputs)`);
  assert.ok(mib <= 512, `wasm memory ${mib.toFixed(0)} MiB, above the documented 512 MiB`);
});

test("the same point's scratch costs memory only where the reference's backward can take it", async () => {
  // 4096 x 4096 and 4096 x 480 hidden layers at batch 4096 need close to the 512 MiB limit; a
  // scratch of micro-batch x the widest layer for every experiment (as once) pushed them over
  const fresh = await createLab();
  for (const k of [1, 2]) {
    const run = fresh.start({ batchSize: 4096 / k, accumSteps: k, steps: 1, model: { hidden: [4096, 480], dropout: 0.5 }, data: { name: 'moons', n: 4096 } });
    run.free();
  }
  assert.ok(fresh.memoryBytes / 2 ** 20 <= 512);
});
