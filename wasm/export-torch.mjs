// wasm/export-torch.mjs — an experiment as a self-contained PyTorch script (`accumlab
// export-torch`, the page's "PyTorch script"): the same model, initial parameters, data and
// sample order, the reference loop and the accumulated loop as a user writes them, and the
// lab's comparison (same point every step), printing the compare table or, with --json, one
// JSON object {steps: [{step, lossRef, lossAcc, gradNormRef, gradNormAcc, lrRef, lrAcc,
// microBatches, grads, params, ...}], verdict: {grads, params}}.
//
// Workers (W > 1) are simulated in one process, as the engine does: each micro-step's W*m
// samples dealt as DistributedSampler deals them (replica r: micro[r::W]), every replica's loss
// divided by W (DDP's average), per-replica BatchNorm keeping replica 0's running statistics
// (broadcast_buffers) or one forward over all replicas (syncBatchNorm), a dropout generator per
// replica. A framework is the settings it chose (correction, groupBoundary, lastGroupDivisor,
// schedulerStepsPerOptimizerStep), each written out in the loop.
//
// What the lab holds, the script holds exactly: data, init and orders are the lab's float32
// numbers (printed so that Python's float() and torch's float32 rounding give the same bits),
// or torch.manual_seed + torch.rand / nn.Sequential where the config says 'torch'. Keyed
// dropout becomes explicit masks (the lab's hash, in Python); stream dropout uses PyTorch's
// own generator, so its masks are not the lab's (the script says so).

import { AccumLabError } from './accumlab.mjs';

/** Numbers the script may hold (data, init, orders) before it is too big to hand out. */
export const MAX_EXPORT_NUMBERS = 1_000_000; // ~10 MB of script

/** The shortest decimal that Python's float() then float32 rounding turn back into f. */
export function float32Text(f) {
  if (!Number.isFinite(f)) return Number.isNaN(f) ? "float('nan')" : f > 0 ? "float('inf')" : "-float('inf')";
  if (Object.is(f, -0)) return '-0.0';
  if (Number.isInteger(f) && Math.abs(f) < 2 ** 24) return `${f}.0`;
  for (let p = 1; p <= 9; p++) {
    const s = f.toPrecision(p);
    if (Math.fround(Number(s)) === f) return String(Number(s));
  }
  return String(f);
}

/** Rows of numbers as a Python list literal, `per` numbers to a line. */
function pyRows(values, width, indent = '    ') {
  const rows = [];
  for (let i = 0; i < values.length; i += width) rows.push(`[${Array.from(values.subarray(i, i + width), float32Text).join(', ')}]`);
  return `[\n${rows.map((r) => `${indent}${r},`).join('\n')}\n]`;
}

function pyFlat(values, perLine = 12, indent = '    ') {
  const lines = [];
  for (let i = 0; i < values.length; i += perLine) lines.push(Array.from(values.subarray(i, i + perLine), float32Text).join(', '));
  return `[\n${lines.map((l) => `${indent}${l},`).join('\n')}\n]`;
}

const py = (v) => (typeof v === 'boolean' ? (v ? 'True' : 'False') : typeof v === 'string' ? JSON.stringify(v) : String(v));

export const ACTIVATIONS = { relu: 'nn.ReLU()', tanh: 'nn.Tanh()', sigmoid: 'nn.Sigmoid()', gelu: 'nn.GELU()', identity: 'nn.Identity()' };
const CRITERIA = {
  l1: 'nn.L1Loss(reduction="none")', mse: 'nn.MSELoss(reduction="none")',
  bce: 'nn.BCEWithLogitsLoss(reduction="none")', cross_entropy: 'nn.CrossEntropyLoss(reduction="none")',
};

/** What the export needs of a run: its effective config, data, orders and initial parameters. */
export function experimentFacts(run) {
  const c = run.config, d = run.data();
  const W = c.workers ?? 1, WM = W * c.batchSize, G = WM * c.accumSteps;
  const keep = c.lastGroup === 'keep', global = c.groupBoundary === 'global';
  const groupsPerEpoch = keep ? Math.ceil(d.N / G) : Math.floor(d.N / G);
  const microStepsPerEpoch = keep ? Math.ceil(d.N / WM) : Math.floor(d.N / WM);
  // groupBoundary global: micro-step u = step·k + j is micro-step u mod M of epoch floor(u / M)
  const epochs = global ? Math.ceil((c.steps * c.accumSteps) / microStepsPerEpoch) : Math.ceil(c.steps / groupsPerEpoch);
  const orders = c.data.shuffle ? Array.from({ length: epochs }, (_, e) => run.epochOrder(e)) : null;
  const numbers = d.inputs.length + d.targets.length + (d.mask?.length ?? 0) + (orders ? epochs * d.N : 0)
    + (c.init === 'torch' ? 0 : run.paramCount);
  if (numbers > MAX_EXPORT_NUMBERS)
    throw new AccumLabError(`this experiment needs ${numbers} numbers in the script (data, sample order, initial parameters); ` +
      `export-torch writes at most ${MAX_EXPORT_NUMBERS}: use fewer samples, steps or parameters, or init 'torch'`, 'limit', 'data');
  return {
    c, d, W, G, groupsPerEpoch, microStepsPerEpoch, orders, init: c.init === 'torch' ? null : run.initialParams,
    // the plain loop of one process with groups that end with the epoch reads as before; workers
    // or a global group boundary need the group as its micro-steps
    general: W > 1 || global,
    sync: W > 1 && c.syncBatchNorm,
  };
}

function dropoutOf(c, l) {
  const p = c.model.dropout;
  return Array.isArray(p) ? p[l] : p;
}

/** True if some hidden layer has dropout and its masks come from `rng` ('stream' | 'keyed'). */
export function dropoutFrom(c, rng) {
  return c.dropoutRng === rng && c.model.sizes.slice(1, -1).some((_, l) => dropoutOf(c, l) > 0);
}

