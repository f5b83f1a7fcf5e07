// wasm/accumlab.mjs — accumlab's JavaScript API over the WebAssembly core, for Node and the
// browser. Pointers never reach the caller: config goes in as JSON text, results come back
// as plain objects and fresh Float32Arrays. Every C error code becomes an AccumLabError.
//
//   import { createLab } from './accumlab.mjs';
//   const lab = await createLab();            // SIMD build if the engine supports it
//   const result = lab.compare({ batchSize: 8, accumSteps: 4 });
//   const run = lab.start(config); run.step(); ... run.result(); run.free();

import { describeVerdict } from './verdict.mjs';
import { configText, ConfigTextError } from './config-text.mjs';

const AL_OK = 0;
const AL_DONE = -1;

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

/** The phases of a step, as the core reports its progress (core/experiment_internal.h AL_PHASE_*). */
export const STEP_PHASES = Object.freeze(['reference', 'same point', 'accumulated']);

function importsFor(module, host) {
  // A standalone Emscripten module asks for very little (wasm/host-imports.js); anything
  // unexpected fails loudly.
  const known = {
    emscripten_notify_memory_growth: () => {}, // views are rebuilt after every call anyway
    // Progress inside a step: called between micro-batches, so it must stay cheap.
    al_progress: (phase, done, total) => { host.progress?.({ phase: STEP_PHASES[phase] ?? String(phase), done, total }); },
  };
  const imports = {};
  for (const { module: mod, name, kind } of WebAssembly.Module.imports(module)) {
    if (kind !== 'function') continue;
    imports[mod] ??= {};
    imports[mod][name] = (mod === 'env' && known[name])
      || (() => { throw new AccumLabError(`the core called an unexpected import ${mod}.${name}`, 'state', ''); });
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
  const host = { progress: null };
  const instance = await WebAssembly.instantiate(module, importsFor(module, host));
  return new Lab(instance.exports, simd, host);
}

/** Reads a JSON text the core writes with `write(buf, cap)` (returns the length it needs). */
function readCoreJSON(x, write) {
  const n = Number(write(0, 0));
  const p = x.malloc(n + 1);
  if (!p) throw new AccumLabError(`out of WebAssembly memory allocating ${n + 1} bytes`, 'memory', '');
  try {
    write(p, n + 1);
    return JSON.parse(new TextDecoder().decode(new Uint8Array(x.memory.buffer, p, n)));
  } finally {
    x.free(p);
  }
}

/** The core's contract (core/contract.c): schema, layouts, cause ids, names. */
function readContract(x) {
  const c = readCoreJSON(x, (p, cap) => x.al_contract_json(p, cap));
  const sizes = [x.al_sizeof_record(), x.al_sizeof_error(), x.al_sizeof_verdict()];
  if (sizes[0] !== c.record.bytes || sizes[1] !== c.error.bytes || sizes[2] !== c.verdict.bytes)
    throw new AccumLabError(`the .wasm's contract does not match its structs (${sizes})`, 'state', '');
  c.vectorIndex = Object.fromEntries(c.vectors.map((name, i) => [name, i]));
  return deepFreeze(c);
}

function deepFreeze(o) {
  if (o && typeof o === 'object' && !Object.isFrozen(o)) {
    Object.freeze(o);
    for (const v of Object.values(o)) deepFreeze(v);
  }
  return o;
}

class Lab {
  #x;
  #host;
  constructor(exports, simd, host = { progress: null }) {
    this.#x = exports;
    this.#host = host;
    this.simd = simd;
    exports._initialize?.();
    /** What the core reads and writes: schema, record layout, cause ids (core/contract.c). */
    this.contract = readContract(exports);
    /** Every config field: {path, type, default, min, max, options, doc, ...} (core/schema.c). */
    this.schema = this.contract.schema;
  }

  /**
   * Listens to progress inside each step: fn({phase: 'reference' | 'same point' |
   * 'accumulated', done, total}) after every micro-batch (the reference's one big batch is
   * 1 of 1; with clipping per micro-batch the same point counts twice, clipped and not).
   * Called from inside run.step(): keep it cheap. null stops listening.
   */
  onProgress(fn) {
    this.#host.progress = typeof fn === 'function' ? fn : null;
  }

  /** Bytes of WebAssembly memory the instance holds now (it grows, never shrinks). */
  get memoryBytes() {
    return this.#x.memory.buffer.byteLength;
  }

  /**
   * The causes the core names for this config when the runs differ, predicted without
   * running (al_config_causes): an array of cause ids in the order they are explained.
   */
  configCauses(config = {}) {
    const x = this.#x;
    const text = encodeConfig(config);
    const textPtr = mallocOr(x, text.length || 1);
    const out = mallocOr(x, 4 + this.contract.error.bytes);
    try {
      new Uint8Array(x.memory.buffer, textPtr, text.length).set(text);
      const rc = x.al_config_causes(textPtr, text.length, out, out + 4);
      if (rc !== AL_OK) throw readError(x, out + 4, this.contract);
      const bits = new Int32Array(x.memory.buffer, out, 1)[0];
      return this.contract.causes.filter((c) => bits & c.bit).map((c) => c.id);
    } finally {
      x.free(textPtr);
      x.free(out);
    }
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

  /**
   * Creates an experiment to step through; throws AccumLabError on a bad config. A config is
   * an object, or JSON text passed to the core as it is (so a key given twice is refused, not
   * taken last as JSON.parse would); the same holds for compare() and configCauses().
   */
  start(config = {}) {
    return new Run(this.#x, this.contract, config);
  }
}

function mallocOr(x, n) {
  const p = x.malloc(n);
  if (!p) throw new AccumLabError(`out of WebAssembly memory allocating ${n} bytes`, 'memory', '');
  return p;
}

/** An al_error at ptr as an AccumLabError. */
function readError(x, ptr, contract) {
  const e = contract.error, buf = x.memory.buffer;
  const code = new Int32Array(buf, ptr + e.code, 1)[0];
  const text = (off, len) => {
    const bytes = new Uint8Array(buf, ptr + off, len);
    return new TextDecoder().decode(bytes.subarray(0, Math.max(0, bytes.indexOf(0))));
  };
  return new AccumLabError(text(e.message, e.messageBytes) || 'unknown error', contract.errorCodes[code] ?? `code ${code}`,
    text(e.field, e.fieldBytes));
}

function kindOf(v) {
  return v === null ? 'null' : Array.isArray(v) ? 'an array' : `${typeof v === 'object' ? 'an' : 'a'} ${typeof v}`;
}

/** The config's JSON text as bytes; with `bins` (an array), its big arrays go there as Float32Arrays. */
function encodeConfig(config, bins = null) {
  if (typeof config === 'string') return new TextEncoder().encode(config); // JSON text, as the caller wrote it
  if (config === null || typeof config !== 'object' || Array.isArray(config))
    throw new AccumLabError(`the config must be an object (or JSON text), got ${kindOf(config)}`, 'type', '');
  try {
    return new TextEncoder().encode(configText(config, { bins }));
  } catch (e) {
    if (e instanceof ConfigTextError) throw new AccumLabError(e.message, e.code, e.field);
    throw e;
  }
}

class Run {
  #x; #c; #e = 0; #rec = 0; #err = 0; #steps = []; #first = null; #done = false; #config = null;
  constructor(exports, contract, config) {
    // Big arrays (data, init) cross as binary float blocks, not as JSON text (al_experiment_create_with)
    const bins = [];
    const text = encodeConfig(config, bins);
    this.#x = exports;
    this.#c = contract;
    const x = exports;
    const temp = [];
    try {
      const textPtr = this.#malloc(text.length || 1);
      temp.push(textPtr);
      new Uint8Array(x.memory.buffer, textPtr, text.length).set(text);
      const table = this.#malloc(8 * bins.length + 8); // the pointers, then the lengths (int32 each)
      temp.push(table);
      bins.forEach((values, k) => {
        const p = this.#malloc(4 * values.length || 4);
        temp.push(p);
        new Float32Array(x.memory.buffer, p, values.length).set(values);
        const view = new Int32Array(x.memory.buffer, table, 2 * bins.length);
        view[k] = p;
        view[bins.length + k] = values.length;
      });
      this.#err = this.#malloc(contract.error.bytes);
      this.#e = x.al_experiment_create_with(textPtr, text.length, table, table + 4 * bins.length, bins.length, this.#err);
    } finally {
      for (const p of temp) x.free(p); // the experiment holds its own copy
    }
    if (!this.#e) {
      const error = this.#error();
      x.free(this.#err);
      this.#err = 0;
      throw error;
    }
    this.#rec = this.#malloc(contract.record.bytes);
    this.paramCount = Number(x.al_experiment_param_count(this.#e));
    this.totalSteps = x.al_experiment_total_steps(this.#e);
    this.initialParams = this.#vector('init');
  }

  /**
   * The effective config, as the core runs it: every field of the schema, with every
   * default and derived value settled (loss, model.sizes, optimizer.lr, schedule.tMax,
   * data.n). Read from the core once, on first use, and frozen.
   */
  get config() {
    this.#live();
    this.#config ??= deepFreeze(readCoreJSON(this.#x, (p, cap) => this.#x.al_experiment_config_json(this.#e, p, cap)));
    return this.#config;
  }

  #malloc(n) {
    const p = this.#x.malloc(n);
    if (!p) throw new AccumLabError(`out of WebAssembly memory allocating ${n} bytes`, 'memory', '');
    return p;
  }

  #error() {
    return readError(this.#x, this.#err, this.#c);
  }

  #vector(name) {
    const ptr = this.#x.al_experiment_vector(this.#e, this.#c.vectorIndex[name]);
    return new Float32Array(this.#x.memory.buffer, ptr, this.paramCount).slice();
  }

  /**
   * The data as both runs see it, copied out: inputs (N x IN), targets (N x T: class indices
   * for cross_entropy and a one-logit bce, else one-hot or real rows) and mask (N x T, or
   * null), each a Float32Array of rows, with N, IN and T. What an export needs to train the
   * same numbers elsewhere.
   */
  data() {
    this.#live();
    const x = this.#x, lenPtr = this.#malloc(8);
    try {
      const read = (which) => {
        const ptr = x.al_experiment_data(this.#e, which, lenPtr);
        const len = Number(new Int32Array(x.memory.buffer, lenPtr, 1)[0]);
        return ptr ? new Float32Array(x.memory.buffer, ptr, len).slice() : null;
      };
      const inputs = read(0), targets = read(1), mask = read(2);
      const N = this.#samples(), IN = inputs.length / N;
      return { inputs, targets, mask, N, IN, T: targets.length / N };
    } finally {
      x.free(lenPtr);
    }
  }

  /** The sample indices of epoch `epoch` (from 0) in the order the runs visit them (Int32Array). */
  epochOrder(epoch) {
    this.#live();
    if (!Number.isInteger(epoch) || epoch < 0) throw new AccumLabError(`epochOrder: epoch must be an integer >= 0, got ${epoch}`, 'range', '');
    const N = this.#samples(), p = this.#malloc(4 * N);
    try {
      this.#x.al_experiment_epoch_order(this.#e, epoch, p);
      return new Int32Array(this.#x.memory.buffer, p, N).slice();
    } finally {
      this.#x.free(p);
    }
  }

  /** N: the samples of the data (data.n is null for explicit data). */
  #samples() {
    return this.config.data.n ?? this.config.data.inputs.length;
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
    const record = readRecord(new DataView(this.#x.memory.buffer, this.#rec, this.#c.record.bytes), this.#c);
    if (record.step === 1) {
      this.#first = {
        gradRef: this.#vector('gradRef'), gradAcc: this.#vector('gradAcc'),
        paramsRef: this.#vector('paramsRef'), paramsAcc: this.#vector('paramsAcc'),
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
    return describeVerdict(this.#verdictRaw(), this.config, this.#steps, this.#c);
  }

  #verdictRaw() {
    const layout = this.#c.verdict;
    const p = this.#malloc(layout.bytes);
    try {
      this.#x.al_experiment_verdict(this.#e, p);
      const view = new DataView(this.#x.memory.buffer, p, layout.bytes);
      return Object.fromEntries(layout.fields.map((f) => [f.name,
        f.kind === 'int32' ? view.getInt32(f.offset, true) : view.getFloat64(f.offset, true)]));
    } finally {
      this.#x.free(p);
    }
  }

  /** The result so far: every record, the vectors after step 1 and now, the verdict. */
  result() {
    this.#live();
    return {
      config: this.config,
      paramCount: this.paramCount,
      initialParams: this.initialParams,
      steps: this.#steps.slice(),
      first: this.#first,
      final: { paramsRef: this.#vector('paramsRef'), paramsAcc: this.#vector('paramsAcc') },
      verdict: this.verdict(),
    };
  }

  /**
   * A picture of both models at the current step, what the lab draws beside the charts: each
   * run's current parameters evaluated by the core (al_experiment_predict, _picture_grid) in
   * eval mode, as PyTorch's model.eval(): no dropout; BatchNorm with that run's own running
   * statistics (mean 0, var 1 before the first step); LayerNorm per sample. Before any step
   * both runs are the initial parameters. A prediction is what the loss reads (`prediction`):
   * 'softmax' class probabilities (cross_entropy), 'sigmoid' the probability of a 1 per output
   * (bce; one output: the probability of class 1), 'values' the raw outputs (mse, l1).
   *
   * Options: `size` (cells per side of the grid, 1..512, default 48), `maxPoints` (samples
   * shown: default 1000 for a grid, 256 for a fit; evenly spaced over the data's order).
   *
   * Every picture: {kind, step (optimizer steps done), outputs (values per prediction),
   * prediction, classes (of class-index data; 0 for real-valued targets)}, then
   *
   * - data with 2 input features, `kind: 'grid'`: `size`, `bounds: [x0, x1, y0, y1]` (the
   *   training inputs' box, each side padded by 10% of its width), `ref`, `acc`:
   *   Float32Array(size·size·outputs), cell (r, c) at ((r·size + c)·outputs): the prediction at
   *   the cell's centre x = x0 + (c + ½)(x1 − x0)/size, y = y0 + (r + ½)(y1 − y0)/size, row 0
   *   at y0 (the bottom); `points: {samples: Int32Array(n), x, y: Float32Array(n), label:
   *   Int32Array(n) (class data) or null, target: Float32Array(n) (output 0's target, real
   *   targets) or null}`.
   * - any other data, `kind: 'fit'`: n samples, `samples: Int32Array(n)` (dataset indices),
   *   `targets`, `ref`, `acc`: Float32Array(n), the value to plot per sample against its
   *   target: class data: the prediction for the true class (its probability; a single logit:
   *   p for class 1, 1 − p for class 0; the raw output under mse/l1) against 1; real targets:
   *   output 0 against its target. `refOutputs`, `accOutputs`: Float32Array(n·outputs), every
   *   prediction. Class data: `label`, `refClass`, `accClass`: Int32Array(n), the true and the
   *   predicted class (the largest output; a single logit: p >= 0.5); else null. One input
   *   feature: `input: Float32Array(n)` (each sample's input) and `curve: {size, bounds: [x0,
   *   x1], x: Float32Array(size), ref, acc: Float32Array(size·outputs)}`, both runs along the
   *   padded range of the inputs at the cells' centres; else both null.
   *
   * Plain typed arrays (structured-cloneable: it crosses postMessage as it is). Cost: a forward
   * pass per run over size² rows (grid) or n rows (fit), roughly rows / (8·m·k) of a step: a 48×48
   * grid of the default moons model takes ~1 ms (SIMD; ~15 steps of its 32 samples), digits'
   * 256 samples ~0.3 ms. The worker protocol draws one at most every 150 ms.
   */
  picture({ size = 48, maxPoints } = {}) {
    this.#live();
    if (!Number.isInteger(size)) throw new AccumLabError(`picture: size must be an integer, got ${size}`, 'type', 'size');
    if (maxPoints !== undefined && !(Number.isInteger(maxPoints) && maxPoints >= 1))
      throw new AccumLabError(`picture: maxPoints must be an integer >= 1, got ${maxPoints}`, 'range', 'maxPoints');
    const x = this.#x, e = this.#e;
    const facts = this.#facts ??= {
      IN: x.al_experiment_inputs(e), outputs: x.al_experiment_outputs(e), classes: x.al_experiment_classes(e),
      prediction: ['softmax', 'sigmoid', 'values'][x.al_experiment_prediction_kind(e)],
    };
    const head = { step: this.#steps.length, outputs: facts.outputs, prediction: facts.prediction, classes: facts.classes };
    if (facts.IN === 2) {
      const { ref, acc, bounds } = this.#grid(size, facts.outputs);
      const pts = this.#points(facts, maxPoints ?? 1000);
      return {
        kind: 'grid', ...head, size, bounds, ref, acc,
        points: { samples: pts.samples, x: pts.column(0), y: pts.column(1), label: pts.label, target: pts.target },
      };
    }
    const pts = this.#points(facts, maxPoints ?? 256);
    const n = pts.samples.length, OUT = facts.outputs;
    const [refOutputs, accOutputs] = [0, 1].map((which) => this.#predict(which, pts.rows, n, OUT));
    const targets = new Float32Array(n), ref = new Float32Array(n), acc = new Float32Array(n);
    let refClass = null, accClass = null;
    if (facts.classes > 0) {
      const single = facts.prediction === 'sigmoid' && OUT === 1;
      const ofTrue = (p, i) => single ? (pts.label[i] === 1 ? p[i] : 1 - p[i]) : p[i * OUT + pts.label[i]];
      const classOf = (p, i) => {
        if (single) return p[i] >= 0.5 ? 1 : 0;
        let best = 0;
        for (let o = 1; o < OUT; o++) if (p[i * OUT + o] > p[i * OUT + best]) best = o;
        return best;
      };
      refClass = new Int32Array(n);
      accClass = new Int32Array(n);
      for (let i = 0; i < n; i++) {
        targets[i] = 1;
        ref[i] = ofTrue(refOutputs, i);
        acc[i] = ofTrue(accOutputs, i);
        refClass[i] = classOf(refOutputs, i);
        accClass[i] = classOf(accOutputs, i);
      }
    } else {
      for (let i = 0; i < n; i++) {
        targets[i] = pts.target[i];
        ref[i] = refOutputs[i * OUT];
        acc[i] = accOutputs[i * OUT];
      }
    }
    let curve = null;
    if (facts.IN === 1) {
      const g = this.#grid(size, OUT);
      const [x0, x1] = g.bounds, w = (x1 - x0) / size;
      curve = { size, bounds: [x0, x1], x: Float32Array.from({ length: size }, (_, c) => x0 + (c + 0.5) * w), ref: g.ref, acc: g.acc };
    }
    return {
      kind: 'fit', ...head, n, samples: pts.samples, targets, ref, acc, refOutputs, accOutputs,
      label: pts.label, refClass, accClass, input: facts.IN === 1 ? pts.column(0) : null, curve,
    };
  }

  #facts = null;
  #pictureData = null; // data(), read once: the data never changes
  #pictureSamples = null; // the last #points

  /**
   * Up to `max` samples evenly spaced over the data: their indices, labels (class data) or
   * output 0's targets, input rows (n, IN) and columns (fresh copies). The same for every step.
   */
  #points(facts, max) {
    const p = this.#pictureSamples?.max === max ? this.#pictureSamples : (this.#pictureSamples = this.#samplesOf(facts, max));
    // each picture gets its own arrays: a caller may keep or transfer them
    return {
      samples: p.samples.slice(), label: p.label?.slice() ?? null, target: p.target?.slice() ?? null, rows: p.rows,
      column: (d) => p.columns[d].slice(),
    };
  }

  #samplesOf(facts, max) {
    const data = this.#pictureData ??= this.data();
    const N = data.N, n = Math.min(N, max), T = data.T, IN = data.IN;
    const samples = Int32Array.from({ length: n }, (_, i) => Math.floor((i * N) / n));
    let label = null, target = null;
    if (facts.classes > 0) {
      // class indices (T = 1), or one-hot rows over the outputs
      label = samples.map((s) => {
        if (T === 1) return data.targets[s];
        let best = 0;
        for (let t = 1; t < T; t++) if (data.targets[s * T + t] > data.targets[s * T + best]) best = t;
        return best;
      });
    } else {
      target = Float32Array.from(samples, (s) => data.targets[s * T]);
    }
    const rows = new Float32Array(n * IN);
    samples.forEach((s, i) => rows.set(data.inputs.subarray(s * IN, (s + 1) * IN), i * IN));
    const columns = Array.from({ length: Math.min(IN, 2) }, (_, d) => Float32Array.from(samples, (s) => data.inputs[s * IN + d]));
    return { max, samples, label, target, rows, columns };
  }

  /** Run `which`'s predictions (rows, outputs) for the rows (rows, IN), copied out. */
  #predict(which, rows, n, outputs) {
    const x = this.#x, inPtr = this.#malloc(4 * rows.length || 4);
    try {
      const outPtr = this.#malloc(4 * n * outputs || 4);
      try {
        new Float32Array(x.memory.buffer, inPtr, rows.length).set(rows);
        if (x.al_experiment_predict(this.#e, which, inPtr, n, outPtr, this.#err) !== AL_OK) throw this.#error();
        return new Float32Array(x.memory.buffer, outPtr, n * outputs).slice();
      } finally {
        x.free(outPtr);
      }
    } finally {
      x.free(inPtr);
    }
  }

  /** Both runs over the core's grid: {ref, acc, bounds} (the bounds as numbers, [x0, x1] for one feature). */
  #grid(size, outputs) {
    const x = this.#x, cells = this.#x.al_experiment_inputs(this.#e) === 2 ? size * size : size;
    const bounds = this.#malloc(16);
    try {
      const out = this.#malloc(4 * cells * outputs || 4);
      try {
        const [ref, acc] = [0, 1].map((which) => {
          if (x.al_experiment_picture_grid(this.#e, which, size, bounds, out, this.#err) !== AL_OK) throw this.#error();
          return new Float32Array(x.memory.buffer, out, cells * outputs).slice();
        });
        return { ref, acc, bounds: Array.from(new Float32Array(x.memory.buffer, bounds, 4)) };
      } finally {
        x.free(out);
      }
    } finally {
      x.free(bounds);
    }
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

/** A step record by the core's layout: dotted names nest, bools and categories by kind. */
function readRecord(view, contract) {
  const r = {};
  for (const { name, offset, kind } of contract.record.fields) {
    const x = view.getFloat64(offset, true);
    const value = kind === 'bool' ? x === 1 : kind === 'gradCategory' ? contract.gradCategories[x]
      : kind === 'closeness' ? contract.closeness[x] : x;
    const dot = name.indexOf('.');
    if (dot < 0) r[name] = value;
    else (r[name.slice(0, dot)] ??= {})[name.slice(dot + 1)] = value;
  }
  return r;
}
