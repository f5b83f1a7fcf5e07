// bench/load.mjs — a tiny loader for build/bench/*.wasm (standalone Emscripten modules whose
// only import is env.emscripten_notify_memory_growth) and a few timing helpers.
import { readFileSync } from 'node:fs';

export async function loadBench(path) {
  const module = await WebAssembly.compile(readFileSync(path));
  const imports = {};
  for (const { module: mod, name } of WebAssembly.Module.imports(module)) {
    imports[mod] ??= {};
    imports[mod][name] = name === 'emscripten_notify_memory_growth' || name === 'al_progress' ? () => {} : () => {
      throw new Error(`unexpected import ${mod}.${name}`);
    };
  }
  const { exports } = await WebAssembly.instantiate(module, imports);
  exports._initialize?.();
  return exports;
}

export function median(xs) {
  const s = [...xs].sort((a, b) => a - b);
  const n = s.length;
  return n % 2 ? s[(n - 1) / 2] : (s[n / 2 - 1] + s[n / 2]) / 2;
}

/** Runs fn() `rounds` times after `warm` untimed calls; returns per-round milliseconds. */
export function timeRounds(fn, rounds, warm = 1) {
  for (let i = 0; i < warm; i++) fn();
  const out = [];
  for (let r = 0; r < rounds; r++) {
    const t = performance.now();
    fn();
    out.push(performance.now() - t);
  }
  return out;
}
