// tests/node/export-torch.test.mjs — every preset's exported PyTorch script, every knob
// (helpers' KNOB_CONFIGS) and 300 random configs, each retrained in real PyTorch (Debian's
// python3-torch, run as /usr/bin/python3): step 1's gradients of both runs within 1e-6
// norm-wise of the lab's, and every step's categories and the verdict the lab's (bitwise may
// read as rounding: PyTorch sums in its own order). The tolerance was fixed before the sweep.
// The few gradients beyond it are ill-conditioned (narrow layers, norms over near-constant
// features): each script also runs in float64, and the lab must be no further from float64
// than twice PyTorch's own float32 is. Stream dropout uses PyTorch's own masks (categories
// only, one dropout layer); a LayerNorm over one feature is noise in PyTorch (see below).
import test from 'node:test';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { mkdtempSync, writeFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { lab, rng, randomConfig, KNOB_CONFIGS } from './helpers.mjs';
import { torchScript, float32Text } from '../../wasm/export-torch.mjs';
import { PRESETS } from '../../wasm/presets.mjs';
import { AccumLabError } from '../../wasm/accumlab.mjs';

const RUNS = Number(process.env.ACCUMLAB_TORCH_RUNS ?? 300);
const GRAD_RTOL = 1e-6; // step 1's gradients, norm-wise: |torch - lab| <= 1e-6 |lab|
const DRIVER = fileURLToPath(new URL('../torch/run_exports.py', import.meta.url));
const l = await lab();

/** A sweep config: randomConfig's knobs, random hidden widths, PyTorch's init and data half the time. */
function sweepConfig(r) {
  const c = randomConfig(r);
  const layers = Math.floor(r() * 3);
  c.model.hidden = Array.from({ length: layers }, () => 1 + Math.floor(r() * 12));
  if (r() < 0.5) c.init = 'torch';
  if (c.data.name === 'seed_example' && r() < 0.5) Object.assign(c.data, { generator: 'torch', seed: Math.floor(r() * 1000) });
  return c;
}

/**
 * Half the sweep's configs also get simulated data parallelism or a framework's loop, drawn from
 * a generator of their own (the base configs stay those of the sweep before workers).
 */
function withWorkers(config, r) {
  if (r() < 0.5) return config;
  const pick = (xs) => xs[Math.floor(r() * xs.length)];
  const c = structuredClone(config);
  // (not with stream dropout: the replicas' masks would not be the lab's, nor compare)
  if (r() < 0.7 && !streamDropout(c)) c.workers = 2 + Math.floor(r() * 3);
  if (c.workers && r() < 0.4) c.syncBatchNorm = true;
  if (c.workers && r() < 0.3) c.countAcrossWorkers = false;
  if (r() < 0.5) {
    c.framework = pick(['lightning', 'accelerate', 'hf_trainer_before_4_46', 'hf_trainer', 'deepspeed']);
    if (r() < 0.5) delete c.correction; // the framework's own
  }
  if (r() < 0.2) c.groupBoundary = pick(['epoch', 'global']);
  if (r() < 0.2) c.lastGroupDivisor = pick(['accum_steps', 'micro_batches']);
  if (r() < 0.15) c.schedulerStepsPerOptimizerStep = 2;
  return c;
}

/** bitwise and rounding are one class here: PyTorch sums in its own order. */
const kind = (cat) => (cat === 'bitwise' ? 'rounding' : cat);
const dropoutLayers = (c) => c.model.hidden.filter((_, l) => [c.model.dropout].flat()[Array.isArray(c.model.dropout) ? l : 0] > 0).length;
const streamDropout = (c) => c.dropoutRng === 'stream' && dropoutLayers(c) > 0;

function relDiff(a, b) {
  let d = 0, n = 0;
  for (let i = 0; i < b.length; i++) { d += (a[i] - b[i]) ** 2; n += b[i] ** 2; }
  return n === 0 ? (d === 0 ? 0 : Infinity) : Math.sqrt(d / n);
}

/** Runs the scripts in two PyTorch processes (this machine's two cores); one result per script. */
async function retrain(paths) {
  const halves = [paths.filter((_, i) => i % 2 === 0), paths.filter((_, i) => i % 2 === 1)].filter((h) => h.length);
  const outs = await Promise.all(halves.map((h) => new Promise((resolve, reject) => {
    execFile('/usr/bin/python3', [DRIVER, ...h], { maxBuffer: 1 << 30, timeout: 900000 }, (err, stdout, stderr) => {
      if (err) reject(new Error(`real PyTorch (/usr/bin/python3 with python3-torch; make deps installs it): ${stderr || err.message}`));
      else resolve(stdout.trim().split('\n').map((line) => JSON.parse(line)));
    });
  })));
  return new Map(outs.flat().map((o) => [o.script, o]));
}

test('float32Text: the shortest decimal that float() and float32 rounding give back', () => {
  const r = rng(7);
  for (let i = 0; i < 20000; i++) {
    const f = Math.fround((r() - 0.5) * 10 ** Math.floor(r() * 20 - 10));
    const s = float32Text(f);
    assert.equal(Math.fround(Number(s)), f, s);
    assert.ok(s.replace(/^-|\.0$|e.*$/g, '').replace('.', '').replace(/^0+/, '').length <= 9, s);
  }
  assert.equal(float32Text(-0), '-0.0');
  assert.equal(float32Text(3), '3.0');
});

test('export-torch refuses what it cannot hold, and bad configs as lab.start does', () => {
  assert.throws(() => torchScript(l, { batchSize: 0 }), (e) => e instanceof AccumLabError && e.field === 'batchSize');
  assert.throws(() => torchScript(l, { gradDtype: 'bf16' }), (e) => e instanceof AccumLabError && e.field === 'gradDtype' && /not write/.test(e.message));
  assert.throws(() => torchScript(l, { lossScale: { mode: 'dynamic' } }), (e) => e instanceof AccumLabError && e.field === 'lossScale.mode');
  const big = { data: { name: 'moons', n: 64 }, model: { hidden: [1024, 1024] }, steps: 1 }; // 1.05 M initial parameters
  assert.throws(() => torchScript(l, big), (e) => e instanceof AccumLabError && e.code === 'limit' && /init 'torch'/.test(e.message));
  assert.match(torchScript(l, { ...big, init: 'torch' }), /torch\.manual_seed\(SEED\)/, 'with init torch the script holds no parameters');
});

test(`every preset, every knob and ${RUNS} random configs, retrained in real PyTorch, agree with the lab`, { timeout: 1800000 }, async () => {
  const dir = mkdtempSync(join(tmpdir(), 'accumlab-torch-'));
  try {
    // precision presets (gradDtype, lossScale) are refused by the export; bf16-torch.test.mjs checks them
    const exported = PRESETS.filter((p) => !p.config.gradDtype && !p.config.lossScale);
    const cases = [...exported.map((p) => ({ name: `preset ${p.id}`, config: p.config })),
      ...KNOB_CONFIGS.map((config, i) => ({ name: `knob config #${i}`, config }))];
    const fixed = cases.length, r = rng(20261201), rw = rng(20261202);
    let withW = 0;
    while (cases.length < fixed + RUNS) {
      let config = sweepConfig(r);
      try { l.start(config).free(); } catch (e) {
        if (e instanceof AccumLabError && (/batchnorm/.test(e.message) || e.field?.startsWith('data.mask'))) continue;
        throw e;
      }
      const more = withWorkers(config, rw);
      if (more !== config) {
        try { l.start(more).free(); config = more; withW++; } catch (e) {
          // workers x batchSize beyond the data, per-micro-batch clipping with workers, a BatchNorm
          // micro-batch of one sample, a group without a valid target: the config without them
          if (!(e instanceof AccumLabError)) throw e;
        }
      }
      cases.push({ name: `random #${cases.length - fixed}`, config });
    }
    cases.forEach((c, i) => {
      c.path = join(dir, `case${i}.py`);
      writeFileSync(c.path, torchScript(l, c.config, { title: c.name }));
    });
    const got = await retrain(cases.map((c) => c.path));
    let compared = 0, streamCases = 0, streamSkipped = 0, steps = 0, oneFeature = 0;
    const illConditioned = [];
    for (const c of cases) {
      const label = `${c.name} ${JSON.stringify(c.config)}`;
      const out = got.get(c.path);
      assert.ok(out && !out.error, `${label}: the script failed:\n${out?.error}`);
      const t = out.result, t64 = out.float64, lab = l.compare(c.config);
      // Stream dropout: PyTorch's own masks, not the lab's. With one dropout layer both runs
      // draw each sample's mask in the same order whatever the masks are, so the categories
      // still compare; with more, they hang on the masks drawn (a few units, a small p: all kept).
      // With workers, each replica's generator starts where the reference's does, so the
      // replicas redraw the reference's first masks: the categories hang on the masks as well.
      const stream = streamDropout(lab.config);
      if (stream && (dropoutLayers(lab.config) > 1 || lab.config.workers > 1)) { streamSkipped++; continue; }
      // PyTorch's CPU LayerNorm forms (x - mean)·rstd as x·rstd - mean·rstd: over one feature
      // that is ~2e-5, not the exact 0 of the lab (and of the math), so its gradient for the
      // norm's weight is noise where the lab's is 0, and Adam turns that noise into steps.
      if (lab.config.model.norm === 'layernorm' && lab.config.model.hidden.includes(1)) { oneFeature++; continue; }
      if (stream) streamCases++;
      assert.equal(t.steps.length, lab.steps.length, `${label}: steps run`);
      if (lab.verdict.params !== 'diverged' && !stream) {
        for (const w of ['gradRef', 'gradAcc']) {
          const e32 = relDiff(t.first[w], lab.first[w]);
          if (e32 <= GRAD_RTOL) continue;
          // Beyond 1e-6: an ill-conditioned case, if PyTorch's own float32 is as far from the
          // float64 run of the same script as the lab is; else a finding.
          const lab64 = relDiff(lab.first[w], t64.first[w]), torch64 = relDiff(t.first[w], t64.first[w]);
          assert.ok(lab64 <= 2 * torch64, `${label}: ${w} |torch - lab|/|lab| = ${e32}; from float64: lab ${lab64}, PyTorch float32 ${torch64}`);
          illConditioned.push(`${c.name} ${w}: ${e32.toExponential(2)} apart; from float64 lab ${lab64.toExponential(2)}, PyTorch ${torch64.toExponential(2)}`);
        }
      }
      lab.steps.forEach((s, i) => {
        assert.equal(kind(t.steps[i].grads), kind(s.gradCategory), `${label}: step ${s.step} gradients`);
        const pc = s.diverged ? 'diverged' : s.params.bitwise ? 'bitwise' : s.params.closeness !== 'not_close' ? 'rounding' : 'different';
        assert.equal(kind(t.steps[i].params), kind(pc), `${label}: step ${s.step} parameters`);
        steps++;
      });
      assert.equal(kind(t.verdict.grads), kind(lab.verdict.grads), `${label}: verdict gradients`);
      assert.equal(kind(t.verdict.params), kind(lab.verdict.params), `${label}: verdict parameters`);
      compared++;
    }
    assert.ok(compared >= 0.9 * cases.length, `${compared} of ${cases.length} compared`);
    for (const line of illConditioned) console.log(`# beyond 1e-6, as far as PyTorch's own float32: ${line}`);
    console.log(`# ${compared} experiments (${steps} steps; ${withW} random ones with workers or a framework's loop) agree with PyTorch (${streamCases} with one stream-dropout layer: categories only); not compared: ${streamSkipped} with stream dropout in several layers or with workers, ${oneFeature} with a one-feature LayerNorm)`);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
