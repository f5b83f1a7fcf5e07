// web/state.mjs — every setting of the lab, declared once.
//
// One table (SETTINGS) drives the controls, the config sent to the engine, URL parsing
// and URL writing. Everything here is pure: no DOM, no globals that change, so Node tests
// cover it (tests/browser/state.test.mjs).
//
//   state   a plain object {key: value} with one entry per setting (typed values)
//   config  the engine's JSON config (README / core/config.h), built by configFromState
//   URL     ?key=value for every setting that differs from its default

/** Inputs and outputs of the built-in datasets (core/datasets.h). */
export const DATASETS = {
  moons: { inputs: 2, outputs: 2, kind: 'class', label: 'moons (2 in, 2 classes)' },
  circles: { inputs: 2, outputs: 2, kind: 'class', label: 'circles (2 in, 2 classes)' },
  xor: { inputs: 2, outputs: 2, kind: 'class', label: 'xor (2 in, 2 classes)' },
  spirals: { inputs: 2, outputs: 2, kind: 'class', label: 'spirals (2 in, 2 classes)' },
  gaussians: { inputs: 2, outputs: 3, kind: 'class', label: 'gaussians (2 in, 3 classes)' },
  digits: { inputs: 64, outputs: 10, kind: 'class', label: 'digits (64 in, 10 classes, n ≤ 1797)' },
  regression: { inputs: 1, outputs: 1, kind: 'real', label: 'regression (1 in, 1 out)' },
  seed_example: { inputs: 4, outputs: 2, kind: 'real', label: 'seed_example (4 in, 2 out)' },
};

/** Sections of the control panel, in display order. `lead` is the lab's main question. */
export const GROUPS = [
  { id: 'lead', label: 'The experiment' },
  { id: 'fix', label: 'Fix / correction' },
  { id: 'loss', label: 'Loss' },
  { id: 'model', label: 'Model' },
  { id: 'optimizer', label: 'Optimizer' },
  { id: 'clipping', label: 'Clipping' },
  { id: 'schedule', label: 'Schedule' },
  { id: 'data', label: 'Data' },
  { id: 'run', label: 'Run' },
];

const MAX_SEED = 2 ** 53 - 1;

