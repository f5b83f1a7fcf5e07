#!/usr/bin/env node
// scripts/preset-table.mjs — a course script: runs one preset headless and prints the table
// students see in the lab (per step: losses, the gradients' category, allclose, max |diff|,
// norm ratio; the parameters' allclose and norm-wise difference), then the verdict in words.
//
//   node scripts/preset-table.mjs                   lists the presets
//   node scripts/preset-table.mjs poorer-results    runs one
//   node scripts/preset-table.mjs dropout --steps 5 (fewer steps)
import { realpathSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { createLab } from '../wasm/accumlab.mjs';
import { PRESETS, presetById } from '../wasm/presets.mjs';

const num = (x) => (Number.isFinite(x) ? String(Number(x.toPrecision(4))) : String(x));
const sci = (x) => (x === 0 ? '0' : Number.isFinite(x) ? x.toExponential(2) : String(x));
const yes = (b) => (b ? 'yes' : 'no');

/** The table and verdict for a result, as lines of text. */
export function presetTable(result) {
  // 'grad' is the engine's category of the step; '|diff|/|ref|' is the norm-wise difference,
  // which counts as rounding when <= rtol even where element-wise allclose fails.
  const head = ['step', 'loss ref', 'loss acc', 'grad', 'grad allclose', 'grad max|diff|', 'norm ratio', 'params allclose', 'params |diff|/|ref|'];
  const rows = result.steps.map((s) => [String(s.step), num(s.lossRef), num(s.lossAcc), s.gradCategory, yes(s.grad.allclose),
    sci(s.grad.maxAbsDiff), num(s.grad.normRatio), yes(s.params.allclose), sci(s.params.relNormDiff)]);
  const widths = head.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i].length)));
  const line = (cells) => cells.map((c, i) => c.padStart(widths[i])).join('  ');
  const v = result.verdict;
  const factor = v.factor !== undefined ? ` (×${num(v.factor)})` : '';
  return [
    line(head), ...rows.map(line), '',
    `gradients: ${v.grads}${factor}; parameters: ${v.params}; causes: ${v.causes.map((c) => c.id).join(', ') || 'none'}`,
    v.text,
  ];
}

async function main(argv) {
  const [id, ...rest] = argv;
  if (!id || id === '-h' || id === '--help') {
    console.log('usage: node scripts/preset-table.mjs PRESET [--steps N]\n\npresets:');
    for (const p of PRESETS) console.log(`  ${p.id.padEnd(24)} ${p.title}`);
    return id ? 0 : 2;
  }
  const preset = presetById(id);
  if (!preset) {
    console.error(`unknown preset '${id}'; one of: ${PRESETS.map((p) => p.id).join(', ')}`);
    return 2;
  }
  const config = structuredClone(preset.config);
  const at = rest.indexOf('--steps');
  if (at >= 0) config.steps = Number(rest[at + 1]);
  const lab = await createLab();
  const result = lab.compare(config);
  console.log(`${preset.title}\n`);
  console.log(presetTable(result).join('\n'));
  return 0;
}

const invokedDirectly = (() => {
  try { return realpathSync(process.argv[1]) === fileURLToPath(import.meta.url); } catch { return false; }
})();
if (invokedDirectly) {
  main(process.argv.slice(2)).then((code) => { process.exitCode = code; }, (e) => {
    console.error(e.message);
    process.exitCode = e.name === 'AccumLabError' ? 2 : 1;
  });
}
