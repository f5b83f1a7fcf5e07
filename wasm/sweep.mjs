// wasm/sweep.mjs — one experiment at several values of k (or m): how far the accumulated
// loop's gradient is from the big batch's at the same point, against k, in one table
// (`accumlab sweep --k 1,2,4,…,64`). Drift with k is one picture: bf16 accumulation grows
// with k while float32 stays at rounding; BatchNorm against m; an unscaled mean at k.

/** The fields a sweep can walk, by CLI name. */
export const SWEEPABLE = Object.freeze({ k: 'accumSteps', m: 'batchSize', workers: 'workers' });

/**
 * Runs `config` once per value of `field` (accumSteps, batchSize or workers). Returns one row
 * per value: {value, grads, params, causes, meanRel, maxRel, ratio, error}, where meanRel and
 * maxRel are the same-point |acc − ref| / |ref| over the steps with judged gradients and ratio
 * the mean same-point norm ratio. A value the engine refuses gives a row with `error` (its
 * message), so one bad value does not hide the others. onRow(row) is called as each finishes.
 */
export function sweep(lab, config, field, values, onRow = () => {}) {
  const rows = [];
  for (const value of values) {
    let row;
    try {
      const r = lab.compare({ ...config, [field]: value });
      const judged = r.steps.filter((s) => s.gradCategory !== 'unjudged');
      const rel = judged.map((s) => s.samePoint.relNormDiff);
      row = {
        value, grads: r.verdict.grads, params: r.verdict.params, causes: r.verdict.causes.map((c) => c.id),
        meanRel: rel.length ? rel.reduce((a, b) => a + b, 0) / rel.length : NaN,
        maxRel: rel.reduce((a, b) => Math.max(a, b), rel.length ? 0 : NaN),
        ratio: judged.length ? judged.reduce((a, s) => a + s.samePoint.normRatio, 0) / judged.length : NaN,
      };
    } catch (e) {
      if (!e.code) throw e;
      row = { value, error: e.message };
    }
    rows.push(row);
    onRow(row);
  }
  return rows;
}
