// web/state.mjs — every setting of the lab, declared once.
//
// One table (SETTINGS) drives the controls, the config sent to the engine, URL parsing
// and URL writing. Everything here is pure: no DOM, no globals that change, so Node tests
// cover it (tests/browser/state.test.mjs).
//
//   state   a plain object {key: value} with one entry per setting (typed values)
//   config  the engine's JSON config (README / core/config.h), built by configFromState
//   URL     ?key=value for every setting that differs from its default

import { CONTRACT, field } from '../wasm/contract.mjs';

/** Inputs, targets and classes of the built-in datasets (the core's, core/datasets.c). */
export const DATASETS = Object.freeze(Object.fromEntries(CONTRACT.datasets.map((d) => [d.name, {
  inputs: d.inputs, outputs: d.classes || d.targets, kind: d.classes ? 'class' : 'real', maxN: d.maxN,
}])));

const DATASET_LABELS = {
  moons: 'moons (2 in, 2 classes)', circles: 'circles (2 in, 2 classes)', xor: 'xor (2 in, 2 classes)',
  spirals: 'spirals (2 in, 2 classes)', gaussians: 'gaussians (2 in, 3 classes)',
  digits: 'digits (64 in, 10 classes, n ≤ 1797)', regression: 'regression (1 in, 1 out)',
  seed_example: 'seed_example (4 in, 2 out)',
};

/** Sections of the control panel, in display order. `lead` is the lab's main question. */
export const GROUPS = [
  { id: 'lead', label: 'The experiment' },
  { id: 'parallel', label: 'Framework and GPUs' },
  { id: 'model', label: 'Model and loss' },
  { id: 'optimizer', label: 'Optimizer' },
  { id: 'clipping', label: 'Clipping' },
  { id: 'precision', label: 'Precision (bf16, fp16, loss scaling)' },
  { id: 'schedule', label: 'Schedule' },
  { id: 'data', label: 'Data' },
  { id: 'run', label: 'Run' },
];

