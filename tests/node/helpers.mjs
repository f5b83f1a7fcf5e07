// tests/node/helpers.mjs — shared set-up for the Node tests: one lab per build, loaded once.
import { createLab } from '../../wasm/accumlab.mjs';

let simdLab, scalarLab;
export async function lab() { return (simdLab ??= await createLab({ simd: true })); }
export async function scalar() { return (scalarLab ??= await createLab({ simd: false })); }

/** A small, fast experiment on moons; fields given override. */
export function small(overrides = {}) {
  return { data: { name: 'moons', n: 128 }, steps: 4, ...overrides };
}

/** FNV-1a over every number of a result (records and vectors), as hex: equal hashes = same bits. */
export function hashResult(result) {
  let h = 0xcbf29ce484222325n;
  const prime = 0x100000001b3n, mask = (1n << 64n) - 1n;
  const f64 = new Float64Array(1), u8 = new Uint8Array(f64.buffer);
  const eat = (x) => {
    f64[0] = typeof x === 'boolean' ? Number(x) : x;
    for (const b of u8) h = ((h ^ BigInt(b)) * prime) & mask;
  };
  const walk = (v) => {
    if (typeof v === 'number' || typeof v === 'boolean') eat(v);
    else if (ArrayBuffer.isView(v)) for (const x of v) eat(x);
    else if (Array.isArray(v)) v.forEach(walk);
    else if (v && typeof v === 'object') for (const k of Object.keys(v).sort()) walk(v[k]);
  };
  walk({ steps: result.steps, initialParams: result.initialParams, first: result.first, final: result.final });
  return h.toString(16).padStart(16, '0');
}
