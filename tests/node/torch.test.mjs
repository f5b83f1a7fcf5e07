// tests/node/torch.test.mjs — the same numbers as PyTorch: init 'torch' gives, bit for bit,
// the parameters real PyTorch (Debian's python3-torch, run as /usr/bin/python3, installed by
// make deps) gives nn.Sequential after torch.manual_seed(seed); data generator 'torch' gives
// torch.rand's data; and the forum's model on the forum's data has PyTorch's loss and gradient.
import test from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { lab } from './helpers.mjs';

const SCRIPT = fileURLToPath(new URL('../torch/forum_init.py', import.meta.url));
const l = await lab();
const hex = (x) => { const b = new DataView(new ArrayBuffer(4)); b.setFloat32(0, x); return b.getUint32(0).toString(16).padStart(8, '0'); };

function torch(cases) {
  const p = spawnSync('/usr/bin/python3', [SCRIPT], { input: JSON.stringify(cases), encoding: 'utf8', timeout: 120000 });
  assert.equal(p.status, 0, `real PyTorch (/usr/bin/python3 with python3-torch; make deps installs it): ${p.stderr || p.error}`);
  return JSON.parse(p.stdout);
}

test('init "torch": the parameters of real PyTorch\'s nn.Sequential after torch.manual_seed, bit for bit', () => {
  const cases = [];
  for (const [sizes, data] of [[[4, 8, 2], 'seed_example'], [[2, 16, 16, 2], 'moons'], [[64, 32, 10], 'digits'], [[1, 1], 'regression'], [[2, 5, 7, 3], 'gaussians']])
    for (const seed of [0, 1, 2, 2 ** 40 + 7]) for (const norm of ['none', 'layernorm', 'batchnorm']) {
      if (sizes.length === 2 && norm !== 'none') continue;
      cases.push({ sizes, dataset: data, seed, act: 'relu', norm });
    }
  const want = torch(cases);
  let values = 0;
  cases.forEach((c, i) => {
    const run = l.start({ init: 'torch', seed: c.seed, data: { name: c.dataset, n: 256 }, model: { sizes: c.sizes, norm: c.norm }, batchSize: 4, accumSteps: 1, steps: 1 });
    const got = Array.from(run.initialParams, hex);
    assert.equal(run.config.init, 'torch');
    run.free();
    assert.equal(got.length, want[i].params.length, JSON.stringify(c));
    const first = got.findIndex((h, j) => h !== want[i].params[j]);
    assert.equal(first, -1, `${JSON.stringify(c)}: parameter ${first} is ${got[first]}, PyTorch ${want[i].params[first]}`);
    values += got.length;
  });
  assert.ok(values > 10000, `${values} values compared`);
});

test('the forum example: torch.rand data (seed 1), the forum model (seed 2), PyTorch\'s loss and gradient', () => {
  const [want] = torch([{ sizes: [4, 8, 2], act: 'relu', norm: 'none', seed: 2, data: { seed: 1, n: 8 } }]);
  const r = l.compare({ seed: 2, init: 'torch', data: { name: 'seed_example', n: 8, seed: 1, generator: 'torch', shuffle: false },
    model: { sizes: [4, 8, 2], activation: 'relu' }, loss: 'mse', batchSize: 8, accumSteps: 1, steps: 1 });
  assert.deepEqual(Array.from(r.initialParams, hex), want.params, 'the forum model\'s parameters');
  assert.equal(r.config.data.seed, 1);
  assert.ok(Math.abs(r.steps[0].lossRef - want.loss) <= 1e-6 * want.loss, `loss ${r.steps[0].lossRef} vs PyTorch ${want.loss}`);
  let d = 0, n = 0;
  r.first.gradRef.forEach((g, i) => { d += (g - want.grad[i]) ** 2; n += want.grad[i] ** 2; });
  assert.ok(Math.sqrt(d / n) <= 1e-6, `gradient |diff|/|torch| = ${Math.sqrt(d / n)}`);
});

test('the data generator "torch" is for seed_example only, and init takes "torch" or numbers', () => {
  assert.throws(() => l.start({ data: { name: 'moons', generator: 'torch' } }), (e) => e.field === 'data.generator');
  assert.throws(() => l.start({ init: 'pytorch' }), (e) => e.field === 'init' && /did you mean 'torch'/.test(e.message));
});

test('the forum question\'s own code in real PyTorch prints what the lab\'s forum presets say, with the same losses', async () => {
  const { presetById } = await import('../../wasm/presets.mjs');
  const script = fileURLToPath(new URL('../torch/forum_question.py', import.meta.url));
  const p = spawnSync('/usr/bin/python3', [script, '--json'], { encoding: 'utf8', timeout: 120000 });
  assert.equal(p.status, 0, p.stderr);
  const lines = p.stdout.trim().split('\n');
  const torchLosses = JSON.parse(lines.pop());
  const equal = (cat) => (cat === 'bitwise' || cat === 'rounding' ? 'True' : 'False');
  const cases = [['forum-sum', 'sum, lr 0.1', torchLosses.sumLosses], ['forum-mean-lr', 'mean, lr 1.0 vs 0.5', torchLosses.meanLosses]];
  const want = [];
  for (const [id, label, losses] of cases) {
    const r = l.compare(presetById(id).config);
    want.push(`${label}: gradients allclose: ${equal(r.verdict.grads)}`, `${label}: parameters allclose: ${equal(r.verdict.params)}`);
    r.steps.forEach((s, i) => assert.ok(Math.abs(s.lossRef - losses[i]) <= 1e-6 * losses[i], `${id} step ${s.step}: loss ${s.lossRef}, PyTorch ${losses[i]}`));
  }
  assert.deepEqual(lines, want);
});
