// Node tests of web/state.mjs: the settings table, URL round trips, rejection of bad
// values, and the config sent to the engine. No browser needed.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { otherValue, badValues } from './values.mjs';
import { PRESETS } from '../../wasm/presets.mjs';
import { FIXES, describeRuns } from '../../web/run-words.mjs';
import { createLab } from '../../wasm/accumlab.mjs';
import {
  SETTINGS, DATASETS, configFromState, defaultState, formatValue, parseValue,
  settingFor, settingForField, stateFromURL, urlFromState, stateFromConfig, sameState,
} from '../../web/state.mjs';

test('the table has unique keys and paths, and every default parses back to itself', () => {
  const keys = new Set(SETTINGS.map((s) => s.key));
  const paths = new Set(SETTINGS.map((s) => s.path));
  assert.equal(keys.size, SETTINGS.length);
  assert.equal(paths.size, SETTINGS.length);
  for (const s of SETTINGS) {
    const text = formatValue(s, s.default);
    const r = parseValue(s, text);
    assert.ok(r.ok, `${s.key}: default "${text}" does not parse: ${r.reason}`);
    assert.deepEqual(r.value, s.default, s.key);
    assert.ok(s.label && s.group, `${s.key} needs a label and a group`);
  }
});

test('the default state has an empty URL', () => {
  assert.equal(urlFromState(defaultState()), '');
  const { state, rejected } = stateFromURL('');
  assert.deepEqual(state, defaultState());
  assert.deepEqual(rejected, []);
});

for (const s of SETTINGS) {
  test(`URL round trip of ${s.key} (${s.path})`, () => {
    const state = { ...defaultState(), [s.key]: otherValue(s) };
    const url = urlFromState(state);
    assert.match(url, new RegExp(`^\\?${s.key}=`), `only ${s.key} is in the URL: ${url}`);
    const back = stateFromURL(url);
    assert.deepEqual(back.rejected, []);
    assert.deepEqual(back.state, state);
  });

  test(`bad URL values of ${s.key} are rejected and fall back to the default`, () => {
    for (const bad of badValues(s)) {
      const { state, rejected } = stateFromURL(`?${s.key}=${encodeURIComponent(bad)}`);
      assert.equal(rejected.length, 1, `${s.key}=${bad} should be rejected`);
      assert.equal(rejected[0].key, s.key);
      assert.equal(rejected[0].value, bad);
      assert.match(rejected[0].reason, /expected/, 'the reason says what is allowed');
      assert.deepEqual(state[s.key], s.default);
    }
  });
}

test('every setting at once round-trips through the URL', () => {
  const state = defaultState();
  for (const s of SETTINGS) state[s.key] = otherValue(s);
  const url = urlFromState(state);
  const back = stateFromURL(url);
  assert.deepEqual(back.rejected, []);
  assert.deepEqual(back.state, state);
  assert.equal(new URLSearchParams(url).size, SETTINGS.length);
});

test('unknown and repeated parameters are named; good ones still apply', () => {
  const { state, rejected } = stateFromURL('?k=2&bogus=1&m=16&m=4');
  assert.equal(state.k, 2);
  assert.equal(state.m, 16);
  assert.deepEqual(rejected.map((r) => r.key), ['bogus', 'm']);
  assert.match(rejected[0].reason, /not a setting/);
});

test('page parameters (simd) are not settings and not rejected', () => {
  const { rejected } = stateFromURL('?simd=0');
  assert.deepEqual(rejected, []);
  assert.equal(urlFromState(defaultState(), { simd: '0' }), '?simd=0');
});

test('optional settings: empty means the engine picks, and they stay out of the config', () => {
  const lr = settingFor('lr');
  assert.deepEqual(parseValue(lr, ''), { ok: true, value: null });
  assert.deepEqual(parseValue(lr, 'auto'), { ok: true, value: null });
  const config = configFromState(defaultState());
  assert.equal('lr' in config.optimizer, false);
  assert.equal('weightDecay' in config.optimizer, false);
  assert.equal('tMax' in config.schedule, false);
  assert.equal(configFromState({ ...defaultState(), lr: 0.05 }).optimizer.lr, 0.05);
});