/** What the framework does, as the settings it chose (the effective config holds the values). */
export const FRAMEWORK_LOOPS = {
  lightning: 'Lightning divides each micro-batch loss by accumulate_grad_batches, the epoch\'s short last group too; groups end with the epoch',
  accelerate: 'Accelerate\'s accelerator.backward divides by gradient_accumulation_steps, the short tail too; a group ends with the dataloader; ' +
    'a prepared scheduler steps num_processes times per optimizer step',
  hf_trainer_before_4_46: 'the HF Trainer before 4.46 divides the model\'s per-batch mean by gradient_accumulation_steps (a mean of means); ' +
    'total_batched_samples % k decides the step, across epochs',
  hf_trainer: 'the HF Trainer from 4.46 divides the summed loss by num_items_in_batch, counted over the whole group (and across devices)',
  deepspeed: 'DeepSpeed\'s engine.backward divides by gradient_accumulation_steps; the boundary is a global micro-step counter, so groups cross epochs',
};

/** Text in lines of at most `width` characters. */
export function wrap(text, width = 92) {
  const lines = [];
  let line = '';
  for (const word of text.split(' ')) {
    if (line && line.length + 1 + word.length > width) { lines.push(line); line = word; } else line = line ? `${line} ${word}` : word;
  }
  return [...lines, line].join('\n');
}

/** The docstring's paragraph on a framework's loop ('' for plain PyTorch), both scripts'. */
export function frameworkNote(c) {
  return c.framework && c.framework !== 'pytorch'
    ? `\n${wrap(`framework ${c.framework}: ${FRAMEWORK_LOOPS[c.framework]}. As the lab's settings: correction ` +
      `${c.correction}, groupBoundary ${c.groupBoundary}, lastGroupDivisor ${c.lastGroupDivisor}, ` +
      `schedulerStepsPerOptimizerStep ${c.schedulerStepsPerOptimizerStep}; the loops below do just that.`)}\n` : '';
}

function header(f, title) {
  const { c, W } = f;
  const { data: _d, init: _i, ...settings } = c;
  const m = c.batchSize, k = c.accumSteps;
  const fw = frameworkNote(c);
  const runs = W > 1
    ? `  reference:   one process, one backward over a batch of W*m*k = ${W * m * k} samples per optimizer step;
  accumulated: W = ${W} data-parallel replicas (DDP, simulated in this one process), each with
               k = ${k} micro-batches of m = ${m}; gradients added in .grad, averaged over the
               replicas, then one step.`
    : `  reference:   one backward over a batch of m*k = ${m * k} samples per optimizer step;
  accumulated: k = ${k} micro-batches of m = ${m}, gradients added in .grad, then one step.`;
  return `#!/usr/bin/env python3
"""${title ? `${title}: ` : ''}an accumlab experiment as a PyTorch script.

Trains the same network twice from the same initial parameters, as accumlab does:
${runs}
Every step it compares the accumulated loop's gradient at the reference's parameters (the
same point) with the reference gradient, and the two runs' parameters, and prints the
table of \`accumlab compare\`; with --json, one JSON object instead.
${fw}
Written by \`accumlab export-torch\`. Runs with python3 and PyTorch (checked with 1.13).
The accumlab config (without data and initial parameters):
${JSON.stringify(settings)}
"""
import argparse
import copy
import json
import math

import torch
from torch import nn

${SCRIPT_ARGUMENTS}
args = parser.parse_args()

