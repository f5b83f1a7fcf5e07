// web/run-words.mjs — the page's words about a state: what the two runs do, and the
// one-click fixes it offers under a cause (cause id → settings). Pure, tested in Node.
import { CONTRACT } from '../wasm/contract.mjs';

/** The correction the engine uses: the state's, or (auto) the framework's (the core's table). */
export function effectiveCorrection(state) {
  if (state.correction && state.correction !== 'auto') return state.correction;
  return CONTRACT.frameworks.find((f) => f.name === (state.framework ?? 'pytorch'))?.correction ?? 'none';
}

/**
 * Words for the two runs and for how the accumulated run forms its loss:
 * {reference: 'batch 32, 1 backward per step', accumulated: '4 × batch 8, 4 backwards per step', loss}.
 */
export function describeRuns(state) {
  const { m, k } = state;
  const W = state.workers ?? 1;
  const mk = m * k;
  const correction = effectiveCorrection(state);
  const samples = m === 1 ? '1 sample' : `${m} samples`;
  let loss;
  if (correction === 'global_count') {
    loss = `Each micro-batch's summed loss is divided by the number of items in its whole group of ${k}, so the ${k} gradients add up to the mean over the group.`;
  } else if (state.reduction === 'sum') {
    loss = `Each backward sums its loss over its samples; ${k} sums over ${samples} add up to the sum over ${mk}.`;
  } else if (correction === 'scale_loss') {
    loss = `Each micro-batch loss is a mean over ${samples}, divided by ${k} before the backward: ${k} of them add up to the mean over ${mk}.`;
  } else if (correction === 'scale_lr') {
    loss = `Each micro-batch loss is a mean over ${samples}; ${k} of them add up to ${k} × the mean over ${mk}, so the learning rate is divided by ${k} instead.`;
  } else {
    loss = `Each micro-batch loss is a mean over ${samples}, and the ${k} gradients are added up without dividing by ${k}.`;
  }
  if (W > 1) {
    return {
      reference: `batch ${W * mk} in one process, 1 backward per step`,
      accumulated: `${W} workers, each ${k} × batch ${m}; gradients averaged over the ${W} once per step`,
      loss: k === 1 ? `Each worker takes ${m} of the ${W * m} samples; DDP averages their gradients.` : loss,
    };
  }
  return {
    reference: `batch ${mk}, 1 backward per step`,
    accumulated: `${k} × batch ${m}, ${k} backward${k === 1 ? '' : 's'} per step`,
    loss: k === 1 ? 'With k = 1 both runs do the same work.' : loss,
  };
}

/**
 * One-click fixes for the verdict's causes: cause id → settings to change and the words
 * for the button. The page offers them under the cause.
 */
export const FIXES = {
  mean_unscaled: [
    { label: 'Scale the loss by 1/k', set: { correction: 'scale_loss' } },
    { label: 'Use sum reduction', set: { reduction: 'sum' } },
  ],
  dropout_stream: [{ label: 'Use keyed dropout masks', set: { rng: 'keyed' } }],
  batchnorm: [{ label: 'Use LayerNorm instead', set: { norm: 'layernorm' } }],
  clip_per_micro_batch: [{ label: 'Clip once, after accumulation', set: { clipAt: 'after_accumulation' } }],
  scheduler_per_micro_batch: [{ label: 'Step the scheduler once per optimizer step', set: { schedStep: 'per_optimizer_step' } }],
  uneven_last_group: [
    { label: 'Divide a short group by its micro-batches', set: { correction: 'scale_loss', divisor: 'micro_batches' } },
    { label: 'Divide by the items in the whole group', set: { correction: 'global_count' } },
    { label: 'Drop the last group', set: { last: 'drop' } },
  ],
  variable_targets: [{ label: 'Divide by the items in the whole group', set: { correction: 'global_count' } }],
  world_size_average: [{ label: 'Use a mean loss divided by k', set: { reduction: 'mean', correction: 'scale_loss' } }],
  scheduler_steps_multiplied: [{ label: 'Step the schedule once per optimizer step', set: { schedSteps: 1 } }],
  low_precision_accumulation: [{ label: 'Accumulate in float32', set: { gradDtype: 'fp32' } }],
  grad_underflow: [{ label: 'Use dynamic loss scaling', set: { lossScale: 'dynamic' } }, { label: 'Hold .grad in bf16', set: { gradDtype: 'bf16' } }],
  scaler_per_micro_batch: [{ label: 'Unscale and update once per optimizer step', set: { scalerUpdate: 'per_optimizer_step' } }],
  scale_lr_weight_decay: [{ label: 'Scale the loss instead of the lr', set: { correction: 'scale_loss' } }],
  adam_scale: [{ label: 'Scale the loss by 1/k', set: { correction: 'scale_loss' } }],
};