test('the default config holds the documented defaults and only known fields', () => {
  const c = configFromState(defaultState());
  assert.deepEqual(Object.keys(c).sort(), [
    'accumSteps', 'atol', 'batchSize', 'clipGradNorm', 'clipPlacement', 'countAcrossWorkers', 'data', 'dropoutRng',
    'framework', 'gradDtype', 'lastGroup', 'lossScale', 'model', 'optimizer', 'reduction', 'rtol', 'scalerUpdate', 'schedule',
    'schedulerStepping', 'seed', 'steps', 'syncBatchNorm', 'workers',
  ]);
  assert.equal(c.batchSize, 8);
  assert.equal(c.accumSteps, 4);
  assert.equal(c.reduction, 'mean');
  assert.equal('correction' in c, false, 'correction auto: none, or the framework\'s (the engine settles it)');
  assert.equal(c.framework, 'pytorch');
  assert.equal(c.workers, 1);
  assert.deepEqual(c.model, { dropout: 0, hidden: [16, 16], activation: 'tanh', norm: 'none' });
  assert.deepEqual(c.optimizer, { name: 'sgd', momentum: 0, dampening: 0, nesterov: false, eps: 1e-8, betas: [0.9, 0.999] });
  assert.deepEqual(c.data, { name: 'moons', noise: 0.1, maskFraction: 0, shuffle: true, generator: 'lab' }, 'data.n is the engine\'s (256; digits: 1797)');
  assert.deepEqual(c.schedule, { name: 'constant', stepSize: 10, gamma: 0.1, etaMin: 0, warmupSteps: 5 });
  assert.equal(c.steps, 20);
  assert.equal(c.rtol, 1e-5);
  assert.equal(c.atol, 1e-8);
  assert.equal('loss' in c, false, 'loss auto is left to the engine');
  assert.equal('sizes' in c.model, false, 'the page sends hidden sizes only; the engine settles inputs and outputs');
});

test('the engine gives hidden sizes their IN and OUT from the dataset and the loss', async () => {
  const lab = await createLab();
  const s = defaultState();
  const sizes = (st) => {
    const run = lab.start(configFromState(st));
    try { return run.config.model.sizes; } finally { run.free(); }
  };
  assert.deepEqual(sizes({ ...s, hidden: [32] }), [2, 32, 2]);
  assert.deepEqual(sizes({ ...s, hidden: [] }), [2, 2]);
  assert.deepEqual(sizes({ ...s, hidden: [8, 8], data: 'digits' }), [64, 8, 8, 10]);
  assert.deepEqual(sizes({ ...s, hidden: [8, 8], data: 'gaussians' }), [2, 8, 8, 3]);
  assert.deepEqual(sizes({ ...s, hidden: [8, 8], data: 'regression' }), [1, 8, 8, 1]);
  assert.deepEqual(sizes({ ...s, hidden: [8, 8], data: 'seed_example' }), [4, 8, 8, 2]);
  // The bug this replaced: ?loss=bce&hidden=8 made the page send [2, 8, 1], which the core refused.
  assert.deepEqual(sizes({ ...s, hidden: [8], loss: 'bce' }), [2, 8, 2]);
  assert.deepEqual(sizes({ ...s, hidden: [], loss: 'bce' }), [2, 2]);
  assert.deepEqual(sizes({ ...s, hidden: [4, 4], data: 'xor' }), [2, 4, 4, 2]);
  assert.equal(Object.keys(DATASETS).length, 8);
});