SEED = ${c.seed}
m, k = ${m}, ${k}            # micro-batch size and accumulation steps; the big batch is ${W > 1 ? 'W*m*k' : 'm*k'}
${W > 1 || f.general ? `W = ${W}${W > 1 ? '                # simulated data-parallel replicas: DDP\'s world size, here in one process'
    : '                # one process (no data parallelism)'}
` : ''}STEPS = ${c.steps}
RTOL, ATOL = ${c.rtol}, ${c.atol}  # allclose's tolerances (also the norm-wise test)
`;
}

/** The command line both scripts share (the DDP script adds --timeout). */
export const SCRIPT_ARGUMENTS = `parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
parser.add_argument("--json", action="store_true", help="print one JSON object instead of the table")
parser.add_argument("--gradients", action="store_true", help="with --json: add step 1's flat gradients of both runs")
parser.add_argument("--float64", action="store_true",
                    help="train both runs in float64 from the same float32 numbers: how much of a difference is float32 rounding")`;

export function dataSection(f) {
  const { c, d } = f;
  const classIndex = c.loss === 'cross_entropy';
  const lines = ['', '# ---- data ------------------------------------------------------------------'];
  if (c.data.name === 'seed_example' && c.data.generator === 'torch') {
    lines.push(`torch.manual_seed(${c.data.seed})`, `x = torch.rand(${d.N}, ${d.IN})`, `y = torch.rand(${d.N}, ${d.T})`);
  } else {
    const what = c.data.name === 'explicit' || c.data.inputs ? 'the config\'s explicit data'
      : `the lab's ${c.data.name} (n ${c.data.n}, noise ${c.data.noise}, seed ${c.data.seed})`;
    lines.push(`# ${what}: float32, exactly the lab's numbers`);
    lines.push(`x = torch.tensor(${pyRows(d.inputs, d.IN)})`);
    if (classIndex) lines.push(`y = torch.tensor(${pyFlat(d.targets, 32)}).long()  # class indices`);
    else lines.push(`y = torch.tensor(${pyRows(d.targets, d.T)})${c.data.name === 'seed_example' || !c.data.name ? '' : '  # as the loss sees them (one-hot or 0/1 for class data)'}`);
  }
  if (d.mask) {
    const rows = pyRows(d.mask, d.T);
    lines.push(`# 1 = a valid target, 0 = masked out (a variable number of valid targets per micro-batch)`);
    lines.push(classIndex ? `mask = torch.tensor(${rows})[:, 0]` : `mask = torch.tensor(${rows})`);
  } else {
    lines.push('mask = None  # every target is valid');
  }
  lines.push('if args.float64:', `    x${classIndex ? '' : ', y'} = x.double()${classIndex ? '' : ', y.double()'}`, '    mask = None if mask is None else mask.double()', 'N = x.shape[0]');
  if (f.orders) {
    lines.push('# the order of the samples in each epoch: the lab\'s seeded shuffle, the same in both runs');
    lines.push(`ORDER = [\n${f.orders.map((o) => `    [${Array.from(o).join(', ')}],`).join('\n')}\n]`);
  } else {
    lines.push('ORDER = None  # no shuffle: every epoch visits the samples in order');
  }
  if (!f.general) {
    lines.push(`GROUPS_PER_EPOCH = ${f.groupsPerEpoch}  # lastGroup ${c.lastGroup}: ${c.lastGroup === 'keep'
      ? 'the epoch\'s last group may be shorter' : 'an uneven last group is dropped'}`, '',
    'def group(step):',
    '    """The sample indices of this optimizer step: m*k of them (the last of an epoch may be fewer)."""',
    '    epoch, g = divmod(step, GROUPS_PER_EPOCH)',
    '    order = ORDER[epoch] if ORDER else list(range(N))',
    '    return order[g * m * k:(g + 1) * m * k]');
    return lines.join('\n') + '\n';
  }
  const W = f.W, many = W > 1;
  lines.push(`WM = W * m  # one micro-step: ${many ? 'm samples for each of the W replicas' : 'one micro-batch (W = 1)'}`);
  if (c.groupBoundary === 'global') {
    lines.push(`MICRO_STEPS_PER_EPOCH = ${f.microStepsPerEpoch}  # lastGroup ${c.lastGroup}: ${c.lastGroup === 'keep'
      ? 'the epoch\'s last micro-step may be shorter' : 'an uneven last micro-step is dropped'}`, '',
    'def group(step):',
    `    """This optimizer step's k ${many ? 'micro-steps of W*m' : 'micro-batches of m'} sample indices each (groupBoundary global).`,
    '',
    '    A global counter of micro-steps decides when to step (DeepSpeed\'s micro-step counter, the',
    '    HF Trainer\'s total_batched_samples % k before 4.46): micro-step u = step*k + j is micro-step',
    '    u % MICRO_STEPS_PER_EPOCH of its epoch, so a group can run across the end of an epoch."""',
    '    micro_steps = []',
    '    for u in range(step * k, (step + 1) * k):',
    '        epoch, p = divmod(u, MICRO_STEPS_PER_EPOCH)',
    '        order = ORDER[epoch] if ORDER else list(range(N))',
    '        micro_steps.append(order[p * WM:(p + 1) * WM])',
    '    return micro_steps');
  } else {
    lines.push(`GROUPS_PER_EPOCH = ${f.groupsPerEpoch}  # lastGroup ${c.lastGroup}: ${c.lastGroup === 'keep'
      ? 'the epoch\'s last group may be shorter' : 'an uneven last group is dropped'}`, '',
    'def group(step):',
    '    """This optimizer step\'s micro-steps: the epoch\'s group of W*m*k sample indices (the last of',
    '    an epoch may be fewer: then fewer micro-steps, the last one shorter), W*m to a micro-step."""',
    '    epoch, g = divmod(step, GROUPS_PER_EPOCH)',
    '    order = ORDER[epoch] if ORDER else list(range(N))',
    '    ids = order[g * WM * k:(g + 1) * WM * k]',
    '    return [ids[j:j + WM] for j in range(0, len(ids), WM)]');
  }
  if (many) {
    lines.push('',
      'def shard(micro):',
      '    """A micro-step\'s samples as DistributedSampler deals them: replica r gets micro[r::W] (its',
      '    indices[rank::num_replicas]; here without its padding, so the epoch\'s short last micro-step',
      '    leaves some replicas a sample fewer, or none). Over an epoch, replica r\'s micro-batch b is',
      '    then its own DataLoader\'s batch b of m."""',
      '    return [micro[r::W] for r in range(W)]');
  }
  return lines.join('\n') + '\n';
}

/** empty: a forward may have no sample (a DDP rank's share of a short micro-step) */
export function keyedDropoutSection({ empty = false } = {}) {
  return `
# ---- keyed dropout: the lab's masks, explicitly -------------------------------------------
# A mask entry is a hash of (seed, step, layer, sample, unit), so a sample gets the same mask
# in whichever micro-batch it lands. PyTorch's nn.Dropout draws in call order instead.
M64 = (1 << 64) - 1

def mix64(z):
    z = ((z ^ (z >> 30)) * 0xBF58476D1CE4E5B9) & M64
    z = ((z ^ (z >> 27)) * 0x94D049BB133111EB) & M64
    return z ^ (z >> 31)

def keyed_uniform(seed, step, layer, sample, unit):
    h = mix64(seed)
    h = mix64(h ^ step)
    h = mix64(h ^ ((layer + 0x9E3779B97F4A7C15) & M64))
    h = mix64(h ^ sample)
    h = mix64(h ^ ((unit + 0x632BE59BD9B4E019) & M64))
    return (h >> 40) / 16777216.0

class KeyedDropout(nn.Module):
    """Dropout with the lab's keyed masks; batch = (step, sample ids) of the forward to come."""
    batch = None

    def __init__(self, p, layer):
        super().__init__()
        self.p, self.layer = torch.tensor(p).item(), layer  # p as float32, as the lab holds it
        self.keep = (1.0 / (1.0 - torch.tensor(p))).item()    # 1/(1-p) in float32
        self.cache = {}

    def forward(self, h):
        step, ids = KeyedDropout.batch
        rows = []
        for sample in ids:
            key = (step, sample)
            if key not in self.cache:
                self.cache[key] = torch.tensor([0.0 if keyed_uniform(SEED, step, self.layer, sample, u) < self.p else self.keep
                                                for u in range(h.shape[1])])
            rows.append(self.cache[key])
        return h * torch.stack(rows)${empty ? ' if rows else h  # (no sample: nothing to mask)' : ''}
`;
}

