// wasm/export-ddp.mjs — an experiment with W > 1 workers as a PyTorch script that really runs
// data parallelism (`accumlab export-torch --ddp`, and the page's "PyTorch script" when workers
// > 1): W processes (torch.multiprocessing, spawn) in a gloo process group on 127.0.0.1, the
// accumulated model in DistributedDataParallel, each rank its DistributedSampler shard of every
// micro-step, no_sync() on all but the last micro-batch, SyncBatchNorm (a CPU one: PyTorch 1.13's
// works only on GPUs) when the config says so. The reference stays one process's run with the
// whole group: every rank runs it alike. Rank 0 prints the table of `accumlab compare` or, with
// --json, the JSON of the one-process export (wasm/export-torch.mjs, whose sections this reuses:
// the same data, model, initial parameters, loss, optimizers, comparison and verdict), plus
// {"ddp": {worldSize, backend, gradientSyncs}}.

import { AccumLabError } from './accumlab.mjs';
import {
  experimentFacts, dataSection, keyedDropoutSection, modelSection, lossSection, lossLine, optimizerSection,
  streamDropoutSection, compareSection, stepLoop, resultSection, reportSection, schedulerSteps, dropoutFrom,
  SCRIPT_ARGUMENTS, frameworkNote, torchScript,
} from './export-torch.mjs';

const indent = (text, by) => text.split('\n').map((l) => (l ? by + l : l)).join('\n');