// Setting fields:
//   key        URL parameter and state property
//   path       config path ('optimizer.lr'); special settings say how in toConfig
//   type       'int' | 'number' | 'enum' | 'bool' | 'intlist'
//   min, max   inclusive bounds; minOpen / maxOpen make them exclusive
//   options    for enums: [value, label] pairs
//   default    typed default; null for `optional` settings (the engine then picks)
//   auto       for optional settings: what the engine picks, in words
//   showIf     state => boolean: only relevant for some other choices (hidden otherwise)
/** @type {ReadonlyArray<object>} */
export const SETTINGS = Object.freeze([
  // --- the four the lab is about
  { key: 'm', path: 'batchSize', type: 'int', min: 1, max: 4096, default: 8, group: 'lead',
    label: 'Micro-batch size m', help: 'Samples per backward pass in the accumulated run.' },
  { key: 'k', path: 'accumSteps', type: 'int', min: 1, max: 4096, default: 4, group: 'lead',
    label: 'Accumulation steps k', help: 'Backward passes added up before one optimizer step.' },
  { key: 'reduction', path: 'reduction', type: 'enum', default: 'mean', group: 'lead',
    options: [['mean', 'mean (average over the batch)'], ['sum', 'sum (add over the batch)']],
    label: 'Loss reduction' },
  { key: 'dropout', path: 'model.dropout', type: 'number', min: 0, max: 1, maxOpen: true, default: 0,
    group: 'lead', label: 'Dropout probability', help: 'For every hidden layer; 0 = off.' },
  { key: 'rng', path: 'dropoutRng', type: 'enum', default: 'stream', group: 'lead',
    options: [['stream', 'stream (one generator, call order)'],
      ['keyed', 'keyed (by sample, layer, step)']],
    label: 'Dropout RNG', help: 'Matters only when dropout > 0.' },

  // --- fix
  { key: 'correction', path: 'correction', type: 'enum', default: 'none', group: 'fix',
    options: [['none', 'none'], ['scale_loss', 'scale the loss by 1/k'],
      ['scale_lr', 'scale the learning rate by 1/k'],
      ['global_count', 'divide the summed loss by the items in the whole group']],
    label: 'Correction' },

  // --- loss
  { key: 'loss', path: 'loss', type: 'enum', default: 'auto', group: 'loss',
    options: [['auto', 'auto (cross entropy for classes, MSE otherwise)'], ['cross_entropy', 'cross entropy'],
      ['mse', 'mean squared error'], ['l1', 'L1 (absolute error)'], ['bce', 'binary cross entropy']],
    label: 'Loss function' },

  // --- model
  { key: 'hidden', path: 'model.sizes', type: 'intlist', min: 1, max: 4096, maxLength: 7,
    default: [16, 16], group: 'model', label: 'Hidden layer sizes',
    help: 'Comma separated, e.g. 16,16 (none = a linear model). Input and output sizes come from the dataset.' },
  { key: 'act', path: 'model.activation', type: 'enum', default: 'tanh', group: 'model',
    options: [['tanh', 'tanh'], ['relu', 'ReLU'], ['sigmoid', 'sigmoid'], ['gelu', 'GELU'], ['identity', 'identity']],
    label: 'Activation' },
  { key: 'norm', path: 'model.norm', type: 'enum', default: 'none', group: 'model',
    options: [['none', 'none'], ['batchnorm', 'BatchNorm'], ['layernorm', 'LayerNorm']],
    label: 'Normalisation' },

  // --- optimizer
  { key: 'opt', path: 'optimizer.name', type: 'enum', default: 'sgd', group: 'optimizer',
    options: [['sgd', 'SGD'], ['adam', 'Adam'], ['adamw', 'AdamW']], label: 'Optimizer' },
  { key: 'lr', path: 'optimizer.lr', type: 'number', min: 0, minOpen: true, default: null, optional: true,
    auto: '0.1 for SGD, 0.001 for Adam', group: 'optimizer', label: 'Learning rate' },
  { key: 'momentum', path: 'optimizer.momentum', type: 'number', min: 0, max: 1, maxOpen: true, default: 0,
    group: 'optimizer', label: 'Momentum', showIf: (s) => s.opt === 'sgd' },
  { key: 'dampening', path: 'optimizer.dampening', type: 'number', min: 0, max: 1, default: 0,
    group: 'optimizer', label: 'Dampening', showIf: (s) => s.opt === 'sgd' },
  { key: 'nesterov', path: 'optimizer.nesterov', type: 'bool', default: false, group: 'optimizer',
    label: 'Nesterov momentum', help: 'Needs momentum > 0 and dampening 0.', showIf: (s) => s.opt === 'sgd' },
  { key: 'wd', path: 'optimizer.weightDecay', type: 'number', min: 0, default: null, optional: true,
    auto: '0 (AdamW: 0.01)', group: 'optimizer', label: 'Weight decay' },
  { key: 'beta1', path: 'optimizer.betas[0]', type: 'number', min: 0, max: 1, maxOpen: true, default: 0.9,
    group: 'optimizer', label: 'Adam β1', showIf: (s) => s.opt !== 'sgd' },
  { key: 'beta2', path: 'optimizer.betas[1]', type: 'number', min: 0, max: 1, maxOpen: true, default: 0.999,
    group: 'optimizer', label: 'Adam β2', showIf: (s) => s.opt !== 'sgd' },
  { key: 'eps', path: 'optimizer.eps', type: 'number', min: 0, minOpen: true, default: 1e-8,
    group: 'optimizer', label: 'Adam ε', showIf: (s) => s.opt !== 'sgd' },

  // --- clipping
  { key: 'clip', path: 'clipGradNorm', type: 'number', min: 0, default: 0, group: 'clipping',
    label: 'Clip gradient norm to', help: '0 = no clipping.' },
  { key: 'clipAt', path: 'clipPlacement', type: 'enum', default: 'after_accumulation', group: 'clipping',
    options: [['after_accumulation', 'once, after accumulation'], ['per_micro_batch', 'every micro-batch']],
    label: 'Clip when', showIf: (s) => s.clip > 0 },

  // --- schedule
  { key: 'sched', path: 'schedule.name', type: 'enum', default: 'constant', group: 'schedule',
    options: [['constant', 'constant'], ['step', 'step decay'], ['cosine', 'cosine annealing'], ['warmup', 'linear warm-up']],
    label: 'Learning-rate schedule' },
  { key: 'stepSize', path: 'schedule.stepSize', type: 'int', min: 1, max: 100000, default: 10, group: 'schedule',
    label: 'Step size', showIf: (s) => s.sched === 'step' },
  { key: 'gamma', path: 'schedule.gamma', type: 'number', min: 0, minOpen: true, max: 1, default: 0.1,
    group: 'schedule', label: 'Decay factor γ', showIf: (s) => s.sched === 'step' },
  { key: 'tMax', path: 'schedule.tMax', type: 'int', min: 1, max: 100000, default: null, optional: true,
    auto: 'the number of steps', group: 'schedule', label: 'Period T_max', showIf: (s) => s.sched === 'cosine' },
  { key: 'etaMin', path: 'schedule.etaMin', type: 'number', min: 0, default: 0, group: 'schedule',
    label: 'Minimum lr η_min', showIf: (s) => s.sched === 'cosine' },
  { key: 'warmup', path: 'schedule.warmupSteps', type: 'int', min: 1, max: 100000, default: 5, group: 'schedule',
    label: 'Warm-up steps', showIf: (s) => s.sched === 'warmup' },
  { key: 'schedStep', path: 'schedulerStepping', type: 'enum', default: 'per_optimizer_step', group: 'schedule',
    options: [['per_optimizer_step', 'once per optimizer step'], ['per_micro_batch', 'once per micro-batch']],
    label: 'Step the scheduler', showIf: (s) => s.sched !== 'constant' },

  // --- data
  { key: 'data', path: 'data.name', type: 'enum', default: 'moons', group: 'data',
    options: Object.entries(DATASETS).map(([name, d]) => [name, d.label]), label: 'Dataset' },
  { key: 'n', path: 'data.n', type: 'int', min: 1, max: 100000, default: 256, group: 'data',
    label: 'Samples n' },
  { key: 'noise', path: 'data.noise', type: 'number', min: 0, max: 10, default: 0.1, group: 'data',
    label: 'Noise' },
  { key: 'mask', path: 'data.maskFraction', type: 'number', min: 0, max: 1, maxOpen: true, default: 0,
    group: 'data', label: 'Masked target fraction',
    help: 'Each target is ignored with this probability, so micro-batches hold different numbers of valid targets.' },
  { key: 'shuffle', path: 'data.shuffle', type: 'bool', default: true, group: 'data',
    label: 'Shuffle every epoch (same order in both runs)' },

  // --- run
  { key: 'seed', path: 'seed', type: 'int', min: 0, max: MAX_SEED, default: 1, group: 'run', label: 'Seed' },
  { key: 'steps', path: 'steps', type: 'int', min: 1, max: 100000, default: 20, group: 'run',
    label: 'Optimizer steps' },
  { key: 'last', path: 'lastGroup', type: 'enum', default: 'keep', group: 'run',
    options: [['keep', 'keep (a shorter last group)'], ['drop', 'drop']], label: 'Last, uneven group' },
  { key: 'rtol', path: 'rtol', type: 'number', min: 0, default: 1e-5, group: 'run', label: 'allclose rtol' },
  { key: 'atol', path: 'atol', type: 'number', min: 0, default: 1e-8, group: 'run', label: 'allclose atol' },
]);

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

