// tests/node/checker.test.mjs — "Check my training loop" predicts, without running, what the
// engine finds when the loop runs. Every combination of choices for a plain loop on one GPU
// (10368) is run through the engine with the panel's config and the prediction is checked
// against the engine's verdict. For each framework × GPU count (17 more setups) every
// combination of the questions that interact with them is predicted and answered, every
// sixteenth is run through the engine, and every corrected loop is read back from its code
// (the framework's code) and has no breaking cause (every 25th distinct one is run).
import test from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import {
  allChoices, breakingCauses, checkLoop, clippingCanHide, configFor, CHOICES, correctedChoices, defaultChoices, EXAMPLES,
  isAllowed, isBreaking, normalizeChoices, questionFor, SETUP_KEYS, STACKOVERFLOW_LOOP, withChoice,
} from '../../wasm/checker.mjs';
import { CONTRACT } from '../../wasm/contract.mjs';
import { configFromState, stateFromConfig } from '../../web/state.mjs';
import { lab } from './helpers.mjs';

const EQUAL = ['bitwise', 'rounding'];
// What a run shows beyond the loop's causes: rounding, and clipping that hid a scale in this run.
const ids = (v) => v.causes.map((c) => c.id).filter((id) => id !== 'summation_order' && id !== 'clip_masks');
const show = (ch) => JSON.stringify(ch);

const l = await lab();
/** The core's prediction for a loop (al_config_causes), as the page asks it. */
const predicted = (ch) => l.configCauses(configFor(ch));
const check = (ch) => checkLoop(ch, predicted(ch));

/** Runs a loop in the engine and checks the checker's prediction against the verdict (tally: counts per outcome). */
function expectEngineAgrees(ch, tally) {
  const p = check(ch);
  const v = l.compare(p.config).verdict;
  const equal = EQUAL.includes(v.grads) && EQUAL.includes(v.params);
  tally[p.equivalent]++;
  if (p.equivalent === 'yes') {
    assert.ok(equal, `${show(ch)}: predicted equivalent, engine ${v.grads}/${v.params}: ${v.text}`);
    assert.deepEqual(ids(v), [], show(ch));
  } else if (p.equivalent === 'updates') {
    assert.equal(v.grads, 'scaled', show(ch));
    assert.ok(Math.abs(v.factor - 4) < 1e-4, `${show(ch)}: factor ${v.factor}`);
    assert.ok(EQUAL.includes(v.params), `${show(ch)}: params ${v.params}`);
    assert.deepEqual(ids(v), ['scale_lr'], show(ch));
  } else if (p.equivalent === 'noise') {
    // Nothing to fix, yet the runs differ: only by dropout's masks, which the engine names.
    assert.equal(ch.dropout, 'stream', show(ch));
    assert.deepEqual(ids(v), p.causes.map((c) => c.id), `${show(ch)}: ${v.text}`);
    assert.ok(ids(v).includes('dropout_stream') && ids(v).every((id) => !isBreaking(id, ch)), show(ch));
  } else if (equal) {
    // Clipping used to make some broken loops look equal (both gradients cut to max_norm);
    // the verdict now compares before clipping too, so a broken loop is never "equal".
    assert.fail(`${show(ch)}: predicted ${p.causes.map((c) => c.id)}, engine equal: ${v.text}`);
  } else {
    assert.deepEqual(ids(v), p.causes.map((c) => c.id), `${show(ch)}: ${v.text}`);
    assert.ok(!['diverged', 'rounding_amplified'].some((id) => ids(v).includes(id)), show(ch));
    if (v.causes.some((c) => c.id === 'clip_masks')) { assert.equal(ch.clipping, 'after', show(ch)); tally.clipMasks++; }
  }
}

test('every combination: the predicted verdict and causes are what the engine finds', async () => {
  const all = allChoices();
  // A plain loop on one GPU: every answer of the loop's questions (framework and GPUs fixed).
  assert.equal(all.length, CHOICES.filter((c) => !SETUP_KEYS.includes(c.key)).reduce((n, c) => n * c.options.length, 1));
  assert.equal(all.length, 10368);
  const tally = { yes: 0, updates: 0, noise: 0, no: 0, clipMasks: 0 };
  for (const ch of all) expectEngineAgrees(ch, tally);
  // Both outcomes are common, so the agreement above is not agreement on one answer.
  assert.ok(tally.yes >= 100 && tally.updates >= 8 && tally.noise >= 100 && tally.no >= 5000, JSON.stringify(tally));
  // Clipping after accumulation hid a scale in many runs, and the engine said so every time.
  assert.ok(tally.clipMasks >= 300, JSON.stringify(tally));
});