function replicaDropoutSection() {
  return `
# ---- stream dropout over several replicas in one forward ----------------------------------
class ReplicaDropout(nn.Dropout):
    """nn.Dropout; in one forward over several replicas' micro-batches (SyncBatchNorm's micro-step),
    each replica's rows draw their masks from that replica's own generator, as on its own rank."""
    replicas = None  # (rows of each replica, their generators) during such a forward

    def forward(self, h):
        if ReplicaDropout.replicas is None:
            return super().forward(h)
        rows, generators = ReplicaDropout.replicas
        parts, at = [], 0
        for n, generator in zip(rows, generators):
            if n:
                with generator:
                    parts.append(super().forward(h[at:at + n]))
            at += n
        return torch.cat(parts)
`;
}

export function modelSection(f, { sync = f.sync, normComment } = {}) {
  const { c } = f;
  const sizes = c.model.sizes, keyed = c.dropoutRng === 'keyed';
  const layers = [];
  for (let l = 0; l + 1 < sizes.length; l++) {
    const parts = [`nn.Linear(${sizes[l]}, ${sizes[l + 1]})`];
    if (l + 2 < sizes.length) {
      if (c.model.norm === 'batchnorm') parts.push(`nn.BatchNorm1d(${sizes[l + 1]})`);
      if (c.model.norm === 'layernorm') parts.push(`nn.LayerNorm(${sizes[l + 1]})`);
      parts.push(ACTIVATIONS[c.model.activation]);
      const p = dropoutOf(c, l);
      if (p > 0) parts.push(keyed ? `KeyedDropout(${p}, ${l})` : sync ? `ReplicaDropout(${p})` : `nn.Dropout(${p})`);
    }
    layers.push(`        ${parts.join(', ')},`);
  }
  const lines = ['', '# ---- model -----------------------------------------------------------------',
    'def make_model():', '    return nn.Sequential(', ...layers, '    )', ''];
  if (!f.init) {
    lines.push(`torch.manual_seed(SEED)  # init 'torch': nn.Linear's own reset_parameters, layer by layer`, 'reference = make_model()');
  } else {
    lines.push(`# the lab's initial parameters, flat in parameters() order${c.init === null ? ' (its own U(±1/sqrt(fan_in)) draw)' : ''}`);
    lines.push(`INIT = ${pyFlat(f.init)}`);
    lines.push('reference = make_model()', 'nn.utils.vector_to_parameters(torch.tensor(INIT), reference.parameters())');
  }
  lines.push('if args.float64:', '    reference = reference.double()', 'accumulated = copy.deepcopy(reference)  # the same start',
    'probe = copy.deepcopy(reference)        # the accumulated loop at the reference\'s parameters');
  if (c.model.norm === 'batchnorm') {
    lines.push(normComment ?? (f.sync ? '# BatchNorm1d in training mode: each micro-step normalises with the statistics of all replicas\' micro-batches\n' +
      '# together (SyncBatchNorm; in one process, a BatchNorm1d over their concatenation)'
      : f.W > 1 ? '# BatchNorm1d in training mode: each replica\'s micro-batch normalises with its own statistics (no SyncBatchNorm)'
        : '# BatchNorm1d in training mode: each micro-batch normalises with its own statistics'));
  }
  return lines.join('\n') + '\n';
}

function optimizerText(c, lrExpr) {
  const o = c.optimizer;
  if (o.name === 'sgd') {
    return `torch.optim.SGD(model.parameters(), lr=${lrExpr}, momentum=${o.momentum}, dampening=${o.dampening}, ` +
      `nesterov=${py(o.nesterov)}, weight_decay=${o.weightDecay})`;
  }
  const cls = o.name === 'adam' ? 'Adam' : 'AdamW';
  return `torch.optim.${cls}(model.parameters(), lr=${lrExpr}, betas=(${o.betas[0]}, ${o.betas[1]}), eps=${o.eps}, weight_decay=${o.weightDecay})`;
}

function schedulerText(c) {
  const s = c.schedule;
  switch (s.name) {
  case 'step': return `torch.optim.lr_scheduler.StepLR(optimizer, step_size=${s.stepSize}, gamma=${s.gamma})`;
  case 'cosine': return `torch.optim.lr_scheduler.CosineAnnealingLR(optimizer, T_max=${s.tMax}, eta_min=${s.etaMin})`;
  case 'warmup': return `torch.optim.lr_scheduler.LambdaLR(optimizer, lambda t: min(1.0, (t + 1) / ${s.warmupSteps}))`;
  default: return 'torch.optim.lr_scheduler.LambdaLR(optimizer, lambda t: 1.0)  # constant';
  }
}

/** The accumulated loop's loss of one micro-batch (W 1) or of replica r's (W > 1), and what it says. */
export function lossLine(f) {
  const { c, W } = f;
  const mean = c.reduction === 'mean', corr = c.correction, many = W > 1;
  const whose = many ? 'the replica\'s micro-batch' : 'the micro-batch';
  const divisor = c.lastGroupDivisor === 'micro_batches'
    ? [many ? 'J' : 'len(micro_batches)', many ? 'divided by J (lastGroupDivisor micro_batches)'
      : 'divided by the group\'s micro-batches (lastGroupDivisor micro_batches)']
    : ['k', 'divided by k'];
  const pad = (code) => code.padEnd(37);
  switch (corr) {
  case 'scale_loss':
    return mean ? `${pad(`loss = S / max(n, 1) / ${divisor[0]}`)} # the mean over ${whose}, ${divisor[1]}`
      : `${pad(`loss = S / ${divisor[0]}`)} # the sum, ${divisor[1]}`;
  case 'scale_lr':
    return mean ? `${pad('loss = S / max(n, 1)')} # the mean over ${whose} (the lr is divided by k instead)`
      : `${pad('loss = S')} # the sum (the lr is divided by k instead)`;
  case 'global_count':
    if (!many) return `${pad('loss = S / num_items_in_batch')} # the sum over the group, divided by its valid targets`;
    return c.countAcrossWorkers
      ? '# HF Trainer (average_tokens_across_devices): loss *= num_processes, which undoes DDP\'s average\n' +
        `${pad('loss = S / num_items_in_batch * W')} # the sum over the valid targets of the group, on every replica`
      : `${pad('loss = S / items_of_replica[r] if items_of_replica[r] else S * 0.0')} # this replica's own valid targets of the group (none: adds nothing, as the lab)`;
  default:
    return mean ? `${pad('loss = S / max(n, 1)')} # reduction mean: the mean over ${whose} (no correction)`
      : `${pad('loss = S')} # reduction sum (no correction)`;
  }
}

