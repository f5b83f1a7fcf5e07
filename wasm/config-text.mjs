// wasm/config-text.mjs — a config object as the JSON text the core parses, refusing by field
// what JSON.stringify would silently drop or throw on: BigInt, functions, Symbols, Maps and
// other non-plain objects, cycles, getters that throw, nesting deeper than any config has,
// lone surrogates. Typed arrays become number arrays; non-finite numbers become the strings
// "Infinity", "-Infinity", "NaN", which the core then refuses by name. Undefined object members
// are left out (as JSON.stringify does). Paths are the core's: data.inputs[3][1].

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

/**
 * The JSON text of `config` (a plain object). Throws an Error with `code` ('type', 'limit')
 * and `field` (the path) for anything the core would not see as the caller meant it;
 * the binding turns it into an AccumLabError.
 */
export function configText(config) {
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
        write(value, join(path, key), depth + 1);
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
