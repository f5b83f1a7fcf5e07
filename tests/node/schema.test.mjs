// tests/node/schema.test.mjs — the core's schema is the one contract: for every field the
// parser refuses exactly what the schema says (just outside the range, an unknown option, a
// wrong type, too many items) naming that path; the page's setting for it accepts the same
// range and survives a URL round trip; the effective config (result.config) has it; the
// contract module the page imports is the one the engine reports.
import test from 'node:test';
import assert from 'node:assert/strict';
import { AccumLabError } from '../../wasm/accumlab.mjs';
import { CONTRACT } from '../../wasm/contract.mjs';
import { explainsEvery } from '../../wasm/verdict.mjs';
import { SETTINGS, defaultState, parseValue, stateFromURL, urlFromState } from '../../web/state.mjs';
import { lab } from './helpers.mjs';

const l = await lab();
const leaves = l.schema.filter((f) => f.type !== 'object');

/** {a: {b: value}} for the path 'a.b'. */
function configWith(path, value) {
  const config = {};
  const keys = path.split('.');
  let o = config;
  for (const k of keys.slice(0, -1)) o = o[k] = {};
  o[keys.at(-1)] = value;
  return config;
}

const nextUp = (x) => {
  if (x === 0) return Number.MIN_VALUE;
  const b = new DataView(new ArrayBuffer(8));
  b.setFloat64(0, x);
  b.setBigUint64(0, b.getBigUint64(0) + (x > 0 ? 1n : -1n));
  return b.getFloat64(0);
};
const nextDown = (x) => -nextUp(-x);

function refused(config, path, codes) {
  try {
    const run = l.start(config);
    run.free();
  } catch (e) {
    assert.ok(e instanceof AccumLabError, `${path}: ${e}`);
    assert.ok(e.field === path || e.field.startsWith(`${path}[`), `${JSON.stringify(config)}: field ${e.field}, want ${path}`);
    if (codes) assert.ok(codes.includes(e.code), `${JSON.stringify(config)}: code ${e.code}`);
    return e;
  }
  assert.fail(`${JSON.stringify(config)} was accepted; the schema says ${path} may not be that`);
}

/** Values just outside a field's (or list item's) range. */
function outside(r, int) {
  const out = [];
  if (r.exclusiveMin !== undefined) out.push(r.exclusiveMin);
  else if (r.min !== undefined) out.push(int ? r.min - 1 : nextDown(r.min));
  if (r.exclusiveMax !== undefined) out.push(r.exclusiveMax);
  else if (r.max !== undefined) out.push(int ? r.max + 1 : nextUp(r.max));
  return out.filter((x) => Number.isFinite(x) && Math.abs(x) <= Number.MAX_SAFE_INTEGER * 2 ** 970);
}

test('the schema lists every field with a type, a doc and a default', () => {
  assert.ok(leaves.length >= 40, `${leaves.length} fields`);
  for (const f of l.schema) {
    assert.ok(['int', 'number', 'enum', 'bool', 'list', 'object'].includes(f.type), f.path);
    assert.ok(f.doc && f.doc.length > 10, `${f.path} has a doc`);
    assert.ok('default' in f, f.path);
    if (f.default === null && f.type !== 'object' && f.type !== 'list') assert.ok(f.auto, `${f.path}: a null default says what it becomes`);
    if (f.type === 'enum') assert.ok(f.options.length >= 2 && (f.default === null || f.options.includes(f.default)), f.path);
  }
  assert.deepEqual(l.contract, { ...CONTRACT, vectorIndex: l.contract.vectorIndex }, 'wasm/contract.mjs is the engine\'s (make wasm writes it)');
  assert.ok(explainsEvery(l.contract), 'verdict.mjs has words for every cause the core names');
});

test('the parser refuses the value just outside every field\'s range, naming the field', () => {
  let cases = 0;
  for (const f of leaves) {
    const bad = [];
    if (f.type === 'int' || f.type === 'number') {
      for (const x of outside(f, f.type === 'int')) bad.push([x, ['range', 'limit']]);
      if (f.type === 'int') bad.push([f.default ?? f.min ?? 1, null, 0.5]);
      bad.push(['1', ['type']]);
    } else if (f.type === 'enum') {
      bad.push([`${f.options[0]}x`, ['unknown']], [1, ['type']]);
    } else if (f.type === 'bool') {
      bad.push(['yes', ['type']], [1, ['type']]);
    } else if (f.type === 'list' && (f.items.type === 'int' || f.items.type === 'number')) {
      const ok = f.items.type === 'int' ? f.items.min : 0.5;
      for (const x of outside(f.items, f.items.type === 'int')) bad.push([Array(Math.max(1, f.minItems)).fill(x), ['range', 'limit']]);
      bad.push([Array(f.maxItems + 1).fill(ok), ['limit', 'shape', 'range']]);
      if (f.minItems > 0) bad.push([[], ['range', 'shape']]);
      bad.push([{}, ['type']]);
    } else {
      bad.push([{}, ['type']], ['x', ['type']]);
    }
    for (const [value, codes, add] of bad) {
      const config = configWith(f.path, add !== undefined ? value + add : value); // add: an integer field given a fraction
      if (f.path === 'data.targets' || f.path === 'data.mask') { // they need inputs, one row per target
        if (!Array.isArray(value) || value.length > f.maxItems) continue; // the rows' limit is data.inputs'
        config.data.inputs = Array.from({ length: Math.max(1, value.length) }, () => [0]);
        if (f.path === 'data.mask') config.data.targets = config.data.inputs.map(() => [0]);
      }
      refused(config, f.path, add !== undefined ? ['range'] : codes);
      cases++;
    }
  }
  assert.ok(cases >= 110, `${cases} cases`);
});

