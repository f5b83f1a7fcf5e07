// wasm/accumlab.mjs — accumlab's JavaScript API over the WebAssembly core, for Node and the
// browser. Pointers never reach the caller: config goes in as JSON text, results come back
// as plain objects and fresh Float32Arrays. Every C error code becomes an AccumLabError.
//
//   import { createLab } from './accumlab.mjs';
//   const lab = await createLab();            // SIMD build if the engine supports it
//   const result = lab.compare({ batchSize: 8, accumSteps: 4 });
//   const run = lab.start(config); run.step(); ... run.result(); run.free();

import { describeVerdict } from './verdict.mjs';

const ERROR_CODES = ['ok', 'parse', 'type', 'unknown', 'range', 'shape', 'limit', 'memory', 'state'];
const AL_OK = 0;
const AL_DONE = -1;
const VEC = { init: 0, paramsRef: 1, paramsAcc: 2, gradRef: 3, gradAcc: 4 };
const METRIC_FIELDS = ['allclose', 'bitwise', 'maxAbsDiff', 'maxRelDiff', 'maxUlp', 'cosine', 'normRatio', 'relNormDiff', 'scale', 'scaledResidual'];
const RECORD_HEAD = ['step', 'lossRef', 'lossAcc', 'lrRef', 'lrAcc', 'groupSize', 'microBatches', 'gradNormRef', 'gradNormAcc', 'gradCategory'];
const RECORD_DOUBLES = RECORD_HEAD.length + 2 * METRIC_FIELDS.length;
const ERROR_BYTES = 4 + 64 + 256;   // struct al_error { int code; char field[64]; char message[256]; }
const VERDICT_BYTES = 8 * 4 + 8;    // struct al_verdict { int32 x8; double factor; }
const GRAD_CATEGORIES = ['bitwise', 'rounding', 'scaled', 'different'];

/** An error from the core: `code` names its kind, `field` the config path it concerns. */
export class AccumLabError extends Error {
  constructor(message, code, field) {
    super(message);
    this.name = 'AccumLabError';
    this.code = code;
    this.field = field;
  }
}

// i32.const 0; i8x16.splat; i8x16.popcnt — valid only where SIMD128 is supported.
const SIMD_PROBE = new Uint8Array([0, 97, 115, 109, 1, 0, 0, 0, 1, 5, 1, 96, 0, 1, 123, 3, 2, 1, 0, 10, 10, 1, 8, 0, 65, 0, 253, 15, 253, 98, 11]);

/** True if this engine runs WebAssembly SIMD (fixed-width 128-bit). */
export function simdSupported() {
  try { return WebAssembly.validate(SIMD_PROBE); } catch { return false; }
}

const isNode = typeof process !== 'undefined' && !!process.versions?.node;

async function loadBytes(url) {
  if (isNode && url.protocol === 'file:') {
    const { readFile } = await import('node:fs/promises');
    return readFile(url);
  }
  const response = await fetch(url);
  if (!response.ok) throw new AccumLabError(`could not load ${url}: HTTP ${response.status}`, 'state', '');
  return new Uint8Array(await response.arrayBuffer());
}

function importsFor(module) {
  // A standalone Emscripten module asks for very little; anything unexpected fails loudly.
  const imports = {};
  for (const { module: mod, name, kind } of WebAssembly.Module.imports(module)) {
    if (kind !== 'function') continue;
    imports[mod] ??= {};
    imports[mod][name] = name === 'emscripten_notify_memory_growth'
      ? () => {}   // views are rebuilt after every call anyway
      : () => { throw new AccumLabError(`the core called an unexpected import ${mod}.${name}`, 'state', ''); };
  }
  return imports;
}

/**
 * Loads the core. Options: `simd` (true/false; default: detect), `wasmBytes` (the module's
 * bytes, e.g. inlined in a single-file page), `wasmUrl` (where to fetch it from).
 */
export async function createLab(options = {}) {
  const simd = options.simd ?? simdSupported();
  if (simd && !simdSupported()) throw new AccumLabError('this engine does not support WebAssembly SIMD; use { simd: false }', 'state', '');
  // The URL is only resolved when needed: a bundled copy (the single-file page) has no
  // usable import.meta.url and passes wasmBytes instead.
  const bytes = options.wasmBytes ?? await loadBytes(options.wasmUrl ? new URL(options.wasmUrl, import.meta.url)
    : new URL(simd ? './accumlab.wasm' : './accumlab-scalar.wasm', import.meta.url));
  const module = await WebAssembly.compile(bytes);
  const instance = await WebAssembly.instantiate(module, importsFor(module));
  return new Lab(instance.exports, simd);
}

class Lab {
  #x;
  constructor(exports, simd) {
    this.#x = exports;
    this.simd = simd;
    exports._initialize?.();
    const sizes = [exports.al_sizeof_record(), exports.al_sizeof_error(), exports.al_sizeof_verdict()];
    if (sizes[0] !== RECORD_DOUBLES * 8 || sizes[1] !== ERROR_BYTES || sizes[2] !== VERDICT_BYTES)
      throw new AccumLabError(`the .wasm does not match this binding (struct sizes ${sizes})`, 'state', '');
  }

  /** Runs a whole experiment and returns its result. */
  compare(config = {}) {
    const run = this.start(config);
    try {
      while (run.step()) { /* every step is recorded by the run */ }
      return run.result();
    } finally {
      run.free();
    }
  }

