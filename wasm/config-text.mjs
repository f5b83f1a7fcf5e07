// wasm/config-text.mjs — a config object as the JSON text the core parses, refusing by field
// what JSON.stringify would silently drop or throw on: BigInt, functions, Symbols, Maps and
// other non-plain objects, cycles, getters that throw, nesting deeper than any config has,
// lone surrogates. Typed arrays become number arrays; non-finite numbers become the strings
// "Infinity", "-Infinity", "NaN", which the core then refuses by name. Undefined object members
// are left out (as JSON.stringify does). Paths are the core's: data.inputs[3][1].

/** The fields whose big arrays may cross as binary blocks (al_experiment_create_with). */
export const BINARY_PATHS = new Set(['data.inputs', 'data.targets', 'data.mask', 'init']);

/** Deeper than any config (data.inputs[i][j] is 3 levels): refused as a limit. */
export const MAX_CONFIG_DEPTH = 32;

class ConfigTextError extends Error {
  constructor(message, code, field) {
    super(message);
    this.code = code;
    this.field = field;
  }
}

const join = (path, key) => (typeof key === 'number' ? `${path}[${key}]` : path ? `${path}.${key}` : key);
const label = (path) => path || 'the config';

function describe(v) {
  if (v instanceof Map) return 'a Map';
  if (v instanceof Set) return 'a Set';
  if (v instanceof Date) return 'a Date';
  const name = Object.getPrototypeOf(v)?.constructor?.name;
  return name ? `an instance of ${name}` : 'an object with a prototype';
}

/** An object literal, Object.create(null), or an object whose prototypes are such (its own keys are the fields). */
function isPlain(v) {
  for (let p = Object.getPrototypeOf(v); p !== null && p !== Object.prototype; p = Object.getPrototypeOf(p)) {
    const own = Object.getOwnPropertyDescriptor(p, 'constructor');
    if (own && own.value !== Object) return false; // a class instance, a Map, a Date, ...
  }
  return true;
}

function numberText(v) {
  return Number.isFinite(v) ? String(v) : JSON.stringify(String(v));
}

function stringText(s, path) {
  if (!s.isWellFormed()) throw new ConfigTextError(`${label(path)} holds a lone surrogate (not a well-formed string)`, 'type', path);
  return JSON.stringify(s);
}

const isTyped = (v) => ArrayBuffer.isView(v) && !(v instanceof DataView);

/**
 * A big array as one Float32Array and its shape, or null to write it as JSON: rows of typed
 * arrays or of plain numbers, all of one length; a flat typed array ([n]); or {values, shape}.
 * Anything else (a string in a row, rows of unequal length) goes as JSON, where the core
 * names the element.
 */
function asBlock(v, path) {
  const block = blockOf(v, path);
  // a number beyond float range would round to ±max or ±Infinity: let the core refuse it by name
  if (block && block.source.some((s) => !(s instanceof Float32Array) && s.some((x) => Math.abs(x) > FLOAT_MAX))) return null;
  return block && { values: block.values, shape: block.shape };
}

const FLOAT_MAX = 3.4028234663852886e38;

/** asBlock's block with the arrays it came from (`source`, to check their range). */
function blockOf(v, path) {
  if (isTyped(v)) return { values: Float32Array.from(v), shape: [v.length], source: [v] };
  if (Array.isArray(v) && v.length > 0 && (isTyped(v[0]) || Array.isArray(v[0]))) {
    const cols = v[0].length;
    const values = new Float32Array(v.length * cols);
    for (let i = 0; i < v.length; i++) {
      const row = v[i];
      if (!(isTyped(row) || Array.isArray(row)) || row.length !== cols) return null;
      if (!isTyped(row)) for (let j = 0; j < cols; j++) if (typeof row[j] !== 'number') return null;
      values.set(row, i * cols);
    }
    return { values, shape: [v.length, cols], source: v };
  }
  if (Array.isArray(v) && v.length > 0 && v.every((x) => typeof x === 'number')) return { values: Float32Array.from(v), shape: [v.length], source: [v] };
  if (v && typeof v === 'object' && !Array.isArray(v) && 'values' in v && 'shape' in v) {
    const { values, shape } = v;
    if (!Array.isArray(shape) || shape.length < 1 || shape.length > 2 || !shape.every((d) => Number.isInteger(d) && d >= 0))
      throw new ConfigTextError(`${path}.shape must be [rows, cols] or [n] (integers), got ${JSON.stringify(shape)}`, 'shape', `${path}.shape`);
    if (!(isTyped(values) || Array.isArray(values)))
      throw new ConfigTextError(`${path}.values must be a typed array or an array of numbers`, 'type', `${path}.values`);
    const n = shape.reduce((a, d) => a * d, 1);
    if (values.length !== n)
      throw new ConfigTextError(`${path}.values holds ${values.length} numbers, but shape ${JSON.stringify(shape)} needs ${n}`, 'shape', `${path}.values`);
    return { values: Float32Array.from(values), shape, source: [values] };
  }
  return null;
}

