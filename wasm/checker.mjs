// wasm/checker.mjs — "Check my training loop": a loop described in a few choices, the
// verdict predicted without running, and the config that runs it.
//
// The rules are the core's: the choices become an engine config (configFor), and the core
// names the causes that config implies without running it (al_config_causes, the same rule
// as the run's verdict; lab.configCauses in JS, the worker's 'causes' request in the page).
// This module keeps only the questions, the mapping and the words around the answer.
// tests/node/checker.test.mjs runs every combination of choices and checks that the engine's
// verdict names the predicted causes. Cause texts come from verdict.mjs.

import { describeCauses } from './verdict.mjs';

/** The questions, each with its options ([value, label]); the first option is the default. */
export const CHOICES = [
  { key: 'reduction', label: 'Loss reduction (the same in the big batch)',
    options: [['mean', 'mean over the batch'], ['sum', 'sum over the batch']] },
  { key: 'scaling', label: 'Each micro-batch loss is', help: 'num_items_in_batch: the valid targets of all k micro-batches.',
    options: [['none', 'not scaled'], ['k', 'divided by k'],
      ['global', 'summed ÷ num_items_in_batch'],
      ['lr', 'not scaled, lr divided by k']] },
  { key: 'clipping', label: 'Gradient clipping (clip_grad_norm_)',
    options: [['none', 'none'], ['after', 'once, after the last backward'], ['per_micro', 'after every backward']] },
  { key: 'scheduler', label: 'LR scheduler',
    options: [['constant', 'none (constant lr)'], ['per_step', 'step() once per optimizer step'],
      ['per_micro', 'step() after every backward']] },
  { key: 'dropout', label: 'Dropout', help: 'Keyed: each mask drawn from (seed, step, layer, sample), not from one generator in call order.',
    options: [['none', 'none'], ['stream', 'yes, usual RNG (call order)'],
      ['keyed', 'yes, keyed masks (by sample)']] },
  { key: 'norm', label: 'Normalisation layers',
    options: [['none', 'none'], ['batchnorm', 'BatchNorm'], ['layernorm', 'LayerNorm']] },
  { key: 'optimizer', label: 'Optimizer',
    options: [['sgd', 'SGD'], ['sgd_wd', 'SGD with weight decay'], ['adam', 'Adam'], ['adamw', 'AdamW']] },
  { key: 'uneven', label: 'Last group of the epoch smaller',
    options: [['no', 'no (or dropped)'], ['yes', 'yes, and it is kept']] },
  { key: 'targets', label: 'Valid targets per sample', help: 'Variable: a token-level loss that skips padding (ignore_index or a mask).',
    options: [['fixed', 'always the same number'], ['variable', 'variable (padding-masked tokens)']] },
];

/** The default choices: the loop most people write first. */
export function defaultChoices() {
  return Object.fromEntries(CHOICES.map((c) => [c.key, c.options[0][0]]));
}

/** Every combination of choices (2·4·3·3·3·3·4·2·2 = 10368). */
export function allChoices() {
  let out = [{}];
  for (const c of CHOICES) out = out.flatMap((partial) => c.options.map(([v]) => ({ ...partial, [c.key]: v })));
  return out;
}

const M = 8, K = 4;
const CLIP = 0.1; // small enough that clipping partial sums really clips on moons

/**
 * The engine config that runs this loop: moons, the default model (two hidden layers, so
 * stream dropout draws for two layers), m = 8, k = 4, 20 steps. An uneven last group is
 * 100 = 3 × 32 + 4 samples; variable targets mask half the targets (class targets of moons,
 * so micro-batches hold different numbers of valid targets). SGD's lr is 0.1 for a mean loss
 * and 0.01 for a sum (a summed gradient is m·k times a mean one).
 */
