// wasm/json-out.mjs — the one convention for numbers in the lab's JSON output (the CLI's
// --json, the page's JSON export, the exported PyTorch script's --json): finite numbers as
// JSON numbers; Infinity, -Infinity and NaN, which JSON cannot hold, as the strings
// "Infinity", "-Infinity" and "NaN" (JSON.stringify alone would write null and lose which);
// typed arrays as arrays. Number(s) reads any of them back.

/** A JSON.stringify replacer with that convention. */
export function jsonReplacer(key, value) {
  if (ArrayBuffer.isView(value)) return Array.from(value, (v) => (Number.isFinite(v) ? v : String(v)));
  if (typeof value === 'number' && !Number.isFinite(value)) return String(value);
  return value;
}

/** JSON text of value with that convention. */
export function toJSONText(value, space) {
  return JSON.stringify(value, jsonReplacer, space);
}
