// wasm/checker.mjs — "Check my training loop": a loop described in a few choices, the
// verdict predicted without running, and the config that runs it.
//
// The rules are the core's: the choices become an engine config (configFor), and the core
// names the causes that config implies without running it (al_config_causes, the same rule
// as the run's verdict; lab.configCauses in JS, the worker's 'causes' request in the page).
// This module keeps only the questions, the mapping and the words around the answer: which
// of the predicted causes are bugs (each with its fix), which are expected noise or a
// consequence of another cause, what the loop does right, and the corrected loop as code.
// tests/node/checker.test.mjs runs every combination of choices for a plain loop on one GPU
// (and every combination of the questions that matter for each framework × GPUs) and checks
// that the engine's verdict names the predicted causes, that every corrected loop (read back
// from its code) has no breaking cause, and that the plain loops train in real PyTorch as
// the big batch does. Cause texts come from verdict.mjs.
//
// Frameworks and GPUs. The first two questions say whose loop it is (a plain PyTorch loop,
// PyTorch Lightning, HF Accelerate, the HF Trainer before and from 4.46, DeepSpeed) and on
// how many GPUs (simulated DDP replicas, the core's `workers`). A framework only sets the
// defaults of real knobs (correction, groupBoundary, lastGroupDivisor,
// schedulerStepsPerOptimizerStep); the table of what each sets is the core's
// (CONTRACT.frameworks) and is read from there, never spelled here.
//
// The design choice: with a framework, the scaling question asks what the USER does on top
// of the framework ("The loss you hand to Lightning", ...), and its default is "not divided
// by you": the framework's own correction runs (configFor leaves `correction` out, so the
// core applies the framework's). The only other answer offered is the fix a user can write
// on top of each framework, "summed ÷ num_items_in_batch" (correction global_count; for the
// HF Trainer from 4.46 that is the framework's own, so there the other answer is "a model
// without loss kwargs", which the Trainer divides by the group's micro-batches). Dividing
// by k yourself as well (÷ k², a common slip when porting a plain loop) and lr ÷ k on top
// are not offered: the core has no knob for a second division, so the lab could not run
// them; the question's help and the answer say "don't divide it yourself too" instead.
// Switching the framework keeps "summed ÷ num_items_in_batch" and otherwise starts from
// "not divided by you" (withChoice). A few answers do not exist for a framework (a sum
// with the HF Trainer, whose models' losses are means; per-micro-batch clipping on several
// GPUs, which the core does not simulate): questionFor marks them disabled, with why.
// The fixes speak the framework's language (drop_last=True for Lightning's and
// Accelerate's short last group, transformers ≥ 4.46 for the old Trainer, Accelerate's
// num_processes scheduler steps, ...), and the corrected loop is that framework's code.

import { CONTRACT } from './contract.mjs';
import { describeCauses } from './verdict.mjs';

/** The core's table of what each framework sets: [{name, correction, groupBoundary, ...}]. */
const FRAMEWORK_TABLE = Object.fromEntries(CONTRACT.frameworks.map((f) => [f.name, f]));

/** Each framework in words (the versions the core's defaults were read from). */
const FRAMEWORK_NAMES = {
  pytorch: 'a plain PyTorch loop', lightning: 'PyTorch Lightning 2.6', accelerate: 'HF Accelerate 1.14',
  hf_trainer_before_4_46: 'HF Trainer up to 4.45', hf_trainer: 'HF Trainer 4.46 and later', deepspeed: 'DeepSpeed 0.19',
};
/** The same, short, for the question's answers. */
const FRAMEWORK_OPTIONS = {
  pytorch: 'a plain PyTorch loop', lightning: 'Lightning 2.6', accelerate: 'Accelerate 1.14',
  hf_trainer_before_4_46: 'HF Trainer ≤ 4.45', hf_trainer: 'HF Trainer ≥ 4.46', deepspeed: 'DeepSpeed 0.19',
};
/** Who divides, in the framework's terms (for the words). */
const DIVIDER = {
  lightning: 'Lightning divides every micro-batch loss by accumulate_grad_batches',
  accelerate: 'accelerator.backward divides every loss by gradient_accumulation_steps',
  hf_trainer_before_4_46: 'the Trainer divides each micro-batch mean by gradient_accumulation_steps',
  deepspeed: 'engine.backward divides every loss by gradient_accumulation_steps',
};
/** The framework in a sentence ("Lightning divides ..."). */
const SHORT = { lightning: 'Lightning', accelerate: 'Accelerate', hf_trainer_before_4_46: 'the Trainer', hf_trainer: 'the Trainer', deepspeed: 'DeepSpeed' };
const HF = (fw) => fw === 'hf_trainer' || fw === 'hf_trainer_before_4_46';

/**
 * The questions, each with its options ([value, label]); the first option is the default.
 * `options` are a plain loop's; `byFramework` replaces a question's label, help or options
 * for a framework (questionFor gives the question as it reads for a loop).
 */
export const CHOICES = [
  { key: 'framework', label: 'Framework', help: 'It divides the loss, groups micro-batches and steps the scheduler its way.',
    options: CONTRACT.frameworks.map((f) => [f.name, FRAMEWORK_OPTIONS[f.name] ?? f.name]) },
  { key: 'workers', label: 'GPUs (data-parallel workers)', help: 'Simulated DDP: the big batch is GPUs × m × k.',
    options: [['1', '1 (no DDP)'], ['2', '2'], ['4', '4']] },
  { key: 'reduction', label: 'Loss reduction (the same in the big batch)',
    options: [['mean', 'mean over the batch'], ['sum', 'sum over the batch']] },
  { key: 'scaling', label: 'Each micro-batch loss is', help: 'num_items_in_batch: the valid targets of all k micro-batches.',
    options: [['none', 'not scaled'], ['k', 'divided by k'],
      ['global', 'summed ÷ num_items_in_batch'],
      ['lr', 'not scaled, lr divided by k']],
    byFramework: {
      lightning: { label: 'The loss training_step returns', help: 'Lightning divides it by accumulate_grad_batches: don\'t divide it yourself too.',
        options: [['none', 'not divided by you'], ['global', 'summed ÷ num_items, × k']] },
      accelerate: { label: 'The loss you pass to accelerator.backward', help: 'accelerator.backward divides it by gradient_accumulation_steps: don\'t divide it yourself too.',
        options: [['none', 'not divided by you'], ['global', 'summed ÷ num_items (own groups)']] },
      deepspeed: { label: 'The loss you pass to engine.backward', help: 'engine.backward divides it by gradient_accumulation_steps: don\'t divide it yourself too.',
        options: [['none', 'not divided by you'], ['global', 'summed ÷ num_items, no GAS scaling']] },
      hf_trainer_before_4_46: { label: 'The model\'s loss', help: 'Before 4.46 the Trainer divides each micro-batch\'s mean by gradient_accumulation_steps.',
        options: [['none', 'its mean (the Trainer ÷ k)']] },
      hf_trainer: { label: 'The model\'s loss', help: 'The Trainer passes num_items_in_batch (the whole group\'s valid targets) to a model with loss kwargs.',
        options: [['none', '÷ num_items_in_batch (kwargs)'], ['k', 'its mean (no loss kwargs)']] },
    } },
  { key: 'clipping', label: 'Gradient clipping (clip_grad_norm_)',
    options: [['none', 'none'], ['after', 'once, after accumulating'], ['per_micro', 'after every backward']],
    byFramework: {
      lightning: { options: [['none', 'none'], ['after', 'gradient_clip_val'], ['per_micro', 'in on_after_backward']] },
      accelerate: { options: [['none', 'none'], ['after', 'if sync_gradients'], ['per_micro', 'after every backward']] },
      hf_trainer_before_4_46: { options: [['none', 'max_grad_norm=0'], ['after', 'max_grad_norm'], ['per_micro', 'in training_step too']] },
      hf_trainer: { options: [['none', 'max_grad_norm=0'], ['after', 'max_grad_norm'], ['per_micro', 'in training_step too']] },
      deepspeed: { options: [['none', 'none'], ['after', '"gradient_clipping"'], ['per_micro', 'after every backward']] },
    } },
  { key: 'scheduler', label: 'LR scheduler (scheduler.step())',
    options: [['constant', 'none (constant lr)'], ['per_step', 'once per optimizer step'],
      ['per_micro', 'after every backward']],
    byFramework: {
      lightning: { options: [['constant', 'none (constant lr)'], ['per_step', 'interval "step"'], ['per_micro', 'in training_step']] },
      accelerate: { help: 'A prepared scheduler (accelerator.prepare) steps once per process at every optimizer step.',
        options: [['constant', 'none (constant lr)'], ['per_step', 'prepared'],
          ['per_micro', 'not prepared, per backward'], ['sync', 'not prepared, per step']] },
      hf_trainer_before_4_46: { options: [['constant', 'none (constant lr)'], ['per_step', 'the Trainer\'s'], ['per_micro', 'also on_substep_end']] },
      hf_trainer: { options: [['constant', 'none (constant lr)'], ['per_step', 'the Trainer\'s'], ['per_micro', 'also on_substep_end']] },
      deepspeed: { options: [['constant', 'none (constant lr)'], ['per_step', 'in deepspeed.initialize'], ['per_micro', 'after every engine.step()']] },
    } },
  { key: 'dropout', label: 'Dropout', help: 'Keyed: each mask drawn from (seed, step, layer, sample), not from one generator in call order.',
    options: [['none', 'none'], ['stream', 'nn.Dropout (usual RNG)'],
      ['keyed', 'keyed masks (by sample)']] },
  { key: 'norm', label: 'Normalisation layers',
    options: [['none', 'none'], ['batchnorm', 'BatchNorm'], ['layernorm', 'LayerNorm']] },
  { key: 'optimizer', label: 'Optimizer',
    options: [['sgd', 'SGD'], ['sgd_wd', 'SGD with weight decay'], ['adam', 'Adam'], ['adamw', 'AdamW']] },
  { key: 'uneven', label: 'Last group of the epoch smaller',
    options: [['no', 'no (or dropped)'], ['yes', 'yes, and it is kept']] },
  { key: 'targets', label: 'Valid targets per sample', help: 'Variable: a token-level loss that skips padding (ignore_index or a mask).',
    options: [['fixed', 'always the same number'], ['variable', 'variable (padding)']] },
];

