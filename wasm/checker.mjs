// wasm/checker.mjs — "Check my training loop": a loop described in a few choices, the
// verdict predicted without running, and the config that runs it.
//
// The rules are the core's: the choices become an engine config (configFor), and the core
// names the causes that config implies without running it (al_config_causes, the same rule
// as the run's verdict; lab.configCauses in JS, the worker's 'causes' request in the page).
// This module keeps only the questions, the mapping and the words around the answer: which
// of the predicted causes are bugs (each with its PyTorch fix), which are expected noise or a
// consequence of another cause, what the loop does right, and the corrected loop as code.
// tests/node/checker.test.mjs runs every combination of choices and checks that the engine's
// verdict names the predicted causes, that every corrected loop (read back from its code) has
// no breaking cause, and that it trains in real PyTorch as the big batch does. Cause texts
// come from verdict.mjs.

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
    options: [['none', 'none'], ['after', 'once, after accumulating'], ['per_micro', 'after every backward']] },
  { key: 'scheduler', label: 'LR scheduler (scheduler.step())',
    options: [['constant', 'none (constant lr)'], ['per_step', 'once per optimizer step'],
      ['per_micro', 'after every backward']] },
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

// ---------------------------------------------------------------------------------------------
// The answer, in four parts: what breaks equivalence (each with its fix), what is expected
// noise, what the loop does right, and the corrected loop as PyTorch code.
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
 */
export const EXAMPLES = [
  { id: 'stackoverflow', label: 'The StackOverflow loop', about: 'AdamW, dropout, LayerNorm, padded tokens, loss not divided by k, clip and scheduler once per step',
    choices: { reduction: 'mean', scaling: 'none', clipping: 'after', scheduler: 'per_step', dropout: 'stream',
      norm: 'layernorm', optimizer: 'adamw', uneven: 'no', targets: 'variable' } },
  { id: 'first', label: 'The loop most people write first', about: 'mean loss, not divided by k, plain SGD', choices: defaultChoices() },
  { id: 'correct', label: 'A correct loop', about: 'loss ÷ k, clip and scheduler once per optimizer step',
    choices: { ...defaultChoices(), scaling: 'k', clipping: 'after', scheduler: 'per_step', optimizer: 'adamw' } },
];
export const STACKOVERFLOW_LOOP = EXAMPLES[0].choices;

// What each breaking cause changes in the choices to fix it.
const FIXES = {
  mean_unscaled: { scaling: 'k' },
  sum_scaled: { scaling: 'none' },
  scale_lr: { scaling: 'k' },
  scale_lr_weight_decay: { scaling: 'k' },
  scale_lr_adam: { scaling: 'k' },
  batchnorm: { norm: 'layernorm' },
  clip_per_micro_batch: { clipping: 'after' },
  scheduler_per_micro_batch: { scheduler: 'per_step' },
  uneven_last_group: { scaling: 'global' },
  variable_targets: { scaling: 'global' },
};

/**
 * The loop with every breaking choice fixed (ids: the core's causes for configFor(choices)).
 * Noise (dropout) stays as it is. Where an uneven group or masked targets need
 * num_items_in_batch, that fix wins over ÷ k for the loss.
 */
export function correctedChoices(choices, ids) {
  const ch = { ...defaultChoices(), ...choices };
  const out = { ...ch }, scalings = new Set();
  for (const id of breakingCauses(ch, ids)) {
    for (const [key, value] of Object.entries(FIXES[id] ?? {})) {
      if (key === 'scaling') scalings.add(value);
      else out[key] = value;
    }
  }
  // One way to scale the loss: a sum is never divided; num_items_in_batch wins over ÷ k.
  if (scalings.size) out.scaling = ch.reduction === 'sum' ? 'none' : scalings.has('global') ? 'global' : 'k';
  return out;
}


/** How the loss is written for these choices, in words (for the fixes). */
function lossFix(ch) {
  switch (ch.scaling) {
    case 'k': return `divide each micro-batch loss by k: loss = criterion(model(x), y) / k`;
    case 'global': return `sum each micro-batch loss over its ${ch.targets === 'variable' ? 'valid targets' : 'samples'} and divide by num_items_in_batch, the ${ch.targets === 'variable' ? 'valid targets' : 'samples'} of all k micro-batches of the group (reduction="sum", then / num_items_in_batch)`;
    case 'none': return ch.reduction === 'sum' ? 'keep the sum as it is (reduction="sum", no / k) and the full lr' : 'leave the loss as it is';
    default: return 'divide the lr by k';
  }
}