/**
 * The JSON text of `config` (a plain object); with `bins` (an array), the big arrays of
 * BINARY_PATHS are pushed to it as Float32Arrays and written as {"binary": k, "shape"}. Throws an Error with `code` ('type', 'limit')
 * and `field` (the path) for anything the core would not see as the caller meant it;
 * the binding turns it into an AccumLabError.
 */
export function configText(config, { bins = null } = {}) {
  const out = [];
  const ancestors = new Set();
  const write = (v, path, depth) => {
    switch (typeof v) {
    case 'number': out.push(numberText(v)); return;
    case 'string': out.push(stringText(v, path)); return;
    case 'boolean': out.push(v ? 'true' : 'false'); return;
    case 'bigint': throw new ConfigTextError(`${label(path)} is a BigInt (${v}n); give a number`, 'type', path);
    case 'function': throw new ConfigTextError(`${label(path)} is a function; give a value`, 'type', path);
    case 'symbol': throw new ConfigTextError(`${label(path)} is a Symbol; give a value`, 'type', path);
    case 'undefined': throw new ConfigTextError(`${label(path)} is undefined; give a value`, 'type', path);
    default: break;
    }
    if (v === null) { out.push('null'); return; }
    if (depth > MAX_CONFIG_DEPTH)
      throw new ConfigTextError(`${label(path)} is nested deeper than ${MAX_CONFIG_DEPTH} levels; no config field is`, 'limit', path);
    if (ancestors.has(v)) throw new ConfigTextError(`${label(path)} refers back to an object that holds it (a cycle)`, 'type', path);
    if (ArrayBuffer.isView(v) && !(v instanceof DataView)) {
      // fast path for big data: one join, checked for non-finite values first
      const all = Array.from(v);
      out.push(all.every(Number.isFinite) ? `[${all.join(',')}]` : `[${all.map(numberText).join(',')}]`);
      return;
    }
    ancestors.add(v);
    if (Array.isArray(v)) {
      out.push('[');
      for (let i = 0; i < v.length; i++) {
        if (i) out.push(',');
        write(read(v, i, path), join(path, i), depth + 1);
      }
      out.push(']');
    } else {
      if (!isPlain(v)) throw new ConfigTextError(`${label(path)} is ${describe(v)}; give a plain object`, 'type', path);
      out.push('{');
      let first = true;
      for (const key of Object.keys(v)) {
        const value = read(v, key, path);
        if (value === undefined) continue;
        if (!first) out.push(',');
        first = false;
        out.push(stringText(key, join(path, key)), ':');
        const block = bins && BINARY_PATHS.has(join(path, key)) ? asBlock(value, join(path, key)) : null;
        if (block) {
          out.push(`{"binary":${bins.length},"shape":${JSON.stringify(block.shape)}}`);
          bins.push(block.values);
        } else {
          write(value, join(path, key), depth + 1);
        }
      }
      out.push('}');
    }
    ancestors.delete(v);
  };
  const read = (o, key, path) => {
    try {
      return o[key];
    } catch (e) {
      throw new ConfigTextError(`reading ${join(path, key)} threw: ${e?.message ?? e}`, 'type', join(path, key));
    }
  };
  write(config, '', 0);
  return out.join('');
}

export { ConfigTextError };