export function configFor(choices) {
  const ch = { ...defaultChoices(), ...choices };
  const sum = ch.reduction === 'sum';
  const config = {
    data: { name: 'moons', n: ch.uneven === 'yes' ? 100 : 256 },
    batchSize: M, accumSteps: K, steps: 20, reduction: ch.reduction,
    correction: { none: 'none', k: 'scale_loss', global: 'global_count', lr: 'scale_lr' }[ch.scaling],
  };
  if (ch.targets === 'variable') config.data.maskFraction = 0.5;
  if (ch.clipping !== 'none') {
    config.clipGradNorm = CLIP;
    config.clipPlacement = ch.clipping === 'after' ? 'after_accumulation' : 'per_micro_batch';
  }
  if (ch.scheduler !== 'constant') {
    config.schedule = { name: 'cosine' };
    config.schedulerStepping = ch.scheduler === 'per_step' ? 'per_optimizer_step' : 'per_micro_batch';
  }
  if (ch.dropout !== 'none') {
    config.model = { dropout: 0.3 };
    config.dropoutRng = ch.dropout;
  }
  if (ch.norm !== 'none') config.model = { ...config.model, norm: ch.norm };
  const sgdLr = sum ? 0.01 : 0.1;
  config.optimizer = {
    sgd: { name: 'sgd', lr: sgdLr }, sgd_wd: { name: 'sgd', lr: sgdLr, weightDecay: 0.01 },
    adam: { name: 'adam', lr: 0.001 }, adamw: { name: 'adamw', lr: 0.001, weightDecay: 0.01 },
  }[ch.optimizer];
  return config;
}

// Causes that only rescale the accumulated gradient (same direction). In the mapped config
// the uneven last group is one micro-batch of 4, so dividing it by k only rescales it too.
const RESCALING_CAUSES = ['mean_unscaled', 'adam_scale', 'sum_scaled', 'uneven_last_group'];

/**
 * True if clipping after accumulation can hide this broken loop's scale: every
 * cause (ids: the core's prediction for configFor(choices)) only rescales the accumulated
 * gradient (not the lr), and clip_grad_norm_ cutting both gradients to max_norm undoes a rescaling.
 */
export function clippingCanHide(choices, ids) {
  const ch = { ...defaultChoices(), ...choices };
  return ch.clipping === 'after' && ch.scaling !== 'lr' && ids.length > 0 && ids.every((id) => RESCALING_CAUSES.includes(id));
}

/**
 * The verdict for a loop, without running it, from the causes the core predicts for its
 * config (ids = lab.configCauses(configFor(choices))):
 *   {equivalent: 'yes' | 'updates' | 'no', headline, causes: [{id, title, text}], notes: [string]}
 * 'updates': the gradient is k× by design (lr divided by k, plain SGD) but every update is
 * the big batch's, so training is the same.
 */
export function checkLoop(choices, ids) {
  const ch = { ...defaultChoices(), ...choices };
  const config = configFor(ch);
  const lr = config.optimizer.lr;
  const causes = describeCauses(ids, { accumSteps: K, batchSize: M, reduction: ch.reduction, optimizer: { eps: 1e-8, lr } });
  const notes = [];
  const clip = ch.clipping !== 'none';
  const equivalent = ids.length === 0 ? 'yes' : ids.length === 1 && ids[0] === 'scale_lr' && !clip ? 'updates' : 'no';
  if (clippingCanHide(ch, ids)) {
    notes.push(`Clipping after accumulation can hide this: when clip_grad_norm_ cuts both gradients, both end up with norm max_norm and the updates agree while the loop is off by a scale (the lab names it: clip_masks, with the ratio before clipping). Where it cuts one run and not the other, they differ. Fix the scale; do not rely on clipping.`);
  } else if (clip && ch.scaling === 'lr' && ch.reduction === 'mean') {
    notes.push(`clip_grad_norm_ sees the ${K}× gradient, so it cuts the accumulated run where it would not cut the big batch: lr/${K} then no longer compensates.`);
  }
  if (ch.scaling === 'lr' && ch.reduction === 'sum') {
    notes.push(`Here the loss is not divided: with sum reduction the accumulated gradient already equals the big batch's, and dividing the lr by ${K} makes every step ${K}× shorter.`);
  }
  if (ids.includes('adam_scale')) {
    notes.push(`So the gradients are ${K}× apart, yet the parameters may stay within rounding of the big batch's: Adam's steps change only through eps. Still divide the loss by ${K}.`);
  }
  if (ch.norm === 'layernorm') notes.push('LayerNorm normalises each sample on its own, so it accumulates exactly.');
  if (ch.dropout === 'keyed') notes.push('Keyed masks give every sample the same mask in both runs: exact.');
  const headline = equivalent === 'yes'
    ? 'Equivalent to the big batch: gradients and parameters match up to float rounding (the sums are grouped differently).'
    : equivalent === 'updates'
      ? `Equivalent updates: the gradient is ${K}× the big batch's by design, and lr/${K} makes every SGD step the same, so the parameters match up to rounding.`
      : `Not equivalent to the big batch: ${causes.length} cause${causes.length === 1 ? '' : 's'}.`;
  return { equivalent, headline, causes, notes, config };
}
