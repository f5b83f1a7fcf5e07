// tests/node/determinism.test.mjs — same config, same bits: twice in a row, SIMD vs scalar
// build, before and after memory growth, for configs that cover every knob.
import test from 'node:test';
import assert from 'node:assert/strict';
import { createLab } from '../../wasm/accumlab.mjs';
import { lab, scalar, hashResult, KNOB_CONFIGS } from './helpers.mjs';



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