test('engine error fields map to the control that shows them', () => {
  const key = (f) => settingForField(f)?.key;
  assert.equal(key('optimizer.lr'), 'lr');
  assert.equal(key('batchSize'), 'm');
  assert.equal(key('optimizer.betas[1]'), 'beta2');
  assert.equal(key('optimizer.betas'), 'beta1');
  assert.equal(key('model.sizes[2]'), 'hidden');
  assert.equal(key('model.dropout[0]'), 'dropout');
  assert.equal(key('data.n'), 'n');
  assert.equal(key('data'), 'data');
  assert.equal(key('optimizer.nesterov'), 'nesterov');
  assert.equal(key(''), undefined);
});

test('the two runs are described in words', () => {
  const d = describeRuns(defaultState());
  assert.equal(d.reference, 'batch 32, 1 backward per step');
  assert.equal(d.accumulated, '4 × batch 8, 4 backwards per step');
  assert.match(d.loss, /without dividing by 4/);
  assert.match(describeRuns({ ...defaultState(), reduction: 'sum' }).loss, /sum over 32/);
});

test('every engine preset maps to page settings and back to the same config', () => {
  for (const p of PRESETS) {
    const { state, unsupported } = stateFromConfig(p.config);
    assert.deepEqual(unsupported, [], `preset ${p.id}`);
    const again = stateFromConfig(configFromState(state));
    assert.deepEqual(again.unsupported, []);
    assert.ok(sameState(again.state, state), `preset ${p.id} round-trips`);
    assert.deepEqual(stateFromURL(urlFromState(state)).state, state);
    // Every field the preset sets has the same value in the page's config.
    const config = configFromState(state);
    const flat = (o, pre = '') => Object.entries(o).flatMap(([k, v]) => (v && typeof v === 'object' && !Array.isArray(v) ? flat(v, `${pre}${k}.`) : [[`${pre}${k}`, v]]));
    const mine = Object.fromEntries(flat(config));
    for (const [path, v] of flat(p.config)) {
      if (path === 'model.sizes') assert.deepEqual(mine['model.hidden'], v.slice(1, -1), p.id);
      else if (path === 'loss' && !('loss' in mine)) assert.ok(['cross_entropy', 'mse'].includes(v));
      else assert.deepEqual(mine[path], v, `${p.id}: ${path}`);
    }
  }
});

test('stateFromConfig names what the page cannot show', () => {
  assert.deepEqual(stateFromConfig({ init: [1, 2], model: { dropout: [0.1, 0.2] } }).unsupported.sort(), ['init', 'model.dropout']);
});

test('fixes only name real settings with valid values', () => {
  const check = (set) => {
    for (const [k, v] of Object.entries(set)) {
      const s = settingFor(k);
      assert.ok(s, `unknown setting ${k}`);
      assert.ok(parseValue(s, formatValue(s, v)).ok, `${k}=${v}`);
    }
  };
  for (const fixes of Object.values(FIXES)) for (const f of fixes) check(f.set);
});

test('a setting given twice in a link: only the first value is read, and the rejection says whether it was used', () => {
  const used = stateFromURL('?m=16&m=abc');
  assert.equal(used.state.m, 16, 'the first value counts');
  assert.deepEqual(used.rejected.map((r) => [r.key, r.value, r.duplicate, r.firstAccepted]), [['m', 'abc', true, true]]);
  assert.match(used.rejected[0].reason, /first value is used/);

  const bothBad = stateFromURL('?m=Infinity&m=Infinity&k=2');
  assert.equal(bothBad.state.m, defaultState().m, 'a bad first value falls back to the default');
  assert.equal(bothBad.state.k, 2);
  assert.deepEqual(bothBad.rejected.map((r) => [r.key, r.value, !!r.duplicate]), [['m', 'Infinity', false], ['m', 'Infinity', true]]);
  assert.equal(bothBad.rejected[1].firstAccepted, false);
  assert.doesNotMatch(bothBad.rejected[1].reason, /first value is used/, 'the first value was not used either');
});
