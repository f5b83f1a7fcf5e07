// Node fuzz test of the page's URL parsers (web/state.mjs stateFromURL, web/embed.mjs
// readEmbedParams) with thousands of random and hostile query strings (hostile-urls.mjs):
// they never throw, every setting ends up valid (the value the link gave, or the default with
// a rejection naming the key), nothing reaches Object.prototype, and the engine either
// accepts the resulting config or refuses it with an error naming a field the page can show.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import {
  SETTINGS, PAGE_PARAMS, configFromState, defaultState, formatValue, parseValue, sameValue, settingFor, settingForField, stateFromURL,
} from '../../web/state.mjs';
import { readEmbedParams } from '../../web/embed.mjs';
import { PRESETS } from '../../wasm/presets.mjs';
import { createLab } from '../../wasm/accumlab.mjs';
import { hostileQueries, MARKUP } from './hostile-urls.mjs';

export const FUZZ_COUNT = 5000;
const QUERIES = hostileQueries(FUZZ_COUNT, 6);
const DEFAULTS = defaultState();
const KEYS = SETTINGS.map((s) => s.key).sort();

/** A value of a setting is valid if it survives its own text form (or is the default). */
function valid(s, v) {
  if (sameValue(v, s.default)) return true;
  const r = parseValue(s, formatValue(s, v));
  return r.ok && sameValue(r.value, v);
}

test(`${FUZZ_COUNT} hostile query strings: no throw, every setting valid, each bad parameter rejected by name`, (t) => {
  const protoBefore = Object.getOwnPropertyNames(Object.prototype).sort();
  let rejections = 0;
  let accepted = 0;
  for (const q of QUERIES) {
    const { state, rejected } = stateFromURL(q);
    assert.equal(Object.getPrototypeOf(state), Object.prototype, q);
    assert.deepEqual(Object.keys(state).sort(), KEYS, `only the settings: ${q}`);
    for (const s of SETTINGS) assert.ok(valid(s, state[s.key]), `${s.key}=${JSON.stringify(state[s.key])} from ${q}`);

    // Replay the parameters: the first value of a setting is either taken or rejected (and
    // the default kept); later repeats and unknown keys are rejected; page parameters pass.
    const expectRejected = [];
    const seen = new Set();
    for (const [k, v] of new URLSearchParams(q)) {
      if (PAGE_PARAMS.includes(k)) continue;
      const s = settingFor(k);
      if (!s || seen.has(k)) { expectRejected.push([k, v]); continue; }
      seen.add(k);
      const r = parseValue(s, v);
      if (r.ok) {
        assert.ok(sameValue(state[k], r.value), `${k} takes the link's value in ${q}`);
        accepted += 1;
      } else {
        assert.ok(sameValue(state[k], DEFAULTS[k]), `${k} falls back to its default in ${q}`);
        expectRejected.push([k, v]);
      }
    }
    assert.deepEqual(rejected.map((r) => [r.key, r.value]), expectRejected, q);
    for (const r of rejected) assert.ok(typeof r.reason === 'string' && r.reason.length > 0);
    rejections += rejected.length;

    // The page's other parser, for simd/embed/hide/show/preset.
    const embedding = readEmbedParams(q, PRESETS.map((p) => p.id));
    assert.ok(Array.isArray(embedding.problems));
    for (const k of [...embedding.hide, ...embedding.show]) assert.ok(settingFor(k), `hide/show names settings only: ${k}`);
  }
  assert.deepEqual(Object.getOwnPropertyNames(Object.prototype).sort(), protoBefore, 'Object.prototype unchanged');
  assert.equal(({}).polluted, undefined);
  assert.equal(Object.prototype.__xss, undefined);
  t.diagnostic(`${FUZZ_COUNT} query strings: ${accepted} values taken, ${rejections} rejected`);
  // The generator must exercise both paths, or the test proves little.
  assert.ok(rejections > FUZZ_COUNT, `rejections: ${rejections}`);
  assert.ok(accepted > FUZZ_COUNT / 2, `values accepted: ${accepted}`);
});

test('hostile markup in a value is kept as text in the rejection, never interpreted', () => {
  for (const m of MARKUP) {
    const { state, rejected } = stateFromURL(`?m=${encodeURIComponent(m)}&${encodeURIComponent(m)}=1`);
    assert.equal(state.m, DEFAULTS.m);
    assert.deepEqual(rejected.map((r) => [r.key, r.value]), [['m', m], [m, '1']]);
  }
});

test('the engine accepts the config of every fuzzed state, or refuses it naming a field the page can show', async (t) => {
  const lab = await createLab();
  let started = 0;
  let refused = 0;
  for (const q of QUERIES) {
    const config = configFromState(stateFromURL(q).state);
    let run;
    try {
      run = lab.start(config);
    } catch (e) {
      assert.equal(e.name, 'AccumLabError', `${e.name}: ${e.message} for ${q}`);
      assert.ok(typeof e.code === 'string' && e.code !== 'ok', e.code);
      assert.ok(e.field === '' || settingForField(e.field), `the field "${e.field}" maps to a control (${e.message})`);
      refused += 1;
      continue;
    }
    run.free();
    started += 1;
  }
  t.diagnostic(`engine: ${started} configs started, ${refused} refused with a named field`);
  assert.equal(started + refused, FUZZ_COUNT);
  assert.ok(started > FUZZ_COUNT / 2, `started ${started}, refused ${refused}`);
  // After all of them, a good config still gives the right answer.
  const r = lab.compare({ data: { name: 'moons', n: 64 }, steps: 3 });
  assert.equal(r.verdict.grads, 'scaled');
});