/** Input and output sizes of the model for this state: [IN, ...hidden, OUT]. */
export function modelSizes(state) {
  const d = DATASETS[state.data] ?? DATASETS.moons;
  const loss = state.loss === 'auto' ? (d.kind === 'class' ? 'cross_entropy' : 'mse') : state.loss;
  // Binary cross entropy on two classes has one logit; every other loss has one output per
  // class (or per target value).
  const out = loss === 'bce' && d.kind === 'class' && d.outputs === 2 ? 1 : d.outputs;
  return [d.inputs, ...state.hidden, out];
}

function setPath(obj, path, value) {
  const parts = path.split('.');
  let o = obj;
  for (const p of parts.slice(0, -1)) o = o[p] ??= {};
  o[parts.at(-1)] = value;
}

/**
 * The engine config for a state: every setting that has a value, at its config path.
 * Left out (the engine derives them): optional settings that are null, loss 'auto',
 * and model.sizes while the hidden sizes are the default (the engine then builds
 * [IN, 16, 16, OUT] from the dataset).
 */
export function configFromState(state) {
  const config = {};
  for (const s of SETTINGS) {
    const v = state[s.key];
    if (v === null || v === undefined) continue;
    if (s.key === 'loss' && v === 'auto') continue;
    if (s.key === 'hidden') {
      if (!sameValue(v, s.default)) setPath(config, s.path, modelSizes(state));
      continue;
    }
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
 * Words for the two runs and for how the accumulated run forms its loss:
 * {reference: 'batch 32, 1 backward per step', accumulated: '4 × batch 8, 4 backwards per step', loss}.
 */
export function describeRuns(state) {
  const { m, k } = state;
  const mk = m * k;
  const samples = m === 1 ? '1 sample' : `${m} samples`;
  let loss;
  if (state.correction === 'global_count') {
    loss = `Each micro-batch's summed loss is divided by the number of items in its whole group of ${k}, so the ${k} gradients add up to the mean over the group.`;
  } else if (state.reduction === 'sum') {
    loss = `Each backward sums its loss over its samples; ${k} sums over ${samples} add up to the sum over ${mk}.`;
  } else if (state.correction === 'scale_loss') {
    loss = `Each micro-batch loss is a mean over ${samples}, divided by ${k} before the backward: ${k} of them add up to the mean over ${mk}.`;
  } else if (state.correction === 'scale_lr') {
    loss = `Each micro-batch loss is a mean over ${samples}; ${k} of them add up to ${k} × the mean over ${mk}, so the learning rate is divided by ${k} instead.`;
  } else {
    loss = `Each micro-batch loss is a mean over ${samples}, and the ${k} gradients are added up without dividing by ${k}.`;
  }
  return {
    reference: `batch ${mk}, 1 backward per step`,
    accumulated: `${k} × batch ${m}, ${k} backward${k === 1 ? '' : 's'} per step`,
    loss: k === 1 ? 'With k = 1 both runs do the same work.' : loss,
  };
}

/**
 * One-click fixes for the verdict's causes: cause id → settings to change and the words
 * for the button. The page offers them under the cause.
 */
export const FIXES = {
  mean_unscaled: [
    { label: 'Scale the loss by 1/k', set: { correction: 'scale_loss' } },
    { label: 'Use sum reduction', set: { reduction: 'sum' } },
  ],
  dropout_stream: [{ label: 'Use keyed dropout masks', set: { rng: 'keyed' } }],
  batchnorm: [{ label: 'Use LayerNorm instead', set: { norm: 'layernorm' } }],
  clip_per_micro_batch: [{ label: 'Clip once, after accumulation', set: { clipAt: 'after_accumulation' } }],
  scheduler_per_micro_batch: [{ label: 'Step the scheduler once per optimizer step', set: { schedStep: 'per_optimizer_step' } }],
  uneven_last_group: [
    { label: 'Divide by the items in the whole group', set: { correction: 'global_count' } },
    { label: 'Drop the last group', set: { last: 'drop' } },
  ],
  variable_targets: [{ label: 'Divide by the items in the whole group', set: { correction: 'global_count' } }],
  scale_lr_weight_decay: [{ label: 'Scale the loss instead of the lr', set: { correction: 'scale_loss' } }],
  adam_scale: [{ label: 'Scale the loss by 1/k', set: { correction: 'scale_loss' } }],
};

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
    if (s.key === 'hidden') {
      if (v === undefined) continue;
      used.add('model.sizes');
      const expect = modelSizes({ ...state, data: get('data.name') ?? state.data, loss: get('loss') ?? 'auto', hidden: v.slice(1, -1) });
      if (!sameValue(expect, v)) unsupported.push('model.sizes');
      state.hidden = v.slice(1, -1);
      continue;
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