test('the classic loops: unscaled mean, divided by k, dropout, Adam', () => {
  const base = defaultChoices();
  assert.deepEqual(predicted(base), ['mean_unscaled']);
  assert.equal(check({ ...base, scaling: 'k' }).equivalent, 'yes');
  assert.deepEqual(predicted({ ...base, reduction: 'sum', scaling: 'k' }), ['sum_scaled'], 'dividing a sum by k is not the fix');
  assert.equal(check({ ...base, scaling: 'lr' }).equivalent, 'updates');
  assert.equal(check({ ...base, scaling: 'lr', clipping: 'after' }).equivalent, 'no', 'clipping sees the k× gradient');
  assert.deepEqual(predicted({ ...base, scaling: 'lr', optimizer: 'adamw' }), ['scale_lr', 'scale_lr_weight_decay', 'scale_lr_adam']);
  assert.deepEqual(predicted({ ...base, optimizer: 'adam' }), ['mean_unscaled', 'adam_scale']);
  assert.deepEqual(predicted({ ...base, scaling: 'k', dropout: 'stream' }), ['dropout_stream']);
  assert.equal(check({ ...base, scaling: 'k', dropout: 'keyed', norm: 'layernorm' }).equivalent, 'yes');
  assert.deepEqual(predicted({ ...base, scaling: 'k', uneven: 'yes', targets: 'variable' }), ['uneven_last_group', 'variable_targets']);
  assert.equal(check({ ...base, scaling: 'global', uneven: 'yes', targets: 'variable' }).equivalent, 'yes', 'num_items_in_batch');
  // Every cause has its sentence and fix from verdict.mjs, with this loop's numbers.
  const c = check({ ...base, dropout: 'stream', norm: 'batchnorm', clipping: 'per_micro', scheduler: 'per_micro' });
  assert.deepEqual(c.causes.map((x) => x.id), ['mean_unscaled', 'dropout_stream', 'batchnorm', 'clip_per_micro_batch', 'scheduler_per_micro_batch']);
  for (const x of c.causes) assert.match(x.text, /Fix:/, x.id);
  assert.match(c.causes[0].text, /accumulated gradient is 4× the mean over all 32 samples/);
  // Four of them are the loop's bugs; stream dropout is expected noise, not counted as one.
  assert.match(c.headline, /Not equivalent.*4 things to fix/);
  assert.deepEqual(c.breaks.map((x) => x.id), ['mean_unscaled', 'batchnorm', 'clip_per_micro_batch', 'scheduler_per_micro_batch']);
  assert.deepEqual(c.noise.map((x) => x.id), ['dropout_stream', 'summation_order']);
  for (const x of c.breaks) assert.match(x.fix, /^Fix: /, x.id);
});

test('"Run it" maps every combination to page settings that run the same experiment', async () => {
  const all = allChoices();
  for (let i = 0; i < all.length; i += 7) {
    const config = configFor(all[i]);
    const { state, unsupported } = stateFromConfig(config);
    assert.deepEqual(unsupported, [], show(all[i]));
    const a = l.compare(config).verdict, b = l.compare(configFromState(state)).verdict;
    assert.deepEqual([b.grads, b.params, b.causes.map((c) => c.id)], [a.grads, a.params, a.causes.map((c) => c.id)], show(all[i]));
  }
});

// --- the answer in four parts -------------------------------------------------------------