/** scheduler.step() as the accumulated run calls it: schedulerStepsPerOptimizerStep times for each of the loop's. */
export function schedulerSteps(c, sched, indent, comment = '') {
  const n = c.schedulerStepsPerOptimizerStep ?? 1;
  if (n === 1) return `${indent}${sched}.step()${comment && `  # ${comment}`}`;
  const why = c.framework === 'accelerate' && n === c.workers
    ? `Accelerate's prepared scheduler (AcceleratedScheduler) steps num_processes = ${n} times per call`
    : `schedulerStepsPerOptimizerStep ${n}: each call moves the schedule ${n} steps`;
  return `${comment && `${indent}# ${comment}\n`}${indent}for _ in range(${n}):  # ${why}\n${indent}    ${sched}.step()`;
}

/** The accumulated loop of one process (W 1): micro-batches of m, each a backward into .grad. */
function accumulateOneProcess(f) {
  const { c } = f;
  const clip = c.clipGradNorm > 0, perMicroClip = clip && c.clipPlacement === 'per_micro_batch';
  const perMicroSched = c.schedulerStepping === 'per_micro_batch';
  const corr = c.correction;
  // the plain loop takes the group's indices and cuts them; with groupBoundary global the group
  // comes as its micro-batches (one may be short in the middle, at the end of an epoch)
  const head = f.general
    ? `def accumulate(model, micro_batches, step${perMicroSched ? ', scheduler=None' : ''}):
    model.zero_grad()${corr === 'global_count' ? `
    num_items_in_batch = sum(valid_targets(micro) for micro in micro_batches)  # the whole group's valid targets` : ''}
    total, count, norm = 0.0, 0.0, None`
    : `def accumulate(model, ids, step${perMicroSched ? ', scheduler=None' : ''}):
    model.zero_grad()${corr === 'global_count' ? `
    num_items_in_batch = valid_targets(ids)  # the whole group's valid targets` : ''}
    total, count, norm = 0.0, 0.0, None
    micro_batches = [ids[j:j + m] for j in range(0, len(ids), m)]`;
  return `
# ---- the accumulated run: k micro-batches of m, gradients added in .grad ------
${head}
    for j, micro in enumerate(micro_batches):
        S, n = summed_loss(model, micro, step)
        ${lossLine(f)}
        loss.backward()${perMicroClip ? `
        norm = nn.utils.clip_grad_norm_(model.parameters(), ${c.clipGradNorm}).item()  # clipPlacement per_micro_batch: the partial sum` : ''}${perMicroSched ? `
        if scheduler is not None and j < len(micro_batches) - 1:
${schedulerSteps(c, 'scheduler', '            ', 'schedulerStepping per_micro_batch (the last micro-batch\'s comes after optimizer.step())')}` : ''}
        total, count = total + S.item(), count + n${clip && !perMicroClip ? `
    norm = nn.utils.clip_grad_norm_(model.parameters(), ${c.clipGradNorm}).item()  # once, before the step` : !clip ? `
    norm = flat_grad(model).double().norm().item()` : ''}
    return total / count, norm
`;
}

/** The accumulated loop of W > 1 replicas simulated in one process (DDP's semantics). */
function accumulateReplicas(f) {
  const { c, W, sync } = f;
  const clip = c.clipGradNorm > 0; // per_micro_batch clipping with workers > 1 is refused by the lab
  const perMicroSched = c.schedulerStepping === 'per_micro_batch';
  const stream = dropoutFrom(c, 'stream'), bn = c.model.norm === 'batchnorm' && !sync;
  const corr = c.correction, J = corr === 'scale_loss' && c.lastGroupDivisor === 'micro_batches';
  const args = `model, micro_steps, step${stream ? ', masks' : ''}${perMicroSched ? ', scheduler=None' : ''}`;
  const counts = corr !== 'global_count' ? ''
    : c.countAcrossWorkers ? `
    # num_items_in_batch: the group's valid targets over every replica (HF Trainer gathers the count across devices)
    num_items_in_batch = sum(valid_targets(micro) for parts in replicas for micro in parts)`
      : `
    # each replica counts its own valid targets over its k micro-batches (countAcrossWorkers false)
    items_of_replica = [sum(valid_targets(parts[r]) for parts in replicas) for r in range(W)]`;
  const line = lossLine(f).split('\n');
  const lossAt = (indent) => line.map((l) => indent + l).join('\n');
  let body;
  if (sync) {
    body = `
        # SyncBatchNorm: one forward over every replica's micro-batch of this micro-step, so that
        # BatchNorm's statistics span them all (nn.SyncBatchNorm's all-reduce, in one process)
        losses = summed_losses(model, parts, step${stream ? ', masks' : ''})
        step_loss = 0.0
        for r, (S, n) in enumerate(losses):
            if not parts[r]:
                continue  # the epoch's short last micro-step left this replica no sample
${lossAt('            ')}
            step_loss = step_loss + loss / W  # DDP averages the replicas' gradients: their sum / W
            total, count = total + S.item(), count + n
        step_loss.backward()`;
  } else {
    const forward = stream ? `            with masks[r]:  # replica r's own dropout generator
                S, n = summed_loss(model, micro, step)` : '            S, n = summed_loss(model, micro, step)';
    body = `
        for r, micro in enumerate(parts):
            if not micro:
                continue  # the epoch's short last micro-step left this replica no sample${bn ? `
            # DDP broadcasts rank 0's buffers (broadcast_buffers): only replica 0's BatchNorm
            # running statistics are kept, the other replicas' updates are lost
            kept = running_statistics(model) if r > 0 else None` : ''}
${forward}
${lossAt('            ')}
            (loss / W).backward()  # DDP averages the replicas' gradients: their sum / W${bn ? `
            if kept is not None:  # (after the backward, which reads the buffers it saved)
                restore_running_statistics(model, kept)` : ''}
            total, count = total + S.item(), count + n`;
  }
  return `${bn ? `
