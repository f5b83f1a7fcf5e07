#!/usr/bin/env node
// wasm/cli.mjs — accumlab from the command line: run one experiment, print a summary or JSON.
// Exit codes: 0 done, 2 bad usage or bad config (the message names the field), 1 anything else.

import { readFile } from 'node:fs/promises';
import { realpathSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { createLab, AccumLabError } from './accumlab.mjs';
import { PRESETS, presetById } from './presets.mjs';

const USAGE = `usage: accumlab compare [--preset ID] [--config FILE] [options] [--json]
       accumlab presets

Runs the reference (batch m·k) and the accumulated run (k micro-batches of m) from the
same start and compares gradients and parameters after every optimizer step.

options (each overrides the preset and the config file; see README for every field):
  --preset ID          start from a preset (accumlab presets lists them)
  --batch M            micro-batch size m (batchSize)
  --accum K            accumulation steps k (accumSteps)
  --reduction R        mean | sum
  --correction C       none | scale_loss | scale_lr | global_count
  --loss L             l1 | mse | cross_entropy | bce
  --dropout P          dropout probability after each hidden activation
  --dropout-rng MODE   stream | keyed
  --norm N             none | batchnorm | layernorm
  --activation A       relu | tanh | sigmoid | gelu | identity
  --sizes 2,16,16,2    model sizes, input to output
  --optimizer NAME     sgd | adam | adamw
  --lr X               learning rate
  --data NAME          seed_example | regression | moons | circles | xor | spirals | gaussians | digits
  --n N                number of samples
  --steps N            optimizer steps
  --seed N             seed of every random draw
  --set PATH=VALUE     any config field, e.g. --set optimizer.momentum=0.9 (VALUE is JSON or a string)
  --scalar             use the scalar WebAssembly build instead of SIMD
  --json               print the whole result as JSON
  -h, --help           this text`;

const FLAGS = {
  '--batch': ['batchSize', Number], '--accum': ['accumSteps', Number], '--reduction': ['reduction', String],
  '--correction': ['correction', String], '--loss': ['loss', String], '--dropout': ['model.dropout', Number],
  '--dropout-rng': ['dropoutRng', String], '--norm': ['model.norm', String], '--activation': ['model.activation', String],
  '--sizes': ['model.sizes', (v) => v.split(',').map(Number)], '--optimizer': ['optimizer.name', String],
  '--lr': ['optimizer.lr', Number], '--data': ['data.name', String], '--n': ['data.n', Number],
  '--steps': ['steps', Number], '--seed': ['seed', Number],
};

class UsageError extends Error {}

function setPath(obj, path, value) {
  const keys = path.split('.');
  let o = obj;
  for (const k of keys.slice(0, -1)) {
    if (typeof o[k] !== 'object' || o[k] === null) o[k] = {};
    o = o[k];
  }
  o[keys.at(-1)] = value;
}

function parseValue(text) {
  try { return JSON.parse(text); } catch { return text; }
}

export async function parseArgs(argv) {
  const args = { json: false, simd: undefined, config: {}, overrides: [] };
  if (argv[0] === 'presets') return { list: true };
  if (argv[0] !== 'compare') throw new UsageError(argv.length ? `unknown command '${argv[0]}'` : 'no command');
  for (let i = 1; i < argv.length; i++) {
    const a = argv[i];
    const next = () => {
      if (i + 1 >= argv.length) throw new UsageError(`${a} needs a value`);
      return argv[++i];
    };
    if (a === '--json') args.json = true;
    else if (a === '--scalar') args.simd = false;
    else if (a === '--config') args.config = { ...args.config, ...JSON.parse(await readFile(next(), 'utf8')) };
    else if (a === '--preset') {
      const id = next(), preset = presetById(id);
      if (!preset) throw new UsageError(`unknown preset '${id}'; one of: ${PRESETS.map((p) => p.id).join(', ')}`);
      args.config = { ...args.config, ...structuredClone(preset.config) };
      args.preset = preset;
    }
    else if (a === '--set') {
      const [path, ...rest] = next().split('=');
      if (!rest.length) throw new UsageError(`--set wants PATH=VALUE, got '${path}'`);
      args.overrides.push([path, parseValue(rest.join('='))]);
    } else if (FLAGS[a]) {
      const [path, conv] = FLAGS[a];
      args.overrides.push([path, conv(next())]);
    } else throw new UsageError(`unknown option '${a}'`);
  }
  for (const [path, value] of args.overrides) setPath(args.config, path, value);
  return args;
}

const f = (x, d = 4) => (typeof x === 'number' ? (Number.isFinite(x) ? Number(x.toPrecision(d)).toString() : String(x)) : String(x));
const yes = (b) => (b ? 'yes' : 'no');

export function summary(result, config) {
  const m = config.batchSize ?? 8, k = config.accumSteps ?? 4;
  const lines = [];
  lines.push(`reference: batch ${m * k}, 1 backward per step; accumulated: ${k} x batch ${m}; ${result.paramCount} parameters`);
  const head = ['step', 'loss ref', 'loss acc', 'grad allclose', 'grad ratio', 'grad |diff|/|ref|', 'grad max ULP', 'param allclose', 'param max|diff|'];
  const rows = result.steps.map((s) => [s.step, f(s.lossRef), f(s.lossAcc), yes(s.grad.allclose), f(s.grad.normRatio), f(s.grad.relNormDiff, 2),
    f(s.grad.maxUlp, 6), yes(s.params.allclose), f(s.params.maxAbsDiff, 3)].map(String));
  const widths = head.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i].length)));
  const line = (cells) => cells.map((c, i) => c.padStart(widths[i])).join('  ');
  lines.push(line(head), ...rows.map(line));
  const v = result.verdict;
  lines.push('', `gradients: ${v.grads}${v.factor !== undefined ? ` (x${f(v.factor)})` : ''}; parameters: ${v.params}`, v.text);
  for (const c of v.causes) lines.push(`- ${c.id}: ${c.text}`);
  return lines.join('\n');
}

