// A stub of wasm/accumlab.mjs for tests of the worker protocol and its supervisor: runs of
// `config.steps` (default 5) steps that compute nothing. Options:
//   ms          busy-wait this long in every step (a slow engine)
//   onStep(t)   called before step t; throw from it to simulate a trap
//   inits       an array: each createLab's `simd` argument is pushed to it
//   pictureMs   busy-wait this long in every picture() (a slow picture)
//   pictures    an array: the step of every picture() taken is pushed to it
//   micro       report progress inside each step as this many micro-batches of the
//               accumulated run, spread over its `ms` (lab.onProgress, as the engine does)
// A run's picture({size = 48}) is a grid picture of its step, the shape of run.picture()'s
// (two runs of zeros, one output); a size that is not an integer is refused.
// A config with `bad: true` is refused the way the engine refuses one (AccumLabError).
export function stubEngine({ ms = 0, onStep, inits, pictureMs = 0, pictures, micro = 0 } = {}) {
  return {
    simdSupported: () => true,
    async createLab({ simd } = {}) {
      inits?.push(simd);
      let progress = null;
      return {
        simd: simd ?? true,
        onProgress(fn) { progress = fn; },
        start(config) {
          if (config.bad) throw Object.assign(new Error('optimizer.lr: -1 is not > 0'), { name: 'AccumLabError', code: 'range', field: 'optimizer.lr' });
          let t = 0;
          const total = config.steps ?? 5;
          return {
            paramCount: 3,
            totalSteps: total,
            step() {
              if (t >= total) return null;
              onStep?.(t + 1);
              const begin = Date.now();
              const end = begin + ms;
              let told = 0;
              while (Date.now() < end) {
                const due = micro ? Math.floor(((Date.now() - begin) / ms) * micro) : 0;
                while (told < due) progress?.({ phase: 'accumulated', done: ++told, total: micro });
              }
              while (told < micro) progress?.({ phase: 'accumulated', done: ++told, total: micro });
              t += 1;
              return { step: t };
            },
            picture({ size = 48 } = {}) {
              if (!Number.isInteger(size) || size < 1) throw Object.assign(new Error(`size must be 1..512, got ${size}`), { name: 'AccumLabError', code: 'range', field: 'size' });
              pictures?.push(t);
              const end = Date.now() + pictureMs;
              while (Date.now() < end) { /* work */ }
              const cells = new Float32Array(size * size);
              return {
                kind: 'grid', step: t, outputs: 1, prediction: 'sigmoid', classes: 2, size, bounds: [-1, 1, -1, 1],
                ref: cells, acc: cells.slice(), points: { samples: new Int32Array(0), x: new Float32Array(0), y: new Float32Array(0), label: new Int32Array(0), target: null },
              };
            },
            result: () => ({ steps: t, verdict: { grads: 'bitwise', params: 'bitwise', causes: [], text: 'same' } }),
            free() {},
          };
        },
      };
    },
  };
}