/** The fix for one breaking cause, in PyTorch words, consistent with the corrected loop. */
function fixText(id, ch, fixed) {
  switch (id) {
    case 'mean_unscaled': case 'uneven_last_group': case 'variable_targets':
      return `Fix: ${lossFix(fixed)}.${id === 'uneven_last_group' && fixed.scaling === 'global' ? ' (Or drop the short last group: DataLoader(..., drop_last=True) and a group count that divides the epoch.)' : ''}`;
    case 'sum_scaled': return `Fix: ${lossFix(fixed)}: with reduction="sum" the k summed gradients already add up to the big batch's.`;
    case 'scale_lr': case 'scale_lr_weight_decay': case 'scale_lr_adam':
      return `Fix: keep the full lr and ${lossFix(fixed)}.`;
    case 'batchnorm': return 'Fix: to be equivalent, normalise per sample: nn.LayerNorm (or nn.GroupNorm) instead of nn.BatchNorm1d. BatchNorm itself cannot be accumulated exactly; keep it only if micro-batch statistics are acceptable.';
    case 'clip_per_micro_batch': return 'Fix: call torch.nn.utils.clip_grad_norm_ once per optimizer step, after the last backward and right before optimizer.step().';
    case 'scheduler_per_micro_batch': return 'Fix: call scheduler.step() once per optimizer step, right after optimizer.step().';
    default: return '';
  }
}

const stripFix = (text) => text.replace(/\s*Fix:.*$/s, '');

/**
 * The four parts of the answer for a loop (ids: the core's prediction for configFor(choices)):
 *   breaks: [{id, title, text, fix, notes}]  what breaks equivalence, each with its fix
 *   noise:  [{id, title, text, check}]      expected noise (dropout; float rounding)
 *   right:  [string]                        what the loop does right, one ✓ line each
 *   corrected: choices, code: string        the loop with every breaking choice fixed, as PyTorch
 */
export function explainLoop(choices, ids) {
  const ch = { ...defaultChoices(), ...choices };
  const lr = configFor(ch).optimizer.lr;
  const words = Object.fromEntries(describeCauses(ids, { accumSteps: K, batchSize: M, reduction: ch.reduction, optimizer: { eps: 1e-8, lr } }).map((c) => [c.id, c]));
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
    const same = breaks.slice(0, i).find((b) => b.fix === breaks[i].fix);
    if (same) breaks[i].fix = `Fix: the change above${corrected.scaling === 'global' ? ' (÷ num_items_in_batch)' : ''} fixes this too.`;
  }

  const noise = [];
  if (ids.includes('dropout_stream')) {
    noise.push({ id: 'dropout_stream', title: 'Dropout draws other masks in the accumulated loop',
      text: `nn.Dropout draws its masks from one generator in call order: the big batch draws layer 1 for all ${M * K} samples, then layer 2; the accumulated loop ${M} samples at a time, so a sample gets other masks. The loops differ as any two runs with dropout do: noise, not a bug.`,
      check: 'To check equivalence, turn dropout off (p = 0, or model.eval() for the check) or use keyed masks (drawn from seed, step, layer, sample); train with it as it is.' });
  }
  noise.push({ id: 'summation_order', title: 'Float rounding',
    text: `The same terms are added in another grouping (per micro-batch, then across the ${K}${ch.reduction === 'mean' && (ch.scaling === 'k' || ch.scaling === 'global') ? ', divided before adding' : ''}): even a correct loop matches up to float rounding, not bit for bit.`,
    check: 'Compare with torch.allclose, not ==.' });

  const right = [];
  const scaleOk = !breaking.some((id) => ['mean_unscaled', 'sum_scaled', 'scale_lr', 'scale_lr_weight_decay', 'scale_lr_adam', 'uneven_last_group', 'variable_targets'].includes(id));
  if (scaleOk) {
    if (ch.reduction === 'mean' && ch.scaling === 'k') right.push(`Divides each micro-batch's mean loss by k = ${K}: the ${K} gradients add up to the mean over all ${M * K} samples.`);
    if (ch.reduction === 'mean' && ch.scaling === 'global') right.push(`Divides the summed loss by num_items_in_batch, the ${ch.targets === 'variable' ? 'valid targets' : 'samples'} of the whole group: every ${ch.targets === 'variable' ? 'target' : 'sample'} weighs the same${ch.uneven === 'yes' ? ', in the short last group too' : ''}.`);
    if (ch.reduction === 'sum' && ch.scaling === 'none') right.push(`Sums the loss and does not divide it: the ${K} summed gradients are the big batch's sum${ch.uneven === 'yes' ? ', in the short last group too' : ''}.`);
    if (ch.scaling === 'lr') right.push(`Divides the lr by k with plain SGD: the gradient is ${K}× the big batch's by design, and every update lr/${K} × ${K}g is the big batch's.`);
  }
  if (ch.clipping === 'after') right.push('Clips once, after the last backward, on the accumulated gradient.');
  if (ch.scheduler === 'per_step') right.push('Steps the scheduler once per optimizer step.');
  if (ch.norm === 'layernorm') right.push('Uses LayerNorm: it normalises each sample on its own, so it accumulates exactly.');
  if (ch.dropout === 'keyed') right.push('Uses keyed dropout masks: every sample gets the same mask in both loops.');
  if ((ch.optimizer === 'sgd_wd' || ch.optimizer === 'adamw') && ch.scaling !== 'lr') right.push('Keeps the full lr, so weight decay is as strong as in the big batch.');
  right.push('Calls zero_grad() only after optimizer.step(), so .grad sums the k micro-batches (assumed: the checker does not ask).');

  return { breaks, noise, right, corrected, code: loopCode(corrected, ch) };
}