def running_statistics(model):
    """BatchNorm's running mean and variance (the model's buffers), to put back."""
    return [b.clone() for b in model.buffers()]

def restore_running_statistics(model, kept):
    for b, v in zip(model.buffers(), kept):
        b.copy_(v)
` : ''}
# ---- the accumulated run: W replicas (DDP in one process), k micro-steps each ------
# In each micro-step every replica runs its micro-batch of m (its shard of the W*m samples);
# after the k-th, DDP's all-reduce averages the replicas' gradients: the sum over replicas / W,
# so every loss here is divided by W. In one process the replicas' backwards all add into the
# one .grad (on W ranks each .grad holds its replica's k micro-batches, then the all-reduce adds
# them: the same terms, grouped differently).${sync ? '' : `
# No SyncBatchNorm: each replica's micro-batch is its own forward and backward.`}
def accumulate(${args}):
    model.zero_grad()
    replicas = [shard(micro) for micro in micro_steps]  # replicas[j][r]: replica r's micro-batch j${J ? `
    J = len(replicas)  # the group's micro-steps (fewer than k in the epoch's short last group)` : ''}${counts}
    total, count, norm = 0.0, 0.0, None
    for j, parts in enumerate(replicas):${body}${perMicroSched ? `
        if scheduler is not None and j < len(replicas) - 1:
${schedulerSteps(c, 'scheduler', '            ', 'schedulerStepping per_micro_batch (the last micro-step\'s comes after optimizer.step())')}` : ''}${clip ? `
    norm = nn.utils.clip_grad_norm_(model.parameters(), ${c.clipGradNorm}).item()  # once, before the step` : `
    norm = flat_grad(model).double().norm().item()`}
    return total / count, norm
`;
}

/**
 * The loss (criterion, valid targets, summed_loss and, for a SyncBatchNorm micro-step in one
 * process, summed_losses), flat_grad and the reference's gradient: one backward over the group.
 */
export function lossSection(f, { sync = f.sync } = {}) {
  const { c } = f;
  const mean = c.reduction === 'mean', clip = c.clipGradNorm > 0;
  const stream = dropoutFrom(c, 'stream'), keyed = dropoutFrom(c, 'keyed');
  const ce = c.loss === 'cross_entropy';
  const setBatch = keyed ? '\n    KeyedDropout.batch = (step, ids)' : '';
  return `
# ---- loss ------------------------------------------------------------------
criterion = ${CRITERIA[c.loss]}  # per ${ce ? 'sample' : 'target'}; reduced below as the config says

def valid_targets(ids):
    """How many targets of these samples count: all, or those the mask keeps."""
    return float(y[ids].numel()) if mask is None else mask[ids].sum().item()

def summed_loss(model, ids, step):
    """The summed loss of these samples over their valid targets, and how many there are."""${setBatch}
    per = criterion(model(x[ids]), y[ids])
    if mask is not None:
        per = per * mask[ids]
    return per.sum(), valid_targets(ids)