test('the StackOverflow loop: two things to fix (no Adam-eps "cause"), dropout under noise, ✓ clip and scheduler', () => {
  assert.deepEqual(EXAMPLES.find((x) => x.id === 'stackoverflow').choices, STACKOVERFLOW_LOOP);
  const ids = predicted(STACKOVERFLOW_LOOP);
  // The engine names four causes for this config, Adam's eps among them…
  assert.deepEqual(ids, ['mean_unscaled', 'dropout_stream', 'variable_targets', 'adam_scale']);
  const c = checkLoop(STACKOVERFLOW_LOOP, ids);
  // …but only two are the loop's bugs, each with its fix.
  assert.equal(c.equivalent, 'no');
  assert.deepEqual(c.breaks.map((b) => b.id), ['mean_unscaled', 'variable_targets']);
  assert.match(c.headline, /Not equivalent to the big batch: 2 things to fix/);
  assert.doesNotMatch(c.headline + c.summary, /cause/);
  assert.ok(!c.breaks.some((b) => /eps/.test(b.title)), 'no Adam-eps cause');
  assert.match(c.breaks[0].fix, /^Fix: sum each micro-batch loss over its valid targets and divide by num_items_in_batch/);
  assert.equal(c.breaks[1].fix, 'Fix: the change above (÷ num_items_in_batch) fixes this too.');
  // Adam's eps: a note on the unscaled mean (why it shows so little), not a cause of its own.
  assert.match(c.breaks[0].notes.join(' '), /only through eps/);
  // Dropout is noise, with the check that plain PyTorch can do, and never called a bug.
  const dropout = c.noise.find((n) => n.id === 'dropout_stream');
  assert.ok(dropout, 'dropout under noise');
  assert.match(dropout.check, /turn dropout off.*or use keyed masks/);
  assert.match(dropout.text, /noise, not a bug/);
  assert.ok(c.noise.some((n) => n.id === 'summation_order'), 'float rounding under noise');
  // What it does right.
  assert.ok(c.right.some((r) => /^Clips once, after the last backward/.test(r)), c.right.join('\n'));
  assert.ok(c.right.some((r) => /^Steps the scheduler once per optimizer step/.test(r)), c.right.join('\n'));
  assert.ok(c.right.some((r) => /LayerNorm/.test(r)));
  assert.ok(c.right.some((r) => /^Keeps the full lr/.test(r)), 'AdamW: the lr is not divided');
  assert.ok(c.right.some((r) => /zero_grad\(\) only after optimizer\.step\(\)/.test(r)));
  // The corrected loop: num_items_in_batch over the valid targets; clip, step, scheduler once per group.
  assert.deepEqual(correctedChoices(STACKOVERFLOW_LOOP, ids), { ...STACKOVERFLOW_LOOP, scaling: 'global' });
  assert.match(c.code, /num_items_in_batch = sum\(int\(\(y != -100\)\.sum\(\)\) for _, y in group\)/);
  assert.match(c.code, /loss = F\.cross_entropy\(model\(x\), y, ignore_index=-100, reduction="sum"\)\n\s*loss = loss \/ num_items_in_batch\n/);
  assert.match(c.code, /nn\.Dropout\(0\.3\)/, 'dropout left as it is');
  assert.match(c.code, /# expected noise: nn\.Dropout/);
  assert.match(c.summary, /2 things to fix; 1 expected noise \(dropout\); 5 things done right/);
});

/**
 * Reads loop code back into the checker's choices, from the code alone: the loss
 * line, where clip_grad_norm_ and scheduler.step() sit (with optimizer.step(), or with the
 * backward), the model's layers, the optimizer, whether a short last group is stepped. With a
 * framework: its imports, its own knobs (gradient_clip_val, "interval": "step", a prepared
 * scheduler, "gradient_clipping", max_grad_norm, drop_last, ...). Comments are read only for
 * the launch line (GPUs) and the transformers version a Trainer loop asks for.
 */
function choicesFromCode(code) {
  const framework = /^import lightning as L$/m.test(code) ? 'lightning' : /^from accelerate import Accelerator$/m.test(code) ? 'accelerate'
    : /^import deepspeed$/m.test(code) ? 'deepspeed'
      : /^from transformers import Trainer/m.test(code) ? (/^# pip install -U "transformers>=4\.46"$/m.test(code) ? 'hf_trainer' : 'hf_trainer_before_4_46') : 'pytorch';
  const launched = code.match(/^# launch: (?:torchrun --nproc_per_node=|accelerate launch --num_processes=|deepspeed --num_gpus=|python train\.py .*devices=)(\d+)/m);
  const workers = launched ? launched[1] : '1';
  if (framework === 'lightning') assert.match(code, new RegExp(`^    devices=${workers}[,]`, 'm'), code);
  if (workers !== '1' && framework === 'pytorch') assert.match(code, /^model = DDP\(model\)/m, code);
  // Without comments, each statement on one line (a call continued over lines is joined).
  const lines = [];
  let depth = 0;
  for (const raw of code.split('\n').map((x) => x.replace(/#.*$/, '').trimEnd()).filter((x) => x.trim())) {
    if (depth > 0) lines[lines.length - 1] += (/[([{]$/.test(lines[lines.length - 1]) ? '' : ' ') + raw.trim();
    else lines.push(raw);
    depth += (raw.match(/[([{]/g) ?? []).length - (raw.match(/[)\]}]/g) ?? []).length;
  }
  if (framework !== 'pytorch') return frameworkChoicesFromCode(code, lines, framework, workers);
  const text = lines.join('\n');
  const find = (re) => lines.findIndex((l) => re.test(l));
  const indent = (i) => lines[i].length - lines[i].trimStart().length;
  // The block a line is in: the run of lines at its indentation around it.
  const block = (i) => {
    let a = i, b = i;
    while (a > 0 && indent(a - 1) >= indent(i)) a--;
    while (b + 1 < lines.length && indent(b + 1) >= indent(i)) b++;
    return [a, b];
  };
  const inBlockOf = (i, j) => { const [a, b] = block(j); return i >= a && i <= b && indent(i) === indent(j); };
  const lossLine = lines.filter((l) => /^\s*loss = /.test(l)).join('\n');
  const step = find(/optimizer\.step\(\)/), backward = find(/loss\.backward\(\)/);
  assert.ok(lossLine && step >= 0 && backward >= 0, code);
  const placed = (re, once, every) => {
    const i = find(re);
    if (i < 0) return null;
    if (inBlockOf(i, step)) return once;
    if (inBlockOf(i, backward)) return every;
    assert.fail(`${re} is neither with optimizer.step() nor with backward():\n${code}`);
  };
  const global = /\/ num_items_in_batch$/m.test(lossLine);
  const sum = /reduction="sum"/.test(lossLine) && !global;
  const optLine = lines[find(/torch\.optim\.(SGD|Adam|AdamW)\(/)];
  const opt = optLine.match(/torch\.optim\.(\w+)\(/)[1];
  return {
    framework, workers,
    reduction: sum ? 'sum' : 'mean',
    scaling: global ? 'global' : /\) \/ k$/m.test(lossLine) ? 'k' : /lr=[^,)]*\/ k/.test(optLine) ? 'lr' : 'none',
    clipping: placed(/clip_grad_norm_\(/, 'after', 'per_micro') ?? 'none',
    scheduler: placed(/scheduler\.step\(\)/, 'per_step', 'per_micro') ?? 'constant',
    dropout: /KeyedDropout\(/.test(text) ? 'keyed' : /nn\.Dropout\(/.test(text) ? 'stream' : 'none',
    norm: /nn\.BatchNorm1d\(/.test(text) ? 'batchnorm' : /nn\.LayerNorm\(/.test(text) ? 'layernorm' : 'none',
    optimizer: opt === 'SGD' ? (/weight_decay=/.test(optLine) ? 'sgd_wd' : 'sgd') : opt === 'Adam' ? 'adam' : 'adamw',
    uneven: /or i \+ 1 == len\(loader\)/.test(text) || /if group:\n\s*yield group/.test(text) ? 'yes' : 'no',
    targets: /ignore_index=/.test(lossLine) ? 'variable' : 'fixed',
  };
}

/** A framework's code read back: its knobs say what the loop does. */
function frameworkChoicesFromCode(code, lines, framework, workers) {
  const text = lines.join('\n');
  const lossLine = lines.filter((x) => /^\s*loss = /.test(x)).join('\n');
  assert.ok(lossLine, code);
  const has = (re) => re.test(text);
  const indent = (i) => lines[i].length - lines[i].trimStart().length;
  /** True if line i sits in the body of an `if accelerator.sync_gradients:` (or of the loop over a group, after it). */
  const underSync = (i) => {
    for (let j = i - 1; j >= 0; j--) if (indent(j) < indent(i)) return /^\s*if accelerator\.sync_gradients:$/.test(lines[j]);
    return false;
  };
  const at = (re) => lines.findIndex((x) => re.test(x));
  const global = /\/ num_items_in_batch$/m.test(lossLine);
  const kwargs = /kwargs\["num_items_in_batch"\]/.test(lossLine);
  const optLine = lines[at(/torch\.optim\.(SGD|Adam|AdamW)\(/)];
  const opt = optLine.match(/torch\.optim\.(\w+)\(/)[1];
  // Each framework's own markers: the loop is written in its terms.
  const markers = {
    lightning: [/^trainer = L\.Trainer\(accumulate_grad_batches=k,/m, /^class Net\(L\.LightningModule\):$/m, /^trainer\.fit\(Net\(model\)/m],
    accelerate: global ? [/^accelerator = Accelerator\(\)$/m, /accelerator\.backward\(loss\)/] : [/^accelerator = Accelerator\(gradient_accumulation_steps=k\)$/m, /^    with accelerator\.accumulate\(model\):$/m, /accelerator\.backward\(loss\)/],
    deepspeed: [/"gradient_accumulation_steps": k,/, /deepspeed\.initialize\(/, /engine\.step\(\)/, ...(global ? [/engine\.backward\(loss, scale_wrt_gas=False\)/] : [/engine\.backward\(loss\)$/m])],
    hf_trainer: [/^args = TrainingArguments\(.*gradient_accumulation_steps=k,/m, /^trainer = Trainer\(model=model, args=args/m, /^trainer\.train\(\)$/m],
  };
  for (const re of markers[framework] ?? markers.hf_trainer) assert.match(text, re, `${framework}: ${re}\n${code}`);
  let clipping = 'none', scheduler = 'constant';
  if (framework === 'lightning') {
    if (has(/gradient_clip_val=/)) clipping = 'after';
    if (has(/CosineAnnealingLR\(/)) { assert.match(text, /"interval": "step"/); scheduler = 'per_step'; }
  } else if (framework === 'accelerate') {
    const clip = at(/accelerator\.clip_grad_norm_\(/), step = at(/optimizer\.step\(\)/), sched = at(/scheduler\.step\(\)/);
    // once per optimizer step: on the group's last backward, or after the group's loop
    if (clip >= 0) { assert.ok(underSync(clip) || (global && indent(clip) === indent(step)), code); clipping = 'after'; }
    if (has(/accelerator\.prepare\(model, optimizer, loader, scheduler\)/)) scheduler = 'per_step';
    else if (sched >= 0) { assert.ok(underSync(sched) || (global && indent(sched) === indent(step)), code); scheduler = 'sync'; }
  } else if (framework === 'deepspeed') {
    if (has(/"gradient_clipping": 1\.0/)) clipping = 'after';
    if (has(/lr_scheduler=scheduler/)) scheduler = 'per_step';
  } else {
    clipping = has(/max_grad_norm=1\.0/) ? 'after' : (assert.match(text, /max_grad_norm=0\.0/), 'none');
    if (has(/optimizers=\(optimizer, scheduler\)/)) scheduler = 'per_step';
    else assert.match(text, /lr_scheduler_type="constant"/);
  }
  const dropLast = has(/drop_last=True/), keepLast = has(/drop_last=False/);
  assert.ok(dropLast !== keepLast, `drop_last said once:\n${code}`);
  return {
    framework, workers,
    reduction: /reduction="sum"/.test(lossLine) && !global && !kwargs ? 'sum' : 'mean',
    scaling: framework === 'hf_trainer' ? (kwargs ? 'none' : 'k') : global ? 'global' : 'none',
    clipping, scheduler,
    dropout: /KeyedDropout\(/.test(text) ? 'keyed' : /nn\.Dropout\(/.test(text) ? 'stream' : 'none',
    norm: /nn\.BatchNorm1d\(/.test(text) ? 'batchnorm' : /nn\.LayerNorm\(/.test(text) ? 'layernorm' : 'none',
    optimizer: opt === 'SGD' ? (/weight_decay=/.test(optLine) ? 'sgd_wd' : 'sgd') : opt === 'Adam' ? 'adam' : 'adamw',
    uneven: keepLast ? 'yes' : 'no',
    targets: /ignore_index=/.test(lossLine) ? 'variable' : 'fixed',
  };
}

test('the corrected loop of every combination, read back from its code, has no breaking cause (engine)', () => {
  const seen = new Map();
  for (const ch of allChoices()) {
    const c = check(ch);
    const back = choicesFromCode(c.code);
    assert.deepEqual(back, c.corrected, `${show(ch)}: the code says another loop\n${c.code}`);
    const long = c.code.split('\n').filter((line) => line.length > 80);
    assert.deepEqual(long, [], `${show(ch)}: lines of at most 80 characters`);
    // Only the breaking choices changed; noise (dropout) and the model's other choices stay.
    for (const key of ['dropout', 'optimizer', 'targets', 'uneven']) assert.equal(back[key], ch[key], `${show(ch)}: ${key}`);
    const left = predicted(back);
    assert.deepEqual(breakingCauses(back, left), [], `${show(ch)} -> ${show(back)}: ${left}`);
    assert.deepEqual(check(back).breaks, [], show(back));
    // A loop with nothing to fix is its own corrected loop, and its code has no "fixed:" line.
    if (!c.breaks.length) { assert.deepEqual(c.corrected, { ...defaultChoices(), ...ch }); assert.doesNotMatch(c.code, /# fixed:/); }
    else assert.match(c.code, /# fixed:/, show(ch));
    seen.set(JSON.stringify(back), back);
  }
  // Run every distinct corrected loop: equal to the big batch, or different by dropout's masks only.
  for (const back of seen.values()) {
    const v = l.compare(configFor(back)).verdict;
    const equal = EQUAL.includes(v.grads) && EQUAL.includes(v.params);
    if (back.dropout === 'stream') assert.deepEqual(ids(v).filter((id) => id !== 'scale_lr'), ['dropout_stream'], `${show(back)}: ${v.text}`);
    else if (back.scaling === 'lr') assert.deepEqual(ids(v), ['scale_lr'], `${show(back)}: ${v.text}`);
    else assert.ok(equal, `${show(back)}: ${v.grads}/${v.params}: ${v.text}`);
  }
  assert.ok(seen.size >= 100, `${seen.size} distinct corrected loops`);
});

test('every part of every answer: fixes for breaks, no cause counted that is noise or a consequence', () => {
  for (const ch of allChoices()) {
    const ids = predicted(ch), c = checkLoop(ch, ids);
    for (const b of c.breaks) assert.match(b.fix, /^Fix: \S/, `${show(ch)} ${b.id}`);
    assert.ok(!c.breaks.some((b) => ['adam_scale', 'dropout_stream', 'clip_masks', 'summation_order'].includes(b.id)), show(ch));
    assert.equal(c.noise.some((n) => n.id === 'dropout_stream'), ch.dropout === 'stream', show(ch));
    assert.equal(c.right.some((r) => /^Clips once/.test(r)), ch.clipping === 'after', show(ch));
    assert.equal(c.right.some((r) => /^Steps the scheduler once per optimizer step/.test(r)), ch.scheduler === 'per_step', show(ch));
    if (ids.includes('adam_scale')) assert.match(c.breaks.find((b) => b.id === 'mean_unscaled').notes.join(' '), /eps/, show(ch));
    if (c.breaks.length) assert.match(c.headline, new RegExp(`^Not equivalent to the big batch: ${c.breaks.length} things? to fix\\.$`), show(ch));
  }
});

// --- frameworks and GPUs --------------------------------------------------------------------

/** Every framework × GPU count but a plain loop on one GPU (which the tests above cover in full). */
const SETUPS = CONTRACT.frameworks.flatMap((f) => ['1', '2', '4'].map((workers) => ({ framework: f.name, workers })))
  .filter((s) => !(s.framework === 'pytorch' && s.workers === '1'));
const DROPOUT_OPTIMIZER = ['none', 'stream', 'keyed'].flatMap((dropout) => ['sgd', 'sgd_wd', 'adam', 'adamw'].map((optimizer) => ({ dropout, optimizer })));

/**
 * Every combination of the questions that interact with a framework and GPUs (reduction,
 * loss, clipping, scheduler, normalisation, last group, targets), with dropout × optimizer
 * (which act the same under every framework) taking one of their 12 pairs, picked by a hash
 * of the other answers: a deterministic twelfth of allChoices(setup) that still holds every
 * answer of every question.
 */
/** The answers to the framework loops, computed once for the tests below: [{ch, ids, c}] per setup. */
const reducedAnswers = new Map();
function answersFor(setup) {
  const key = JSON.stringify(setup);
  if (!reducedAnswers.has(key)) reducedAnswers.set(key, reducedChoices(setup).map((ch) => { const ids = predicted(ch); return { ch, ids, c: checkLoop(ch, ids) }; }));
  return reducedAnswers.get(key);
}

function reducedChoices(setup) {
  return allChoices({ ...setup, dropout: '', optimizer: '' }).map((ch) => {
    // the pair from a hash of the other answers (FNV-1a): spread over every kind of loop
    let h = 0x811c9dc5;
    for (const c of JSON.stringify(ch)) h = Math.imul(h ^ c.charCodeAt(0), 0x01000193) >>> 0;
    return { ...ch, ...DROPOUT_OPTIMIZER[h % DROPOUT_OPTIMIZER.length] };
  });
}

test('frameworks × GPUs: every combination of the questions that matter answered; every sixteenth run through the engine', () => {
  const tally = { yes: 0, updates: 0, noise: 0, no: 0, clipMasks: 0 };
  let answered = 0, ran = 0;
  for (const setup of SETUPS) {
    const answers = answersFor(setup), list = answers.map((a) => a.ch);
    assert.ok(list.length >= 50, `${show(setup)}: ${list.length}`);
    for (const key of CHOICES.map((c) => c.key)) {
      const answers = new Set(list.map((ch) => ch[key]));
      const offered = questionFor(key, setup).options.filter((o) => !o.disabled).map((o) => o.value);
      if (!SETUP_KEYS.includes(key)) assert.deepEqual([...answers].sort(), [...offered].sort(), `${show(setup)} ${key}`);
    }
    answers.forEach(({ ch, c }, i) => {
      answered++;
      for (const b of c.breaks) assert.match(b.fix, /^Fix: \S/, `${show(ch)} ${b.id}`);
      assert.ok(!c.breaks.some((b) => ['adam_scale', 'dropout_stream', 'clip_masks', 'summation_order'].includes(b.id)), show(ch));
      assert.equal(c.noise.some((n) => n.id === 'dropout_stream'), ch.dropout === 'stream', show(ch));
      if (c.breaks.length) assert.match(c.headline, new RegExp(`^Not equivalent to the big batch: ${c.breaks.length} things? to fix\\.$`), show(ch));
      assert.match(c.summary, new RegExp(`Answered for .*${ch.workers === '1' ? ', one GPU' : ` on ${ch.workers} GPUs`}\\.$`), show(ch));
      if (i % 16 === 0) { expectEngineAgrees(ch, tally); ran++; }
    });
  }
  assert.ok(tally.yes >= 20 && tally.noise >= 10 && tally.no >= 200 && tally.clipMasks >= 20, JSON.stringify(tally));
  console.log(`${answered} framework loops answered, ${ran} run through the engine: ${JSON.stringify(tally)}`);
});

test('frameworks × GPUs: what each framework does, in closed form', () => {
  const base = defaultChoices();
  const at = (framework, workers, more = {}) => ({ ...base, framework, workers, ...more });
  // The core's table is read, not spelled: with "not divided by you" the config leaves correction out.
  for (const f of CONTRACT.frameworks) {
    if (f.name === 'pytorch') continue;
    assert.equal(configFor(at(f.name, '1')).correction, undefined, f.name);
    assert.equal(configFor(at(f.name, '1')).framework, f.name);
  }
  assert.deepEqual(Object.keys(configFor(base)).sort(), Object.keys(configFor(at('pytorch', '1'))).sort());
  assert.equal(configFor(base).framework, undefined, 'a plain loop on one GPU: the config as it always was');
  assert.equal(configFor(at('pytorch', '2')).workers, 2);
  // Lightning and Accelerate divide the short last group by k too: a break.
  for (const fw of ['lightning', 'accelerate']) {
    for (const workers of ['1', '2']) {
      const ch = at(fw, workers, { uneven: 'yes' });
      const c = check(ch);
      assert.deepEqual(c.breaks.map((b) => b.id), ['uneven_last_group'], show(ch));
      assert.match(c.breaks[0].fix, /drop_last=True/, show(ch));
      assert.match(c.breaks[0].text, fw === 'lightning' ? /#19987/ : /sync_with_dataloader/);
      assert.equal(c.corrected.uneven, 'no', 'drop the short group');
      assert.match(c.code, /drop_last=True\)/);
    }
  }
  // DeepSpeed and the old Trainer count across epochs: no short group.
  for (const fw of ['deepspeed', 'hf_trainer_before_4_46']) {
    const c = check(at(fw, '1', { uneven: 'yes' }));
    assert.deepEqual(c.breaks, [], fw);
    assert.ok(c.right.some((r) => /^Has no short group: .* counts micro-batches across epoch ends/.test(r)), c.right.join('\n'));
  }
  // The current HF Trainer divides by num_items_in_batch: variable targets break nothing…
  for (const workers of ['1', '2', '4']) {
    for (const uneven of ['no', 'yes']) assert.deepEqual(check(at('hf_trainer', workers, { targets: 'variable', uneven })).breaks, [], `hf_trainer ${workers} ${uneven}`);
  }
  // …unless the model has no loss kwargs; before 4.46 they are the gradient-accumulation bug, fixed by upgrading.
  assert.deepEqual(check(at('hf_trainer', '1', { scaling: 'k', targets: 'variable' })).breaks.map((b) => b.id), ['variable_targets']);
  for (const workers of ['1', '2']) {
    const c = check(at('hf_trainer_before_4_46', workers, { targets: 'variable' }));
    assert.deepEqual(c.breaks.map((b) => b.id), ['variable_targets']);
    assert.match(c.breaks[0].fix, /transformers ≥ 4\.46/);
    assert.equal(c.corrected.framework, 'hf_trainer');
    assert.match(c.code, /^# pip install -U "transformers>=4\.46"$/m);
    assert.match(c.code, /loss = loss \/ kwargs\["num_items_in_batch"\]/);
    if (workers === '2') assert.match(c.code, /average_tokens_across_devices=True/);
  }
  // A summed loss on 2 GPUs: DDP's average gives 1/2; the fix multiplies by the world size or takes a mean.
  for (const fw of ['pytorch', 'lightning', 'accelerate', 'deepspeed']) {
    const ids = predicted(at(fw, '2', { reduction: 'sum' }));
    assert.ok(ids.includes('world_size_average'), `${fw}: ${ids}`);
    const c = check(at(fw, '2', { reduction: 'sum' }));
    assert.match(c.breaks.find((b) => b.id === 'world_size_average').fix, /world size|get_world_size|^Fix: the change above \(a mean loss\) fixes this too\.$/);
    assert.equal(c.corrected.reduction, 'mean');
  }
  assert.deepEqual(predicted(at('pytorch', '1', { reduction: 'sum' })), [], 'one GPU: a sum is fine');
  // lr ÷ k on 2 GPUs with plain SGD: the same updates, as on one.
  const updates = { yes: 0, updates: 0, noise: 0, no: 0, clipMasks: 0 };
  expectEngineAgrees(at('pytorch', '2', { scaling: 'lr' }), updates);
  assert.equal(updates.updates, 1);
  // Accelerate on 2 GPUs with a schedule: a prepared scheduler steps num_processes times per step.
  for (const workers of ['2', '4']) {
    const c = check(at('accelerate', workers, { scheduler: 'per_step' }));
    assert.deepEqual(c.breaks.map((b) => b.id), ['scheduler_steps_multiplied']);
    assert.match(c.breaks[0].fix, new RegExp(`num_processes \\(${workers}\\).*split_batches=True`));
    assert.equal(c.corrected.scheduler, 'sync');
    assert.match(c.code, /^model, optimizer, loader = accelerator\.prepare\(model, optimizer, loader\)$/m);
    assert.match(c.code, /^        if accelerator\.sync_gradients:\n            scheduler\.step\(\)/m);
    assert.match(c.code, new RegExp(`^# launch: accelerate launch --num_processes=${workers} train\\.py$`, 'm'));
  }
  assert.deepEqual(check(at('accelerate', '1', { scheduler: 'per_step' })).breaks, [], 'one process: once per step');
  assert.deepEqual(check(at('lightning', '2', { scheduler: 'per_step' })).breaks, [], 'Lightning steps once per optimizer step');
  // BatchNorm on 2 GPUs breaks even without accumulation's help; the fix names SyncBatchNorm's limit.
  const bn = check(at('pytorch', '2', { scaling: 'k', norm: 'batchnorm' }));
  assert.deepEqual(bn.breaks.map((b) => b.id), ['batchnorm']);
  assert.match(bn.breaks[0].fix, /SyncBatchNorm.*still not over the k accumulated ones/);
  // The corrected loops are the framework's code, launched on the GPUs asked for.
  const code = (ch) => check(ch).code;
  assert.match(code(at('lightning', '2')), /accumulate_grad_batches=k[\s\S]*devices=2, strategy="ddp"/);
  assert.match(code(at('accelerate', '1')), /Accelerator\(gradient_accumulation_steps=k\)[\s\S]*with accelerator\.accumulate\(model\):/);
  assert.match(code(at('hf_trainer', '1')), /TrainingArguments\([\s\S]*gradient_accumulation_steps=k,/);
  assert.match(code(at('deepspeed', '4')), /^# launch: deepspeed --num_gpus=4 train\.py$[\s\S]*"gradient_accumulation_steps": k,/m);
  assert.match(code(at('pytorch', '2', { scaling: 'k' })), /^# launch: torchrun --nproc_per_node=2 train\.py[\s\S]*model = DDP\(model\)[\s\S]*model\.no_sync\(\)/m);
  // With a framework the answer says whose loop it answered for.
  assert.match(check(at('lightning', '2', { uneven: 'yes' })).summary, /Answered for PyTorch Lightning 2\.6 on 2 GPUs\.$/);
  assert.doesNotMatch(check(base).summary, /Answered for/);
});

test('frameworks × GPUs: the questions read as the framework asks them; answers that do not exist are disabled', () => {
  const base = defaultChoices();
  assert.equal(base.framework, 'pytorch');
  assert.equal(base.workers, '1');
  assert.deepEqual(CHOICES.slice(0, 2).map((c) => c.label), ['Framework', 'GPUs (data-parallel workers)']);
  assert.deepEqual(CHOICES[0].options.map(([v]) => v), CONTRACT.frameworks.map((f) => f.name), 'the core\'s frameworks, in its order');
  // The loss question asks what you do on top of the framework.
  assert.equal(questionFor('scaling', base).label, 'Each micro-batch loss is');
  const lightning = questionFor('scaling', { framework: 'lightning' });
  assert.equal(lightning.label, 'The loss training_step returns');
  assert.match(lightning.help, /don't divide it yourself too/);
  assert.deepEqual(lightning.options.map((o) => o.value), ['none', 'global']);
  assert.deepEqual(questionFor('scaling', { framework: 'hf_trainer_before_4_46' }).options.map((o) => o.value), ['none']);
  assert.deepEqual(questionFor('scheduler', { framework: 'accelerate' }).options.map((o) => o.value), ['constant', 'per_step', 'per_micro', 'sync']);
  // Disabled, with why: per-micro-batch clipping on several GPUs (the core does not simulate it), a sum with the HF Trainer.
  assert.match(questionFor('clipping', { workers: '2' }).options.find((o) => o.value === 'per_micro').disabled, /several GPUs/);
  assert.match(questionFor('workers', { clipping: 'per_micro' }).options.find((o) => o.value === '2').disabled, /clipping after every backward/);
  assert.match(questionFor('reduction', { framework: 'hf_trainer' }).options.find((o) => o.value === 'sum').disabled, /means/);
  assert.ok(!isAllowed('scaling', 'k', { framework: 'lightning' }));
  // A new framework keeps num_items_in_batch and otherwise starts from "not divided by you".
  assert.equal(withChoice({ ...base, scaling: 'k' }, 'framework', 'lightning').scaling, 'none');
  assert.equal(withChoice({ ...base, scaling: 'global' }, 'framework', 'deepspeed').scaling, 'global');
  assert.equal(withChoice({ ...base, scaling: 'global' }, 'framework', 'hf_trainer').scaling, 'none', 'the Trainer divides by num_items_in_batch itself');
  assert.equal(withChoice({ ...base, reduction: 'sum' }, 'framework', 'hf_trainer').reduction, 'mean');
  assert.equal(withChoice({ ...base, framework: 'lightning' }, 'framework', 'pytorch').scaling, 'none');
  assert.equal(withChoice(base, 'uneven', 'yes').scaling, 'none', 'other questions leave the loss answer alone');
  assert.deepEqual(normalizeChoices({ clipping: 'per_micro', workers: '2' }).workers, '1');
  // Every example is a loop whose answers exist.
  for (const x of EXAMPLES) assert.deepEqual(normalizeChoices(x.choices), { ...base, ...x.choices }, x.id);
  // configFor refuses an answer the framework does not have.
  assert.throws(() => configFor({ framework: 'lightning', scaling: 'k' }), /not an answer/);
});

test('frameworks × GPUs: the corrected loop of every combination, read back from its code, has no breaking cause', () => {
  const seen = new Map();
  let n = 0;
  for (const setup of SETUPS) {
    for (const { ch, c } of answersFor(setup)) {
      n++;
      const back = choicesFromCode(c.code);
      assert.deepEqual(back, c.corrected, `${show(ch)}: the code says another loop\n${c.code}`);
      const long = c.code.split('\n').filter((line) => line.length > 80);
      assert.deepEqual(long, [], `${show(ch)}: lines of at most 80 characters`);
      // Only the breaking choices changed: noise, the optimizer, the targets and the GPUs stay;
      // the framework stays but for the old Trainer upgraded; a short group is dropped or kept.
      for (const key of ['dropout', 'optimizer', 'targets', 'workers']) assert.equal(back[key], ch[key], `${show(ch)}: ${key}`);
      if (back.framework !== ch.framework) assert.deepEqual([ch.framework, back.framework], ['hf_trainer_before_4_46', 'hf_trainer'], show(ch));
      if (back.uneven !== ch.uneven) assert.ok(ch.framework !== 'pytorch' && back.uneven === 'no', show(ch));
      if (!c.breaks.length) { assert.deepEqual(c.corrected, { ...defaultChoices(), ...ch }); assert.doesNotMatch(c.code, /# fixed:/); }
      else assert.match(c.code, /# fixed:/, show(ch));
      seen.set(JSON.stringify(back), back);
    }
  }
  // Each distinct corrected loop: no breaking cause for the core, nothing to fix for the checker.
  for (const back of seen.values()) {
    const left = predicted(back);
    assert.deepEqual(breakingCauses(back, left), [], `${show(back)}: ${left}`);
    assert.deepEqual(checkLoop(back, left).breaks, [], show(back));
  }
  // Every twenty-fifth distinct corrected loop, run: equal to the big batch, or different by dropout's masks only.
  const distinct = [...seen.values()];
  distinct.forEach((back, i) => {
    if (i % 25) return;
    const v = l.compare(configFor(back)).verdict;
    const equal = EQUAL.includes(v.grads) && EQUAL.includes(v.params);
    if (back.dropout === 'stream') assert.deepEqual(ids(v).filter((id) => id !== 'scale_lr'), ['dropout_stream'], `${show(back)}: ${v.text}`);
    else if (back.scaling === 'lr') assert.deepEqual(ids(v), ['scale_lr'], `${show(back)}: ${v.text}`);
    else assert.ok(equal, `${show(back)}: ${v.grads}/${v.params}: ${v.text}`);
  });
  assert.ok(distinct.length >= 300, `${distinct.length} distinct corrected framework loops`);
  console.log(`${n} framework loops corrected, ${distinct.length} distinct corrected loops read back`);
});

test('"Run it" maps framework and GPU loops to page settings that run the same experiment', () => {
  for (const setup of SETUPS) {
    const list = reducedChoices(setup);
    for (let i = 3; i < list.length; i += 150) {
      const config = configFor(list[i]);
      const { state, unsupported } = stateFromConfig(config);
      assert.deepEqual(unsupported, [], show(list[i]));
      const a = l.compare(config).verdict, b = l.compare(configFromState(state)).verdict;
      assert.deepEqual([b.grads, b.params, b.causes.map((c) => c.id)], [a.grads, a.params, a.causes.map((c) => c.id)], show(list[i]));
    }
  }
});

// The corrected loops in real PyTorch (Debian's python3-torch): each distinct code, with
// dropout at p = 0 as its comment says, trains to the parameters of a big-batch loop written
// here independently (one backward over each group of m·k, the same optimizer, clipping and
// scheduler), in float64 so that only a real difference shows. Broken variants of the same
// code (the ÷ k or the num_items_in_batch removed) must differ: the check can fail.
const TORCH_CHECK = String.raw`
import json, sys
import torch
import torch.nn as nn
import torch.nn.functional as F
torch.set_default_dtype(torch.float64)
torch.set_num_threads(1)  # tiny tensors: threads only cost time

class KeyedDropout(nn.Module):  # the code's keyed dropout, at p = 0 for the check
    def __init__(self, p, layer):
        super().__init__()
    def forward(self, h):
        return h

def flat(model):
    return torch.cat([p.detach().reshape(-1) for p in model.parameters()])

def check(case):
    code = case["code"].replace("nn.Dropout(0.3)", "nn.Dropout(0.0)")
    setup, loop = code.split("model.train()\n", 1)
    n = 100 if case["uneven"] == "yes" else 96
    g = torch.Generator().manual_seed(7)
    x = torch.randn(n, 2, generator=g)
    y = (x[:, 0] * x[:, 1] > 0).long()
    if case["targets"] == "variable":
        drop = torch.rand(n, generator=g) < 0.5
        drop[::8] = False  # every micro-batch keeps a target
        y[drop] = -100
    loader = [(x[i:i + 8], y[i:i + 8]) for i in range(0, n, 8)]
    groups = [(x[i:i + 32], y[i:i + 32]) for i in range(0, n, 32)]
    base = {"loader": loader, "num_steps": len(groups), "KeyedDropout": KeyedDropout}
    # the loop as written
    ns = dict(base); torch.manual_seed(0); exec(setup, ns)
    start = flat(ns["model"])
    exec("model.train()\n" + loop, ns)
    # the big batch: the same set-up with the full lr, one backward per group
    ref = dict(base); torch.manual_seed(0); exec(setup.replace(" / k)", ")"), ref)
    model, opt = ref["model"], ref["optimizer"]
    model.train()
    for gx, gy in groups:
        opt.zero_grad()
        F.cross_entropy(model(gx), gy, ignore_index=-100, reduction=case["reduction"]).backward()
        if "max_norm" in ref:
            torch.nn.utils.clip_grad_norm_(model.parameters(), ref["max_norm"])
        opt.step()
        if "scheduler" in ref:
            ref["scheduler"].step()
    a, b = flat(ns["model"]), flat(model)
    return {"diff": ((a - b).norm() / b.norm()).item(), "moved": ((b - start).norm() / start.norm()).item()}

print(json.dumps([check(case) for case in json.load(sys.stdin)]))
`;

test('the corrected loops run in real PyTorch and train exactly as the big batch (float64, dropout p = 0)', () => {
  const cases = new Map();
  for (const ch of allChoices()) {
    const c = check(ch);
    // one case per code, whatever its "# fixed:" comments say
    cases.set(c.code.replace(/^\s*#.*\n/gm, ''), { code: c.code, reduction: c.corrected.reduction, uneven: c.corrected.uneven, targets: c.corrected.targets, ch: c.corrected });
  }
  const list = [...cases.values()];
  // Broken on purpose: the same code without its fix must come out different.
  const broken = [];
  for (const c of list) {
    if (c.ch.optimizer.startsWith('adam')) continue; // Adam hides a scale (only eps sees it): the lab's own lesson
    if (/\) \/ k\n/.test(c.code) && broken.filter((b) => b.why === 'no / k').length < 5) broken.push({ ...c, why: 'no / k', code: c.code.replace(/\) \/ k\n/, ')\n') });
    if (/loss = loss \/ num_items_in_batch/.test(c.code) && broken.filter((b) => b.why === 'per micro-batch').length < 5) {
      broken.push({ ...c, why: 'per micro-batch', code: c.code.replace('loss = loss / num_items_in_batch', `loss = loss / max(int((y != -100).sum()), 1) / k`) });
    }
  }
  assert.ok(broken.length === 10, `${broken.length} broken variants`);
  const all = [...list, ...broken];
  const p = spawnSync('/usr/bin/python3', ['-c', TORCH_CHECK], { input: JSON.stringify(all), encoding: 'utf8', timeout: 600000, maxBuffer: 1 << 26 });
  assert.equal(p.status, 0, `real PyTorch (/usr/bin/python3 with python3-torch; make deps installs it): ${p.stderr || p.error}`);
  const results = JSON.parse(p.stdout);
  all.forEach((c, i) => {
    const r = results[i];
    assert.ok(r.moved > 1e-3, `${show(c.ch)}: training moved the parameters (${r.moved})`);
    if (!c.why) assert.ok(r.diff < 1e-10, `${show(c.ch)}: ${r.diff} from the big batch\n${c.code}`);
    else assert.ok(r.diff > 1e-4, `${c.why} ${show(c.ch)}: only ${r.diff} from the big batch`);
  });
  assert.ok(list.length >= 100, `${list.length} distinct codes`);
  console.log(`${list.length} corrected loops and ${broken.length} broken ones run in PyTorch`);
});