function header(f, title) {
  const { c, W } = f;
  const { data: _d, init: _i, ...settings } = c;
  const m = c.batchSize, k = c.accumSteps;
  const fw = frameworkNote(c);
  return `#!/usr/bin/env python3
"""${title ? `${title}: ` : ''}an accumlab experiment as a PyTorch script, on ${W} processes with torch.distributed.

Trains the same network twice from the same initial parameters, as accumlab does:
  reference:   one backward over a batch of W*m*k = ${W * m * k} samples per optimizer step: one
               process's run, which every rank runs alike (nothing of it is all-reduced);
  accumulated: W = ${W} processes (torch.multiprocessing, spawn) in a gloo process group on
               127.0.0.1, the model in DistributedDataParallel; each rank runs k = ${k}
               micro-batches of m = ${m} (its DistributedSampler shard of each micro-step) with
               no_sync() on all but the last, whose backward all-reduces the gradients (DDP
               divides each by W and sums them over the ranks); then one step on every rank.
Every step it compares the accumulated loop's gradient at the reference's parameters (the same
point: a second DDP model, loaded with the reference's parameters) with the reference gradient,
and the two runs' parameters; rank 0 prints the table of \`accumlab compare\`, with --json one
JSON object instead (the one-process script's, plus "ddp").
${fw}
Written by \`accumlab export-torch --ddp\`. Runs with python3 and PyTorch (checked with 1.13) on
CPU, one thread per rank, no network beyond 127.0.0.1. If a rank fails, the others are
stopped and the script exits with status 1.
The accumlab config (without data and initial parameters):
${JSON.stringify(settings)}
"""
import argparse
import contextlib
import copy
import datetime
import json
import math
import os
import signal
import socket
import sys
import time

import torch
import torch.distributed as dist
import torch.multiprocessing as mp
from torch import nn
from torch.nn.parallel import DistributedDataParallel as DDP${f.sync ? `
from torch.distributed.nn.functional import all_reduce  # an all-reduce with a backward (SyncBatchNorm)` : ''}

${SCRIPT_ARGUMENTS}
parser.add_argument("--timeout", type=float, default=300,
                    help="seconds a rank waits for the others (rendezvous, all-reduce) before it fails (default 300)")
args = parser.parse_args()  # in every rank too: spawn hands the ranks this process's sys.argv

SEED = ${c.seed}
m, k = ${m}, ${k}            # micro-batch size and accumulation steps; the big batch is W*m*k
W = ${W}                # processes: DDP's world size
STEPS = ${c.steps}
RTOL, ATOL = ${c.rtol}, ${c.atol}  # allclose's tolerances (also the norm-wise test)
TIMEOUT = datetime.timedelta(seconds=args.timeout)
`;
}

function syncBatchNormSection() {
  return `
# ---- SyncBatchNorm on CPU ----------------------------------------------------------------
# nn.SyncBatchNorm works on GPUs only (in PyTorch 1.13 DDP refuses it on CPU: "SyncBatchNorm
# layers only work with GPU modules"). This one does the same on CPU with gloo: in training,
# each BatchNorm1d normalises with the mean and (biased) variance over every rank's rows of
# this forward, summed by torch.distributed.nn.functional.all_reduce, whose backward
# all-reduces the gradients too (as nn.SyncBatchNorm's backward does): the statistics carry
# each rank's part of the gradient to the others. A rank with no rows takes part with none.
class SyncBatchNorm(nn.BatchNorm1d):
    def forward(self, h):
        if not self.training:
            return super().forward(h)
        rows = torch.tensor([float(h.shape[0])], dtype=h.dtype)
        dist.all_reduce(rows)  # every rank's rows of this micro-step
        n = rows.item()
        mean = all_reduce(h.sum(0)) / n
        d = h - mean
        var = all_reduce((d * d).sum(0)) / n
        with torch.no_grad():  # the running statistics, as nn.SyncBatchNorm keeps them
            self.num_batches_tracked += 1
            self.running_mean.mul_(1 - self.momentum).add_(self.momentum * mean)
            self.running_var.mul_(1 - self.momentum).add_(self.momentum * var * (n / (n - 1) if n > 1 else 1.0))
        return d / torch.sqrt(var + self.eps) * self.weight + self.bias

def sync_batchnorm(model):
    """The model with each BatchNorm1d a SyncBatchNorm over the same parameters and buffers
    (what nn.SyncBatchNorm.convert_sync_batchnorm does)."""
    for i, layer in enumerate(model):
        if isinstance(layer, nn.BatchNorm1d):
            sync = SyncBatchNorm(layer.num_features, eps=layer.eps, momentum=layer.momentum)
            sync.weight, sync.bias = layer.weight, layer.bias
            sync.running_mean, sync.running_var = layer.running_mean, layer.running_var
            sync.num_batches_tracked = layer.num_batches_tracked
            model[i] = sync
    return model
`;
}

/** The accumulated loop of one rank: its shard of each micro-step, DDP's no_sync() on all but the last. */
function accumulateDDP(f) {
  const { c, sync } = f;
  const clip = c.clipGradNorm > 0; // per_micro_batch clipping with workers > 1 is refused by the lab
  const perMicroSched = c.schedulerStepping === 'per_micro_batch';
  const stream = dropoutFrom(c, 'stream'), bn = c.model.norm === 'batchnorm';
  const corr = c.correction, J = corr === 'scale_loss' && c.lastGroupDivisor === 'micro_batches';
  const own = corr === 'global_count' && !c.countAcrossWorkers;
  const args = `model, micro_steps, step${stream ? ', masks' : ''}${perMicroSched ? ', scheduler=None' : ''}`;
  const counts = corr !== 'global_count' ? ''
    : c.countAcrossWorkers ? `
    # num_items_in_batch: the group's valid targets over every rank (the HF Trainer gathers the
    # count across devices): this rank's, all-reduced
    items = torch.tensor(sum(valid_targets(parts[r]) for parts in replicas), dtype=torch.float64)
    dist.all_reduce(items)
    num_items_in_batch = items.item()`
      : `
    # this rank counts its own valid targets over its k micro-batches (countAcrossWorkers false)
    items_of_rank = sum(valid_targets(parts[r]) for parts in replicas)`;
  const line = own
    ? '# no valid target on this rank in the whole group: it adds nothing (as the lab does)\n' +
      `${'loss = S / items_of_rank if items_of_rank else S * 0.0'.padEnd(37)} # the sum over this rank's own valid targets of the group`
    : lossLine(f);
  const forward = stream ? `            with masks[r]:  # this rank's own dropout generator
                S, n = summed_loss(model, micro, step)` : '            S, n = summed_loss(model, micro, step)';
  return `
# ---- the accumulated run: this rank's k micro-batches through DDP --------------------
# In each micro-step this rank runs its micro-batch of m (its shard of the W*m samples). Under
# no_sync() the gradients stay in this rank's .grad; the last micro-step's backward runs DDP's
# all-reduce: each gradient divided by W, summed over the ranks (the average of the ranks'
# accumulated gradients, on every rank).${bn && !sync ? `
# No SyncBatchNorm: each rank's micro-batch is normalised with its own statistics; DDP broadcasts
# rank 0's BatchNorm buffers (running statistics) before a synced forward (broadcast_buffers).` : bn ? `
# SyncBatchNorm: BatchNorm's statistics over every rank's micro-batch of the micro-step (above).` : ''}
def accumulate(${args}):
    r = dist.get_rank()
    model.zero_grad()
    replicas = [shard(micro) for micro in micro_steps]  # replicas[j][r]: rank r's micro-batch j
    J = len(replicas)  # the group's micro-steps (fewer than k in the epoch's short last group)${counts}
    total, count, norm = 0.0, 0.0, None
    for j, parts in enumerate(replicas):
        micro = parts[r]  # may be empty: the epoch's short last micro-step left this rank no sample
        # all but the last micro-step: no_sync(), no all-reduce; the last one's backward all-reduces
        with model.no_sync() if j < J - 1 else contextlib.nullcontext():
            # (an empty micro-batch still runs: its backward takes part in the all-reduce${sync ? ' and\n            # in SyncBatchNorm\'s' : ''} with zero gradients)
${forward}
${indent(line, '            ')}
            loss.backward()
        total, count = total + S.item(), count + n${perMicroSched ? `
        if scheduler is not None and j < J - 1:
${schedulerSteps(c, 'scheduler', '            ', 'schedulerStepping per_micro_batch (the last micro-step\'s comes after optimizer.step())')}` : ''}
    # the loss over every rank's samples, as the lab reports it
    sums = torch.tensor([total, count], dtype=torch.float64)
    dist.all_reduce(sums)
    total, count = sums.tolist()${clip ? `
    norm = nn.utils.clip_grad_norm_(model.parameters(), ${c.clipGradNorm}).item()  # once, before the step (the same on every rank)` : `
    norm = flat_grad(model).double().norm().item()`}
    return total / count, norm
`;
}

function rankSection(f) {
  const failHook = '    fail_if_asked(rank, step)\n';
  const loop = stepLoop(f, { accumulated: 'accumulated_ddp', probe: 'probe_ddp' })
    .replace('\nfor step in range(STEPS):\n', `\nfor step in range(STEPS):\n${failHook}`);
  if (!loop.includes(failHook)) throw new Error('export-ddp: the step loop has no "for step in range(STEPS):"');
  return `
# ---- one rank: both runs, step by step --------------------------------------------------
def fail_if_asked(rank, step):
    """ACCUMLAB_DDP_FAIL=RANK:STEP[:raise|exit|hang] makes that rank fail at that step (from 1):
    raise an exception, exit at once, or wait forever: how the failure handling is tested."""
    how = os.environ.get("ACCUMLAB_DDP_FAIL", "").split(":")
    if len(how) >= 2 and int(how[0]) == rank and int(how[1]) == step + 1:
        what = how[2] if len(how) > 2 else "raise"
        if what == "exit":
            os._exit(3)
        if what == "hang":
            while True:
                time.sleep(1)
        raise RuntimeError(f"rank {rank} fails at step {step + 1} (ACCUMLAB_DDP_FAIL)")

def train(rank, port):
    """Rank \`rank\` of W: joins the process group, trains both runs, rank 0 prints the result."""
    torch.set_num_threads(1)  # W ranks share this machine's cores
    store = dist.TCPStore("127.0.0.1", port, is_master=False, timeout=TIMEOUT)
    dist.init_process_group("gloo", store=store, rank=rank, world_size=W, timeout=TIMEOUT)
    try:
        # DDP broadcasts rank 0's parameters and buffers here (every rank built the same ones)
        accumulated_ddp = DDP(accumulated)  # broadcast_buffers=True, the default
        probe_ddp = DDP(probe)              # the accumulated loop at the reference's parameters
${indent(loop.trimEnd(), '        ')}
${indent(resultSection().trimEnd(), '        ')}
        # DDP's count of synced forwards (an all-reduce in their backward): one per optimizer step
        result["ddp"] = {"worldSize": W, "backend": "gloo", "gradientSyncs": accumulated_ddp.num_iterations}
        if rank == 0:
${indent(reportSection().trimEnd(), '            ')}
            sys.stdout.flush()
    finally:
        # the DDP models go first: destroying one after its process group can hang the rank's exit
        accumulated_ddp = probe_ddp = None
        dist.destroy_process_group()

def loopback_interface():
    """The loopback interface's name (lo, lo0): gloo's connections stay on this machine."""
    names = [name for _, name in socket.if_nameindex()]
    return next((name for name in names if name.startswith("lo")), None)

def main():
    if "GLOO_SOCKET_IFNAME" not in os.environ and loopback_interface():
        os.environ["GLOO_SOCKET_IFNAME"] = loopback_interface()  # the ranks inherit it
    # the rendezvous: a store in this process on a free port the system picks (port 0)
    store = dist.TCPStore("127.0.0.1", 0, None, True, timeout=TIMEOUT, wait_for_workers=False)
    ranks = mp.start_processes(train, args=(store.port,), nprocs=W, join=False, start_method="spawn")

    def stop(signum, frame):
        sys.exit(f"accumlab: stopped by signal {signum}")
    signal.signal(signal.SIGTERM, stop)
    try:
        # join with a timeout, again and again: a rank that fails (an exception, an exit) stops
        # the others at once; a rank waiting for a failed one fails itself after --timeout; a
        # rank still running --timeout seconds after another one finished is stuck
        finished = None
        while not ranks.join(timeout=1):
            if finished is None and any(p.exitcode == 0 for p in ranks.processes):
                finished = time.monotonic()
            if finished is not None and time.monotonic() - finished > args.timeout:
                stuck = [r for r, p in enumerate(ranks.processes) if p.is_alive()]
                sys.exit(f"accumlab: rank {stuck[0]} did not end {args.timeout:g} s after another rank finished; stopped")
    except mp.ProcessRaisedException as e:
        # every rank's error: the first one seen may be a rank that lost its connection to the failed one
        failed = {e.error_index: str(e).strip()}
        for r, queue in enumerate(ranks.error_queues):
            if r not in failed and not queue.empty():
                failed[r] = f"-- Process {r} terminated with the following error:\\n{queue.get().strip()}"
        lost = ("Connection closed", "Connection reset", "Timed out")  # waiting for a rank that failed or hung
        order = sorted(failed, key=lambda r: (any(words in failed[r] for words in lost), r))
        then = f" (then rank{'s' if len(order) > 2 else ''} {', '.join(map(str, order[1:]))})" if len(order) > 1 else ""
        sys.exit(f"accumlab: rank {order[0]} failed{then}, the other ranks were stopped:\\n" + "\\n\\n".join(failed[r] for r in order))
    except mp.ProcessExitedException as e:
        sys.exit(f"accumlab: rank {e.error_index} exited with status {e.exit_code}, the other ranks were stopped")
    finally:  # (on Ctrl-C or a signal too) no rank outlives this process
        for process in ranks.processes:
            if process.is_alive():
                process.terminate()

if __name__ == "__main__":
    main()
`;
}

/**
 * The torch.distributed script of an experiment with workers > 1 (`lab` an accumlab Lab,
 * `config` its config). Throws AccumLabError as lab.start() does, 'limit' as torchScript does,
 * or 'config' (field workers) when the config has one worker.
 */
export function ddpScript(lab, config, { title = '' } = {}) {
  const run = lab.start(config);
  try {
    const facts = experimentFacts(run);
    // SyncBatchNorm changes nothing without BatchNorm layers: each rank runs its own forward anyway
    const f = { ...facts, sync: facts.sync && facts.c.model.norm === 'batchnorm' };
    if (f.W < 2)
      throw new AccumLabError('the DDP script needs workers > 1 (--workers W): with one worker there is nothing to distribute; ' +
        'export-torch without --ddp writes the one-process script', 'config', 'workers');
    // precision (the lab's gradDtype and GradScaler) is not written into the DDP loop: refused, not dropped
    if ((f.c.gradDtype ?? 'fp32') !== 'fp32' || (f.c.lossScale?.mode ?? 'none') !== 'none')
      throw new AccumLabError(`the DDP script accumulates in float32 without loss scaling; this experiment has ${(f.c.gradDtype ?? 'fp32') !== 'fp32'
        ? `gradDtype ${f.c.gradDtype}` : `lossScale ${f.c.lossScale.mode}`}: set gradDtype fp32 and lossScale none to export it`, 'config',
      (f.c.gradDtype ?? 'fp32') !== 'fp32' ? 'gradDtype' : 'lossScale');
    const bn = f.c.model.norm === 'batchnorm';
    const normComment = !bn ? undefined : f.sync
      ? '# SyncBatchNorm (the CPU one above) in the accumulated run and the probe: each micro-step normalises with the\n' +
        '# statistics of every rank\'s micro-batch together; the reference keeps BatchNorm1d over its whole group\n' +
        'accumulated, probe = sync_batchnorm(accumulated), sync_batchnorm(probe)'
      : '# BatchNorm1d in training mode: each rank\'s micro-batch normalises with its own statistics (no SyncBatchNorm)';
    return [header(f, title), dataSection(f), dropoutFrom(f.c, 'keyed') ? keyedDropoutSection({ empty: true }) : '',
      f.sync ? syncBatchNormSection() : '', modelSection(f, { sync: false, normComment }), lossSection(f, { sync: false }),
      accumulateDDP(f), optimizerSection(f), dropoutFrom(f.c, 'stream') ? streamDropoutSection(f) : '',
      compareSection(), rankSection(f)].join('');
  } finally {
    run.free();
  }
}

/**
 * The page's "PyTorch script": the DDP script when the experiment has workers > 1, else the
 * one-process script (torchScript).
 */
export function labScript(lab, config, options = {}) {
  const run = lab.start(config);
  const W = run.config.workers ?? 1;
  run.free();
  return W > 1 ? ddpScript(lab, config, options) : torchScript(lab, config, options);
}