/** The questions that say whose loop it is and where it runs (the others describe the loop). */
export const SETUP_KEYS = ['framework', 'workers'];

/** The default choices: the loop most people write first (a plain loop, one GPU). */
export function defaultChoices() {
  return Object.fromEntries(CHOICES.map((c) => [c.key, c.options[0][0]]));
}

/** Why this answer is not available for a loop ('' if it is), whatever the framework offers. */
function blocked(key, value, ch) {
  if (key === 'clipping' && value === 'per_micro' && ch.workers !== '1') return 'not simulated with several GPUs';
  if (key === 'workers' && value !== '1' && ch.clipping === 'per_micro') return 'not with clipping after every backward';
  if (key === 'reduction' && value === 'sum' && HF(ch.framework)) return 'HF models\' losses are means';
  return '';
}

/**
 * A question as it reads for a loop: {key, label, help, options: [{value, label, disabled}]}
 * (disabled: why that answer is not available here, or '').
 */
export function questionFor(key, choices) {
  const ch = { ...defaultChoices(), ...choices };
  const c = CHOICES.find((q) => q.key === key);
  const over = c.byFramework?.[ch.framework] ?? {};
  return {
    key, label: over.label ?? c.label, help: over.help ?? c.help,
    options: (over.options ?? c.options).map(([value, label]) => ({ value, label, disabled: blocked(key, value, ch) })),
  };
}

/** True if `value` is an answer to question `key` for this loop. */
export function isAllowed(key, value, choices) {
  const q = questionFor(key, choices);
  return q.options.some((o) => o.value === value && !o.disabled);
}

/** The choices with every answer that does not exist for this loop replaced by the first that does. */
export function normalizeChoices(choices) {
  const ch = { ...defaultChoices(), ...choices };
  for (const c of CHOICES) {
    if (!isAllowed(c.key, ch[c.key], ch)) ch[c.key] = questionFor(c.key, ch).options.find((o) => !o.disabled).value;
  }
  return ch;
}

/**
 * The choices after the user answered `key` with `value`. Another framework keeps
 * "summed ÷ num_items_in_batch" (where that framework offers it) and otherwise starts from
 * "not divided by you": a plain loop's ÷ k is what the framework does itself.
 */
export function withChoice(choices, key, value) {
  const ch = { ...defaultChoices(), ...choices, [key]: value };
  if (key === 'framework' && value !== choices.framework && !(ch.scaling === 'global' && isAllowed('scaling', 'global', ch))) ch.scaling = 'none';
  return normalizeChoices(ch);
}

/**
 * Every combination of the loop's choices for one framework and GPU count (default a plain
 * loop on one GPU: 2·4·3·3·3·3·4·2·2 = 10368), only answers that exist for it. `fixed`
 * holds the setup and any other answers to keep as they are (the rest are enumerated).
 */
export function allChoices(fixed = {}) {
  let out = [{ framework: 'pytorch', workers: '1', ...fixed }];
  for (const c of CHOICES) {
    if (c.key in out[0]) continue;
    out = out.flatMap((partial) => questionFor(c.key, partial).options.filter((o) => !o.disabled)
      .map((o) => ({ ...partial, [c.key]: o.value })));
  }
  return out;
}

const M = 8, K = 4;
const CLIP = 0.1; // small enough that clipping partial sums really clips on moons

/** The knobs the engine runs for a loop: the framework's defaults (the core's table) and what the choices set. */
function knobs(ch) {
  const f = FRAMEWORK_TABLE[ch.framework] ?? FRAMEWORK_TABLE.pytorch;
  const W = Number(ch.workers);
  const config = configFor(ch);
  return {
    framework: ch.framework, W,
    correction: config.correction ?? f.correction,
    boundary: f.groupBoundary, divisor: f.lastGroupDivisor,
    schedulerSteps: config.schedulerStepsPerOptimizerStep ?? (f.schedulerStepsPerWorker ? W : 1),
  };
}

// What the scaling answer sets, per framework (undefined: the framework's own correction).
const CORRECTIONS = {
  pytorch: { none: 'none', k: 'scale_loss', global: 'global_count', lr: 'scale_lr' },
  lightning: { none: undefined, global: 'global_count' },
  accelerate: { none: undefined, global: 'global_count' },
  deepspeed: { none: undefined, global: 'global_count' },
  hf_trainer_before_4_46: { none: undefined },
  hf_trainer: { none: undefined, k: 'scale_loss' },
};

/**
 * The engine config that runs this loop: moons, the default model (two hidden layers, so
 * stream dropout draws for two layers), m = 8, k = 4, 20 steps. An uneven last group is
 * 100 = 3 × 32 + 4 samples on a plain loop on one GPU (a last group of one short
 * micro-batch, as the checker always had); with a framework or several GPUs it is
 * 3·W·32 + W·8 (W GPUs): every GPU's last group is one whole micro-batch. That is the
 * question asked (a short last group), not a short last micro-batch, which DeepSpeed's and
 * the old Trainer's global counter would mix with full ones; and it is a shape whose causes
 * the core predicts exactly for every framework (a short group of one micro-batch that the
 * HF Trainer divides by its own count of 1 is exact). Variable targets mask half
 * the targets (class targets of moons, so micro-batches hold different numbers of valid
 * targets). SGD's lr is 0.1 for a mean loss and 0.01 for a sum (a summed gradient is m·k
 * times a mean one). A framework and GPUs appear only when they are not a plain loop on one
 * GPU; with a framework, "not divided by you" leaves `correction` to the framework.
 */
