// A stand-in for wasm/accumlab.mjs with the same interface, for developing the page before
// the real engine existed. Not shipped: build-site uses it only with --engine tests/browser/fake.
export class AccumLabError extends Error {
  constructor(code, field, message) { super(message); this.name = 'AccumLabError'; this.code = code; this.field = field; }
}
export function simdSupported() { return true; }
const KNOWN = ['seed','model','loss','reduction','batchSize','accumSteps','correction','optimizer','clipGradNorm','clipPlacement','schedule','schedulerStepping','dropoutRng','data','steps','lastGroup','rtol','atol'];
export async function createLab({ simd } = {}) {
  const useSimd = simd === undefined ? true : Boolean(simd);
  return {
    simd: useSimd,
    start(config) {
      for (const k of Object.keys(config)) if (!KNOWN.includes(k)) throw new AccumLabError('unknown', k, `${k}: unknown field`);
      const m = config.batchSize ?? 8, k = config.accumSteps ?? 4, steps = config.steps ?? 20;
      if (m * k > 4096) throw new AccumLabError('limit', 'batchSize', `batchSize: m*k = ${m * k} is over 4096`);
      if (config.optimizer?.lr !== undefined && !(config.optimizer.lr > 0)) throw new AccumLabError('range', 'optimizer.lr', `optimizer.lr: ${config.optimizer.lr} must be > 0`);
      const mean = (config.reduction ?? 'mean') === 'mean' && (config.correction ?? 'none') === 'none' && k > 1;
      const drop = config.model?.dropout > 0 && (config.dropoutRng ?? 'stream') === 'stream';
      const factor = mean ? k : 1;
      const paramCount = 370;
      const initialParams = new Float32Array(paramCount).map((_, i) => Math.sin(i));
      const steps_ = [];
      let t = 0;
      const stat = (s, scaled) => {
        const d = drop ? 0.05 * s : scaled ? 0.3 * s : 1e-9 * s;
        return { allclose: !drop && !scaled, bitwise: false, maxAbsDiff: d, maxRelDiff: drop ? 2 : scaled ? factor - 1 : 1e-7,
          maxUlp: drop ? 1e7 : scaled ? 8e6 : 3, cosine: drop ? 0.8 : 1, normRatio: scaled ? factor : drop ? 1.1 : 1 };
      };
      const verdict = () => {
        const grads = drop ? 'different' : mean ? 'scaled' : 'rounding';
        const causes = drop ? [{ id: 'dropout_stream', text: 'Dropout masks come from one generator in call order, so the runs draw different masks.' }]
          : mean ? [{ id: 'mean_unscaled', text: `Each micro-batch loss is a mean over ${m} samples and ${k} of them are added, so the gradient is ${k} times too large.` }] : [];
        return { grads, params: drop || mean ? 'different' : 'rounding', causes, factor: mean ? k : undefined,
          text: drop ? 'The gradients differ: dropout masks differ between the runs.' : mean ? `The accumulated gradient is ${k} times the reference gradient.` : 'The runs agree up to float rounding.' };
      };
      const result = () => ({ paramCount, initialParams, steps: steps_.slice(), first: {}, final: {}, verdict: verdict() });
      return {
        paramCount, initialParams, totalSteps: steps,
        step() {
          if (t >= steps) return null;
          t += 1;
          const spin = Date.now(); while (Date.now() - spin < 5) { /* pretend to work */ }
          const rec = { step: t, lossRef: 0.7 * Math.exp(-t / 10), lossAcc: 0.7 * Math.exp(-t * factor / 10), lrRef: 0.1, lrAcc: 0.1,
            grad: stat(1, mean), params: stat(t, mean) };
          if (!drop && !mean && t === 1) rec.params = { ...rec.params, maxAbsDiff: 0, bitwise: true, maxUlp: 0 };
          steps_.push(rec);
          return rec;
        },
        result,
        free() {},
      };
    },
    compare(config) { const r = this.start(config); while (r.step()); return r.result(); },
  };
}
