// wasm/verdict.mjs — turns the core's verdict (categories, cause flags, numbers) into words.
// The core decides, and owns the cause ids, their bits and order and the category names
// (core/verdict.c, read through the contract); this module only names and explains, with
// the run's own numbers and its effective config.

const fmt = (x, digits = 4) => (Number.isFinite(x) ? Number(x.toPrecision(digits)).toString() : String(x));

// What a framework does with the epoch's short last group, where it divides by k.
const FRAMEWORK_SHORT_GROUP = {
  lightning: ' Lightning divides every micro-batch loss by accumulate_grad_batches, the short group\'s too (loops/optimization/automatic.py; issue #19987).',
  accelerate: ' Accelerate\'s accelerator.backward divides by gradient_accumulation_steps, the short tail too, and steps at the end of the dataloader (sync_with_dataloader).',
};

// The words for each cause id: a title and an explanation, from the run's numbers.
const WORDS = Object.fromEntries([
  ['diverged', (c) => `training diverged`, (c) => `A loss, gradient or parameter became NaN or infinite at step ${c.divergedStep}; that step is the last record. ${c.decayBlowsUp ? `The weight decay times the learning rate is ${fmt(c.lr * c.wd)}: each step multiplies the weights by ${fmt(1 - c.lr * c.wd)}, so they blow up. Lower the weight decay or the learning rate.` : `The learning rate ${fmt(c.lr)} is too large for these settings${c.sum ? ` (a sum-reduced gradient is ${c.m * c.k}× the mean's)` : ''}: lower it.`}`],
  ['mean_unscaled', (c) => `each micro-batch's mean loss is added ${c.k} times without dividing by ${c.k}`, (c) => `Each micro-batch loss is a mean over its ${c.m} samples and ${c.k} such gradients are added, so the accumulated gradient is ${c.k}× the mean over all ${c.m * c.k} samples (${c.k} × (1/${c.m}) = 1/${c.m * c.k} × ${c.k}). Fix: divide the loss by ${c.k} (correction scale_loss), or use sum reduction, or (plain SGD) divide the learning rate by ${c.k}.`],
  ['scale_lr', (c) => `the learning rate, not the loss, is divided by ${c.k}`, (c) => `The learning rate is divided by ${c.k} instead of the loss, so the gradient is ${c.k}× the big batch's by design while the SGD update lr/${c.k} × ${c.k}g = lr·g is the same.`],
  ['scale_lr_weight_decay', (c) => `weight decay shrinks with the divided learning rate`, (c) => `Weight decay is applied with the divided learning rate, so it is ${c.k}× weaker in the accumulated run: scaling the lr equals scaling the loss only without weight decay. Fix: scale the loss instead.`],
  ['scale_lr_adam', (c) => `Adam ignores the gradient's scale, so lr/${c.k} makes its steps ${c.k}× smaller`, (c) => `Adam divides each gradient by its running RMS, so a ${c.k}× gradient does not make a bigger step, while the lr/${c.k} makes every step ${c.k}× smaller. Fix: with Adam, scale the loss, not the lr.`],
  ['adam_scale', (c) => `Adam sees the ${c.k}× gradient only through eps`, (c) => `Adam is nearly invariant to the gradient's scale (m/√v): the ${c.k}× gradient changes its steps only through eps (${c.eps}), so the parameters stay far closer than they would with SGD.`],
  ['sum_scaled', (c) => `a sum-reduced loss was divided again`, (c) => `With sum reduction the big batch's loss is already the sum over all its samples; dividing the accumulated loss (by k, or by the count) makes its gradient smaller. Fix: correction none with sum reduction.`],
  ['dropout_stream', (c) => `dropout masks are drawn in a different order`, (c) => `Dropout masks come from one generator in call order. The big batch draws layer 1 for all ${c.m * c.k} samples, then layer 2; accumulation draws layer 1 then layer 2 for ${c.m} samples at a time, so the same sample gets different masks. Fix: key masks by (seed, step, layer, sample) (dropoutRng keyed).`],
  ['batchnorm', (c) => `BatchNorm statistics come from ${c.bnSamples} samples instead of ${c.group}`, (c) => `BatchNorm normalises with the mean and variance of ${c.bnWhat}, not of all ${c.group} samples of the step${c.k > 1 ? `, and updates its running statistics ${c.k} times per step` : ''}.${c.workers > 1 && !c.syncBn ? ' SyncBatchNorm (syncBatchNorm) takes the statistics over all replicas of one micro-step' + (c.k > 1 ? ', but still not over the accumulation group.' : ', which with k = 1 is the whole group.') : ''} Fix: LayerNorm (per sample) is exact; BatchNorm cannot be accumulated exactly.`],
  ['world_size_average', (c) => `DDP averages ${c.workers} replicas' sum-reduced gradients: 1/${c.workers} of the big batch's`, (c) => `DistributedDataParallel averages the gradients over the world size (${c.workers}), which is right for a mean loss but not for a sum: each replica sums its own ${c.m * c.k} samples, so the average is 1/${c.workers} of the big batch's sum over all ${c.group}. Fix: multiply the loss by the world size (as the HF Trainer does with average_tokens_across_devices), or use a mean loss divided by k.`],
  ['scheduler_steps_multiplied', (c) => `the schedule moves ${c.schedulerSteps} steps per optimizer step`, (c) => `Each optimizer step moves the accumulated run's schedule ${c.schedulerSteps} steps${c.framework === 'accelerate' ? `: Accelerate's prepared scheduler steps once per process (num_processes = ${c.workers}) unless split_batches=True (accelerate/scheduler.py, AcceleratedScheduler.step), because it expects a schedule sized in single-process steps` : ''}, so the learning rate follows the schedule ${c.schedulerSteps}× faster than the big batch's, which steps once per optimizer step. Fix: size the schedule for ${c.schedulerSteps}× the optimizer steps, or step the scheduler once per optimizer step yourself (schedulerStepsPerOptimizerStep 1).`],
  ['clip_per_micro_batch', (c) => `clipping partial sums after every micro-batch`, () => `The gradient was clipped after each micro-batch, on partial sums, instead of once on the accumulated gradient. Fix: call clip_grad_norm_ once, after the last backward and right before optimizer.step().`],
  ['scheduler_per_micro_batch', (c) => `the scheduler steps ${c.k} times per optimizer step`, (c) => `The scheduler stepped after every micro-batch, so the schedule ran ${c.k} times too fast (the learning rates differ). Fix: call scheduler.step() once per optimizer step.`],
  ['uneven_last_group', (c) => `an uneven last group is still divided by ${c.k}`, (c) => `A group had fewer samples than ${c.workers > 1 ? `${c.workers}×` : ''}${c.m}×${c.k} (the epoch's last, uneven group) or a smaller last micro-batch, so averaging per micro-batch and dividing by ${c.k} weights its samples unequally${c.shortGroup ? `: the short group of ${c.shortGroup} micro-batch${c.shortGroup > 1 ? 'es' : ''} steps with ${c.shortGroup}/${c.k} of the gradient` : ''}.${FRAMEWORK_SHORT_GROUP[c.framework] ?? ''} Fix: sum the loss and divide by the number of items in the whole group (correction global_count), divide a short group by its own number of micro-batches (lastGroupDivisor micro_batches), or drop the last group.`],
  ['variable_targets', (c) => `micro-batches with different numbers of valid targets are averaged separately`, () => `Micro-batches hold different numbers of valid targets, so averaging each micro-batch weights targets unequally. Fix: sum the loss and divide by the number of valid targets in the whole group (correction global_count: the num_items_in_batch fix).`],
  ['scaler_per_micro_batch', (c) => `GradScaler's unscale_() and update() after every backward: the early micro-batches are unscaled again`, (c) => `The loop unscales and updates the GradScaler after every backward instead of once per optimizer step. unscale_ divides the whole .grad by the scale, so micro-batch 1 of ${c.k} is divided by it ${c.k + 1} times (once more by scaler.step), and update() can change the scale inside the group. Fix: scale every loss, keep the scale through the group, call unscale_ (before clipping), step and update once per optimizer step (PyTorch's AMP recipe, docs/source/notes/amp_examples.rst, "Gradient accumulation").`],
  ['loss_scale_overflow', (c) => `the scaled gradient overflowed: the scaler skipped ${c.skipped} step${c.skipped === 1 ? '' : 's'} the big batch took`, (c) => `With loss scale ${fmt(c.firstScale)} the scaled ${c.dtype} gradient held inf or NaN at ${c.skipped} step${c.skipped === 1 ? '' : 's'}, so GradScaler skipped optimizer.step()${c.dynamic ? ' and halved the scale (backoffFactor)' : ''}; the float32 big batch stepped. A few skipped steps at the start are how a dynamic scale finds its level; many mean the scale is too large${c.dynamic ? '' : ' (a static scale never backs off)'}.`],
  ['grad_underflow', (c) => `gradient entries too small for ${c.dtype} became 0`, (c) => `${c.underflow} entries of the micro-batch gradients were nonzero in float32 but rounded to 0 in ${c.dtype} (its smallest subnormal is 6e-8, its smallest normal 6.1e-5), so they are lost before they are added. Fix: loss scaling (lossScale dynamic, as torch.amp.GradScaler), or bf16, which has float32's range.`],
  ['low_precision_accumulation', (c) => `.grad is held in ${c.dtype} between micro-batches: every addition rounds`, (c) => `Each micro-batch's float32 gradient is rounded to ${c.dtype} and added to a .grad held in ${c.dtype} (${c.dtype === 'bf16' ? '8' : '11'} bits of mantissa: ${c.dtype === 'bf16' ? 'in bf16, 256 + 1 = 256' : 'in fp16, 2048 + 1 = 2048'}), so small contributions vanish and the error grows with k (${c.k} here; the largest same-point difference is ${fmt(c.maxSameRel, 2)} of the gradient's size). The big batch adds in float32. Fix: accumulate in float32 (gradDtype fp32; DeepSpeed data_types.grad_accum_dtype fp32, FSDP reduce_dtype float32).`],
  ['clip_masks', (c) => `clipping cut both gradients to max_norm and hid a ×${fmt(c.unclippedRatio, 3)} scale`, (c) => `Before clipping, the accumulated gradient at the same point is ${fmt(c.unclippedRatio, 4)}× the big batch's (unclipped norms${c.unclippedNorms}); clip_grad_norm_ cut both to max_norm ${fmt(c.clip)}, so the clipped gradients agree and the updates match only while both norms exceed ${fmt(c.clip)}. The loop is still wrong: fix the scale, and do not rely on clipping.`],
  ['zero_tolerance', () => 'rtol and atol are 0', () => 'Nothing in this loop breaks equivalence, but with rtol and atol both 0 only bit-for-bit equality counts as the same, so the float rounding of a different summation order reads as a difference. Use allclose\'s defaults (rtol 1e-5, atol 1e-8) to see it as rounding.'],
  ['rounding_amplified', (c) => `${c.adam ? 'Adam normalises' : 'training amplifies'} rounding differences`, (c) => `At the same point the two loops compute the same gradient up to float rounding at every step, yet the parameters part: ${c.adam ? `Adam divides each gradient by its running RMS, so an entry that is exactly 0 in one sum and a rounding residual like 1e-9 in the other becomes a step of about lr (${fmt(c.lr)}) instead of 0` : `training is unstable with these settings${c.lossRise ? ` (the loss went from ${c.lossRise})` : ''}, so tiny rounding differences grow`}. Both loops are right; PyTorch in another summation order would part the same way.${c.adam ? '' : ` A smaller learning rate${c.sum ? ` (a sum-reduced gradient is ${c.m * c.k}× the mean's, so lr ${c.lr} acts like ${fmt(c.lr * c.m * c.k)} on a mean)` : ''} keeps them together.`}`],
  ['summation_order', (c) => `the same sums grouped differently`, (c) => `The same terms are added in a different grouping (within each micro-batch, then across micro-batches), so the results agree up to float rounding (at most ${fmt(c.maxUlp, 3)} ULP apart), not bit for bit.`],
].map(([id, title, text]) => [id, { title, text }]));

/** True if this module has words for every cause the core names (a test checks it). */
export function explainsEvery(contract) {
  return contract.causes.every((c) => WORDS[c.id]);
}

// Loops, not Math.max(...steps): a spread of 100,000 steps overflows a browser's stack.
function lossRise(steps) {
  if (steps.length < 2) return '';
  let max = -Infinity;
  for (const s of steps) if (s.lossRef > max) max = s.lossRef;
  const first = steps[0].lossRef;
  return max > 1.5 * first ? `${fmt(first, 3)} up to ${fmt(max, 3)}` : '';
}

// Micro-batches of the first step whose group was short of k (0: none).
function shortGroup(steps, k) {
  for (const s of steps) if (s.microBatches < k) return s.microBatches;
  return 0;
}

function maxUlp(steps) {
  let m = 0;
  for (const s of steps) m = Math.max(m, s.grad.maxUlp, s.params.maxUlp);
  return m;
}

function headline(v, c, ids) {
  const g = v.grads, p = v.params;
  if (v.divergedStep) return `Training diverged at step ${v.divergedStep}: a value became NaN or infinite.`;
  if (v.stepsDone === 0) return 'No steps have run yet.';
  if (ids.includes('clip_masks'))
    return `Clipping hides a broken loop: before clipping the accumulated gradient is ${fmt(c.unclippedRatio)}× the big batch's, and clip_grad_norm_ cut both to max_norm.`;
  if (ids.includes('uneven_last_group') && c.shortGroup && g === 'different' && c.fullGroupsClose)
    return `The full groups match the big batch; the epoch's short group of ${c.shortGroup} micro-batch${c.shortGroup > 1 ? 'es' : ''} steps with ${fmt(c.shortRatio, 3)}× its gradient (divided by ${c.k}, not ${c.shortGroup}).`;
  if (ids.includes('zero_tolerance'))
    return 'Different only because rtol and atol are 0: float rounding counts as a difference; nothing in the loop breaks equivalence.';
  if (ids.includes('rounding_amplified'))
    return 'The two loops compute the same gradients up to rounding at every step; the parameters part only because rounding differences grow.';
  if (g === 'bitwise' && p === 'bitwise') return 'Gradient accumulation is bit-for-bit identical to the big batch.';
  if (g !== 'scaled' && g !== 'different' && p !== 'different')
    return 'Gradient accumulation matches the big batch up to float rounding, not bit for bit.';
  if (g === 'scaled' && p !== 'different')
    return `The accumulated gradient is ${fmt(v.factor)}× the big batch's, yet the parameters match: ${ids.includes('adam_scale') ? 'Adam divides the scale out (only eps sees it)' : 'the learning rate compensates'}.`;
  if (g === 'scaled') return `The accumulated gradient is ${fmt(v.factor)}× the big batch's, so the parameters drift apart.`;
  if (g === 'different' && p !== 'different')
    return `The accumulated gradient differs from the big batch's${v.firstDifferentStep ? ` (first at step ${v.firstDifferentStep})` : ''}, yet the parameters stay within rounding of each other.`;
  if (g === 'different')
    return `The accumulated gradient differs from the big batch's${v.firstDifferentStep ? ` (first at step ${v.firstDifferentStep})` : ''}, so the parameters differ too.`;
  return 'The gradients agree, but the parameter updates do not, so the parameters differ.';
}

/** The numbers the cause texts quote, from the effective config and the steps. */
function context(config, steps, extra) {
  let clipped = null;
  for (const s of steps) if (s.clipped && Math.abs(s.unclipped.normRatio - 1) > 1e-3) { clipped = s; break; }
  return {
    clip: config.clipGradNorm,
    unclippedRatio: clipped ? clipped.unclipped.normRatio : 1,
    unclippedNorms: clipped ? ` ${fmt(clipped.unclipped.normAcc, 3)} and ${fmt(clipped.unclipped.normRef, 3)} at step ${clipped.step}` : '',
    adam: config.optimizer.name !== 'sgd',
    wd: config.optimizer.weightDecay,
    decayBlowsUp: config.optimizer.lr * config.optimizer.weightDecay >= 1,
    k: config.accumSteps,
    m: config.batchSize,
    eps: config.optimizer.eps,
    sum: config.reduction === 'sum',
    lr: config.optimizer.lr,
    lossRise: lossRise(steps),
    workers: config.workers ?? 1,
    syncBn: !!config.syncBatchNorm,
    framework: config.framework ?? 'pytorch',
    schedulerSteps: config.schedulerStepsPerOptimizerStep ?? 1,
    group: (config.workers ?? 1) * config.batchSize * config.accumSteps,
    bnSamples: config.syncBatchNorm ? (config.workers ?? 1) * config.batchSize : config.batchSize,
    bnWhat: (config.workers ?? 1) > 1
      ? (config.syncBatchNorm ? `all ${config.workers} replicas' micro-batches of one micro-step (${config.workers * config.batchSize} samples, SyncBatchNorm)` : `each replica's micro-batch of ${config.batchSize} samples`)
      : `each micro-batch of ${config.batchSize} samples`,
    shortGroup: shortGroup(steps, config.accumSteps),
    dtype: config.gradDtype ?? 'fp32',
    dynamic: config.lossScale?.mode === 'dynamic',
    skipped: steps.filter((s) => s.skipped).length,
    firstScale: steps.find((s) => s.skipped)?.lossScale ?? config.lossScale?.scale ?? 1,
    underflow: steps.reduce((a, s) => a + (s.underflow ?? 0), 0),
    maxSameRel: steps.reduce((a, s) => (Number.isFinite(s.samePoint.relNormDiff) ? Math.max(a, s.samePoint.relNormDiff) : a), 0),
    shortRatio: steps.find((s) => s.microBatches < config.accumSteps)?.samePoint.normRatio ?? 1,
    fullGroupsClose: steps.every((s) => s.microBatches < config.accumSteps || s.samePoint.closeness !== 'not_close'),
    maxUlp: maxUlp(steps),
    ...extra,
  };
}

/**
 * One closeness in words: "bitwise" … "not close", and for close_by_norm the reason:
 * element-wise allclose fails where large terms cancel to a small sum, but the vectors agree
 * norm-wise within rtol.
 */
export function closenessText(m, rtol) {
  switch (m.closeness) {
    case 'bitwise': return 'the same bits';
    case 'allclose': return `close (torch.allclose, largest difference ${fmt(m.maxAbsDiff, 2)})`;
    case 'close_by_norm': return `close by norm: element-wise allclose fails (largest difference ${fmt(m.maxAbsDiff, 2)}, where large terms cancel to small sums), but |a−b|/|b| = ${fmt(m.relNormDiff, 2)} ≤ rtol ${rtol}`;
    default: return `not close (|a−b|/|b| = ${fmt(m.relNormDiff, 2)})`;
  }
}

/** The causes with these ids, in the given order, as {id, title, text}. */
export function describeCauses(ids, config, steps = [], extra = {}) {
  const ctx = context(config, steps, extra);
  return ids.map((id) => ({ id, title: WORDS[id].title(ctx), text: WORDS[id].text(ctx) }));
}

/**
 * Names and explains a raw verdict (al_verdict read by its layout), with numbers from the
 * effective config (run.config) and the steps. contract: the core's (lab.contract).
 */
export function describeVerdict(raw, config, steps, contract) {
  const grads = contract.gradCategories[raw.grads], params = contract.paramCategories[raw.params];
  const ids = contract.causes.filter((c) => raw.causes & c.bit).map((c) => c.id);
  const v = { ...raw, grads, params };
  const causes = describeCauses(ids, config, steps, { divergedStep: raw.divergedStep });
  let text = headline(v, context(config, steps, {}), ids);
  const main = causes.find((c) => c.id !== 'summation_order' && c.id !== 'diverged');
  if (main) text += ` Cause: ${main.title}.`;
  return {
    grads,
    params,
    factor: grads === 'scaled' ? raw.factor : undefined,
    causes,
    text,
    judgedSteps: raw.judgedSteps,
    stepsDone: raw.stepsDone,
    divergedStep: raw.divergedStep || undefined,
    firstDifferentStep: raw.firstDifferentStep || undefined,
  };
}
