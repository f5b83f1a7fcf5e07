// tests/node/bf16-torch.test.mjs — the lab's bf16 (and fp16) accumulation against real
// PyTorch's: the same model, initial parameters and 8 samples, each sample a micro-batch
// (m = 1, k = 8), each float32 gradient added to a .grad held in bfloat16 by PyTorch itself
// (acc + g.to(torch.bfloat16); tests/torch/bf16_accumulate.py). PyTorch's float32 gradients
// differ from the lab's in the last bits, which can flip a rounding: so bit for bit, or
// within 1 ulp of the type in at most a tenth of the entries. And the check can tell: the
// float32 sum is not what either holds.
import test from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { lab } from './helpers.mjs';

const SCRIPT = fileURLToPath(new URL('../torch/bf16_accumulate.py', import.meta.url));
const CASES = [
  { seed: 1, gradDtype: 'bf16', model: { activation: 'tanh' } },
  { seed: 7, gradDtype: 'bf16', model: { activation: 'relu', hidden: [32, 16] } },
  { seed: 3, gradDtype: 'fp16', model: { activation: 'tanh' } },
];

/** The ulp of the type at |v| (bf16: 8 significant bits, fp16: 11, with fp16's subnormal floor). */
function ulpOf(v, dtype) {
  const bits = dtype === 'bf16' ? 8 : 11, a = Math.abs(v);
  if (a === 0) return dtype === 'bf16' ? 2 ** -133 : 2 ** -24;
  const e = Math.floor(Math.log2(a));
  return dtype === 'fp16' ? Math.max(2 ** (e - bits + 1), 2 ** -24) : 2 ** (e - bits + 1);
}

test('bf16 and fp16 accumulation match PyTorch\'s acc + g.to(dtype): bit for bit, or 1 ulp in at most a tenth of the entries', async () => {
  const l = await lab();
  const inputs = [], labs = [];
  for (const c of CASES) {
    const config = { ...c, data: { name: 'moons', n: 64 }, batchSize: 1, accumSteps: 8, correction: 'scale_loss', steps: 1 };
    const run = l.start(config);
    try {
      const d = run.data(), order = run.epochOrder(0).slice(0, 8), IN = run.config.model.sizes[0];
      run.step();
      const r = run.result();
      inputs.push({
        sizes: run.config.model.sizes, activation: run.config.model.activation, init: Array.from(r.initialParams),
        x: Array.from(order, (i) => Array.from(d.inputs.subarray(i * IN, (i + 1) * IN))),
        y: Array.from(order, (i) => d.targets[i]), k: 8, dtype: c.gradDtype,
      });
      labs.push({ label: JSON.stringify(c), acc: r.first.gradAcc });
    } finally { run.free(); }
  }
  const p = spawnSync('/usr/bin/python3', [SCRIPT], { input: JSON.stringify({ cases: inputs }), encoding: 'utf8', timeout: 120000 });
  assert.equal(p.status, 0, `real PyTorch (/usr/bin/python3 with python3-torch; make deps installs it): ${p.stderr || p.error}`);
  const out = JSON.parse(p.stdout);
  out.cases.forEach((t, i) => {
    const { label, acc } = labs[i], dtype = inputs[i].dtype;
    let same = 0, oneUlp = 0, worse = 0, fromFp32 = 0;
    acc.forEach((v, j) => {
      const w = Math.fround(t.acc[j]);
      if (Object.is(v, w)) same++;
      else if (Math.abs(v - w) <= ulpOf(w, dtype) * (1 + 1e-12)) oneUlp++;
      else worse++;
      if (Math.fround(t.fp32[j]) !== v) fromFp32++;
    });
    assert.equal(worse, 0, `${label}: ${worse} entries more than 1 ulp from PyTorch's`);
    assert.ok(oneUlp <= acc.length / 10, `${label}: ${oneUlp} of ${acc.length} entries 1 ulp apart`);
    assert.ok(same >= 0.9 * acc.length, `${label}: ${same} of ${acc.length} bit for bit`);
    assert.ok(fromFp32 > acc.length / 4, `${label}: the float32 sum differs in ${fromFp32} entries (the check can tell)`);
  });
});