test('result.config (the effective config) has every field of the schema, and reads back as the same config', () => {
  const r = l.compare({ steps: 2, optimizer: { name: 'adamw' }, data: { name: 'digits' } });
  for (const f of l.schema) {
    const keys = f.path.split('.');
    let o = r.config;
    for (const k of keys.slice(0, -1)) o = o[k];
    assert.ok(keys.at(-1) in o, `result.config has ${f.path}`);
  }
  assert.equal(r.config.optimizer.lr, 0.001, 'adamw\'s derived lr');
  assert.equal(r.config.optimizer.weightDecay, 0.01, 'adamw\'s derived weight decay');
  assert.equal(r.config.data.n, 1797, 'digits: all samples');
  assert.deepEqual(r.config.model.sizes, [64, 16, 16, 10]);
  assert.equal(r.config.loss, 'cross_entropy');
  assert.equal(r.config.schedule.tMax, 2, 'T_max defaults to the steps');
  // The effective config is a config: it runs the same experiment, bit for bit.
  const again = l.compare(r.config);
  assert.deepEqual(again.config, r.config);
  assert.deepEqual(again.final.paramsAcc, r.final.paramsAcc);
  const explicit = l.compare({ steps: 1, batchSize: 2, accumSteps: 1, data: { inputs: [[1, 2], [3, 4.5]], targets: [[1], [0.25]], mask: [[1], [0]] } });
  assert.deepEqual(explicit.config.data, { name: null, n: null, noise: null, seed: null, generator: null, maskFraction: 0, shuffle: true, inputs: [[1, 2], [3, 4.5]], targets: [[1], [0.25]], mask: [[1], [0]] });
  assert.deepEqual(l.compare(explicit.config).final.paramsRef, explicit.final.paramsRef);
});

test('verdict words come from the effective config, not the caller\'s object', () => {
  const config = { batchSize: 8, accumSteps: 4, steps: 2 };
  const run = l.start(config);
  config.batchSize = 999; // the caller changes its object after start
  while (run.step()) { /* every step */ }
  const text = run.verdict().causes.find((c) => c.id === 'mean_unscaled').text;
  run.free();
  assert.match(text, /over its 8 samples/);
  assert.doesNotMatch(text, /999/);
  const inherited = l.compare(Object.create({ batchSize: 16 })); // an inherited batchSize is not a field
  assert.match(inherited.verdict.causes[0].text, /over its 8 samples/);
  assert.equal(inherited.config.batchSize, 8);
});

test('every page setting takes its range from the schema and survives a URL round trip', () => {
  const byPath = Object.fromEntries(l.schema.map((f) => [f.path, f]));
  for (const s of SETTINGS) {
    const item = /^(.*)\[(\d+)\]$/.exec(s.path);
    const f = byPath[item ? item[1] : s.path];
    assert.ok(f, `${s.key}: ${s.path} is a schema field`);
    const r = item || f.type === 'list' ? f.items : f;
    if (s.type === 'int' || s.type === 'number') {
      for (const x of [r.min, r.max].filter((v) => v !== undefined && Number.isFinite(v))) {
        const p = parseValue(s, String(x));
        assert.ok(p.ok, `${s.key} accepts ${x}: ${p.reason}`);
        const state = { ...defaultState(), [s.key]: p.value };
        assert.equal(stateFromURL(urlFromState(state)).state[s.key], p.value, `${s.key}=${x} round-trips`);
      }
      for (const x of outside(r, s.type === 'int')) assert.equal(parseValue(s, String(x)).ok, false, `${s.key} refuses ${x}`);
    } else if (s.type === 'enum') {
      const names = s.options.map(([v]) => v).filter((v) => v !== 'auto' && v !== s.unset);
      assert.deepEqual(names, f.options, `${s.key}: the schema's options (besides the page's 'leave it out')`);
      for (const v of names) assert.equal(stateFromURL(urlFromState({ ...defaultState(), [s.key]: v })).state[s.key], v);
    } else if (s.type === 'intlist') {
      assert.equal(s.maxLength, f.maxItems);
      assert.equal(parseValue(s, Array(f.maxItems + 1).fill(1).join(',')).ok, false);
      assert.equal(parseValue(s, String(f.items.max + 1)).ok, false);
      assert.deepEqual(parseValue(s, String(f.items.max)).value, [f.items.max]);
    }
    if (f.default !== null && !item) assert.deepEqual(defaultState()[s.key], f.default, `${s.key}'s default is the schema's`);
  }
  // What the page does not show: lists of data, the full sizes list, containers.
  const shown = new Set(SETTINGS.map((s) => s.path.replace(/\[\d+\]$/, '')));
  const hidden = leaves.map((f) => f.path).filter((p) => !shown.has(p));
  assert.deepEqual(hidden.sort(), ['data.inputs', 'data.mask', 'data.targets', 'model.sizes']);
});