// The page's presentation of each setting; everything about the value (type, range,
// default, options) comes from the core's schema (wasm/contract.mjs) by `path`.
//   key        URL parameter and state property
//   path       config path ('optimizer.lr'; 'optimizer.betas[0]' is an item of a list field)
//   labels     for enums: option → words (an option without words shows its name)
//   auto       for enums: an extra first option meaning "the engine picks" (null in the config)
//   showIf     state => boolean: only relevant for some other choices (hidden otherwise)
const PRESENTATION = [
  // --- the lab's main knobs (open): the loop, its framework and GPUs, the correction, dropout
  { key: 'm', path: 'batchSize', group: 'lead', label: 'Micro-batch size m', help: 'Samples per backward pass in the accumulated run.' },
  { key: 'k', path: 'accumSteps', group: 'lead', label: 'Accumulation steps k', help: 'Backward passes added up before one optimizer step.' },
  { key: 'framework', path: 'framework', group: 'lead', label: 'Framework',
    help: 'Sets the correction, group boundary, last-group divisor and scheduler stepping as that framework does.',
    labels: { pytorch: 'a plain PyTorch loop', lightning: 'PyTorch Lightning 2.6', accelerate: 'HF Accelerate 1.14',
      hf_trainer_before_4_46: 'HF Trainer up to 4.45', hf_trainer: 'HF Trainer (current)', deepspeed: 'DeepSpeed 0.19' } },
  { key: 'workers', path: 'workers', group: 'lead', label: 'GPUs (data-parallel workers)', help: 'Simulated DDP replicas; the big batch is workers × m × k.' },
  { key: 'reduction', path: 'reduction', group: 'lead', label: 'Loss reduction',
    labels: { mean: 'mean (average over the batch)', sum: 'sum (add over the batch)' } },
  { key: 'correction', path: 'correction', group: 'lead', label: 'Correction', auto: 'auto (none, or the framework’s)',
    labels: { none: 'none', scale_loss: 'scale the loss by 1/k', scale_lr: 'scale the learning rate by 1/k',
      global_count: 'divide the summed loss by the items in the whole group' } },
  { key: 'dropout', path: 'model.dropout', group: 'lead', label: 'Dropout probability', help: 'For every hidden layer; 0 = off.' },
  { key: 'rng', path: 'dropoutRng', group: 'lead', label: 'Dropout RNG', showIf: (s) => s.dropout > 0,
    labels: { stream: 'stream (one generator, call order)', keyed: 'keyed (by sample, layer, step)' } },
  // --- frameworks and data parallelism: the knobs a framework sets, each its own
  { key: 'boundary', path: 'groupBoundary', group: 'parallel', label: 'A group of k ends', auto: 'auto (with the epoch; DeepSpeed, HF Trainer ≤ 4.45: by a global counter)',
    labels: { epoch: 'with the epoch (a short last group)', global: 'by a global counter (across epochs)' } },
  { key: 'divisor', path: 'lastGroupDivisor', group: 'parallel', label: 'A short group’s losses are divided by', auto: 'auto (k; HF Trainer: its micro-batches)',
    labels: { accum_steps: 'k', micro_batches: 'its own number of micro-batches' } },
  { key: 'schedSteps', path: 'schedulerStepsPerOptimizerStep', group: 'parallel', label: 'Schedule steps per scheduler.step()',
    help: 'Accelerate steps a prepared scheduler once per process.' },
  { key: 'syncBn', path: 'syncBatchNorm', group: 'parallel', label: 'SyncBatchNorm (statistics over all workers)', showIf: (s) => s.workers > 1 },
  { key: 'countAcross', path: 'countAcrossWorkers', group: 'parallel', label: 'Count the group’s items over all workers',
    help: 'average_tokens_across_devices', showIf: (s) => s.workers > 1 },
  // --- loss
  { key: 'loss', path: 'loss', group: 'model', label: 'Loss function', auto: 'auto (cross entropy for classes, MSE otherwise)',
    labels: { cross_entropy: 'cross entropy', mse: 'mean squared error', l1: 'L1 (absolute error)', bce: 'binary cross entropy' } },
  // --- model
  { key: 'hidden', path: 'model.hidden', group: 'model', label: 'Hidden layer sizes',
    help: 'Comma separated, e.g. 16,16 (none = a linear model). Input and output sizes come from the dataset.' },
  { key: 'act', path: 'model.activation', group: 'model', label: 'Activation',
    labels: { relu: 'ReLU', gelu: 'GELU' } },
  { key: 'norm', path: 'model.norm', group: 'model', label: 'Normalisation', labels: { batchnorm: 'BatchNorm', layernorm: 'LayerNorm' } },
  // --- optimizer
  { key: 'opt', path: 'optimizer.name', group: 'optimizer', label: 'Optimizer', labels: { sgd: 'SGD', adam: 'Adam', adamw: 'AdamW' } },
  { key: 'lr', path: 'optimizer.lr', group: 'optimizer', label: 'Learning rate' },
  { key: 'momentum', path: 'optimizer.momentum', group: 'optimizer', label: 'Momentum', showIf: (s) => s.opt === 'sgd' },
  { key: 'dampening', path: 'optimizer.dampening', group: 'optimizer', label: 'Dampening', showIf: (s) => s.opt === 'sgd' },
  { key: 'nesterov', path: 'optimizer.nesterov', group: 'optimizer', label: 'Nesterov momentum',
    help: 'Needs momentum > 0 and dampening 0.', showIf: (s) => s.opt === 'sgd' },
  { key: 'wd', path: 'optimizer.weightDecay', group: 'optimizer', label: 'Weight decay' },
  { key: 'beta1', path: 'optimizer.betas[0]', group: 'optimizer', label: 'Adam β1', showIf: (s) => s.opt !== 'sgd' },
  { key: 'beta2', path: 'optimizer.betas[1]', group: 'optimizer', label: 'Adam β2', showIf: (s) => s.opt !== 'sgd' },
  { key: 'eps', path: 'optimizer.eps', group: 'optimizer', label: 'Adam ε', showIf: (s) => s.opt !== 'sgd' },
  // --- clipping
  { key: 'clip', path: 'clipGradNorm', group: 'clipping', label: 'Clip gradient norm to', help: '0 = no clipping.' },
  { key: 'clipAt', path: 'clipPlacement', group: 'clipping', label: 'Clip when', showIf: (s) => s.clip > 0,
    labels: { after_accumulation: 'once, after accumulation', per_micro_batch: 'every micro-batch' } },
  // --- precision
  { key: 'gradDtype', path: 'gradDtype', group: 'precision', label: '.grad between micro-batches held in',
    labels: { fp32: 'float32', bf16: 'bfloat16 (8-bit mantissa)', fp16: 'float16 (11-bit mantissa, small range)' } },
  { key: 'lossScale', path: 'lossScale.mode', group: 'precision', label: 'Loss scaling (GradScaler)',
    labels: { none: 'none', static: 'a constant scale', dynamic: 'dynamic (skip on inf, back off, grow)' } },
  { key: 'scale', path: 'lossScale.scale', group: 'precision', label: 'Scale (init_scale)', showIf: (s) => s.lossScale !== 'none' },
  { key: 'growth', path: 'lossScale.growthFactor', group: 'precision', label: 'Growth factor', showIf: (s) => s.lossScale === 'dynamic' },
  { key: 'backoff', path: 'lossScale.backoffFactor', group: 'precision', label: 'Backoff factor', showIf: (s) => s.lossScale === 'dynamic' },
  { key: 'growthInterval', path: 'lossScale.growthInterval', group: 'precision', label: 'Growth interval (steps)', showIf: (s) => s.lossScale === 'dynamic' },
  { key: 'scalerUpdate', path: 'scalerUpdate', group: 'precision', label: 'unscale_() and update()', showIf: (s) => s.lossScale !== 'none',
    labels: { per_optimizer_step: 'once per optimizer step (the recipe)', per_micro_batch: 'after every backward (the mistake)' } },
  // --- schedule
  { key: 'sched', path: 'schedule.name', group: 'schedule', label: 'Learning-rate schedule',
    labels: { step: 'step decay', cosine: 'cosine annealing', warmup: 'linear warm-up' } },
  { key: 'stepSize', path: 'schedule.stepSize', group: 'schedule', label: 'Step size', showIf: (s) => s.sched === 'step' },
  { key: 'gamma', path: 'schedule.gamma', group: 'schedule', label: 'Decay factor γ', showIf: (s) => s.sched === 'step' },
  { key: 'tMax', path: 'schedule.tMax', group: 'schedule', label: 'Period T_max', showIf: (s) => s.sched === 'cosine' },
  { key: 'etaMin', path: 'schedule.etaMin', group: 'schedule', label: 'Minimum lr η_min', showIf: (s) => s.sched === 'cosine' },
  { key: 'warmup', path: 'schedule.warmupSteps', group: 'schedule', label: 'Warm-up steps', showIf: (s) => s.sched === 'warmup' },
  { key: 'schedStep', path: 'schedulerStepping', group: 'schedule', label: 'Step the scheduler', showIf: (s) => s.sched !== 'constant',
    labels: { per_optimizer_step: 'once per optimizer step', per_micro_batch: 'once per micro-batch' } },
  // --- data
  { key: 'data', path: 'data.name', group: 'data', label: 'Dataset', labels: DATASET_LABELS },
  { key: 'n', path: 'data.n', group: 'data', label: 'Samples n' },
  { key: 'noise', path: 'data.noise', group: 'data', label: 'Noise' },
  { key: 'mask', path: 'data.maskFraction', group: 'data', label: 'Masked target fraction',
    help: 'Each target is ignored with this probability, so micro-batches hold different numbers of valid targets.' },
  { key: 'shuffle', path: 'data.shuffle', group: 'data', label: 'Shuffle every epoch (same order in both runs)' },
  { key: 'gen', path: 'data.generator', group: 'data', label: 'Numbers from', showIf: (s) => s.data === 'seed_example',
    labels: { lab: 'the lab’s generator', torch: 'PyTorch: torch.rand(n, 4), torch.rand(n, 2)' } },
  { key: 'dataSeed', path: 'data.seed', group: 'data', label: 'Data seed' },
  // --- run
  { key: 'seed', path: 'seed', group: 'run', label: 'Seed' },
  { key: 'init', path: 'init', group: 'run', label: 'Initial parameters',
    // init is a list of numbers or "torch"; the page offers the two generators ('lab': leave it out)
    choices: [['lab', 'the lab’s generator'], ['torch', 'PyTorch’s, after torch.manual_seed(seed)']], unset: 'lab' },
  { key: 'steps', path: 'steps', group: 'run', label: 'Optimizer steps' },
  { key: 'last', path: 'lastGroup', group: 'run', label: 'Last, uneven group',
    labels: { keep: 'keep (a shorter last group)', drop: 'drop' } },
  { key: 'rtol', path: 'rtol', group: 'run', label: 'allclose rtol' },
  { key: 'atol', path: 'atol', group: 'run', label: 'allclose atol' },
];