${sync ? `
def summed_losses(model, parts, step${stream ? ', masks' : ''}):
    """One forward over the parts' samples together; each part's summed loss and valid targets."""
    ids = [i for part in parts for i in part]${setBatch}${stream ? `
    ReplicaDropout.replicas = ([len(part) for part in parts], masks)  # each part's masks from its own generator` : ''}
    per = criterion(model(x[ids]), y[ids])${stream ? `
    ReplicaDropout.replicas = None` : ''}
    if mask is not None:
        per = per * mask[ids]
    losses, at = [], 0
    for part in parts:
        losses.append((per[at:at + len(part)].sum(), valid_targets(part)))
        at += len(part)
    return losses
` : ''}
def flat_grad(model):
    return torch.cat([p.grad.reshape(-1) for p in model.parameters()])

# ---- the reference: one backward over the whole group ------------------------
def reference_gradient(model, ids, step):
    model.zero_grad()
    S, n = summed_loss(model, ids, step)
    loss = ${mean ? `S / n   # reduction mean: the mean over the ${f.W > 1 ? 'W*m*k' : 'm*k'} samples` : 'S       # reduction sum'}
    loss.backward()${clip ? `
    norm = nn.utils.clip_grad_norm_(model.parameters(), ${c.clipGradNorm}).item()` : `
    norm = flat_grad(model).double().norm().item()`}
    return S.item() / n, norm
`;
}

/** Both runs' optimizers and schedulers (the accumulated run's lr / k with correction scale_lr). */
export function optimizerSection(f) {
  const { c } = f;
  const corr = c.correction;
  return `
# ---- optimizers and schedules ----------------------------------------------
def make_optimizer(model, lr):
    return ${optimizerText(c, 'lr')}

LR = ${c.optimizer.lr}
ref_opt = make_optimizer(reference, LR)
acc_opt = make_optimizer(accumulated, ${corr === 'scale_lr' ? 'LR / k)  # correction scale_lr: the lr divided by k' : 'LR)'}
def make_scheduler(optimizer):
    return ${schedulerText(c)}

ref_sched, acc_sched = make_scheduler(ref_opt), make_scheduler(acc_opt)
`;
}

/** Stream dropout: a generator per run (per replica with W > 1), all seeded as the reference's. */
export function streamDropoutSection(f) {
  return `
# ---- stream dropout: each run draws from its own copy of PyTorch's generator ------
# As in the lab, both runs start from the same generator state and draw in call order; the
# probe draws what the accumulated run will draw this step. PyTorch's dropout numbers are
# not the lab's (they depend on PyTorch's build), so these masks differ from the lab's.
class Generator:
    def __init__(self, state):
        self.state = state

    def __enter__(self):
        torch.set_rng_state(self.state)

    def __exit__(self, *exc):
        self.state = torch.get_rng_state()

torch.manual_seed(SEED)
${f.W > 1 ? `# torch.manual_seed(SEED) on every rank: each replica's generator starts where the reference's
# does, then draws for its own samples only
ref_masks = Generator(torch.get_rng_state())
acc_masks = [Generator(torch.get_rng_state()) for r in range(W)]` : 'ref_masks, acc_masks = Generator(torch.get_rng_state()), Generator(torch.get_rng_state())'}
`;
}

function trainingSection(f) {
  return [lossSection(f), f.W > 1 ? accumulateReplicas(f) : accumulateOneProcess(f), optimizerSection(f),
    dropoutFrom(f.c, 'stream') ? streamDropoutSection(f) : ''].join('');
}

export function compareSection() {
  return `
# ---- the comparison, as the lab's ------------------------------------------
def compare(a, b):
    """How close a (accumulated) is to b (reference)."""
    bitwise = torch.equal(a.view(torch.int32), b.view(torch.int32))
    allclose = bool(torch.allclose(a, b, rtol=RTOL, atol=ATOL))
    a, b = a.double(), b.double()
    nb, dd = b.norm().item(), (a - b).norm().item()
    rel = 0.0 if dd == 0 else dd / nb if nb else math.inf
    c = (a @ b).item() / nb ** 2 if nb else 0.0
    rd = (a - c * b).norm().item()
    residual = 0.0 if rd == 0 else rd / (abs(c) * nb) if nb and c else math.inf
    closeness = "bitwise" if bitwise else "allclose" if allclose else "close_by_norm" if rel <= RTOL else "not_close"
    return dict(bitwise=bitwise, rounding=allclose or rel <= RTOL, scale=c, residual=residual, rel=rel,
                ratio=a.norm().item() / nb if nb else 1.0, closeness=closeness, max_abs=(a - b).abs().max().item())

def grad_category(cmp):
    if cmp["bitwise"]:
        return "bitwise"
    if cmp["rounding"]:
        return "rounding"
    if cmp["residual"] <= RTOL and abs(cmp["scale"] - 1) > 1e-3:
        return "scaled"
    return "different"

ORDER_OF = {"bitwise": 0, "rounding": 1, "scaled": 2, "different": 3, "diverged": 4}

class Verdict:
    """Folds each step into the verdict as the lab does: gradients judged at the same point."""
    def __init__(self):
        self.grads, self.params, self.factor, self.judged = "bitwise", "bitwise", None, 0

    def add(self, grads, factor, params):
        if self.judged == 0:
            self.grads, self.factor = grads, factor
        elif "scaled" in (grads, self.grads):
            if not (grads == self.grads and abs(factor / self.factor - 1) <= 1e-3):
                self.grads = "different"
        elif ORDER_OF[grads] > ORDER_OF[self.grads]:
            self.grads = grads
        self.judged += 1
        if ORDER_OF[params] > ORDER_OF[self.params]:
            self.params = params
`;
}

/**
 * The training loop over the steps (both runs, the same-point probe, the comparison, the
 * verdict), at the top level; `accumulated` and `probe` name what the loop passes to
 * accumulate() (the DDP export passes its DistributedDataParallel wrappers).
 */
export function stepLoop(f, { accumulated = 'accumulated', probe: probeModel = 'probe' } = {}) {
  const { c } = f;
  const clip = c.clipGradNorm > 0, perMicroClip = clip && c.clipPlacement === 'per_micro_batch';
  const perMicroSched = c.schedulerStepping === 'per_micro_batch';
  const stream = dropoutFrom(c, 'stream');
  const inMasks = (gen, call, indent = '    ') => (stream ? `${indent}with ${gen}:\n${indent}    ${call}` : `${indent}${call}`);
  const many = f.W > 1, batches = f.general ? 'micro_steps' : 'ids';
  const sched = perMicroSched ? ', scheduler=acc_sched' : '';
  const groupLines = !f.general ? '    ids = group(step)'
    : many ? `    micro_steps = group(step)
    # the reference's batch: the whole group, micro-step by micro-step and in each replica by replica
    ids = [i for micro in micro_steps for part in shard(micro) for i in part]`
      : `    micro_steps = group(step)
    ids = [i for micro in micro_steps for i in micro]  # the reference's batch: the whole group`;
  const probe = !stream ? `    _, norm_probe = accumulate(${probeModel}, ${batches}, step)`
    : many ? `    _, norm_probe = accumulate(${probeModel}, ${batches}, step, [Generator(g.state.clone()) for g in acc_masks])`
      : `    with Generator(acc_masks.state.clone()):\n        _, norm_probe = accumulate(${probeModel}, ${batches}, step)`;
  const acc = many && stream ? `    loss_acc, norm_acc = accumulate(${accumulated}, ${batches}, step, acc_masks${sched})`
    : inMasks('acc_masks', `loss_acc, norm_acc = accumulate(${accumulated}, ${batches}, step${sched})`);
  return `
# ---- training: both runs, step by step -------------------------------------
for model in (reference, accumulated, probe):
    model.train()
verdict, steps, first = Verdict(), [], None
for step in range(STEPS):
${groupLines}
${inMasks('ref_masks', 'loss_ref, norm_ref = reference_gradient(reference, ids, step)')}
    # the accumulated loop at the reference's parameters, before either run steps
    probe.load_state_dict(reference.state_dict())
${probe}
    g_ref, g_probe = flat_grad(reference), flat_grad(probe)
    same_point = compare(g_probe, g_ref)
    grads = grad_category(same_point)
    factor = same_point["scale"]${clip && !perMicroClip ? `
    if norm_ref > ${c.clipGradNorm} and norm_probe > ${c.clipGradNorm}:
        # both clipped: the clipped gradients agree whatever the loop did; the unclipped norms say
        factor = norm_probe / norm_ref
        if grads in ("bitwise", "rounding") and abs(factor - 1) > 1e-3:
            grads = "scaled"` : ''}
    lr_ref = ref_opt.param_groups[0]["lr"]
    ref_opt.step()
    ref_sched.step()
${acc}
    if step == 0:
        first = (g_ref.clone(), flat_grad(accumulated).clone())
    lr_acc = acc_opt.param_groups[0]["lr"]
    acc_opt.step()
${schedulerSteps(c, 'acc_sched', '    ')}
    p_ref = nn.utils.parameters_to_vector(reference.parameters()).detach()
    p_acc = nn.utils.parameters_to_vector(accumulated.parameters()).detach()
    finite = all(math.isfinite(v) for v in (loss_ref, loss_acc)) and bool(p_ref.isfinite().all() and p_acc.isfinite().all())
    pc = compare(p_acc, p_ref)
    params = "bitwise" if pc["bitwise"] else "rounding" if pc["rounding"] else "different"
    if not finite:
        params = "diverged"
    if math.isfinite(norm_ref) and math.isfinite(norm_probe):
        verdict.add(grads, factor, params)
    else:
        grads = "unjudged"
        verdict.params = "diverged"
    steps.append(dict(step=step + 1, lossRef=loss_ref, lossAcc=loss_acc, gradNormRef=norm_ref, gradNormAcc=norm_acc,
                      lrRef=lr_ref, lrAcc=lr_acc, microBatches=${f.general ? 'len(micro_steps)' : 'math.ceil(len(ids) / m)'},
                      grads=grads, params=params, ratio=same_point["ratio"], relDiff=same_point["rel"],
                      gradCloseness=same_point["closeness"], paramsCloseness=pc["closeness"], paramMaxDiff=pc["max_abs"]))
    if not finite:
        verdict.params = "diverged"
        break
`;
}

/** The result of the loop: {steps, verdict}, with the factor when the gradients are scaled. */
export function resultSection() {
  return `
result = {"steps": steps, "verdict": {"grads": verdict.grads if verdict.judged else "unjudged", "params": verdict.params}}
if verdict.grads == "scaled":
    result["verdict"]["factor"] = verdict.factor
`;
}

/** Prints the result: JSON with --json (step 1's gradients with --gradients), or the table and verdict. */
export function reportSection() {
  return `if args.json:
    if args.gradients:
        result["first"] = {"gradRef": first[0].tolist(), "gradAcc": first[1].tolist()}
    def finite_or_text(v):  # accumlab's JSON convention: Infinity, -Infinity and NaN as strings
        if isinstance(v, float) and not math.isfinite(v):
            return "NaN" if v != v else "Infinity" if v > 0 else "-Infinity"
        if isinstance(v, dict):
            return {key: finite_or_text(x) for key, x in v.items()}
        if isinstance(v, list):
            return [finite_or_text(x) for x in v]
        return v

    print(json.dumps(finite_or_text(result), allow_nan=False))
else:
    def g(v, digits=4):  # as accumlab compare prints numbers: so many significant digits, shortest form
        if not math.isfinite(v):
            return str(v)
        t = repr(float(f"{v:.{digits}g}"))
        return t[:-2] if t.endswith(".0") else t.replace("e-0", "e-").replace("e+", "e")

    head = ["step", "loss ref", "loss acc", "grad (same point)", "ratio", "|diff|/|ref|", "params", "param max|diff|"]
    rows = [[str(s["step"]), g(s["lossRef"]), g(s["lossAcc"]), s["gradCloseness"], g(s["ratio"]), g(s["relDiff"], 2),
             s["paramsCloseness"], g(s["paramMaxDiff"], 3)] for s in steps]
    widths = [max(len(h), *(len(r[i]) for r in rows)) for i, h in enumerate(head)]
    for r in [head] + rows:
        print("  ".join(c.rjust(w) for c, w in zip(r, widths)))
    factor = f" (x{g(verdict.factor)})" if verdict.grads == "scaled" else ""
    print(f"\\ngradients: {result['verdict']['grads']}{factor}; parameters: {result['verdict']['params']}")
`;
}

/** The scripts do not write low-precision .grad or loss scaling yet: say so rather than drop them
 * (tests/node/bf16-torch.test.mjs checks the lab's bf16 and fp16 accumulation against PyTorch). */
export function refusePrecision(c) {
  if (c.gradDtype && c.gradDtype !== 'fp32')
    throw new AccumLabError(`export-torch does not write gradDtype ${c.gradDtype} yet: the script would accumulate in float32; use gradDtype fp32`, 'range', 'gradDtype');
  if (c.lossScale && c.lossScale.mode !== 'none')
    throw new AccumLabError('export-torch does not write loss scaling yet (lossScale); use lossScale mode none', 'range', 'lossScale.mode');
}

/**
 * The PyTorch script of an experiment: `lab` an accumlab Lab, `config` its config (a preset's
 * or the page's). Returns the script's text. Throws AccumLabError as lab.start() does, or
 * 'limit' when the script would hold more than MAX_EXPORT_NUMBERS numbers.
 */
export function torchScript(lab, config, { title = '' } = {}) {
  const run = lab.start(config);
  try {
    refusePrecision(run.config);
    const f = experimentFacts(run);
    return [header(f, title), dataSection(f), dropoutFrom(f.c, 'keyed') ? keyedDropoutSection() : '',
      f.sync && dropoutFrom(f.c, 'stream') ? replicaDropoutSection() : '', modelSection(f),
      trainingSection(f), compareSection(), stepLoop(f), resultSection(), reportSection()].join('');
  } finally {
    run.free();
  }
}
