// tests/node/checker.test.mjs — "Check my training loop" predicts, without running, what the
// engine finds when the loop runs. Every combination of choices (10368) is run through the
// engine with the panel's config and the prediction is checked against the engine's verdict.
import test from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import {
  allChoices, breakingCauses, checkLoop, clippingCanHide, configFor, CHOICES, correctedChoices, defaultChoices, EXAMPLES,
  isBreaking, STACKOVERFLOW_LOOP,
} from '../../wasm/checker.mjs';
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

test('every combination: the predicted verdict and causes are what the engine finds', async () => {
  const all = allChoices();
  assert.equal(all.length, CHOICES.reduce((n, c) => n * c.options.length, 1));
  const tally = { yes: 0, updates: 0, noise: 0, no: 0, clipMasks: 0 };
  for (const ch of all) {
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
 * Reads PyTorch loop code back into the checker's choices, from the code alone: the loss
 * line, where clip_grad_norm_ and scheduler.step() sit (with optimizer.step(), or with the
 * backward), the model's layers, the optimizer, whether a short last group is stepped.
 */
function choicesFromCode(code) {
  const lines = code.split('\n').map((l) => l.replace(/#.*$/, '').trimEnd()).filter((l) => l.trim());
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