/**
 * A page setting: its presentation and, from the schema, the value's
 *   type       'int' | 'number' | 'enum' | 'bool' | 'intlist'
 *   min, max   bounds; minOpen / maxOpen make them exclusive (the schema's exclusiveMin/Max)
 *   options    for enums: [value, label] pairs
 *   default    typed default; null for `optional` settings (the engine then picks; `auto` says how)
 */
function settingOf(p) {
  const item = /^(.*)\[(\d+)\]$/.exec(p.path);
  const f = field(item ? item[1] : p.path);
  if (!f) throw new Error(`state.mjs: ${p.path} is not in the engine's schema`);
  const range = item || f.type === 'list' ? f.items : f;
  const s = { ...p, doc: f.doc };
  if (p.choices) { // a field the page offers as a few choices; `unset` leaves it out of the config
    Object.assign(s, { type: 'enum', options: p.choices, default: p.unset });
    delete s.choices;
    return Object.freeze(s);
  }
  s.type = f.type === 'list' && !item ? 'intlist' : item ? f.items.type : f.type;
  s.min = range.exclusiveMin ?? range.min;
  s.max = range.exclusiveMax ?? range.max;
  if (range.exclusiveMin !== undefined) s.minOpen = true;
  if (range.exclusiveMax !== undefined) s.maxOpen = true;
  if (s.type === 'intlist') s.maxLength = f.maxItems;
  s.default = item ? f.default[Number(item[2])] : f.default;
  if (f.options) {
    s.options = f.options.map((o) => [o, p.labels?.[o] ?? o]);
    if (p.auto) { s.options.unshift(['auto', p.auto]); s.default ??= 'auto'; }
  } else if (s.default === null) {
    s.optional = true;
    s.auto = f.auto;
  }
  delete s.labels;
  for (const k of Object.keys(s)) if (s[k] === undefined) delete s[k];
  return Object.freeze(s);
}

