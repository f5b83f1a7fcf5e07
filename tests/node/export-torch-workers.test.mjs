// tests/node/export-torch-workers.test.mjs — the exported PyTorch script of experiments with
// simulated data parallelism (workers: DistributedSampler's split, DDP's average, per-replica
// BatchNorm or SyncBatchNorm, a dropout generator per replica) and the frameworks' loops
// (Lightning, Accelerate, the HF Trainer before and after 4.46, DeepSpeed: their corrections,
// group boundaries, short-group divisors and scheduler stepping), retrained in real PyTorch
// (Debian's python3-torch, run as /usr/bin/python3). Every step's losses, gradient norms, learning
// rates and micro-batch count are the engine's (1e-6 relative, the tolerance of the other torch
// tests), step 1's gradients too, and every step's categories and the verdict. The comparison
// must be able to fail: scripts with one piece of DDP's or a framework's semantics taken out
// (DDP's /W, Accelerate's extra scheduler steps, DistributedSampler's interleaving, the HF
// Trainer's ×num_processes) are caught.
import test from 'node:test';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { mkdtempSync, writeFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { lab } from './helpers.mjs';
import { torchScript } from '../../wasm/export-torch.mjs';

const RTOL = 1e-6; // |torch - lab| <= 1e-6 |lab|: losses, gradient norms, step 1's gradients norm-wise
const DRIVER = fileURLToPath(new URL('../torch/run_exports.py', import.meta.url));
const l = await lab();

// 40 moons in micro-batches of 8, k 4: a full group of 32 and a short one of 8 per epoch (one
// process); with 2 workers one group of 40 = micro-steps of 16, 16 and 8 (4 per replica)
const FORTY = { data: { name: 'moons', n: 40 }, batchSize: 8, accumSteps: 4, steps: 6 };
const MASKED = { data: { name: 'moons', n: 40, maskFraction: 0.3 }, loss: 'mse' };
const BN = { model: { norm: 'batchnorm' } };
const CASES = [
  ['lightning', { ...FORTY, framework: 'lightning' }],
  ['accelerate, 2 workers, cosine', { ...FORTY, framework: 'accelerate', workers: 2, schedule: { name: 'cosine' } }],
  ['hf_trainer_before_4_46, masked mse', { ...FORTY, ...MASKED, framework: 'hf_trainer_before_4_46' }],
  ['hf_trainer, masked mse', { ...FORTY, ...MASKED, framework: 'hf_trainer' }],
  ['deepspeed', { ...FORTY, framework: 'deepspeed' }],
  ['2 workers, sum, no correction', { ...FORTY, workers: 2, reduction: 'sum', optimizer: { lr: 0.01 } }],
  ['2 workers, mean, scale_loss', { ...FORTY, workers: 2, correction: 'scale_loss' }],
  ['3 workers', { ...FORTY, workers: 3 }],
  ['2 workers, k 1, batchnorm per replica', { ...FORTY, ...BN, workers: 2, accumSteps: 1 }],
  ['2 workers, k 1, syncBatchNorm', { ...FORTY, ...BN, workers: 2, accumSteps: 1, syncBatchNorm: true }],
  ['2 workers, keyed dropout', { ...FORTY, data: { name: 'moons', n: 64 }, workers: 2, correction: 'scale_loss', model: { dropout: 0.3 }, dropoutRng: 'keyed' }],
  ['hf_trainer, 3 workers, masked mse', { ...FORTY, ...MASKED, framework: 'hf_trainer', workers: 3 }],
  ['hf_trainer, 2 workers counting their own', { ...FORTY, ...MASKED, framework: 'hf_trainer', workers: 2, countAcrossWorkers: false }],
  ['deepspeed, 2 workers, masked mse, 44 samples', { ...FORTY, ...MASKED, data: { name: 'moons', n: 44, maskFraction: 0.3 }, framework: 'deepspeed', workers: 2 }],
  ['2 workers, divisor micro_batches, scheduler per micro-batch x2', { ...FORTY, workers: 2, correction: 'scale_loss', lastGroupDivisor: 'micro_batches',
    schedule: { name: 'step', stepSize: 2, gamma: 0.5 }, schedulerStepping: 'per_micro_batch', schedulerStepsPerOptimizerStep: 2 }],
  ['1 worker, divisor micro_batches, scheduler x3', { ...FORTY, correction: 'scale_loss', lastGroupDivisor: 'micro_batches',
    schedulerStepsPerOptimizerStep: 3, schedule: { name: 'warmup', warmupSteps: 10 } }],
  ['2 workers, batchnorm, stream dropout', { ...FORTY, workers: 2, accumSteps: 2, correction: 'scale_loss', model: { norm: 'batchnorm', dropout: [0.3, 0] } }],
  ['2 workers, syncBatchNorm, stream dropout', { ...FORTY, workers: 2, accumSteps: 2, syncBatchNorm: true, model: { norm: 'batchnorm', dropout: [0.3, 0] } }],
];

/** One piece of the semantics taken out of a script: the comparison must then fail. */
const MUTANTS = [
  ['2 workers, sum, no correction', "DDP's average over W dropped", (s) => s.replace('(loss / W).backward()', 'loss.backward()')],
  ['accelerate, 2 workers, cosine', "Accelerate's scheduler stepped once", (s) => s.replace(/for _ in range\(2\):(.*\n\s*acc_sched\.step\(\))/, 'for _ in range(1):$1')],
  ['2 workers, k 1, batchnorm per replica', 'contiguous shards instead of DistributedSampler\'s interleaving',
    (s) => s.replace('return [micro[r::W] for r in range(W)]', 'return [micro[r * m:(r + 1) * m] for r in range(W)]')],
  ['hf_trainer, 3 workers, masked mse', "the HF Trainer's x num_processes dropped", (s) => s.replace('S / num_items_in_batch * W', 'S / num_items_in_batch')],
  ['deepspeed', 'groups that end with the epoch', (s) => s.replace(/def group\(step\):[\s\S]*?return micro_steps\n/, `def group(step):
    epoch, g = divmod(step, -(-MICRO_STEPS_PER_EPOCH // k))
    order = ORDER[epoch] if ORDER else list(range(N))
    ids = order[g * WM * k:(g + 1) * WM * k]
    return [ids[j:j + WM] for j in range(0, len(ids), WM)]
`)],
];

const kind = (cat) => (cat === 'bitwise' ? 'rounding' : cat); // PyTorch sums in its own order
const rel = (a, b) => (a === b ? 0 : Math.abs(a - b) / Math.abs(b));
function relNorm(a, b) {
  let d = 0, n = 0;
  for (let i = 0; i < b.length; i++) { d += (a[i] - b[i]) ** 2; n += b[i] ** 2; }
  return n === 0 ? (d === 0 ? 0 : Infinity) : Math.sqrt(d / n);
}
const streamDropout = (c) => c.dropoutRng === 'stream' && [c.model.dropout].flat().some((p) => p > 0);

/** Runs the scripts in two PyTorch processes (two cores); one result per script. */
async function retrain(paths) {
  const halves = [paths.filter((_, i) => i % 2 === 0), paths.filter((_, i) => i % 2 === 1)].filter((h) => h.length);
  const outs = await Promise.all(halves.map((h) => new Promise((resolve, reject) => {
    execFile('/usr/bin/python3', [DRIVER, ...h], { maxBuffer: 1 << 30, timeout: 300000 }, (err, stdout, stderr) => {
      if (err) reject(new Error(`real PyTorch (/usr/bin/python3 with python3-torch; make deps installs it): ${stderr || err.message}`));
      else resolve(stdout.trim().split('\n').map((line) => JSON.parse(line)));
    });
  })));
  return new Map(outs.flat().map((o) => [o.script, o]));
}

/**
 * What differs between the engine's run `r` and the script's output `out` (empty: they agree),
 * and the largest relative differences. Stream dropout draws PyTorch's masks, not the lab's:
 * categories only.
 */
function disagreements(r, out) {
  if (out.error) return { problems: [`the script failed:\n${out.error}`] };
  const t = out.result, t64 = out.float64, numbers = !streamDropout(r.config), problems = [];
  const max = { loss: 0, norm: 0, grad: 0 };
  if (t.steps.length !== r.steps.length) problems.push(`${t.steps.length} steps run, the lab ${r.steps.length}`);
  // beyond 1e-6: fine where PyTorch's own float32 is as far from the float64 run of the same script
  const near = (got, want, got64, what) => {
    const e = rel(got, want);
    if (e > RTOL && !(got64 !== undefined && rel(want, got64) <= 2 * rel(got, got64))) problems.push(`${what}: ${got}, the lab ${want} (${e.toExponential(2)} apart)`);
    return e;
  };
  r.steps.forEach((s, i) => {
    const u = t.steps[i], u64 = t64.steps[i];
    if (!u) return;
    const at = `step ${s.step}`;
    if (u.microBatches !== s.microBatches) problems.push(`${at}: ${u.microBatches} micro-batches, the lab ${s.microBatches}`);
    for (const lr of ['lrRef', 'lrAcc'])
      if (Math.abs(u[lr] - s[lr]) > 1e-12 * r.config.optimizer.lr) problems.push(`${at}: ${lr} ${u[lr]}, the lab ${s[lr]}`);
    if (numbers) {
      for (const w of ['lossRef', 'lossAcc']) max.loss = Math.max(max.loss, near(u[w], s[w], u64?.[w], `${at} ${w}`));
      for (const w of ['gradNormRef', 'gradNormAcc']) max.norm = Math.max(max.norm, near(u[w], s[w], u64?.[w], `${at} ${w}`));
    }
    if (kind(u.grads) !== kind(s.gradCategory)) problems.push(`${at}: gradients ${u.grads}, the lab ${s.gradCategory}`);
    const pc = s.diverged ? 'diverged' : s.params.bitwise ? 'bitwise' : s.params.closeness !== 'not_close' ? 'rounding' : 'different';
    if (kind(u.params) !== kind(pc)) problems.push(`${at}: parameters ${u.params}, the lab ${pc}`);
  });
  if (numbers) {
    for (const w of ['gradRef', 'gradAcc']) {
      const e = relNorm(t.first[w], r.first[w]);
      max.grad = Math.max(max.grad, e);
      if (e > RTOL && relNorm(r.first[w], t64.first[w]) > 2 * relNorm(t.first[w], t64.first[w]))
        problems.push(`step 1 ${w}: |torch - lab|/|lab| = ${e.toExponential(2)}`);
    }
  }
  for (const w of ['grads', 'params'])
    if (kind(t.verdict[w]) !== kind(r.verdict[w])) problems.push(`verdict ${w}: ${t.verdict[w]}, the lab ${r.verdict[w]}`);
  return { problems, max, numbers };
}

test('workers and frameworks: the exported script, retrained in real PyTorch, gives the engine\'s numbers and verdict', { timeout: 600000 }, async () => {
  const dir = mkdtempSync(join(tmpdir(), 'accumlab-torch-workers-'));
  try {
    const scripts = new Map(CASES.map(([name, config]) => [name, torchScript(l, config, { title: name })]));
    const jobs = [];
    CASES.forEach(([name, config], i) => jobs.push({ name, config, path: join(dir, `case${i}.py`), text: scripts.get(name) }));
    MUTANTS.forEach(([name, what, mutate], i) => {
      const text = mutate(scripts.get(name));
      assert.notEqual(text, scripts.get(name), `mutant '${what}': the script has the text it changes`);
      jobs.push({ name, what, config: CASES.find(([n]) => n === name)[1], path: join(dir, `mutant${i}.py`), text });
    });
    for (const j of jobs) writeFileSync(j.path, j.text);
    const got = await retrain(jobs.map((j) => j.path));
    for (const j of jobs) {
      const r = l.compare(j.config), { problems, max, numbers } = disagreements(r, got.get(j.path));
      if (j.what) {
        assert.ok(problems.length > 0, `${j.name} with ${j.what}: the comparison should fail, it passes`);
        console.log(`# caught: ${j.name} with ${j.what} (${problems[0].split('\n')[0]})`);
        continue;
      }
      assert.deepEqual(problems, [], `${j.name} ${JSON.stringify(j.config)}`);
      const v = `${r.verdict.grads}/${r.verdict.params}`;
      console.log(`# ${j.name}: ${numbers ? `losses ${max.loss.toExponential(1)}, gradient norms ${max.norm.toExponential(1)}, ` +
        `step 1 gradients ${max.grad.toExponential(1)} apart at most` : 'categories only (stream dropout)'}; verdict ${v}`);
    }
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('one forward over several replicas (syncBatchNorm) draws each replica\'s stream-dropout masks from its own generator', { timeout: 120000 }, async () => {
  // without BatchNorm, a SyncBatchNorm micro-step (one forward over every replica's samples,
  // ReplicaDropout) is the replicas' own forwards: the same masks, so the same run in PyTorch
  const base = { ...FORTY, workers: 2, correction: 'scale_loss', model: { dropout: [0.4, 0.2] }, dropoutRng: 'stream' };
  const dir = mkdtempSync(join(tmpdir(), 'accumlab-torch-workers-'));
  try {
    const paths = [false, true].map((sync) => {
      const path = join(dir, `sync-${sync}.py`), text = torchScript(l, { ...base, syncBatchNorm: sync });
      assert.equal(/ReplicaDropout\(/.test(text), sync);
      writeFileSync(path, text);
      return path;
    });
    const got = await retrain(paths);
    const [own, one] = paths.map((p) => got.get(p));
    assert.ok(!own.error && !one.error, own.error || one.error);
    own.result.steps.forEach((s, i) => {
      const u = one.result.steps[i];
      for (const w of ['lossRef', 'lossAcc', 'gradNormRef', 'gradNormAcc'])
        assert.ok(rel(u[w], s[w]) <= RTOL, `step ${s.step} ${w}: ${u[w]} with one forward, ${s[w]} with one per replica`);
    });
    assert.ok(relNorm(one.result.first.gradAcc, own.result.first.gradAcc) <= RTOL);
    assert.ok(relNorm(own.result.first.gradAcc, own.result.first.gradRef) > 1e-3, 'the replicas\' masks are not the reference\'s');
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
