// tests/node/checker.test.mjs — "Check my training loop" predicts, without running, what the
// engine finds when the loop runs. Every combination of choices (10368) is run through the
// engine with the panel's config and the prediction is checked against the engine's verdict.
import test from 'node:test';
import assert from 'node:assert/strict';
import { allChoices, checkLoop, clippingCanHide, configFor, CHOICES, defaultChoices } from '../../wasm/checker.mjs';
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
  const tally = { yes: 0, updates: 0, no: 0, clipMasks: 0 };
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
  assert.ok(tally.yes >= 100 && tally.updates >= 8 && tally.no >= 5000, JSON.stringify(tally));
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
  assert.match(c.headline, /Not equivalent.*5 causes/);
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