/** @type {ReadonlyArray<object>} */
export const SETTINGS = Object.freeze(PRESENTATION.map(settingOf));

/** The setting with this key, or undefined. */
export function settingFor(key) {
  return SETTINGS.find((s) => s.key === key);
}

/** A fresh state with every default. */
export function defaultState() {
  const state = {};
  for (const s of SETTINGS) state[s.key] = cloneValue(s.default);
  return state;
}

function cloneValue(v) {
  return Array.isArray(v) ? v.slice() : v;
}

/** True if two values of a setting are the same. */
export function sameValue(a, b) {
  if (Array.isArray(a) || Array.isArray(b)) {
    return Array.isArray(a) && Array.isArray(b) && a.length === b.length && a.every((x, i) => x === b[i]);
  }
  return Object.is(a, b) || a === b;
}

/** Whether the setting matters for this state (e.g. momentum only for SGD). */
export function isRelevant(setting, state) {
  return setting.showIf ? Boolean(setting.showIf(state)) : true;
}

/** Words for the allowed range of a numeric setting: "a number in [0, 1)". */
export function describeAllowed(s) {
  if (s.type === 'enum') return `one of ${s.options.map(([v]) => v).join(', ')}`;
  if (s.type === 'bool') return 'true or false (1 or 0)';
  const what = s.type === 'number' ? 'a number' : 'an integer';
  const lo = s.min ?? -Infinity;
  const hi = s.max ?? Infinity;
  let range;
  if (hi === Infinity) range = s.minOpen ? `> ${lo}` : `≥ ${lo}`;
  else range = `in ${s.minOpen ? '(' : '['}${lo}, ${hi}${s.maxOpen ? ')' : ']'}`;
  if (s.type === 'intlist') {
    return `up to ${s.maxLength} comma-separated integers, each ${range}, or "none"`;
  }
  return `${what} ${range}`;
}

function checkNumber(s, n) {
  if (!Number.isFinite(n)) return 'is not a finite number';
  if ((s.type === 'int' || s.type === 'intlist') && !Number.isInteger(n)) return 'is not an integer';
  const lo = s.min ?? -Infinity;
  const hi = s.max ?? Infinity;
  if (s.minOpen ? n <= lo : n < lo) return 'is too small';
  if (s.maxOpen ? n >= hi : n > hi) return 'is too large';
  return null;
}

