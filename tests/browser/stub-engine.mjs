// A stub of wasm/accumlab.mjs for tests of the worker protocol and its supervisor: runs of
// `config.steps` (default 5) steps that compute nothing. Options:
//   ms          busy-wait this long in every step (a slow engine)
//   onStep(t)   called before step t; throw from it to simulate a trap
//   inits       an array: each createLab's `simd` argument is pushed to it
// A config with `bad: true` is refused the way the engine refuses one (AccumLabError).
export function stubEngine({ ms = 0, onStep, inits } = {}) {
  return {
    simdSupported: () => true,
    async createLab({ simd } = {}) {
      inits?.push(simd);
      return {
        simd: simd ?? true,
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
              const end = Date.now() + ms;
              while (Date.now() < end) { /* work */ }
              t += 1;
              return { step: t };
            },
            result: () => ({ steps: t, verdict: { grads: 'bitwise', params: 'bitwise', causes: [], text: 'same' } }),
            free() {},
          };
        },
      };
    },
  };
}