const PAD = -100; // ignore_index: the targets that do not count (padding)

/**
 * The loop as PyTorch code (`choices`), with a "# fixed:" comment where it differs from
 * `original` (the user's loop). The lab's model (moons: 2-16-16-2, tanh) stands for the
 * user's; `loader` yields micro-batches of m samples and `num_steps` counts optimizer steps.
 */
export function loopCode(choices, original = choices) {
  const ch = { ...defaultChoices(), ...choices };
  const was = { ...defaultChoices(), ...original };
  const label = (key, value) => CHOICES.find((c) => c.key === key).options.find(([v]) => v === value)[1];
  const changed = (key) => ch[key] !== was[key];
  const fixed = (key, what) => (changed(key) ? [`# fixed: ${what}`, `#   (was: ${label(key, was[key])})`] : []);
  const sum = ch.reduction === 'sum', global = ch.scaling === 'global', variable = ch.targets === 'variable';
  const lrScaled = ch.scaling === 'lr';
  const out = ['import torch', 'import torch.nn as nn', 'import torch.nn.functional as F', '',
    `k = ${K}  # micro-batches per optimizer step: the big batch is m·k samples`,
    '# loader: a DataLoader of micro-batches of m samples; num_steps: optimizer steps'];
  if (variable) out.push(`# y: class targets, ${PAD} where a target does not count (padding)`);
  out.push('');

  // The model: the lab's, with the layers that matter here.
  out.push(...fixed('norm', 'nn.LayerNorm, per sample (BatchNorm sees m samples, not m·k)'));
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
  out.push('model = nn.Sequential(',
    `    ${['nn.Linear(2, 16)', ...hidden(16), ...drop(0)].join(', ')},`,
    `    ${['nn.Linear(16, 16)', ...hidden(16), ...drop(1)].join(', ')},`,
    '    nn.Linear(16, 2),', ')');

  // The optimizer and the scheduler.
  const lr = ch.optimizer.startsWith('adam') ? '1e-3' : sum ? '0.01' : '0.1'; // as configFor runs it
  const lrExpr = lrScaled ? `${lr} / k` : lr;
  const opt = {
    sgd: `torch.optim.SGD(model.parameters(), lr=${lrExpr})`,
    sgd_wd: `torch.optim.SGD(model.parameters(), lr=${lrExpr}, weight_decay=0.01)`,
    adam: `torch.optim.Adam(model.parameters(), lr=${lrExpr})`,
    adamw: `torch.optim.AdamW(model.parameters(), lr=${lrExpr}, weight_decay=0.01)`,
  }[ch.optimizer];
  if (was.scaling === 'lr' && !lrScaled) out.push('# fixed: the full lr; the loss is scaled instead', '#   (was: lr divided by k)');
  if (lrScaled) out.push('# lr ÷ k instead of loss ÷ k: exact for plain SGD only');
  out.push(`optimizer = ${opt}`);
  if (ch.scheduler !== 'constant') out.push('scheduler = torch.optim.lr_scheduler.CosineAnnealingLR(optimizer, num_steps)');
  if (ch.clipping !== 'none') out.push('max_norm = 1.0');
  out.push('');

  // The loss of one micro-batch.
  const ignore = variable ? `, ignore_index=${PAD}` : '';
  const lossComment = {
    k: '# the mean over m, divided by k',
    none: sum ? '# a sum over m: no / k (the k sums add up to the big batch\'s sum)' : '# the mean over m',
    lr: '# the mean over m, not divided: the lr is divided instead',
    global: `# summed, then divided by the group's ${variable ? 'valid targets' : 'samples'}`,
  }[ch.scaling];
  const lossExpr = global ? [`F.cross_entropy(model(x), y${ignore}, reduction="sum")`, 'loss / num_items_in_batch']
    : sum ? [`F.cross_entropy(model(x), y${ignore}, reduction="sum")`]
      : [`F.cross_entropy(model(x), y${ignore})${ch.scaling === 'k' ? ' / k' : ''}`];
  const scalingWhat = {
    k: 'the mean over m, divided by k', none: 'a sum over m, not divided (the k sums add up to the big batch\'s)',
    global: `summed, then divided by the group's ${variable ? 'valid targets' : 'samples'}`, lr: 'the lr divided by k',
  }[ch.scaling];
  const lossLines = (ind) => [...(changed('scaling') ? fixed('scaling', scalingWhat) : [lossComment]), ...lossExpr.map((e) => `loss = ${e}`), 'loss.backward()  # adds into p.grad'].map((l) => ind + l);
  const stepLines = (ind) => [
    ...(ch.clipping !== 'none' ? [...(changed('clipping') ? fixed('clipping', 'clip once, on the accumulated gradient') : ['# once, on the accumulated gradient']),
      'torch.nn.utils.clip_grad_norm_(model.parameters(), max_norm)'] : []),
    'optimizer.step()',
    ...(ch.scheduler !== 'constant' ? [...fixed('scheduler', 'the scheduler steps once per optimizer step'),
      'scheduler.step()  # once per optimizer step'] : []),
    'optimizer.zero_grad()  # after step(): the next group starts from zero',
  ].map((l) => ind + l);

  if (global) {
    out.push('def groups(loader, k):', '    """k micro-batches at a time."""', '    group = []', '    for batch in loader:',
      '        group.append(batch)', '        if len(group) == k:', '            yield group', '            group = []');
    if (ch.uneven === 'yes') out.push('    if group:  # the short last group of the epoch is kept', '        yield group');
    else out.push('    # (len(loader) is a multiple of k)');
    out.push('', 'model.train()', 'optimizer.zero_grad()', 'for group in groups(loader, k):',
      `    # the ${variable ? 'valid targets' : 'samples'} of all k micro-batches of the group`,
      variable ? `    num_items_in_batch = sum(int((y != ${PAD}).sum()) for _, y in group)`
        : '    num_items_in_batch = sum(len(y) for _, y in group)',
      '    for x, y in group:  # micro-batches of m', ...lossLines('        '), ...stepLines('    '));
  } else {
    out.push('model.train()', 'optimizer.zero_grad()', 'for i, (x, y) in enumerate(loader):  # micro-batches of m', ...lossLines('    '),
      ...(ch.uneven === 'yes' ? ['    # every k-th micro-batch, and the short last group of the epoch', '    if (i + 1) % k == 0 or i + 1 == len(loader):']
        : ['    # every k-th micro-batch (len(loader) a multiple of k, or drop_last)', '    if (i + 1) % k == 0:']),
      ...stepLines('        '));
  }
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
 * verdict's words (what the lab names when the loop runs).
 */
export function checkLoop(choices, ids) {
  const ch = { ...defaultChoices(), ...choices };
  const config = configFor(ch);
  const lr = config.optimizer.lr;
  const causes = describeCauses(ids, { accumSteps: K, batchSize: M, reduction: ch.reduction, optimizer: { eps: 1e-8, lr } });
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
  const summary = equivalent === 'no'
    ? `${headline.replace(/\.$/, '')}; ${dropoutNoise ? '1 expected noise (dropout); ' : ''}${nRight} done right. The corrected loop is below.`
    : `${headline} ${nRight} done right. The loop as code is below.`;
  return { equivalent, headline, summary, causes, ...parts, config };
}