const NUMBER_RE = /^[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?$/;

/**
 * Parses text (from the URL or a control) into a typed value.
 * Returns {ok: true, value} or {ok: false, reason} where reason names what is allowed.
 * Optional settings accept "" (and "auto") as null: the engine picks.
 */
export function parseValue(s, text) {
  const raw = String(text).trim();
  const fail = (why) => ({ ok: false, reason: `${why}; expected ${describeAllowed(s)}` });
  if (s.optional && (raw === '' || raw.toLowerCase() === 'auto')) return { ok: true, value: null };
  switch (s.type) {
    case 'enum': {
      const hit = s.options.find(([v]) => v === raw);
      return hit ? { ok: true, value: hit[0] } : fail('is not a known choice');
    }
    case 'bool': {
      const t = raw.toLowerCase();
      if (t === 'true' || t === '1' || t === 'on' || t === 'yes') return { ok: true, value: true };
      if (t === 'false' || t === '0' || t === 'off' || t === 'no') return { ok: true, value: false };
      return fail('is not true or false');
    }
    case 'int':
    case 'number': {
      if (!NUMBER_RE.test(raw)) return fail(raw === '' ? 'is empty' : 'is not a number');
      const n = Number(raw);
      const why = checkNumber(s, n);
      return why ? fail(why) : { ok: true, value: n };
    }
    case 'intlist': {
      if (raw === '' || raw.toLowerCase() === 'none') return { ok: true, value: [] };
      const parts = raw.split(/\s*,\s*/);
      if (parts.length > s.maxLength) return fail(`has ${parts.length} entries`);
      const out = [];
      for (const p of parts) {
        if (!NUMBER_RE.test(p)) return fail(`"${p}" is not a number`);
        const n = Number(p);
        const why = checkNumber(s, n);
        if (why) return fail(`${p} ${why}`);
        out.push(n);
      }
      return { ok: true, value: out };
    }
    default:
      throw new Error(`state.mjs: unknown setting type ${s.type}`);
  }
}

/** Text for a typed value: the inverse of parseValue (null → ""). */
export function formatValue(s, value) {
  if (value === null || value === undefined) return '';
  if (s.type === 'intlist') return value.length ? value.join(',') : 'none';
  if (s.type === 'bool') return value ? 'true' : 'false';
  return String(value);
}

function setPath(obj, path, value) {
  const parts = path.split('.');
  let o = obj;
  for (const p of parts.slice(0, -1)) o = o[p] ??= {};
  o[parts.at(-1)] = value;
}

/**
 * The engine config for a state: every setting that has a value, at its config path.
 * Left out (the engine derives them): optional settings that are null and loss 'auto'.
 * The model goes as model.hidden: the engine settles its inputs and outputs.
 */
export function configFromState(state) {
  const config = {};
  for (const s of SETTINGS) {
    const v = state[s.key];
    if (v === null || v === undefined) continue;
    if (s.type === 'enum' && v === 'auto' && s.options[0][0] === 'auto') continue; // the engine picks
    if (s.unset !== undefined && v === s.unset) continue;
    if (s.key === 'beta1' || s.key === 'beta2') continue; // written together below
    setPath(config, s.path, cloneValue(v));
  }
  config.optimizer.betas = [state.beta1, state.beta2];
  return config;
}

/**
 * The setting an engine error's field names ('optimizer.betas[1]' → beta2,
 * 'model.sizes[2]' → hidden, 'data' → data), or undefined for '' / unknown paths.
 */
export function settingForField(field) {
  if (!field) return undefined;
  const exact = SETTINGS.find((s) => s.path === field);
  if (exact) return exact;
  // Longest setting path that is a prefix of the field, or the field a prefix of it.
  let best;
  for (const s of SETTINGS) {
    const p = s.path;
    const under = field.startsWith(p) && /^[.[]/.test(field.slice(p.length));
    const base = p.replace(/\[\d+\]$/, '');
    const parent = field === base || (field.startsWith(base) && /^[.[]/.test(field.slice(base.length)));
    if ((under || parent) && (!best || p.length > best.path.length)) best = s;
  }
  if (best) return best;
  if (field === 'data' || field.startsWith('data.')) return settingFor('data');
  if (field === 'model' || field.startsWith('model.')) return settingFor('hidden');
  if (field === 'optimizer' || field.startsWith('optimizer.')) return settingFor('opt');
  if (field === 'schedule' || field.startsWith('schedule.')) return settingFor('sched');
  return undefined;
}

/** URL parameters that are not settings but are understood by the page. */
export const PAGE_PARAMS = ['simd', 'embed', 'hide', 'show', 'preset'];

/**
 * Reads a state from a query string ('?m=8&k=4' or URLSearchParams).
 * Returns {state, rejected: [{key, value, reason}]}: every bad or unknown parameter is
 * named, and its setting keeps the default. `base` is the state the link's settings
 * change (a preset's, for ?preset=NAME); default: every default.
 */
export function stateFromURL(search, base = defaultState()) {
  const params = search instanceof URLSearchParams ? search : new URLSearchParams(search);
  const state = { ...base };
  const rejected = [];
  const firstAccepted = new Map(); // key -> whether its first value was accepted
  for (const [key, value] of params) {
    if (PAGE_PARAMS.includes(key)) continue;
    const s = settingFor(key);
    if (!s) {
      rejected.push({ key, value, reason: 'is not a setting of the lab' });
      continue;
    }
    if (firstAccepted.has(key)) {
      const used = firstAccepted.get(key);
      rejected.push({
        key, value, duplicate: true, firstAccepted: used,
        reason: used ? 'is given more than once; the first value is used'
          : 'is given more than once; only the first value is read, and it was not accepted either',
      });
      continue;
    }
    const r = parseValue(s, value);
    firstAccepted.set(key, r.ok);
    if (r.ok) state[key] = r.value;
    else rejected.push({ key, value, reason: r.reason });
  }
  return { state, rejected };
}

/**
 * The query string for a state: only settings that differ from their default, in table
 * order, so links stay short and stable. `extra` adds page parameters (e.g. {simd: '0'}).
 * `base` replaces the defaults (a preset's state, written with {preset: id} in extra).
 * Returns '' for the all-default state, else '?...'.
 */
export function urlFromState(state, extra = {}, base = null) {
  const params = new URLSearchParams();
  for (const s of SETTINGS) {
    const v = state[s.key];
    if (v === undefined || sameValue(v, base ? base[s.key] : s.default)) continue;
    params.set(s.key, formatValue(s, v));
  }
  for (const [k, v] of Object.entries(extra)) if (v !== undefined && v !== null) params.set(k, v);
  const q = params.toString().replace(/%2C/g, ',');
  return q ? `?${q}` : '';
}

/**
 * The state for an engine config (the inverse of configFromState), e.g. for the engine's
 * presets (wasm/presets.mjs). Fields the page has no control for are returned in
 * `unsupported` (the state then holds the default for them).
 */
export function stateFromConfig(config) {
  const state = defaultState();
  const unsupported = [];
  const get = (path) => path.replace(/\[(\d+)\]/g, '.$1').split('.').reduce((o, p) => (o == null ? undefined : o[p]), config);
  const used = new Set();
  for (const s of SETTINGS) {
    let v = get(s.path);
    if (s.key === 'hidden' && v === undefined && get('model.sizes') !== undefined) {
      // model.sizes: its inputs and outputs are the data's and the loss's (the engine checks)
      used.add('model.sizes');
      v = get('model.sizes').slice(1, -1);
    }
    if (v === undefined) continue;
    used.add(s.path.replace(/\[\d+\]$/, ''));
    if (s.key === 'dropout' && Array.isArray(v)) {
      if (v.some((x) => x !== v[0])) unsupported.push('model.dropout');
      v = v[0] ?? 0;
    }
    const r = parseValue(s, formatValue(s, v));
    if (r.ok) state[s.key] = r.value;
    else unsupported.push(s.path);
  }
  const walk = (o, prefix) => {
    for (const [k, v] of Object.entries(o)) {
      const path = prefix ? `${prefix}.${k}` : k;
      if (used.has(path)) continue;
      if (v && typeof v === 'object' && !Array.isArray(v)) walk(v, path);
      else unsupported.push(path);
    }
  };
  walk(config, '');
  return { state, unsupported };
}

/** True if two states hold the same values for every setting. */
export function sameState(a, b) {
  return SETTINGS.every((s) => sameValue(a[s.key], b[s.key]));
}