export function configFor(choices) {
  const ch = { ...defaultChoices(), ...choices };
  const sum = ch.reduction === 'sum';
  const W = Number(ch.workers);
  const plain = ch.framework === 'pytorch' && W === 1;
  const corrections = CORRECTIONS[ch.framework];
  if (!corrections || !(ch.scaling in corrections)) throw new Error(`"${ch.scaling}" is not an answer to the loss question with ${ch.framework}`);
  const config = {
    data: { name: 'moons', n: ch.uneven === 'yes' ? (plain ? 100 : 3 * W * M * K + W * M) : 256 },
    batchSize: M, accumSteps: K, steps: 20, reduction: ch.reduction,
  };
  if (corrections[ch.scaling] !== undefined) config.correction = corrections[ch.scaling];
  if (ch.framework !== 'pytorch') config.framework = ch.framework;
  if (W > 1) config.workers = W;
  if (ch.targets === 'variable') config.data.maskFraction = 0.5;
  if (ch.clipping !== 'none') {
    config.clipGradNorm = CLIP;
    config.clipPlacement = ch.clipping === 'after' ? 'after_accumulation' : 'per_micro_batch';
  }
  if (ch.scheduler !== 'constant') {
    config.schedule = { name: 'cosine' };
    config.schedulerStepping = ch.scheduler === 'per_micro' ? 'per_micro_batch' : 'per_optimizer_step';
    // Accelerate: a scheduler kept out of accelerator.prepare steps once per call.
    if (ch.framework === 'accelerate' && (ch.scheduler === 'per_micro' || ch.scheduler === 'sync')) config.schedulerStepsPerOptimizerStep = 1;
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
// the uneven last group is one micro-batch (of 4, or a whole one per GPU), so dividing it
// by k only rescales it too.
const RESCALING_CAUSES = ['mean_unscaled', 'adam_scale', 'sum_scaled', 'world_size_average', 'uneven_last_group'];

/**
 * True if clipping after accumulation can hide this broken loop's scale: every
 * cause (ids: the core's prediction for configFor(choices)) only rescales the accumulated
 * gradient (not the lr), and clip_grad_norm_ cutting both gradients to max_norm undoes a rescaling.
 */
export function clippingCanHide(choices, ids) {
  const ch = { ...defaultChoices(), ...choices };
  return ch.clipping === 'after' && ch.scaling !== 'lr' && ids.length > 0 && ids.every((id) => RESCALING_CAUSES.includes(id));
}

// ---------------------------------------------------------------------------------------------
// The answer, in four parts: what breaks equivalence (each with its fix), what is expected
// noise, what the loop does right, and the corrected loop as code (the framework's code).
//
// Which of the core's cause ids are the user's bugs and which are not is a question of words,
// so it lives here: dropout drawing other masks in the accumulated loop is noise (two runs with
// dropout never match, and plain PyTorch has no keyed masks to fix it with); Adam seeing the
// unscaled k× gradient only through eps is a consequence of the unscaled mean, a note on that
// cause, never a cause of its own; lr ÷ k with plain SGD and no clipping is equivalent by
// design. Everything else the core names breaks equivalence and has a fix.

/** The ids that are expected noise, not bugs: the loop is right, the runs still differ. */
export const NOISE_CAUSES = ['dropout_stream', 'summation_order'];
/** The ids that are consequences of another cause (said as a note on it), never a cause. */
export const CONSEQUENCES = ['adam_scale', 'clip_masks'];

/** True if this cause id is a bug of this loop (not noise, not a consequence, not lr ÷ k by design). */
export function isBreaking(id, choices) {
  const ch = { ...defaultChoices(), ...choices };
  if (NOISE_CAUSES.includes(id) || CONSEQUENCES.includes(id)) return false;
  // lr ÷ k alone: the gradient is k× by design; it breaks only where clipping sees the k×
  // gradient (with weight decay or Adam the core names those causes on their own).
  if (id === 'scale_lr') return ch.clipping !== 'none';
  return true;
}

/** The breaking cause ids among the core's prediction (ids: lab.configCauses(configFor(choices))). */
export function breakingCauses(choices, ids) {
  return ids.filter((id) => isBreaking(id, choices));
}

/**
 * The example loops the panel offers. 'stackoverflow' is the loop of the question people
 * post (and of issue 13's test): a token-level loss that skips padding, averaged per
 * micro-batch and not divided by k, AdamW, dropout and LayerNorm (a transformer),
 * clip_grad_norm_ once before optimizer.step() and scheduler.step() once per optimizer step:
 *
 *     for step, batch in enumerate(loader):
 *         loss = model(**batch).loss          # mean over the micro-batch's tokens
 *         loss.backward()
 *         if (step + 1) % k == 0:
 *             torch.nn.utils.clip_grad_norm_(model.parameters(), 1.0)
 *             optimizer.step()                # AdamW
 *             scheduler.step()
 *             optimizer.zero_grad()
 *
 * 'lightning' is Trainer(accumulate_grad_batches=k) on two GPUs with the epoch's short last
 * group kept: Lightning divides it by k too (issue #19987).
 */
export const EXAMPLES = [
  { id: 'stackoverflow', label: 'The StackOverflow loop', about: 'AdamW, dropout, LayerNorm, padded tokens, loss not divided by k, clip and scheduler once per step',
    choices: { framework: 'pytorch', workers: '1', reduction: 'mean', scaling: 'none', clipping: 'after', scheduler: 'per_step', dropout: 'stream',
      norm: 'layernorm', optimizer: 'adamw', uneven: 'no', targets: 'variable' } },
  { id: 'first', label: 'The loop most people write first', about: 'mean loss, not divided by k, plain SGD', choices: defaultChoices() },
  { id: 'correct', label: 'A correct loop', about: 'loss ÷ k, clip and scheduler once per optimizer step',
    choices: { ...defaultChoices(), scaling: 'k', clipping: 'after', scheduler: 'per_step', optimizer: 'adamw' } },
  { id: 'lightning', label: 'Lightning on 2 GPUs', about: 'Trainer(accumulate_grad_batches=k), 2 GPUs, AdamW, clip and scheduler once per step, the short last group kept',
    choices: { ...defaultChoices(), framework: 'lightning', workers: '2', clipping: 'after', scheduler: 'per_step', optimizer: 'adamw', uneven: 'yes' } },
];
export const STACKOVERFLOW_LOOP = EXAMPLES[0].choices;

/** What each breaking cause changes in the choices to fix it, in this loop's framework. */
function fixesFor(id, ch) {
  const fw = ch.framework, plain = fw === 'pytorch', W1 = ch.workers !== '1';
  switch (id) {
    case 'mean_unscaled': case 'scale_lr': case 'scale_lr_weight_decay': case 'scale_lr_adam': return { scaling: 'k' };
    // With several GPUs a sum cannot stay a sum (DDP averages it; the lab has no × world size).
    case 'sum_scaled': return plain && !W1 ? { scaling: 'none' } : plain ? { reduction: 'mean', scaling: ch.scaling === 'global' ? 'global' : 'k' } : { reduction: 'mean' };
    case 'world_size_average': return plain ? { reduction: 'mean', scaling: 'k' } : { reduction: 'mean' };
    case 'batchnorm': return { norm: 'layernorm' };
    case 'clip_per_micro_batch': return { clipping: 'after' };
    case 'scheduler_per_micro_batch': return { scheduler: fw === 'accelerate' && W1 ? 'sync' : 'per_step' };
    case 'scheduler_steps_multiplied': return { scheduler: 'sync' };
    case 'uneven_last_group': case 'variable_targets':
      if (plain) return { scaling: 'global' };
      if (fw === 'hf_trainer_before_4_46') return { framework: 'hf_trainer' };
      if (fw === 'hf_trainer') return { scaling: 'none' };
      return id === 'uneven_last_group' ? { uneven: 'no' } : { scaling: 'global' };
    default: return {};
  }
}

/**
 * The loop with every breaking choice fixed (ids: the core's causes for configFor(choices)).
 * Noise (dropout) stays as it is. Where an uneven group or masked targets need
 * num_items_in_batch, that fix wins over ÷ k for the loss (and, with a framework, over
 * dropping the short group).
 */
export function correctedChoices(choices, ids) {
  const ch = { ...defaultChoices(), ...choices };
  const out = { ...ch }, scalings = new Set();
  const fixes = breakingCauses(ch, ids).map((id) => fixesFor(id, ch));
  // A sum turned into a mean (several GPUs, or a framework that divides): a short last group
  // or variable targets then need what a mean needs (a sum weighed them right).
  if (ch.reduction === 'sum' && fixes.some((f) => f.reduction === 'mean')) {
    if (ch.uneven === 'yes') fixes.push(fixesFor('uneven_last_group', ch));
    if (ch.targets === 'variable') fixes.push(fixesFor('variable_targets', ch));
  }
  for (const fix of fixes) {
    for (const [key, value] of Object.entries(fix)) {
      if (key === 'scaling') scalings.add(value);
      else out[key] = value;
    }
  }
  // One way to scale the loss: a sum is never divided; num_items_in_batch wins over ÷ k.
  if (scalings.size) {
    if (ch.framework === 'pytorch') out.scaling = out.reduction === 'sum' ? 'none' : scalings.has('global') ? 'global' : 'k';
    else out.scaling = scalings.has('global') ? 'global' : 'none';
  }
  // num_items_in_batch weighs the short last group right: no need to drop it.
  if (ch.framework !== 'pytorch' && out.scaling === 'global') out.uneven = ch.uneven;
  return out;
}


/** How the loss is written for these choices, in words (for the fixes). */
function lossFix(ch) {
  const W = Number(ch.workers);
  switch (ch.scaling) {
    case 'k': return `divide each micro-batch loss by k: loss = criterion(model(x), y) / k`;
    case 'global': return `sum each micro-batch loss over its ${ch.targets === 'variable' ? 'valid targets' : 'samples'} and divide by num_items_in_batch, the ${ch.targets === 'variable' ? 'valid targets' : 'samples'} of all k micro-batches of the group (reduction="sum", then / num_items_in_batch)${W > 1 ? `, counted over all ${W} GPUs (dist.all_reduce) and times the world size, which undoes DDP's average` : ''}`;
    case 'none': return ch.reduction === 'sum' ? 'keep the sum as it is (reduction="sum", no / k) and the full lr' : 'leave the loss as it is';
    default: return 'divide the lr by k';
  }
}

const ITEMS = (ch) => (ch.targets === 'variable' ? 'valid targets' : 'samples');

/** The fix for one breaking cause on a plain PyTorch loop, in PyTorch words, consistent with the corrected loop. */
function plainFixText(id, ch, fixed) {
  const W = Number(ch.workers);
  switch (id) {
    case 'mean_unscaled': case 'uneven_last_group': case 'variable_targets':
      return `Fix: ${lossFix(fixed)}.${id === 'uneven_last_group' && fixed.scaling === 'global' ? ' (Or drop the short last group: DataLoader(..., drop_last=True) and a group count that divides the epoch.)' : ''}`;
    case 'sum_scaled':
      if (W > 1) return ddpMeanFix(fixed, W);
      return `Fix: ${lossFix(fixed)}: with reduction="sum" the k summed gradients already add up to the big batch's.`;
    case 'world_size_average': return ddpMeanFix(fixed, W);
    case 'scale_lr': case 'scale_lr_weight_decay': case 'scale_lr_adam':
      return `Fix: keep the full lr and ${lossFix(fixed)}.`;
    case 'batchnorm': return `Fix: to be equivalent, normalise per sample: nn.LayerNorm (or nn.GroupNorm) instead of nn.BatchNorm1d. BatchNorm itself cannot be accumulated exactly; keep it only if micro-batch statistics are acceptable.${W > 1 ? SYNC_BN : ''}`;
    case 'clip_per_micro_batch': return 'Fix: call torch.nn.utils.clip_grad_norm_ once per optimizer step, after the last backward and right before optimizer.step().';
    case 'scheduler_per_micro_batch': return 'Fix: call scheduler.step() once per optimizer step, right after optimizer.step().';
    default: return '';
  }
}
/** A sum on several GPUs becomes a mean: DDP's average is right for a mean. */
function ddpMeanFix(fixed, W) {
  const or = ' (Or keep the sum and multiply each GPU\'s loss by dist.get_world_size(); the lab does not run that.)';
  if (fixed.scaling === 'global') return `Fix: ${lossFix(fixed)}.${or}`;
  return `Fix: use a mean loss and ${lossFix(fixed)}: DDP's average over the ${W} GPUs is right for a mean.${or}`;
}
const SYNC_BN = ' With several GPUs, nn.SyncBatchNorm takes the statistics over all GPUs\' micro-batches of one micro-step, but still not over the k accumulated ones.';

/** The fix for one breaking cause with a framework, in that framework's terms. */
function frameworkFixText(id, ch, fixed) {
  const fw = ch.framework, W = Number(ch.workers);
  const upgrade = 'Fix: upgrade to transformers ≥ 4.46 (pip install -U transformers) and let the model take the loss kwargs: the Trainer then divides the summed loss by num_items_in_batch, the valid targets of the whole group';
  const kwargs = 'Fix: let the model take the loss kwargs, forward(..., **kwargs), and divide its summed loss by kwargs["num_items_in_batch"], the valid targets of the whole group (or pass compute_loss_func to the Trainer)';
  const across = W > 1 ? ` (over all ${W} GPUs: average_tokens_across_devices=True)` : '';
  const globalFix = {
    lightning: `Fix: sum the loss over the ${ITEMS(fixed)} and divide by num_items_in_batch, the ${ITEMS(fixed)} of the group's k micro-batches, times k to undo Lightning's ÷ accumulate_grad_batches${W > 1 ? `; with ${W} GPUs count them over all (self.all_gather) and multiply by world_size, which undoes DDP's average` : ''}.`,
    accelerate: `Fix: take the group out of Accelerate's hands (Accelerator() without gradient_accumulation_steps, accelerator.no_sync(model) for all but the group's last backward) and divide the summed loss by num_items_in_batch, the ${ITEMS(fixed)} of the group's k micro-batches${W > 1 ? `, gathered over the ${W} processes and times num_processes, which undoes DDP's average` : ''}.`,
    deepspeed: `Fix: divide the summed loss by num_items_in_batch, the ${ITEMS(fixed)} of the group's k micro-batches (DeepSpeed's groups run across epoch ends), and pass scale_wrt_gas=False to engine.backward${W > 1 ? `; with ${W} GPUs all_reduce the count and multiply by the world size, which undoes the engine's average` : ''}.`,
  }[fw];
  switch (id) {
    case 'uneven_last_group':
      if (fw === 'hf_trainer_before_4_46') return `${upgrade}, the short last one too${across}. (Or TrainingArguments(dataloader_drop_last=True).)`;
      if (fw === 'hf_trainer') return `${kwargs}: the short last one weighs its ${ITEMS(fixed)} right.`;
      if (fixed.scaling === 'global') return globalFix;
      if (fw === 'lightning') return 'Fix: don\'t divide the loss yourself to make up for it; drop the short group: DataLoader(..., drop_last=True) with len(loader) a multiple of accumulate_grad_batches. (Or sum the loss and divide it by num_items_in_batch, times k.)';
      if (fw === 'accelerate') return 'Fix: drop the short tail: DataLoader(..., drop_last=True) with len(loader) a multiple of gradient_accumulation_steps, before accelerator.prepare. (Or divide the summed loss by num_items_in_batch, the group by hand.)';
      return 'Fix: drop the short last micro-batch: DataLoader(..., drop_last=True). (Or divide the summed loss by num_items_in_batch and pass scale_wrt_gas=False to engine.backward.)';
    case 'variable_targets':
      if (fw === 'hf_trainer_before_4_46') return `${upgrade}${across}.`;
      if (fw === 'hf_trainer') return `${kwargs}.`;
      return globalFix;
    case 'sum_scaled': return `Fix: use a mean loss (reduction="mean"): ${DIVIDER[fw]}, which is right for a mean and not for a sum (a sum would need × k to undo it).`;
    case 'world_size_average': return `Fix: use a mean loss (reduction="mean"): DDP averages the gradients over the ${W} GPUs, which is right for a mean. (Or multiply each GPU's summed loss by the world size; the lab does not run that.)`;
    case 'batchnorm': return `Fix: to be equivalent, normalise per sample: nn.LayerNorm (or nn.GroupNorm) instead of nn.BatchNorm1d. BatchNorm itself cannot be accumulated exactly; keep it only if micro-batch statistics are acceptable.${W > 1 ? SYNC_BN : ''}`;
    case 'clip_per_micro_batch': return {
      lightning: 'Fix: let Lightning clip: Trainer(gradient_clip_val=1.0) clips once per optimizer step, after the group\'s last backward; remove clip_grad_norm_ from on_after_backward.',
      accelerate: 'Fix: clip only on the group\'s last backward: accelerator.clip_grad_norm_ inside "if accelerator.sync_gradients:", right before optimizer.step().',
      deepspeed: 'Fix: set "gradient_clipping": 1.0 in the DeepSpeed config (the engine clips once, at the group\'s boundary) and remove the clip_grad_norm_ after every backward.',
    }[fw] ?? 'Fix: let the Trainer clip once per optimizer step (TrainingArguments(max_grad_norm=1.0)) and remove clip_grad_norm_ from the training_step override.';
    case 'scheduler_per_micro_batch': return {
      lightning: 'Fix: return the scheduler from configure_optimizers with "interval": "step": Lightning steps it once per optimizer step; don\'t step it in training_step.',
      accelerate: W > 1 ? `Fix: step it only if accelerator.sync_gradients, right after optimizer.step() (a prepared scheduler would step ${W} times per optimizer step on ${W} GPUs).`
        : 'Fix: prepare it (accelerator.prepare(..., scheduler) steps it only when the optimizer steps), or step it only if accelerator.sync_gradients.',
      deepspeed: 'Fix: pass it to deepspeed.initialize(lr_scheduler=scheduler): the engine steps it once per optimizer step; don\'t step it after every engine.step().',
    }[fw] ?? 'Fix: let the Trainer step it once per optimizer step (optimizers=(optimizer, scheduler)) and remove the on_substep_end callback.';
    case 'scheduler_steps_multiplied': return `Fix: Accelerate's prepared scheduler steps num_processes (${W}) times per optimizer step: keep it out of accelerator.prepare and step it once, if accelerator.sync_gradients (the corrected loop does); or pass Accelerator(split_batches=True); or size the schedule for ${W}× the steps.`;
    default: return '';
  }
}

function fixText(id, ch, fixed) {
  return ch.framework === 'pytorch' ? plainFixText(id, ch, fixed) : frameworkFixText(id, ch, fixed);
}

const stripFix = (text) => text.replace(/\s*Fix:.*$/s, '');

/** The effective config the cause texts quote (the framework's knobs included). */
function wordsConfig(ch) {
  const kn = knobs(ch), config = configFor(ch);
  return {
    accumSteps: K, batchSize: M, reduction: ch.reduction, optimizer: { eps: 1e-8, lr: config.optimizer.lr },
    workers: kn.W, framework: ch.framework, syncBatchNorm: false, schedulerStepsPerOptimizerStep: kn.schedulerSteps,
  };
}

/** "PyTorch Lightning 2.6 on 2 GPUs" (for the summary), or '' for a plain loop on one GPU. */
export function setupWords(choices) {
  const ch = { ...defaultChoices(), ...choices };
  const W = Number(ch.workers);
  if (ch.framework === 'pytorch' && W === 1) return '';
  const who = ch.framework === 'pytorch' ? 'a plain PyTorch loop with DDP' : FRAMEWORK_NAMES[ch.framework];
  return `${who}${W > 1 ? ` on ${W} GPUs` : ', one GPU'}`;
}

/**
 * The four parts of the answer for a loop (ids: the core's prediction for configFor(choices)):
 *   breaks: [{id, title, text, fix, notes}]  what breaks equivalence, each with its fix
 *   noise:  [{id, title, text, check}]      expected noise (dropout; float rounding)
 *   right:  [string]                        what the loop does right, one ✓ line each
 *   corrected: choices, code: string        the loop with every breaking choice fixed, as code
 */
export function explainLoop(choices, ids) {
  const ch = { ...defaultChoices(), ...choices };
  const fw = ch.framework, plain = fw === 'pytorch', W = Number(ch.workers);
  const words = Object.fromEntries(describeCauses(ids, wordsConfig(ch)).map((c) => [c.id, c]));
  const corrected = correctedChoices(ch, ids);
  const breaking = breakingCauses(ch, ids);
  const capital = (s) => s[0].toUpperCase() + s.slice(1);

  const breaks = breaking.map((id) => {
    const w = words[id];
    let title = capital(w.title), text = stripFix(w.text);
    if (id === 'scale_lr') {
      title = `clip_grad_norm_ sees the ${K}× gradient of lr ÷ ${K}`;
      text = `The learning rate is divided by ${K} instead of the loss, so the accumulated gradient is ${K}× the big batch's. clip_grad_norm_ measures that ${K}× norm and cuts the accumulated run where it would not cut the big batch: lr ÷ ${K} then no longer compensates.`;
    }
    const notes = [];
    if (id === 'mean_unscaled' && ids.includes('adam_scale')) {
      notes.push(`With ${ch.optimizer === 'adamw' ? 'AdamW' : 'Adam'} this shows less than with SGD: Adam divides the scale out, so the ${K}× gradient changes its steps only through eps (1e-8). Not a separate bug: the same fix removes it.`);
    }
    if (id === 'sum_scaled' && ch.scaling === 'lr') {
      notes.push(`Here the loss is not divided, but the lr is: with sum reduction the accumulated gradient already equals the big batch's, so lr ÷ ${K} makes every step ${K}× shorter.`);
    }
    if (id === 'sum_scaled' && !plain) notes.push(`${capital(DIVIDER[fw] ?? 'the Trainer divides the loss')}: you did not divide the sum, ${SHORT[fw]} did.`);
    if (id === 'variable_targets' && fw === 'hf_trainer_before_4_46') notes.push('This is the gradient-accumulation loss bug of transformers before 4.46: a mean of per-micro-batch means, whatever the number of valid tokens in each.');
    return { id, title, text, fix: fixText(id, ch, corrected), notes };
  });
  if (clippingCanHide(ch, ids)) {
    const first = breaks.find((b) => RESCALING_CAUSES.includes(b.id)) ?? breaks[0];
    first?.notes.push('Clipping after accumulation can hide this: when clip_grad_norm_ cuts both gradients, both end up with norm max_norm and the updates agree while the loop is off by a scale (the lab names it when it runs: clip_masks, with the ratio before clipping). Fix the scale; do not rely on clipping.');
  }
  // Causes the panel has no words of its own for (a new id of the core): its own text.
  for (const b of breaks) if (!b.fix) { b.fix = (words[b.id].text.match(/Fix:.*$/s) ?? [''])[0]; }
  // One change that fixes two causes (÷ num_items_in_batch for an unscaled mean and masked targets).
  for (let i = 1; i < breaks.length; i++) {
    const sameFix = (b) => !plain && JSON.stringify(fixesFor(b.id, ch)) === JSON.stringify(fixesFor(breaks[i].id, ch)) && Object.keys(fixesFor(b.id, ch)).length > 0;
    const same = breaks.slice(0, i).find((b) => b.fix === breaks[i].fix || sameFix(b));
    if (!same) continue;
    const change = plain ? (corrected.scaling === 'global' ? '÷ num_items_in_batch' : '')
      : { scaling: '÷ num_items_in_batch', framework: 'transformers ≥ 4.46', reduction: 'a mean loss', uneven: 'drop_last=True' }[Object.keys(fixesFor(breaks[i].id, ch))[0]] ?? '';
    breaks[i].fix = `Fix: the change above${change ? ` (${change})` : ''} fixes this too.`;
  }

  const noise = [];
  if (ids.includes('dropout_stream')) {
    noise.push({ id: 'dropout_stream', title: 'Dropout draws other masks in the accumulated loop',
      text: `nn.Dropout draws its masks from one generator in call order: the big batch draws layer 1 for all ${M * K * W} samples, then layer 2; the accumulated loop ${M} samples at a time${W > 1 ? `, on each of ${W} GPUs from its own generator` : ''}, so a sample gets other masks. The loops differ as any two runs with dropout do: noise, not a bug.`,
      check: 'To check equivalence, turn dropout off (p = 0, or model.eval() for the check) or use keyed masks (drawn from seed, step, layer, sample); train with it as it is.' });
  }
  const divided = ch.reduction === 'mean' && (plain ? ch.scaling === 'k' || ch.scaling === 'global' : true);
  noise.push({ id: 'summation_order', title: 'Float rounding',
    text: `The same terms are added in another grouping (per micro-batch, then across the ${K}${W > 1 ? `, then over the ${W} GPUs` : ''}${divided ? ', divided before adding' : ''}): even a correct loop matches up to float rounding, not bit for bit.`,
    check: 'Compare with torch.allclose, not ==.' });

  const right = [];
  const scaleOk = !breaking.some((id) => ['mean_unscaled', 'sum_scaled', 'world_size_average', 'scale_lr', 'scale_lr_weight_decay', 'scale_lr_adam', 'uneven_last_group', 'variable_targets'].includes(id));
  const ddp = W > 1 ? `, and DDP's average over the ${W} GPUs keeps it the mean over all ${M * K * W}` : '';
  if (scaleOk) {
    const items = ch.targets === 'variable' ? 'target' : 'sample';
    const shortToo = ch.uneven === 'yes' ? ', in the short last group too' : '';
    if (plain) {
      if (ch.reduction === 'mean' && ch.scaling === 'k') right.push(`Divides each micro-batch's mean loss by k = ${K}: the ${K} gradients add up to the mean over all ${M * K} samples${W > 1 ? ` of a GPU${ddp}` : ''}.`);
      if (ch.reduction === 'mean' && ch.scaling === 'global') right.push(`Divides the summed loss by num_items_in_batch, the ${ch.targets === 'variable' ? 'valid targets' : 'samples'} of the whole group${W > 1 ? ` on all ${W} GPUs, times the world size (undoing DDP's average)` : ''}: every ${items} weighs the same${shortToo}.`);
      if (ch.reduction === 'sum' && ch.scaling === 'none') right.push(`Sums the loss and does not divide it: the ${K} summed gradients are the big batch's sum${shortToo}.`);
      if (ch.scaling === 'lr') right.push(`Divides the lr by k with plain SGD: the gradient is ${K}× the big batch's by design, and every update lr/${K} × ${K}g is the big batch's.`);
    } else if (ch.scaling === 'global') {
      right.push(`Divides the summed loss by num_items_in_batch, the ${ch.targets === 'variable' ? 'valid targets' : 'samples'} of the whole group${W > 1 ? ` on all ${W} GPUs` : ''}, and undoes ${SHORT[fw]}'s ÷ k${W > 1 ? ' and DDP\'s average' : ''}: every ${items} weighs the same${shortToo}.`);
    } else if (fw === 'hf_trainer' && ch.scaling === 'none') {
      right.push(`Lets the Trainer divide the summed loss by num_items_in_batch, the ${ch.targets === 'variable' ? 'valid targets' : 'samples'} of the whole group${W > 1 ? ` on all ${W} GPUs (average_tokens_across_devices)` : ''}: every ${items} weighs the same${shortToo}.`);
    } else if (fw === 'hf_trainer') {
      right.push(`The Trainer divides the model's mean by the group's own number of micro-batches${ch.uneven === 'yes' ? ', the short last group\'s too' : ''}${ddp}.`);
    } else if (ch.reduction === 'mean') {
      right.push(`Leaves the ÷ k to ${SHORT[fw]}: ${DIVIDER[fw]}${ddp}. Don't divide it yourself too.`);
    }
  }
  if (ch.uneven === 'yes' && FRAMEWORK_TABLE[fw]?.groupBoundary === 'global' && !breaking.includes('uneven_last_group')) {
    right.push(`Has no short group: ${SHORT[fw]} counts micro-batches across epoch ends, so the next epoch's first micro-batches complete the last group. (A short last micro-batch would still be divided by k like a full one: drop_last=True.)`);
  }
  const stepsMultiplied = breaking.includes('scheduler_steps_multiplied');
  if (ch.clipping === 'after') right.push(`Clips once, after the last backward, on the accumulated gradient${{ lightning: ' (gradient_clip_val)', deepspeed: ' ("gradient_clipping")', hf_trainer: ' (max_grad_norm)', hf_trainer_before_4_46: ' (max_grad_norm)' }[fw] ?? ''}.`);
  if ((ch.scheduler === 'per_step' || ch.scheduler === 'sync') && !stepsMultiplied) {
    right.push(`Steps the scheduler once per optimizer step${fw === 'accelerate' ? (ch.scheduler === 'sync' ? ' (kept out of accelerator.prepare: once per call, whatever the number of GPUs)' : ' (prepared: only when the optimizer steps)') : ''}.`);
  }
  if (ch.norm === 'layernorm') right.push('Uses LayerNorm: it normalises each sample on its own, so it accumulates exactly.');
  if (ch.dropout === 'keyed') right.push('Uses keyed dropout masks: every sample gets the same mask in both loops.');
  if ((ch.optimizer === 'sgd_wd' || ch.optimizer === 'adamw') && ch.scaling !== 'lr') right.push('Keeps the full lr, so weight decay is as strong as in the big batch.');
  if (plain) right.push(`Calls zero_grad() only after optimizer.step(), so .grad sums the k micro-batches (assumed: the checker does not ask)${W > 1 ? `; DDP all-reduces once per group (no_sync for the other backwards)` : ''}.`);
  else if (fw === 'accelerate' && ch.scaling === 'global') right.push('Calls zero_grad() only after optimizer.step(), so .grad sums the k micro-batches.');
  else if (fw === 'accelerate') right.push('Calls optimizer.zero_grad() inside accelerator.accumulate(): the prepared optimizer zeroes only after a step, so .grad sums the k micro-batches.');
  else right.push(`Leaves zero_grad() to ${SHORT[fw]}: it zeroes the gradients only after an optimizer step, so they sum the k micro-batches.`);

  return { breaks, noise, right, corrected, code: loopCode(corrected, ch) };
}

const PAD = -100; // ignore_index: the targets that do not count (padding)

/** The helpers every loop's code shares: labels of the user's answers, "# fixed:" comments, the model. */
function codeParts(choices, original) {
  const ch = { ...defaultChoices(), ...choices };
  const was = { ...defaultChoices(), ...original };
  const label = (key, value) => questionFor(key, was).options.find((o) => o.value === value)?.label ?? value;
  const changed = (key) => ch[key] !== was[key];
  const fixed = (key, what) => (changed(key) ? [`# fixed: ${what}`, `#   (was: ${label(key, was[key])})`] : []);
  const variable = ch.targets === 'variable';
  /** The model: the lab's, with the layers that matter here (nn.Sequential called `name`). */
  const modelLines = (name = 'model') => {
    const out = [...fixed('norm', 'nn.LayerNorm, per sample (BatchNorm sees m samples, not m·k)')];
    if (ch.dropout === 'stream') {
      out.push('# expected noise: nn.Dropout draws other masks than the big batch would.',
        '# To check equivalence, set p=0 or use keyed masks; train with it as it is.');
    }
    if (ch.dropout === 'keyed') out.push('# KeyedDropout: your dropout with masks keyed by (seed, step, layer, sample),', '# as in the lab\'s "PyTorch script" download (nn.Dropout draws in call order)');
    const hidden = (n) => {
      const parts = [];
      if (ch.norm === 'batchnorm') parts.push(`nn.BatchNorm1d(${n})`);
      if (ch.norm === 'layernorm') parts.push(`nn.LayerNorm(${n})`);
      parts.push('nn.Tanh()');
      return parts;
    };
    const drop = (layer) => (ch.dropout === 'stream' ? ['nn.Dropout(0.3)'] : ch.dropout === 'keyed' ? [`KeyedDropout(0.3, ${layer})`] : []);
    out.push(`${name} = nn.Sequential(`,
      `    ${['nn.Linear(2, 16)', ...hidden(16), ...drop(0)].join(', ')},`,
      `    ${['nn.Linear(16, 16)', ...hidden(16), ...drop(1)].join(', ')},`,
      '    nn.Linear(16, 2),', ')');
    return out;
  };
  const lr = ch.optimizer.startsWith('adam') ? '1e-3' : ch.reduction === 'sum' ? '0.01' : '0.1'; // as configFor runs it
  /** The optimizer's call on `params`, the lr divided by k where the loop does. */
  const optimizer = (params) => {
    const lrExpr = ch.scaling === 'lr' ? `${lr} / k` : lr;
    return {
      sgd: `torch.optim.SGD(${params}, lr=${lrExpr})`,
      sgd_wd: `torch.optim.SGD(${params}, lr=${lrExpr}, weight_decay=0.01)`,
      adam: `torch.optim.Adam(${params}, lr=${lrExpr})`,
      adamw: `torch.optim.AdamW(${params}, lr=${lrExpr}, weight_decay=0.01)`,
    }[ch.optimizer];
  };
  const W = Number(ch.workers);
  const launch = (command) => (W > 1 ? [`# launch: ${command}`] : []);
  const ignore = variable ? `, ignore_index=${PAD}` : '';
  /** The group's items: valid targets (y != -100) or samples. */
  const countExpr = variable ? `sum(int((y != ${PAD}).sum()) for _, y in group)` : 'sum(len(y) for _, y in group)';
  const itemsWord = variable ? 'valid targets' : 'samples';
  return { ch, was, label, changed, fixed, variable, modelLines, optimizer, W, launch, ignore, countExpr, itemsWord };
}

/**
 * The loop as code (`choices`), with a "# fixed:" comment where it differs from `original`
 * (the user's loop): PyTorch for a plain loop (with torchrun and DDP on several GPUs), or the
 * framework's own code: a LightningModule and Trainer(accumulate_grad_batches=k),
 * Accelerator(gradient_accumulation_steps=k) with accelerator.accumulate(model),
 * TrainingArguments(gradient_accumulation_steps=k), a DeepSpeed config with
 * "gradient_accumulation_steps". The lab's model (moons: 2-16-16-2, tanh) stands for the
 * user's; `loader` (a plain loop on one GPU) or `dataset` gives micro-batches of m samples
 * and `num_steps` counts optimizer steps. With a framework it writes the loops a corrected
 * loop can be: clipping and the scheduler once per optimizer step (a per-micro-batch
 * placement is always a bug, and explainLoop fixes it first).
 */
export function loopCode(choices, original = choices) {
  const ch = { ...defaultChoices(), ...choices };
  if (ch.framework === 'pytorch') return plainCode(ch, original);
  if (ch.clipping === 'per_micro' || ch.scheduler === 'per_micro') {
    throw new Error(`loopCode writes ${ch.framework}'s code for clipping and the scheduler once per optimizer step (a corrected loop)`);
  }
  return { lightning: lightningCode, accelerate: accelerateCode, deepspeed: deepspeedCode, hf_trainer: hfCode, hf_trainer_before_4_46: hfCode }[ch.framework](ch, original);
}

/** A plain PyTorch loop; on several GPUs launched by torchrun, with DDP and no_sync. */
function plainCode(choices, original) {
  const { ch, was, label, changed, fixed, variable, modelLines, optimizer, W, ignore, countExpr } = codeParts(choices, original);
  const sum = ch.reduction === 'sum', global = ch.scaling === 'global';
  const lrScaled = ch.scaling === 'lr';
  const ddp = W > 1;
  const out = ddp
    ? [`# launch: torchrun --nproc_per_node=${W} train.py  (one process per GPU)`, 'import contextlib', 'import torch',
      'import torch.distributed as dist', 'import torch.nn as nn', 'import torch.nn.functional as F',
      'from torch.nn.parallel import DistributedDataParallel as DDP', 'from torch.utils.data import DataLoader, DistributedSampler', '',
      'dist.init_process_group()  # one process per GPU, from torchrun\'s environment',
      `k = ${K}  # micro-batches per optimizer step: the big batch is m·k·GPUs samples`,
      '# dataset: your samples; num_steps: optimizer steps']
    : ['import torch', 'import torch.nn as nn', 'import torch.nn.functional as F', '',
      `k = ${K}  # micro-batches per optimizer step: the big batch is m·k samples`,
      '# loader: a DataLoader of micro-batches of m samples; num_steps: optimizer steps'];
  if (variable) out.push(`# y: class targets, ${PAD} where a target does not count (padding)`);
  if (ddp) out.push('# DistributedSampler: every GPU gets its share of each epoch', `loader = DataLoader(dataset, batch_size=${M}, sampler=DistributedSampler(dataset))`);
  out.push('');

  out.push(...modelLines());
  if (ddp) out.push('model = DDP(model)  # averages the gradients over the GPUs');

  // The optimizer and the scheduler.
  if (was.scaling === 'lr' && !lrScaled) out.push('# fixed: the full lr; the loss is scaled instead', '#   (was: lr divided by k)');
  if (lrScaled) out.push('# lr ÷ k instead of loss ÷ k: exact for plain SGD only');
  out.push(`optimizer = ${optimizer('model.parameters()')}`);
  if (ch.scheduler !== 'constant') out.push('scheduler = torch.optim.lr_scheduler.CosineAnnealingLR(optimizer, num_steps)');
  if (ch.clipping !== 'none') out.push('max_norm = 1.0');
  out.push('');

  // The loss of one micro-batch.
  const lossComment = {
    k: '# the mean over m, divided by k',
    none: sum ? '# a sum over m: no / k (the k sums add up to the big batch\'s sum)' : '# the mean over m',
    lr: '# the mean over m, not divided: the lr is divided instead',
    global: ddp ? `# summed; × GPUs (DDP averages); ÷ the group's ${variable ? 'valid targets' : 'samples'}` : `# summed, then divided by the group's ${variable ? 'valid targets' : 'samples'}`,
  }[ch.scaling];
  const lossExpr = global ? [ddp && variable ? `F.cross_entropy(\n    model(x), y${ignore}, reduction="sum")` : `F.cross_entropy(model(x), y${ignore}, reduction="sum")`, ddp ? 'loss * dist.get_world_size() / num_items_in_batch' : 'loss / num_items_in_batch']
    : sum ? [`F.cross_entropy(model(x), y${ignore}, reduction="sum")`]
      : [`F.cross_entropy(model(x), y${ignore})${ch.scaling === 'k' ? ' / k' : ''}`];
  const scalingWhat = {
    k: 'the mean over m, divided by k', none: 'a sum over m, not divided (the k sums add up to the big batch\'s)',
    global: `summed, then divided by the group's ${variable ? 'valid targets' : 'samples'}`, lr: 'the lr divided by k',
  }[ch.scaling];
  const reductionFix = changed('reduction') ? [`# fixed: a mean loss (DDP averages the ${W} GPUs' gradients)`, `#   (was: ${label('reduction', was.reduction)})`] : [];
  const lossLines = (ind) => [...reductionFix, ...(changed('scaling') ? fixed('scaling', scalingWhat) : [lossComment]), ...lossExpr.flatMap((e) => `loss = ${e}`.split('\n')), 'loss.backward()  # adds into p.grad'].map((l) => ind + l);
  const stepLines = (ind) => [
    ...(ch.clipping !== 'none' ? [...(changed('clipping') ? fixed('clipping', 'clip once, on the accumulated gradient') : ['# once, on the accumulated gradient']),
      'torch.nn.utils.clip_grad_norm_(model.parameters(), max_norm)'] : []),
    'optimizer.step()',
    ...(ch.scheduler !== 'constant' ? [...fixed('scheduler', 'the scheduler steps once per optimizer step'),
      'scheduler.step()  # once per optimizer step'] : []),
    'optimizer.zero_grad()  # after step(): the next group starts from zero',
  ].map((l) => ind + l);
  const noSync = (ind, last) => [`${ind}# no_sync: DDP all-reduces only on the group's last backward`, `${ind}with contextlib.nullcontext() if ${last} else model.no_sync():`];

  if (global) {
    out.push('def groups(loader, k):', '    """k micro-batches at a time."""', '    group = []', '    for batch in loader:',
      '        group.append(batch)', '        if len(group) == k:', '            yield group', '            group = []');
    if (ch.uneven === 'yes') out.push('    if group:  # the short last group of the epoch is kept', '        yield group');
    else out.push('    # (len(loader) is a multiple of k)');
    out.push('', 'model.train()', 'optimizer.zero_grad()', 'for group in groups(loader, k):');
    if (ddp) {
      out.push(`    # the ${variable ? 'valid targets' : 'samples'} of all k micro-batches of the group, on every GPU`,
        `    num_items = torch.tensor(${countExpr})`, '    dist.all_reduce(num_items)', '    num_items_in_batch = num_items.item()',
        '    for j, (x, y) in enumerate(group):  # micro-batches of m', '        last = j + 1 == len(group)', ...noSync('        ', 'last'),
        ...lossLines('            '), ...stepLines('    '));
    } else {
      out.push(`    # the ${variable ? 'valid targets' : 'samples'} of all k micro-batches of the group`,
        `    num_items_in_batch = ${countExpr}`,
        '    for x, y in group:  # micro-batches of m', ...lossLines('        '), ...stepLines('    '));
    }
  } else {
    const when = ch.uneven === 'yes' ? ['# every k-th micro-batch, and the short last group of the epoch', '(i + 1) % k == 0 or i + 1 == len(loader)']
      : ['# every k-th micro-batch (len(loader) a multiple of k, or drop_last)', '(i + 1) % k == 0'];
    out.push('model.train()', 'optimizer.zero_grad()', 'for i, (x, y) in enumerate(loader):  # micro-batches of m');
    if (ddp) out.push(`    ${when[0]}`, `    last = ${when[1]}`, ...noSync('    ', 'last'), ...lossLines('        '), '    if last:', ...stepLines('        '));
    else out.push(...lossLines('    '), `    ${when[0]}`, `    if ${when[1]}:`, ...stepLines('        '));
  }
  return out.join('\n') + '\n';
}

/** The DataLoader of a framework's loop: drop_last says whether the short last group is kept. */
function loaderLines(p, fw, sampler = '') {
  const { ch, fixed } = p;
  const keep = ch.uneven === 'yes';
  const what = fw === 'DeepSpeed' ? 'drop the epoch\'s short last micro-batch (divided by k as a full one)' : `drop the epoch's short last group (${fw} divides it by k too)`;
  const lines = [...fixed('uneven', what)];
  lines.push(keep ? '# drop_last=False: the short last group of the epoch is kept' : '# drop_last: no short last group (len(loader) a multiple of k)');
  lines.push(`loader = DataLoader(dataset, batch_size=${M}, ${sampler || 'shuffle=True'}, drop_last=${keep ? 'False' : 'True'})`);
  return lines;
}

const frameworkHeader = (p, lines) => [...lines, ...(p.variable ? [`# y: class targets, ${PAD} where a target does not count (padding)`] : [])];

/** "# fixed:" for the loss when the loop changed to a mean (a sum is divided by the framework) or to num_items_in_batch. */
function lossFixLines(p, fw) {
  const { changed, label, was, fixed, itemsWord } = p;
  const out = [];
  if (changed('reduction')) out.push(`# fixed: a mean loss (${fw} divides every loss by k)`, `#   (was: ${label('reduction', was.reduction)})`);
  out.push(...fixed('scaling', `summed, then divided by the group's ${itemsWord}`));
  return out;
}

/** PyTorch Lightning 2.6: a LightningModule and Trainer(accumulate_grad_batches=k). */
function lightningCode(choices, original) {
  const p = codeParts(choices, original);
  const { ch, fixed, modelLines, optimizer, W, launch, ignore, itemsWord } = p;
  const global = ch.scaling === 'global';
  // Lightning adds a DistributedSampler to a DataLoader, not to another iterable: with
  // groups of our own on several GPUs the loader is built in train_dataloader (the process
  // group exists there), with a sampler of its own.
  const ownSampler = global && W > 1;
  const out = frameworkHeader(p, [...launch(`python train.py  (Lightning starts a process per GPU: devices=${W})`),
    'import lightning as L', 'import torch', 'import torch.nn as nn', 'import torch.nn.functional as F',
    `from torch.utils.data import DataLoader${ownSampler ? ', DistributedSampler' : ''}`, '',
    `k = ${K}  # accumulate_grad_batches: the big batch is m·k samples${W > 1 ? ' per GPU' : ''}`,
    '# dataset: your samples; num_steps: optimizer steps']);
  if (!ownSampler) out.push(...loaderLines(p, 'Lightning'));
  out.push('');
  if (global) {
    out.push('', 'class WithGroupItems:', `    """Each micro-batch with the ${itemsWord} of its group of k."""`, '',
      '    def __init__(self, loader, k):', '        self.loader, self.k = loader, k', '',
      '    def __len__(self):', '        return len(self.loader)', '',
      '    def __iter__(self):', '        group = []', '        for batch in self.loader:', '            group.append(batch)',
      '            if len(group) == self.k:', '                yield from self.tag(group)', '                group = []',
      ...(ch.uneven === 'yes' ? ['        if group:  # the short last group of the epoch is kept', '            yield from self.tag(group)'] : []),
      '', '    @staticmethod', '    def tag(group):', `        n = torch.tensor(${p.countExpr})`, '        for x, y in group:', '            yield x, y, n', '', '');
  }
  out.push(...modelLines(), '', '');
  out.push('class Net(L.LightningModule):', '    def __init__(self, model):', '        super().__init__()', '        self.model = model', '',
    '    def training_step(self, batch, batch_idx):');
  const ind = '        ';
  if (global) {
    out.push(`${ind}x, y, num_items = batch`, ...lossFixLines(p, 'Lightning').map((l) => ind + l),
      `${ind}loss = F.cross_entropy(`, `${ind}    self.model(x), y${ignore}, reduction="sum")`);
    if (W > 1) {
      out.push(`${ind}# the group's ${itemsWord} on every GPU`, `${ind}num_items_in_batch = self.all_gather(num_items).sum()`,
        `${ind}# × k undoes Lightning's ÷ k, × world_size DDP's average`,
        `${ind}loss = loss * k * self.trainer.world_size / num_items_in_batch`);
    } else {
      out.push(`${ind}num_items_in_batch = num_items`, `${ind}# × k undoes Lightning's ÷ accumulate_grad_batches`, `${ind}loss = loss * k / num_items_in_batch`);
    }
  } else {
    out.push(`${ind}x, y = batch`, ...lossFixLines(p, 'Lightning').map((l) => ind + l),
      `${ind}# ${ch.reduction === 'sum' ? 'a sum over m' : 'the mean over m'}: Lightning divides it by k (don't divide it too)`,
      `${ind}loss = F.cross_entropy(self.model(x), y${ignore}${ch.reduction === 'sum' ? ', reduction="sum"' : ''})`);
  }
  out.push(`${ind}return loss`, '');
  if (ownSampler) {
    // (num_items_in_batch weighs a short last group right: it is kept as the loop had it)
    const keep = ch.uneven === 'yes';
    out.push('    def train_dataloader(self):', `${ind}# Lightning adds no DistributedSampler to an iterable of your own`,
      `${ind}sampler = DistributedSampler(dataset)`,
      `${ind}# ${keep ? 'drop_last=False: the short last group of the epoch is kept' : 'drop_last: no short last group (len(loader) a multiple of k)'}`,
      `${ind}loader = DataLoader(`, `${ind}    dataset, batch_size=${M}, sampler=sampler, drop_last=${keep ? 'False' : 'True'})`,
      `${ind}return WithGroupItems(loader, k)`, '');
  }
  out.push('    def configure_optimizers(self):');
  // the optimizer's arguments on a line of their own: within 80 columns
  const call = optimizer('self.parameters()');
  const head = call.slice(0, call.indexOf('(') + 1);
  out.push(`${ind}optimizer = ${head}`, `${ind}    ${call.slice(head.length, -1)})`);
  if (ch.scheduler === 'per_step') {
    out.push(...fixed('scheduler', 'Lightning steps it once per optimizer step').map((x) => ind + x),
      `${ind}scheduler = torch.optim.lr_scheduler.CosineAnnealingLR(`, `${ind}    optimizer, num_steps)`,
      `${ind}# "interval": "step": once per optimizer step`, `${ind}return {"optimizer": optimizer,`,
      `${ind}        "lr_scheduler": {"scheduler": scheduler, "interval": "step"}}`);
  } else {
    out.push(`${ind}return optimizer`);
  }
  out.push('', '', 'trainer = L.Trainer(', '    accumulate_grad_batches=k,  # Lightning divides every loss by k');
  if (ch.clipping === 'after') out.push(...fixed('clipping', 'Lightning clips once per optimizer step').map((x) => `    ${x}`), '    gradient_clip_val=1.0,  # once per step, on the accumulated gradient');
  out.push(W > 1 ? `    devices=${W}, strategy="ddp",  # DDP averages the GPUs' gradients` : '    devices=1,', '    max_steps=num_steps,', ')',
    `trainer.fit(Net(model)${ownSampler ? '' : global ? ', WithGroupItems(loader, k)' : ', loader'})`);
  return out.join('\n') + '\n';
}

/** HF Accelerate 1.14: Accelerator(gradient_accumulation_steps=k) and accelerator.accumulate(model). */
function accelerateCode(choices, original) {
  const p = codeParts(choices, original);
  const { ch, fixed, modelLines, optimizer, W, launch, ignore, itemsWord, countExpr } = p;
  const global = ch.scaling === 'global';
  const prepared = ch.scheduler === 'per_step';
  const out = frameworkHeader(p, [...launch(`accelerate launch --num_processes=${W} train.py`),
    ...(global && W > 1 ? ['import contextlib'] : []),
    'import torch', 'import torch.nn as nn', 'import torch.nn.functional as F', 'from accelerate import Accelerator', 'from torch.utils.data import DataLoader', '',
    `k = ${K}  # gradient_accumulation_steps: the big batch is m·k samples${W > 1 ? ' per GPU' : ''}`,
    '# dataset: your samples; num_steps: optimizer steps']);
  if (global) {
    out.push('# the group by hand: num_items_in_batch needs the whole group first', 'accelerator = Accelerator()');
  } else {
    out.push('accelerator = Accelerator(gradient_accumulation_steps=k)');
  }
  out.push(...loaderLines(p, 'Accelerate'), '', ...modelLines(), `optimizer = ${optimizer('model.parameters()')}`);
  if (ch.scheduler !== 'constant') out.push('scheduler = torch.optim.lr_scheduler.CosineAnnealingLR(optimizer, num_steps)');
  if (ch.clipping !== 'none') out.push('max_norm = 1.0');
  if (prepared) {
    out.push(...fixed('scheduler', 'accelerator.prepare(..., scheduler)'), `# prepared: it steps only when the optimizer steps${W > 1 ? ` (${W}× per step)` : ''}`,
      'model, optimizer, loader, scheduler = accelerator.prepare(', '    model, optimizer, loader, scheduler)');
  } else {
    out.push(...(ch.scheduler === 'sync' ? [...fixed('scheduler', `not prepared: once per call, not ${W}× per step`),
      '# the scheduler is not prepared: it steps once per call'] : []),
    'model, optimizer, loader = accelerator.prepare(model, optimizer, loader)');
  }
  out.push('');
  const stepLines = (ind, sync) => [
    ...(ch.clipping === 'after' ? fixed('clipping', 'clip once, on the accumulated gradient').map((x) => ind + x) : []),
    ...(ch.clipping === 'after' ? (sync ? [`${ind}if accelerator.sync_gradients:  # the group's last backward`, `${ind}    accelerator.clip_grad_norm_(model.parameters(), max_norm)`]
      : [`${ind}# once, on the accumulated gradient`, `${ind}accelerator.clip_grad_norm_(model.parameters(), max_norm)`]) : []),
    `${ind}optimizer.step()${sync ? '  # steps only on the group\'s last backward' : ''}`,
    ...(prepared ? [`${ind}scheduler.step()  # prepared: only when the optimizer steps`] : []),
    ...(ch.scheduler === 'sync' ? (sync ? [`${ind}if accelerator.sync_gradients:`, `${ind}    scheduler.step()  # once per optimizer step`] : [`${ind}scheduler.step()  # once per optimizer step`]) : []),
    `${ind}optimizer.zero_grad()`,
  ];
  if (global) {
    out.push('def groups(loader, k):', '    """k micro-batches at a time."""', '    group = []', '    for batch in loader:',
      '        group.append(batch)', '        if len(group) == k:', '            yield group', '            group = []',
      ...(ch.uneven === 'yes' ? ['    if group:  # the short last group of the epoch is kept', '        yield group'] : []),
      '', '', 'model.train()', 'for group in groups(loader, k):');
    const ind = W > 1 ? '            ' : '        ';
    const loss = [...lossFixLines(p, 'Accelerate').map((l) => ind + l),
      ...(W > 1 ? [`${ind}loss = F.cross_entropy(`, `${ind}    model(x), y${ignore}, reduction="sum")`] : [`${ind}loss = F.cross_entropy(model(x), y${ignore}, reduction="sum")`]),
      ...(W > 1 ? [`${ind}# × num_processes undoes DDP's average`, `${ind}loss = loss * accelerator.num_processes / num_items_in_batch`]
        : [`${ind}loss = loss / num_items_in_batch`]),
      `${ind}accelerator.backward(loss)`];
    if (W > 1) {
      out.push(`    # the ${itemsWord} of all k micro-batches of the group, on every GPU`, `    num_items = torch.tensor(${countExpr})`,
        '    num_items_in_batch = accelerator.gather(num_items).sum()',
        '    for j, (x, y) in enumerate(group):  # micro-batches of m', '        last = j + 1 == len(group)',
        '        # no all-reduce before the group\'s last backward',
        '        with contextlib.nullcontext() if last else accelerator.no_sync(model):', ...loss);
    } else {
      out.push(`    # the ${itemsWord} of all k micro-batches of the group`, `    num_items_in_batch = ${countExpr}`,
        '    for x, y in group:  # micro-batches of m', ...loss);
    }
    out.push(...stepLines('    ', false));
  } else {
    const ind = '        ';
    out.push('model.train()', 'for x, y in loader:  # micro-batches of m',
      '    # accumulate(): no all-reduce and no step before the group\'s last backward', '    with accelerator.accumulate(model):',
      ...lossFixLines(p, 'Accelerate').map((l) => ind + l),
      `${ind}# ${ch.reduction === 'sum' ? 'a sum over m' : 'the mean over m'}: accelerator.backward divides it by k`,
      `${ind}loss = F.cross_entropy(model(x), y${ignore}${ch.reduction === 'sum' ? ', reduction="sum"' : ''})`,
      `${ind}accelerator.backward(loss)`, ...stepLines(ind, true));
  }
  return out.join('\n') + '\n';
}

/** DeepSpeed 0.19: a config with "gradient_accumulation_steps", engine.backward and engine.step. */
function deepspeedCode(choices, original) {
  const p = codeParts(choices, original);
  const { ch, fixed, modelLines, optimizer, W, launch, ignore, itemsWord, countExpr } = p;
  const global = ch.scaling === 'global';
  const out = frameworkHeader(p, [...launch(`deepspeed --num_gpus=${W} train.py`), 'import deepspeed', 'import torch',
    ...(global && W > 1 ? ['import torch.distributed as dist'] : []), 'import torch.nn as nn', 'import torch.nn.functional as F',
    `from torch.utils.data import DataLoader${W > 1 ? ', DistributedSampler' : ''}`, '',
    `k = ${K}  # gradient_accumulation_steps: the big batch is m·k samples${W > 1 ? ' per GPU' : ''}`,
    '# dataset: your samples; num_steps: optimizer steps']);
  if (W > 1) out.push('deepspeed.init_distributed()  # the process group, before the sampler', 'sampler = DistributedSampler(dataset)  # every GPU gets its share');
  out.push(...loaderLines(p, 'DeepSpeed', W > 1 ? 'sampler=sampler' : ''), '', ...modelLines(), `optimizer = ${optimizer('model.parameters()')}`);
  if (ch.scheduler !== 'constant') out.push('scheduler = torch.optim.lr_scheduler.CosineAnnealingLR(optimizer, num_steps)');
  out.push('ds_config = {', `    "train_micro_batch_size_per_gpu": ${M},`,
    `    "gradient_accumulation_steps": k,${global ? '' : '  # engine.backward divides by k'}`,
    ...(ch.clipping === 'after' ? [...fixed('clipping', 'the engine clips once per optimizer step').map((x) => `    ${x}`), '    "gradient_clipping": 1.0,  # once per optimizer step'] : []), '}');
  if (ch.scheduler === 'per_step') {
    out.push(...fixed('scheduler', 'passed to deepspeed.initialize'), '# the engine steps the scheduler once per optimizer step', 'engine, optimizer, _, scheduler = deepspeed.initialize(',
      '    model=model, optimizer=optimizer, lr_scheduler=scheduler, config=ds_config)');
  } else {
    out.push('engine, optimizer, _, _ = deepspeed.initialize(', '    model=model, optimizer=optimizer, config=ds_config)');
  }
  out.push('', '');
  if (global) {
    out.push('def groups(loader, k):', '    """k micro-batches at a time, across epoch ends (DeepSpeed\'s counter)."""', '    group = []',
      '    while True:  # every epoch in turn', '        for batch in loader:', '            group.append(batch)',
      '            if len(group) == k:', '                yield group', '                group = []', '', '',
      'engine.train()', 'for _, group in zip(range(num_steps), groups(loader, k)):');
    if (W > 1) {
      out.push(`    # the ${itemsWord} of all k micro-batches of the group, on every GPU`, `    num_items = torch.tensor(${countExpr})`,
        '    dist.all_reduce(num_items)', '    num_items_in_batch = num_items.item()');
    } else {
      out.push(`    # the ${itemsWord} of all k micro-batches of the group`, `    num_items_in_batch = ${countExpr}`);
    }
    out.push('    for x, y in group:  # micro-batches of m', ...lossFixLines(p, 'DeepSpeed').map((l) => `        ${l}`),
      `        loss = F.cross_entropy(engine(x), y${ignore}, reduction="sum")`,
      ...(W > 1 ? ['        # × world size undoes the engine\'s average over the GPUs', '        loss = loss * dist.get_world_size() / num_items_in_batch']
        : ['        loss = loss / num_items_in_batch']),
      '        # scale_wrt_gas=False: the loss is already divided', '        engine.backward(loss, scale_wrt_gas=False)',
      '        engine.step()  # steps on the group\'s last micro-batch');
  } else {
    out.push('def every_micro_batch(loader):', '    """Every epoch\'s micro-batches in turn: groups run across epoch ends."""',
      '    while True:', '        yield from loader', '', '', 'engine.train()', 'micro_batches = every_micro_batch(loader)',
      'for _ in range(num_steps * k):  # k micro-batches per optimizer step', '    x, y = next(micro_batches)',
      ...lossFixLines(p, 'DeepSpeed').map((l) => `    ${l}`),
      `    # ${ch.reduction === 'sum' ? 'a sum over m' : 'the mean over m'}: engine.backward divides it by k`,
      `    loss = F.cross_entropy(engine(x), y${ignore}${ch.reduction === 'sum' ? ', reduction="sum"' : ''})`,
      '    engine.backward(loss)', '    # every k-th call: clip, optimizer step, scheduler step, zero_grad', '    engine.step()');
  }
  return out.join('\n') + '\n';
}

/** The HF Trainer: TrainingArguments(gradient_accumulation_steps=k); from 4.46 num_items_in_batch for a model with loss kwargs. */
function hfCode(choices, original) {
  const p = codeParts(choices, original);
  const { ch, was, fixed, modelLines, optimizer, W, launch, ignore } = p;
  const current = ch.framework === 'hf_trainer';
  const kwargs = current && ch.scaling === 'none';
  const out = [...launch(`torchrun --nproc_per_node=${W} train.py`)];
  if (current) out.push(...fixed('framework', 'transformers ≥ 4.46: num_items_in_batch'), '# pip install -U "transformers>=4.46"');
  else out.push('# transformers < 4.46 (your version): the Trainer divides the mean by k');
  out.push('import torch', 'import torch.nn as nn', 'import torch.nn.functional as F', 'from transformers import Trainer, TrainingArguments', '',
    `k = ${K}  # gradient_accumulation_steps: the big batch is m·k samples${W > 1 ? ' per GPU' : ''}`,
    '# dataset: items {"x": ..., "labels": ...}; num_steps: optimizer steps');
  if (p.variable) out.push(`# labels: class targets, ${PAD} where a target does not count (padding)`);
  out.push('', ...modelLines('layers'), '', '', 'class Net(nn.Module):', '    """The model as the Trainer calls it: model(x=..., labels=...)."""', '',
    '    def __init__(self, layers):', '        super().__init__()', '        self.layers = layers', '');
  const scalingFix = (changed) => (changed ? ['    # fixed: the model takes the loss kwargs (num_items_in_batch)', `    #   (was: ${p.label('scaling', was.scaling)})`] : []);
  if (kwargs) {
    out.push(...scalingFix(was.scaling !== ch.scaling || was.framework !== ch.framework),
      '    # **kwargs: loss kwargs, so the Trainer passes num_items_in_batch', '    def forward(self, x, labels, **kwargs):', '        logits = self.layers(x)',
      '        loss = F.cross_entropy(', `            logits, labels${ignore}, reduction="sum")`,
      `        # summed, then divided by the ${p.itemsWord} of the whole group`, '        loss = loss / kwargs["num_items_in_batch"]');
  } else {
    out.push('    def forward(self, x, labels):', '        logits = self.layers(x)',
      `        # the mean over m: the Trainer divides it by ${current ? 'the group\'s micro-batches' : 'k'}`,
      `        loss = F.cross_entropy(logits, labels${ignore})`);
  }
  out.push('        return {"loss": loss, "logits": logits}', '', '', 'model = Net(layers)', `optimizer = ${optimizer('model.parameters()')}`);
  if (ch.scheduler === 'per_step') out.push(...fixed('scheduler', 'the Trainer steps it once per optimizer step'), 'scheduler = torch.optim.lr_scheduler.CosineAnnealingLR(optimizer, num_steps)');
  out.push('args = TrainingArguments(', '    output_dir="out",', `    per_device_train_batch_size=${M},`, '    gradient_accumulation_steps=k,', '    max_steps=num_steps,',
    ...fixed('clipping', 'the Trainer clips once per optimizer step').map((x) => `    ${x}`),
    ch.clipping === 'after' ? '    max_grad_norm=1.0,  # clips once per optimizer step' : '    max_grad_norm=0.0,  # no clipping',
    ...(ch.scheduler === 'constant' ? ['    lr_scheduler_type="constant",'] : []),
    ...fixed('uneven', 'drop the epoch\'s short last group').map((l) => `    ${l}`),
    `    dataloader_drop_last=${ch.uneven === 'yes' ? 'False,  # the short last group is kept' : 'True,'}`,
    ...(kwargs && W > 1 ? ['    average_tokens_across_devices=True,  # count over all GPUs'] : []), ')',
    'trainer = Trainer(model=model, args=args, train_dataset=dataset,',
    `                  optimizers=(optimizer, ${ch.scheduler === 'per_step' ? 'scheduler' : 'None'}))`, 'trainer.train()');
  return out.join('\n') + '\n';
}

/**
 * The verdict for a loop, without running it, from the causes the core predicts for its
 * config (ids = lab.configCauses(configFor(choices))):
 *   {equivalent: 'yes' | 'updates' | 'noise' | 'no', headline, summary, causes, breaks, noise,
 *    right, corrected, code, config}
 * 'updates': the gradient is k× by design (lr divided by k, plain SGD) but every update is
 * the big batch's, so training is the same. 'noise': nothing to fix, but dropout makes the
 * runs differ as any two runs with dropout do. causes: every predicted cause in the
 * verdict's words (what the lab names when the loop runs). With a framework or several GPUs
 * the summary ends with whose loop it answered for.
 */
export function checkLoop(choices, ids) {
  const ch = { ...defaultChoices(), ...choices };
  const config = configFor(ch);
  const causes = describeCauses(ids, wordsConfig(ch));
  const parts = explainLoop(ch, ids);
  const nBreak = parts.breaks.length;
  const dropoutNoise = parts.noise.some((n) => n.id === 'dropout_stream');
  const equivalent = nBreak ? 'no' : dropoutNoise ? 'noise' : ids.includes('scale_lr') ? 'updates' : 'yes';
  const plural = (n, one, many = `${one}s`) => `${n} ${n === 1 ? one : many}`;
  const headline = {
    yes: 'Equivalent to the big batch: gradients and parameters match up to float rounding.',
    updates: `Equivalent updates: the gradient is ${K}× the big batch's by design, and lr ÷ ${K} makes every SGD step the same.`,
    noise: 'Equivalent, apart from expected noise: nothing to fix; dropout makes the two loops differ as any two runs with dropout do.',
    no: `Not equivalent to the big batch: ${plural(nBreak, 'thing')} to fix.`,
  }[equivalent];
  const nRight = plural(parts.right.length, 'thing');
  const setup = setupWords(ch);
  const summary = (equivalent === 'no'
    ? `${headline.replace(/\.$/, '')}; ${dropoutNoise ? '1 expected noise (dropout); ' : ''}${nRight} done right. The corrected loop is below.`
    : `${headline} ${nRight} done right. The loop as code is below.`) + (setup ? ` Answered for ${setup}.` : '');
  return { equivalent, headline, summary, causes, ...parts, config };
}
