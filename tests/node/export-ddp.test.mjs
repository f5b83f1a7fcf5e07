// tests/node/export-ddp.test.mjs — `accumlab export-torch --ddp`: the experiment's W workers as
// W real processes (torch.multiprocessing spawn, a gloo process group on 127.0.0.1,
// DistributedDataParallel with no_sync() on all but the last micro-batch, a CPU SyncBatchNorm),
// run in real PyTorch (Debian's python3-torch, /usr/bin/python3). For W = 2 and 3, sum and mean
// losses, no correction and scale_loss, per-replica BatchNorm and SyncBatchNorm (a rank left
// without a sample too), the frameworks' loss scalings (Lightning, Accelerate, the HF Trainer with
// a mask, counting across devices or not, DeepSpeed across epochs) and 16 random configs: every
// step's losses and gradient norms and step 1's gradients within 1e-5 (relative) of the engine's
// simulated workers (or float32 rounding, judged against the script's float64 run), the same
// learning rates, micro-batches, step categories and verdict, and DDP's own count of gradient
// all-reduces one per optimizer step. Stream dropout (PyTorch's masks) against the one-process
// script; BatchNorm's running statistics (rank 0's) against the lab's eval-mode picture; the one
// place real DDP cannot follow the simulation (SyncBatchNorm at k 1 with Adam) pinned down.
// Scripts with a piece of DDP taken out are caught; a rank that fails (raises, exits, hangs)
// makes the script exit 1 without hanging. The scripts run through tests/torch/run_ddp.py (W
// ranks that import PyTorch once, each script's own train()), two of them and the failures as a
// user runs them; every process group is the test's own and killed if it overstays.
import test from 'node:test';
import assert from 'node:assert/strict';
import { spawn, execFileSync } from 'node:child_process';
import { mkdtempSync, writeFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { lab, rng, randomConfig } from './helpers.mjs';
import { torchScript } from '../../wasm/export-torch.mjs';
import { ddpScript, labScript } from '../../wasm/export-ddp.mjs';
import { AccumLabError } from '../../wasm/accumlab.mjs';

const RTOL = 1e-5; // |ddp - lab| <= 1e-5 |lab|: losses and gradient norms, every step
const PYTHON = '/usr/bin/python3';
const CLI = fileURLToPath(new URL('../../wasm/cli.mjs', import.meta.url));
const DRIVER = fileURLToPath(new URL('../torch/run_ddp.py', import.meta.url));
const ONE_PROCESS_DRIVER = fileURLToPath(new URL('../torch/run_exports.py', import.meta.url));
const l = await lab();
const dir = mkdtempSync(join(tmpdir(), 'accumlab-ddp-'));
test.after(() => rmSync(dir, { recursive: true, force: true }));

// W 2: 40 moons, micro-steps of 16, 16 and 8 (4 per rank) per epoch. W 3: micro-batches of 4,
// k 3: a group of 36 and one of 4 (ranks 2, 1, 1). 38 samples, k 2: a last micro-step of 2, so
// rank 2 has none (an empty forward that still takes part in the all-reduces).
const TWO = { data: { name: 'moons', n: 40 }, batchSize: 8, accumSteps: 4, steps: 4, workers: 2 };
const THREE = { data: { name: 'moons', n: 40 }, batchSize: 4, accumSteps: 3, steps: 4, workers: 3 };
const EMPTY_RANK = { data: { name: 'moons', n: 38 }, batchSize: 4, accumSteps: 2, steps: 4, workers: 3 };
const MASKED = { data: { name: 'moons', n: 40, maskFraction: 0.3 }, loss: 'mse' };
const BN = { model: { norm: 'batchnorm' } };
const CASES = [
  ['W 2, sum, no correction', { ...TWO, reduction: 'sum', optimizer: { lr: 0.01 } }],
  ['W 2, mean, no correction', { ...TWO }],
  ['W 2, mean, scale_loss', { ...TWO, correction: 'scale_loss' }],
  ['W 3, sum, scale_loss', { ...THREE, reduction: 'sum', correction: 'scale_loss', optimizer: { lr: 0.02 } }],
  ['W 3, mean, no correction, a rank without a sample', { ...EMPTY_RANK }],
  ['W 2, batchnorm per replica, k 2', { ...TWO, ...BN, accumSteps: 2, correction: 'scale_loss' }],
  ['W 3, batchnorm per replica', { ...EMPTY_RANK, ...BN, data: { name: 'moons', n: 48 } }],
  ['W 2, syncBatchNorm', { ...TWO, ...BN, syncBatchNorm: true, correction: 'scale_loss' }],
  ['W 3, syncBatchNorm, a rank without a sample', { ...EMPTY_RANK, ...BN, syncBatchNorm: true, reduction: 'sum', optimizer: { lr: 0.01 } }],
  ['lightning, W 2', { ...TWO, framework: 'lightning' }],
  ['accelerate, W 2, cosine', { ...TWO, framework: 'accelerate', schedule: { name: 'cosine' } }],
  ['hf_trainer, W 2, masked mse', { ...TWO, ...MASKED, framework: 'hf_trainer' }],
  ['hf_trainer, W 3, masked mse, each rank its own count', { ...THREE, ...MASKED, framework: 'hf_trainer', countAcrossWorkers: false }],
  // rank 1 gets samples 1, 3, 5, 7: all masked, so its count of the group is 0 and it adds nothing
  // (the lab's rule; the one-process script divides 0 by 0 there: NaN)
  ['global_count, W 2, each rank its own count, a rank without a valid target', {
    data: { inputs: Array.from({ length: 8 }, (_, i) => [Math.sin(i + 1), Math.cos(2 * i + 1)]), targets: Array.from({ length: 8 }, (_, i) => [Math.sin(3 * i), 0.5 - (i % 3) / 4]),
      mask: Array.from({ length: 8 }, (_, i) => (i % 2 ? [0, 0] : [1, 1])), shuffle: false },
    loss: 'mse', batchSize: 2, accumSteps: 2, workers: 2, correction: 'global_count', countAcrossWorkers: false, steps: 3 }],
  ['deepspeed, W 2, masked mse, 44 samples', { ...TWO, ...MASKED, data: { name: 'moons', n: 44, maskFraction: 0.3 }, framework: 'deepspeed', steps: 5 }],
  ['W 2, adamw, divisor micro_batches, scheduler per micro-batch x2', { ...TWO, correction: 'scale_loss', lastGroupDivisor: 'micro_batches',
    optimizer: { name: 'adamw', lr: 0.01, weightDecay: 0.01 }, schedule: { name: 'step', stepSize: 2, gamma: 0.5 }, schedulerStepping: 'per_micro_batch',
    schedulerStepsPerOptimizerStep: 2 }],
  ['W 2, keyed dropout, clipping', { ...TWO, data: { name: 'moons', n: 64 }, correction: 'scale_loss', model: { dropout: 0.3 }, dropoutRng: 'keyed', clipGradNorm: 0.5 }],
];

// Random configs (the sweep's generator: every knob), on 2 or 3 workers, sometimes with
// SyncBatchNorm, a framework, each rank counting its own targets; keyed dropout (stream dropout
// is below); SGD: Adam and AdamW turn the rounding noise of a gradient that is zero in exact
// arithmetic (a Linear's bias before BatchNorm, an L1 loss's balanced signs) into steps, so that
// a parameter category hangs on the order of a sum (SyncBatchNorm at k 1 with Adam: the
// simulation bitwise, W real processes 'different'; the fixed cases above have an AdamW one).
// Each also runs as the one-process script (the simulation in PyTorch): beyond 1e-5 of the lab
// and beyond float32 rounding's allowance, the DDP script must be that script's numbers (1e-5;
// 1e-10 in float64): then the gap is the lab's float32 arithmetic, not data parallelism.
const RANDOM = 16;
function randomCases() {
  const r = rng(20260518), cases = [];
  while (cases.length < RANDOM) {
    const c = randomConfig(r);
    c.workers = 2 + Math.floor(r() * 2);
    c.dropoutRng = 'keyed';
    if (c.optimizer.name !== 'sgd') c.optimizer = { name: 'sgd', lr: 0.05, momentum: r() < 0.5 ? 0.9 : 0 };
    if (r() < 0.4) c.syncBatchNorm = true;
    if (r() < 0.3) c.countAcrossWorkers = false;
    if (r() < 0.4) c.framework = ['lightning', 'accelerate', 'hf_trainer_before_4_46', 'hf_trainer', 'deepspeed'][Math.floor(r() * 5)];
    try { l.start(c).free(); } catch (e) {
      if (e instanceof AccumLabError) continue; // a micro-batch beyond the data, a BatchNorm batch of one, per-micro-batch clipping, ...
      throw e;
    }
    cases.push([`random #${cases.length}`, c]);
  }
  return cases;
}

// Stream dropout draws PyTorch's masks, not the lab's: these compare with the one-process
// script (wasm/export-torch.mjs, its replicas simulated, each with its own generator) in the
// same PyTorch, number for number, and with the lab in their categories.
const STREAM = [
  ['W 2, batchnorm per replica, stream dropout', { ...TWO, accumSteps: 2, correction: 'scale_loss', model: { norm: 'batchnorm', dropout: [0.3, 0] } }],
  ['W 3, syncBatchNorm, stream dropout, a rank without a sample', { ...EMPTY_RANK, ...BN, syncBatchNorm: true, correction: 'scale_loss', model: { norm: 'batchnorm', dropout: [0.3, 0.2] } }],
];

// Where real DDP cannot follow the simulation: SyncBatchNorm at k 1 is the big batch bit for bit
// in the lab (one forward over the union of the replicas' micro-batches, the reference's very
// arithmetic); W ranks sum their gradients in the all-reduce, so real DDP is equal up to rounding
// (with SGD, the lab's verdict read as rounding), and Adam turns that rounding in the gradients
// that are zero in exact arithmetic (each Linear's bias before BatchNorm) into steps of about lr:
// the parameters are 'different' after one step, while the network computes the same function.
const KNOWN = { data: { name: 'moons', n: 40 }, batchSize: 8, accumSteps: 1, steps: 2, workers: 2, ...BN, syncBatchNorm: true };
const KNOWN_ADAM = { ...KNOWN, optimizer: { name: 'adam', lr: 0.01 } };

// BatchNorm's running statistics, which only the eval-mode pictures use: the lab keeps rank 0's
// (DDP's broadcast_buffers). The script, instrumented, reports every rank's eval-mode outputs
// after the run; rank 0's are the lab's picture (run.picture()), another rank's are not.
const BUFFERS = { data: { name: 'regression', n: 40 }, loss: 'mse', workers: 2, batchSize: 4, accumSteps: 2, ...BN, steps: 3, correction: 'scale_loss' };
const withEvalOutputs = (s) => s.replace('        if rank == 0:\n            if args.json:', `        ids = list(range(N))
        with torch.no_grad():
            evals = [m.eval()(x[ids]).reshape(-1).tolist() for m in (reference, accumulated)]
        every = [None] * W
        dist.all_gather_object(every, evals)
        result["evalOutputs"] = every  # [rank][reference, accumulated]
        if rank == 0:
            if args.json:`);

/** One piece of DDP taken out of a case's script: the comparison must fail. */
const MUTANTS = [
  ['W 2, mean, no correction', 'no all-reduce (no_sync() on every micro-batch)',
    (s) => s.replace('with model.no_sync() if j < J - 1 else contextlib.nullcontext():', 'with model.no_sync():')],
  ['W 2, mean, scale_loss', 'no no_sync() (an all-reduce after every micro-batch: the same gradients, k times the communication)',
    (s) => s.replace('with model.no_sync() if j < J - 1 else contextlib.nullcontext():', 'with contextlib.nullcontext():')],
  ['W 2, batchnorm per replica, k 2', 'contiguous shards instead of DistributedSampler\'s interleaving',
    (s) => s.replace('return [micro[r::W] for r in range(W)]', 'return [micro[r * m:(r + 1) * m] for r in range(W)]')],
  ['W 2, sum, no correction', 'every rank the whole micro-step', (s) => s.replace('micro = parts[r]', 'micro = [i for part in parts for i in part]')],
  ['W 2, syncBatchNorm', 'BatchNorm1d per rank instead of SyncBatchNorm',
    (s) => s.replace('accumulated, probe = sync_batchnorm(accumulated), sync_batchnorm(probe)', 'pass')],
  ['W 2, syncBatchNorm', 'SyncBatchNorm\'s statistics all-reduced without a backward',
    (s) => s.replace(/all_reduce\(((?:h|\(d \* d\))\.sum\(0\))\)/g, '($1 + all_reduce($1).detach() - $1.detach())')],
  ['hf_trainer, W 2, masked mse', 'num_items_in_batch not gathered across ranks',
    (s) => s.replace('    dist.all_reduce(items)\n', '')],
];

const kind = (cat) => (cat === 'bitwise' ? 'rounding' : cat); // gloo and PyTorch sum in their own order
const rel = (a, b) => (a === b ? 0 : Math.abs(a - b) / Math.abs(b));
function relNorm(a, b) {
  let d = 0, n = 0;
  for (let i = 0; i < b.length; i++) { d += (a[i] - b[i]) ** 2; n += b[i] ** 2; }
  return n === 0 ? (d === 0 ? 0 : Infinity) : Math.sqrt(d / n);
}

/**
 * Runs `python3 args` in a process group of its own (the script and its ranks), killed whole
 * after `timeout` ms; resolves {code, stdout, stderr, ms, killed}.
 */
function runPython(args, { env = {}, timeout = 120000 } = {}) {
  return new Promise((resolve) => {
    const t0 = Date.now();
    const p = spawn(PYTHON, args, { detached: true, env: { ...process.env, PYTHONWARNINGS: 'ignore', ...env } });
    let stdout = '', stderr = '', killed = false;
    p.stdout.on('data', (d) => { stdout += d; });
    p.stderr.on('data', (d) => { stderr += d; });
    const timer = setTimeout(() => { killed = true; try { process.kill(-p.pid, 'SIGKILL'); } catch { /* gone */ } }, timeout);
    p.on('close', (code) => {
      clearTimeout(timer);
      try { process.kill(-p.pid, 'SIGKILL'); } catch { /* the group is gone: no rank outlived the script */ }
      resolve({ code, stdout, stderr, ms: Date.now() - t0, killed });
    });
  });
}

/** Runs jobs (functions returning promises) two at a time. */
async function twoAtATime(jobs) {
  const results = new Array(jobs.length);
  let next = 0;
  await Promise.all([0, 1].map(async () => {
    while (next < jobs.length) {
      const i = next++;
      results[i] = await jobs[i]();
    }
  }));
  return results;
}

/**
 * The scripts (all of world size W) through tests/torch/run_ddp.py: W ranks that import PyTorch
 * once and run each script's own train() twice (float32, float64). A Map path -> its line.
 */
async function retrain(W, paths) {
  const out = await runPython([DRIVER, String(W), ...paths], { timeout: 240000 });
  if (out.code !== 0) throw new Error(`real PyTorch (/usr/bin/python3 with python3-torch; make deps installs it), W ${W}: status ${out.code}${out.killed ? ' (killed after 240 s)' : ''}\n${out.stderr}`);
  return new Map(out.stdout.trim().split('\n').map((line) => JSON.parse(line)).map((o) => [o.script, o]));
}

/**
 * What differs between the engine's run `r` and the DDP script's output (`t`, and `t64` from
 * --float64), and the largest relative differences. A number beyond 1e-5 passes only where it is
 * float32 rounding: the lab no further from the float64 run than twice PyTorch's float32 is.
 */
function disagreements(r, t, t64, one) {
  const problems = [], max = { loss: 0, norm: 0, grad: 0 };
  let rounding = 0, labFloat32 = 0;
  const near = (got, want, got64, what, into, [o, o64] = []) => {
    const e = rel(got, want);
    max[into] = Math.max(max[into], e);
    if (e <= RTOL) return;
    if (got64 !== undefined && rel(want, got64) <= 2 * rel(got, got64)) rounding++;
    else if (o !== undefined && rel(got, o) <= RTOL && rel(got64, o64) <= 1e-10) labFloat32++;
    else problems.push(`${what}: ${got}, the lab ${want} (${e.toExponential(2)} apart${got64 === undefined ? '' : `; float64 ${got64}`})`);
  };
  if (t.steps.length !== r.steps.length) problems.push(`${t.steps.length} steps run, the lab ${r.steps.length}`);
  r.steps.forEach((s, i) => {
    const u = t.steps[i], u64 = t64?.steps[i];
    if (!u) return;
    const at = `step ${s.step}`;
    for (const w of ['lossRef', 'lossAcc', 'gradNormRef', 'gradNormAcc'])
      near(u[w], s[w], u64?.[w], `${at} ${w}`, w.startsWith('loss') ? 'loss' : 'norm', one ? [one.result.steps[i]?.[w], one.float64.steps[i]?.[w]] : []);
    if (u.microBatches !== s.microBatches) problems.push(`${at}: ${u.microBatches} micro-batches, the lab ${s.microBatches}`);
    for (const lr of ['lrRef', 'lrAcc'])
      if (Math.abs(u[lr] - s[lr]) > 1e-12 * r.config.optimizer.lr) problems.push(`${at}: ${lr} ${u[lr]}, the lab ${s[lr]}`);
    if (kind(u.grads) !== kind(s.gradCategory)) problems.push(`${at}: gradients ${u.grads}, the lab ${s.gradCategory}`);
    const pc = s.diverged ? 'diverged' : s.params.bitwise ? 'bitwise' : s.params.closeness !== 'not_close' ? 'rounding' : 'different';
    if (kind(u.params) !== kind(pc)) problems.push(`${at}: parameters ${u.params}, the lab ${pc}`);
  });
  // step 1's gradients of both runs, norm-wise
  for (const w of ['gradRef', 'gradAcc']) {
    const e = relNorm(t.first[w], r.first[w]);
    max.grad = Math.max(max.grad, e);
    if (e > RTOL) {
      if (t64 && relNorm(r.first[w], t64.first[w]) <= 2 * relNorm(t.first[w], t64.first[w])) rounding++;
      else if (one && relNorm(t.first[w], one.result.first[w]) <= RTOL && relNorm(t64.first[w], one.float64.first[w]) <= 1e-10) labFloat32++;
      else problems.push(`step 1 ${w}: |ddp - lab|/|lab| = ${e.toExponential(2)}`);
    }
  }
  for (const w of ['grads', 'params'])
    if (kind(t.verdict[w]) !== kind(r.verdict[w])) problems.push(`verdict ${w}: ${t.verdict[w]}, the lab ${r.verdict[w]}`);
  // DDP's own count of synced forwards: one all-reduce of the gradients per optimizer step
  if (t.ddp?.worldSize !== r.config.workers) problems.push(`world size ${t.ddp?.worldSize}, the lab's workers ${r.config.workers}`);
  if (t.ddp?.gradientSyncs !== t.steps.length) problems.push(`${t.ddp?.gradientSyncs} gradient all-reduces in ${t.steps.length} steps`);
  return { problems, max, rounding, labFloat32 };
}

/**
 * Stream dropout: the DDP script's run `d` against the one-process script's `o` (both
 * {result, float64}): every step's losses and gradient norms within 1e-5 (float32; within 1e-10
 * in float64 where float32 rounding goes beyond), and the lab's categories and verdict.
 */
function sameAsOneProcess(r, d, o) {
  const problems = [], max = { f32: 0, f64: 0 };
  if (d.result.steps.length !== o.result.steps.length) problems.push(`${d.result.steps.length} steps, the one-process script ${o.result.steps.length}`);
  d.result.steps.forEach((u, i) => {
    const v = o.result.steps[i], u64 = d.float64.steps[i], v64 = o.float64.steps[i], s = r.steps[i];
    for (const w of ['lossRef', 'lossAcc', 'gradNormRef', 'gradNormAcc']) {
      const e = rel(u[w], v[w]), e64 = rel(u64[w], v64[w]);
      max.f32 = Math.max(max.f32, e);
      max.f64 = Math.max(max.f64, e64);
      if (e > RTOL && e64 > 1e-10) problems.push(`step ${u.step} ${w}: ${u[w]}, one process ${v[w]} (float64 ${e64.toExponential(2)} apart)`);
    }
    if (kind(u.grads) !== kind(s.gradCategory)) problems.push(`step ${u.step}: gradients ${u.grads}, the lab ${s.gradCategory}`);
  });
  for (const w of ['grads', 'params'])
    if (kind(d.result.verdict[w]) !== kind(r.verdict[w])) problems.push(`verdict ${w}: ${d.result.verdict[w]}, the lab ${r.verdict[w]}`);
  if (d.result.ddp.gradientSyncs !== d.result.steps.length) problems.push(`${d.result.ddp.gradientSyncs} gradient all-reduces`);
  return { problems, max };
}

test('DDP scripts in real PyTorch (W processes, gloo on 127.0.0.1) give the simulated workers\' numbers and verdict; mutants are caught; a failing rank stops the run', { timeout: 300000 }, async () => {
  const t0 = Date.now();
  const scripts = new Map(CASES.map(([name, config]) => [name, ddpScript(l, config, { title: name })]));
  const jobs = [
    ...CASES.map(([name, config], i) => ({ name, config, path: join(dir, `case${i}.py`), text: scripts.get(name) })),
    ...MUTANTS.map(([name, what, mutate], i) => {
      const text = mutate(scripts.get(name));
      assert.notEqual(text, scripts.get(name), `mutant '${what}': the script has the text it changes`);
      return { name, what, config: CASES.find(([n]) => n === name)[1], path: join(dir, `mutant${i}.py`), text };
    }),
  ];
  randomCases().forEach(([name, config], i) => jobs.push({ name, config, path: join(dir, `random${i}.py`), text: ddpScript(l, config, { title: name }),
    oneProcess: join(dir, `random${i}-one.py`), oneText: torchScript(l, config, { title: name }) }));
  for (const [name, config] of [['known: syncBatchNorm at k 1, sgd', KNOWN], ['known: syncBatchNorm at k 1, adam', KNOWN_ADAM]])
    jobs.push({ name, config, known: true, path: join(dir, `${name.split(', ').at(-1)}-known.py`), text: ddpScript(l, config, { title: name }),
      oneProcess: join(dir, `${name.split(', ').at(-1)}-known-one.py`), oneText: torchScript(l, config, { title: name }) });
  {
    const text = withEvalOutputs(ddpScript(l, BUFFERS));
    assert.match(text, /evalOutputs/);
    jobs.push({ name: 'W 2, batchnorm: the running statistics', config: BUFFERS, buffers: true, path: join(dir, 'buffers.py'), text });
  }
  STREAM.forEach(([name, config], i) => jobs.push({ name, config, stream: true, path: join(dir, `stream${i}.py`), text: ddpScript(l, config, { title: name }),
    oneProcess: join(dir, `stream${i}-one.py`), oneText: torchScript(l, config, { title: name }) }));
  for (const j of jobs) {
    writeFileSync(j.path, j.text);
    if (j.oneProcess) writeFileSync(j.oneProcess, j.oneText);
  }
  // The scripts as a user runs them (their main(): a store on a free port, W spawned ranks,
  // joined with a timeout): two cases, whose output must be the driver's, bit for bit; and a
  // rank that raises, exits, or hangs (the others then wait for it in an all-reduce until
  // --timeout): status 1, no result, no rank left behind.
  const whole = ['W 2, syncBatchNorm', 'W 3, syncBatchNorm, a rank without a sample'].map((name) => jobs.find((j) => j.name === name && !j.what));
  const failing = join(dir, 'failing.py');
  writeFileSync(failing, ddpScript(l, { ...TWO, steps: 3 }));
  const failures = [['1:2:raise', [], /^accumlab: rank 1 failed( \(then rank 0\))?, the other ranks were stopped:[\s\S]*RuntimeError: rank 1 fails at step 2/], ['0:1:exit', [], /^accumlab: rank 0 exited with status 3, the other ranks were stopped/],
    ['1:2:hang', ['--timeout', '10'], /^accumlab: rank 0 failed, the other ranks were stopped:[\s\S]*Timed out/]];
  const [byW, users, oneProcess] = await Promise.all([
    Promise.all([2, 3].map((W) => retrain(W, jobs.filter((j) => j.config.workers === W).map((j) => j.path)))),
    twoAtATime([
      ...whole.map((j) => () => runPython([j.path, '--json', '--gradients'])),
      ...failures.map(([how, flags]) => () => runPython([failing, '--json', ...flags], { env: { ACCUMLAB_DDP_FAIL: how }, timeout: 60000 })),
    ]),
    runPython([ONE_PROCESS_DRIVER, ...jobs.filter((j) => j.oneProcess).map((j) => j.oneProcess)]),
  ]);
  assert.equal(oneProcess.code, 0, `the one-process scripts: ${oneProcess.stderr}`);
  const one = new Map(oneProcess.stdout.trim().split('\n').map((line) => JSON.parse(line)).map((o) => [o.script, o]));
  const got = new Map([...byW[0], ...byW[1]]);
  whole.forEach((j, i) => {
    const out = users[i];
    assert.ok(!out.killed && out.code === 0, `${j.name}, run as a script: status ${out.code}\n${out.stderr}`);
    assert.deepEqual(JSON.parse(out.stdout), got.get(j.path).result, `${j.name}: the script's own run and the driver's differ`);
    console.log(`# ${j.name}, run as python3 script.py --json: ${(out.ms / 1000).toFixed(1)} s, the driver's output bit for bit`);
  });
  failures.forEach(([how, , message], i) => {
    const out = users[whole.length + i];
    assert.ok(!out.killed, `ACCUMLAB_DDP_FAIL=${how}: the script hung (killed after 60 s)`);
    assert.equal(out.code, 1, `ACCUMLAB_DDP_FAIL=${how}: exit status ${out.code}\n${out.stderr}`);
    assert.match(out.stderr, message, `ACCUMLAB_DDP_FAIL=${how}`);
    assert.equal(out.stdout, '', `ACCUMLAB_DDP_FAIL=${how}: no result printed`);
    console.log(`# ACCUMLAB_DDP_FAIL=${how}: exit 1 after ${(out.ms / 1000).toFixed(1)} s (${out.stderr.trim().split('\n')[0]})`);
  });
  for (const j of jobs) {
    const out = got.get(j.path);
    assert.ok(out && !out.error, `${j.name}${j.what ? ` with ${j.what}` : ''}: the script failed:\n${out?.error}`);
    const r = l.compare(j.config);
    if (j.buffers) {
      const run = l.start(j.config);
      while (run.step());
      const picture = run.picture({ maxPoints: 1000 });
      run.free();
      assert.deepEqual([...picture.samples], [...Array(picture.samples.length).keys()], 'the picture has every sample, in order');
      const apart = (got, want) => Math.max(...want.map((v, i) => Math.abs(got[i] - v))) / Math.max(...want.map(Math.abs));
      const [rank0, rank1] = out.result.evalOutputs.map(([, acc]) => apart(acc, [...picture.accOutputs]));
      assert.ok(rank0 <= 1e-4, `rank 0's eval-mode outputs are ${rank0} from the lab's picture`);
      assert.ok(rank1 > 1e-2, `rank 1's eval-mode outputs are only ${rank1} from the lab's picture: the check cannot tell the ranks apart`);
      assert.deepEqual(disagreements(r, out.result, out.float64).problems, [], j.name);
      console.log(`# ${j.name}: the lab's eval-mode picture is rank 0's model (${rank0.toExponential(1)} apart); rank 1's is ${rank1.toExponential(1)} apart`);
      continue;
    }
    if (j.known) {
      const o = one.get(j.oneProcess), adam = j.config.optimizer?.name === 'adam';
      assert.ok(o && !o.error, `${j.name}, the one-process script: ${o?.error}`);
      assert.deepEqual([r.verdict.grads, r.verdict.params], ['bitwise', 'bitwise'], `${j.name}: the lab`);
      assert.deepEqual([o.result.verdict.grads, o.result.verdict.params], ['bitwise', 'bitwise'], `${j.name}: the one-process script (the simulation in PyTorch)`);
      const { problems } = disagreements(r, out.result, out.float64);
      const s1 = out.result.steps[0];
      if (!adam) assert.deepEqual(problems, [], j.name);
      else {
        assert.deepEqual([out.result.verdict.grads, out.result.verdict.params], ['rounding', 'different'], `${j.name}: real DDP`);
        assert.ok(s1.paramMaxDiff > 0.3 * 0.01 && s1.paramMaxDiff < 3 * 0.01, `${j.name}: step 1's largest parameter difference ${s1.paramMaxDiff}, about lr`);
      }
      console.log(`# ${j.name}: the lab bitwise/bitwise; real DDP ${out.result.verdict.grads}/${out.result.verdict.params} ` +
        `(step 1: gradients ${s1.relDiff.toExponential(1)} apart norm-wise, parameters ${s1.paramMaxDiff.toExponential(2)} at most)`);
      continue;
    }
    if (j.stream) {
      const o = one.get(j.oneProcess);
      assert.ok(o && !o.error, `${j.name}, the one-process script: ${o?.error}`);
      const { problems, max } = sameAsOneProcess(r, out, o);
      assert.deepEqual(problems, [], `${j.name} ${JSON.stringify(j.config)}`);
      console.log(`# ${j.name}: PyTorch's own masks; the one-process script's losses and gradient norms ${max.f32.toExponential(1)} apart at most ` +
        `(float64: ${max.f64.toExponential(1)}); the lab's categories; verdict ${r.verdict.grads}/${r.verdict.params}`);
      continue;
    }
    const { problems, max, rounding, labFloat32 } = disagreements(r, out.result, out.float64, j.oneProcess && one.get(j.oneProcess));
    if (j.what) {
      assert.ok(problems.length > 0, `${j.name} with ${j.what}: the comparison should fail, it passes`);
      console.log(`# caught: ${j.name} with ${j.what} (${problems[0]})`);
      continue;
    }
    assert.deepEqual(problems, [], `${j.name} ${JSON.stringify(j.config)}`);
    let f64 = '';
    if (j.oneProcess) { // the simulation in PyTorch, in float64: the same numbers
      const o = one.get(j.oneProcess);
      assert.ok(o && !o.error, `${j.name}, the one-process script: ${o?.error}`);
      let e64 = 0;
      o.float64.steps.forEach((v, i) => { for (const w of ['lossRef', 'lossAcc', 'gradNormRef', 'gradNormAcc']) e64 = Math.max(e64, rel(out.float64.steps[i][w], v[w])); });
      assert.ok(e64 <= 1e-10, `${j.name}: in float64 the DDP script is ${e64} from the one-process script`);
      f64 = `; the one-process script's in float64 to ${e64.toExponential(1)}`;
    }
    console.log(`# ${j.name}${f64}: losses ${max.loss.toExponential(1)}, gradient norms ${max.norm.toExponential(1)}, step 1 gradients ` +
      `${max.grad.toExponential(1)} apart at most${rounding ? ` (${rounding} beyond 1e-5: float32 rounding, as far from float64 as PyTorch's own)` : ''}` +
      `${labFloat32 ? ` (${labFloat32} beyond 1e-5 and twice PyTorch's float32 error: the one-process script's numbers, the lab's float32)` : ''}; ` +
      `verdict ${r.verdict.grads}/${r.verdict.params}`);
  }
  console.log(`# ${jobs.length} scripts (each in float32 and float64) and ${users.length} whole runs in ${((Date.now() - t0) / 1000).toFixed(1)} s`);
});

test('export-torch --ddp: the CLI writes the DDP script, and refuses one worker', () => {
  const config = { ...TWO, steps: 2 };
  const text = execFileSync(process.execPath, [CLI, 'export-torch', '--ddp', '--workers', '2', '--data', 'moons', '--n', '40', '--batch', '8',
    '--accum', '4', '--steps', '2'], { encoding: 'utf8' });
  assert.equal(text, ddpScript(l, config));
  for (const piece of ['DistributedDataParallel as DDP', 'mp.start_processes(train', 'dist.init_process_group("gloo"', 'model.no_sync()',
    'dist.TCPStore("127.0.0.1", 0', 'dist.destroy_process_group()'])
    assert.ok(text.includes(piece), piece);
  assert.throws(() => ddpScript(l, { ...config, workers: 1 }), (e) => e instanceof AccumLabError && e.field === 'workers');
  // precision the loop does not write out is refused, not dropped
  assert.throws(() => ddpScript(l, { ...config, gradDtype: 'bf16' }), (e) => e instanceof AccumLabError && e.field === 'gradDtype');
  assert.throws(() => ddpScript(l, { ...config, lossScale: { mode: 'dynamic' } }), (e) => e instanceof AccumLabError && e.field === 'lossScale');
  let err;
  try {
    execFileSync(process.execPath, [CLI, 'export-torch', '--ddp'], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });
  } catch (e) { err = e; }
  assert.equal(err?.status, 2);
  assert.match(err.stderr, /needs workers > 1.*\[field: workers\]/);
});

test('the page\'s script: the DDP one with workers > 1, the one-process one otherwise', () => {
  const one = { ...TWO, workers: 1, steps: 2 }, two = { ...TWO, steps: 2 };
  assert.equal(labScript(l, one, { title: 'x' }), torchScript(l, one, { title: 'x' }));
  assert.equal(labScript(l, two, { title: 'x' }), ddpScript(l, two, { title: 'x' }));
  const framework = { ...one, framework: 'accelerate', workers: 2 };
  assert.match(labScript(l, framework), /DistributedDataParallel/);
  // without BatchNorm a syncBatchNorm flag changes nothing: no SyncBatchNorm in the script
  assert.doesNotMatch(ddpScript(l, { ...two, syncBatchNorm: true }), /SyncBatchNorm\(nn/);
  assert.match(ddpScript(l, { ...two, ...BN, syncBatchNorm: true }), /class SyncBatchNorm\(nn\.BatchNorm1d\)/);
});
