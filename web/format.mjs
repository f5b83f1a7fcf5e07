// web/format.mjs — numbers as the page writes them: short, and never 2,018,107,676.

/** Short text for a measured value: 4 significant digits, exponent form outside [1e-3, 1e4). */
export function fmt(v) {
  if (v === null || v === undefined || Number.isNaN(v)) return '–';
  if (v === Infinity) return '∞';
  if (v === -Infinity) return '−∞';
  if (v === 0) return '0';
  const a = Math.abs(v);
  if (a >= 1e4 || a < 1e-3) return v.toExponential(2).replace('e+', 'e'); // 2.02e9, 3.10e-7
  return String(Number(v.toPrecision(4)));
}

/** A count (ULPs): exact below 10,000, else 2.0e9. */
export function fmtCount(v) {
  if (!Number.isFinite(v)) return fmt(v);
  const r = Math.round(v);
  if (Math.abs(r) < 1e4) return String(r);
  return r.toExponential(1).replace('e+', 'e');
}

/** A ratio of sizes: "1.0000", "4.000 ×" style digits (4 decimals). */
export function fmtRatio(v) {
  return Number.isFinite(v) ? v.toFixed(4) : fmt(v);
}

/** A factor for words: "4", "0.25", "1.003". */
export function fmtFactor(f) {
  if (!Number.isFinite(f)) return fmt(f);
  if (Math.abs(f - Math.round(f)) < 5e-4 && Math.round(f) !== 0) return String(Math.round(f));
  return String(Number(f.toPrecision(4)));
}