  /** Creates an experiment to step through; throws AccumLabError on a bad config. */
  start(config = {}) {
    return new Run(this.#x, config);
  }
}

function jsonOf(config) {
  // Typed arrays become plain arrays; non-finite numbers become strings the core rejects by name.
  return JSON.stringify(config, (key, value) => {
    if (ArrayBuffer.isView(value)) return Array.from(value);
    if (typeof value === 'number' && !Number.isFinite(value)) return String(value);
    return value;
  });
}

class Run {
  #x; #e = 0; #rec = 0; #err = 0; #steps = []; #first = null; #done = false;
  constructor(exports, config) {
    if (config === null || typeof config !== 'object' || Array.isArray(config))
      throw new AccumLabError('the config must be an object', 'type', '');
    this.#x = exports;
    this.config = config;
    const text = new TextEncoder().encode(jsonOf(config));
    const x = exports;
    const textPtr = this.#malloc(text.length || 1);
    this.#err = this.#malloc(ERROR_BYTES);
    new Uint8Array(x.memory.buffer, textPtr, text.length).set(text);
    this.#e = x.al_experiment_create(textPtr, text.length, this.#err);
    x.free(textPtr);
    if (!this.#e) {
      const error = this.#error();
      x.free(this.#err);
      this.#err = 0;
      throw error;
    }
    this.#rec = this.#malloc(RECORD_DOUBLES * 8);
    this.paramCount = Number(x.al_experiment_param_count(this.#e));
    this.totalSteps = x.al_experiment_total_steps(this.#e);
    this.initialParams = this.#vector(VEC.init);
  }

  #malloc(n) {
    const p = this.#x.malloc(n);
    if (!p) throw new AccumLabError(`out of WebAssembly memory allocating ${n} bytes`, 'memory', '');
    return p;
  }

  #error() {
    const buf = this.#x.memory.buffer;
    const code = new Int32Array(buf, this.#err, 1)[0];
    const text = (off, len) => {
      const bytes = new Uint8Array(buf, this.#err + off, len);
      return new TextDecoder().decode(bytes.subarray(0, Math.max(0, bytes.indexOf(0))));
    };
    return new AccumLabError(text(68, 256) || 'unknown error', ERROR_CODES[code] ?? `code ${code}`, text(4, 64));
  }

  #vector(which) {
    const ptr = this.#x.al_experiment_vector(this.#e, which);
    return new Float32Array(this.#x.memory.buffer, ptr, this.paramCount).slice();
  }

  #live() {
    if (!this.#e) throw new AccumLabError('this run was freed', 'state', '');
  }

  /** Runs one optimizer step of both runs; returns its record, or null when done. */
  step() {
    this.#live();
    if (this.#done) return null;
    const status = this.#x.al_experiment_step(this.#e, this.#rec, this.#err);
    if (status === AL_DONE) { this.#done = true; return null; }
    if (status !== AL_OK) { this.#done = true; throw this.#error(); }
    const record = readRecord(new Float64Array(this.#x.memory.buffer, this.#rec, RECORD_DOUBLES));
    if (record.step === 1) {
      this.#first = {
        gradRef: this.#vector(VEC.gradRef), gradAcc: this.#vector(VEC.gradAcc),
        paramsRef: this.#vector(VEC.paramsRef), paramsAcc: this.#vector(VEC.paramsAcc),
      };
    }
    this.#steps.push(record);
    return record;
  }

  /** True once every step ran (or the run diverged). */
  get done() { return this.#done; }

  /** The verdict over the steps so far. */
  verdict() {
    this.#live();
    const v = this.#verdictRaw();
    return describeVerdict(v, this.config, this.#steps);
  }

  #verdictRaw() {
    const p = this.#malloc(VERDICT_BYTES);
    try {
      this.#x.al_experiment_verdict(this.#e, p);
      const i = new Int32Array(this.#x.memory.buffer, p, 8);
      const factor = new Float64Array(this.#x.memory.buffer, p + 32, 1)[0];
      return { grads: i[0], params: i[1], causes: i[2], stepsDone: i[3], judgedSteps: i[4],
        divergedStep: i[5], firstDifferentStep: i[6], k: i[7], factor };
    } finally {
      this.#x.free(p);
    }
  }

  /** The result so far: every record, the vectors after step 1 and now, the verdict. */
  result() {
    this.#live();
    return {
      paramCount: this.paramCount,
      initialParams: this.initialParams,
      steps: this.#steps.slice(),
      first: this.#first,
      final: { paramsRef: this.#vector(VEC.paramsRef), paramsAcc: this.#vector(VEC.paramsAcc) },
      verdict: this.verdict(),
    };
  }

  /** Releases the experiment's WebAssembly memory. Safe to call twice. */
  free() {
    if (!this.#e) return;
    this.#x.al_experiment_free(this.#e);
    this.#x.free(this.#rec);
    this.#x.free(this.#err);
    this.#e = this.#rec = this.#err = 0;
  }
}

function readRecord(d) {
  const r = {};
  RECORD_HEAD.forEach((name, i) => { r[name] = d[i]; });
  r.gradCategory = GRAD_CATEGORIES[r.gradCategory];
  const metrics = (offset) => {
    const m = {};
    METRIC_FIELDS.forEach((name, i) => { m[name] = d[offset + i]; });
    m.allclose = m.allclose === 1;
    m.bitwise = m.bitwise === 1;
    return m;
  };
  r.grad = metrics(RECORD_HEAD.length);
  r.params = metrics(RECORD_HEAD.length + METRIC_FIELDS.length);
  return r;
}
