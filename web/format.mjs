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

/** A ratio of sizes for the table's details: 4 decimals ("1.0000", "4.0000"). */
export function fmtRatio(v) {
  return Number.isFinite(v) ? v.toFixed(4) : fmt(v);
}

/**
 * A ratio of sizes in words: "4.000", "1.000" when it is 1 to 1e-7, else enough digits to
 * show how far from 1 it is ("1.00003"); exponent form when very large or small.
 */
export function fmtSizeRatio(v) {
  if (!Number.isFinite(v) || v >= 1e4 || (v !== 0 && Math.abs(v) < 1e-3)) return fmt(v);
  const d = Math.abs(v - 1);
  if (d === 0 || d >= 1e-3 || d < 1e-7) return v.toFixed(3);
  return v.toFixed(Math.min(8, -Math.floor(Math.log10(d))));
}

/** A factor for words: "4", "0.25", "1.003". */
export function fmtFactor(f) {
  if (!Number.isFinite(f)) return fmt(f);
  if (Math.abs(f - Math.round(f)) < 5e-4 && Math.round(f) !== 0) return String(Math.round(f));
  return String(Number(f.toPrecision(4)));
}