async function main(argv) {
  if (argv.includes('-h') || argv.includes('--help')) { console.log(USAGE); return 0; }
  let args;
  try {
    args = await parseArgs(argv);
  } catch (e) {
    if (e instanceof UsageError || e instanceof SyntaxError || e.code === 'ENOENT') {
      console.error(`accumlab: ${e.message}\n\n${USAGE}`);
      return 2;
    }
    throw e;
  }
  if (args.list) {
    for (const p of PRESETS) console.log(`${p.id.padEnd(24)} Q${p.question}  ${p.title}`);
    return 0;
  }
  const lab = await createLab({ simd: args.simd });
  let run;
  try {
    run = lab.start(args.config);
  } catch (e) {
    if (e instanceof AccumLabError) {
      console.error(`accumlab: ${e.message}${e.field ? ` [field: ${e.field}]` : ''}`);
      return 2;
    }
    throw e;
  }
  try {
    const progress = process.stderr.isTTY && run.totalSteps >= 200;
    for (let n = 1; run.step(); n++) {
      if (progress && n % 50 === 0) process.stderr.write(`\rstep ${n}/${run.totalSteps}`);
    }
    if (progress) process.stderr.write('\r\x1b[K');
    const result = run.result();
    if (args.json) {
      console.log(JSON.stringify(result, (key, value) => (ArrayBuffer.isView(value) ? Array.from(value) : value)));
    } else {
      console.log(summary(result, args.config));
      if (args.preset) {
        const t = args.preset.text;
        console.log(`\n${args.preset.title}\nWhat you see: ${t.see}\nWhy: ${t.why}\nFix: ${t.fix}\n\n${t.code}`);
      }
    }
    return 0;
  } finally {
    run.free();
  }
}

const invokedDirectly = (() => {
  try { return realpathSync(process.argv[1]) === fileURLToPath(import.meta.url); } catch { return false; }
})();
if (invokedDirectly) {
  main(process.argv.slice(2)).then((code) => { process.exitCode = code; }, (e) => {
    console.error(`accumlab: ${e.stack ?? e}`);
    process.exitCode = 1;
  });
}
