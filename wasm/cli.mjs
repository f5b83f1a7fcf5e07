#!/usr/bin/env node
// wasm/cli.mjs — accumlab from the command line: run one experiment, print a summary or JSON.
// Exit codes: 0 done, 2 bad usage or bad config (the message names the field), 1 anything else.

import { readFile } from 'node:fs/promises';
import { realpathSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { createLab, AccumLabError } from './accumlab.mjs';
import { PRESETS, presetById } from './presets.mjs';
import { torchScript } from './export-torch.mjs';
import { ddpScript } from './export-ddp.mjs';
import { toJSONText } from './json-out.mjs';
import { SWEEPABLE, sweep } from './sweep.mjs';

const kebab = (s) => s.replace(/[A-Z]/g, (c) => `-${c.toLowerCase()}`).replace(/\./g, '-');

/** CLI flags: the schema's short flags (--batch, --lr, ...), and --<path in kebab-case> for every field. */
function flagTable(schema) {
  const flags = new Map();
  for (const f of schema) {
    if (f.type === 'object') continue;
    if (f.flag) flags.set(`--${f.flag}`, f);
    if (!flags.has(`--${kebab(f.path)}`)) flags.set(`--${kebab(f.path)}`, f);
  }
  return flags;
}

/** The allowed values of a field in a few words, from the schema. */
function allowed(f) {
  if (f.options) return f.options.join(' | ');
  if (f.type === 'bool') return 'true | false';
  if (f.type === 'list') return `${f.items.type === 'int' ? 'integers' : 'numbers'}, comma separated`;
  const lo = f.exclusiveMin ?? f.min, hi = f.exclusiveMax ?? f.max;
  if (f.type === 'int') return hi === undefined ? `an integer >= ${lo}` : `an integer in ${lo}..${hi}`;
  if (hi === undefined) return `a number ${f.exclusiveMin !== undefined ? '>' : '>='} ${lo}`;
  return `a number in ${f.exclusiveMin !== undefined ? '(' : '['}${lo}, ${hi}${f.exclusiveMax !== undefined ? ')' : ']'}`;
}

export function usage(schema) {
  const rows = [
    ['--preset ID', 'start from a preset (accumlab presets lists them)'],
    ['--config FILE', 'a JSON config (an object)'],
    ...schema.filter((f) => f.flag).map((f) => [`--${f.flag} ${f.type === 'bool' ? 'BOOL' : 'X'}`, `${f.path}: ${allowed(f)}`]),
    ['--<field-path> X', 'any field by its path in kebab-case, e.g. --optimizer-momentum 0.9'],
    ['--set PATH=VALUE', 'any field by its path, e.g. --set optimizer.momentum=0.9 (VALUE is JSON or a string)'],
    ['--scalar', 'use the scalar WebAssembly build instead of SIMD'],
    ['--json', 'print the whole result as JSON'],
    ['--ddp', 'export-torch: a script that runs the W workers as W processes (torch.distributed, DDP)'],
    ['-h, --help', 'this text'],
  ];
  const width = Math.max(...rows.map(([a]) => a.length));
  return `usage: accumlab compare [--preset ID] [--config FILE] [options] [--json]
       accumlab export-torch [--preset ID] [--config FILE] [options] [--ddp] > experiment.py
       accumlab sweep --k 1,2,4,8,16,32,64 [--preset ID] [--config FILE] [options] [--json]
       accumlab presets

compare runs the reference (batch m·k) and the accumulated run (k micro-batches of m) from
the same start and compares gradients and parameters after every optimizer step.
export-torch prints the same experiment as a self-contained PyTorch script (the same data,
initial parameters and sample order; both loops; the same comparison): run it with
python3 experiment.py [--json] [--float64]. With --ddp (workers > 1) the script runs real data
parallelism: W processes in a gloo process group on 127.0.0.1, the model in DistributedDataParallel.
sweep runs the experiment once per value of --k (or --m, --workers) and prints the same-point
difference against it: drift with k in one table (e.g. --grad-dtype bf16).

options (each overrides the preset and the config file; from the engine's schema, which
README's config table lists in full):
${rows.map(([a, b]) => `  ${a.padEnd(width)}  ${b}`).join('\n')}`;
}

class UsageError extends Error {}
/** A flag's value does not fit its field: named, without the whole usage text. */
class ValueError extends Error {}

const UNSAFE_KEYS = new Set(['__proto__', 'prototype', 'constructor']);

/** Sets obj[a][b]... = value; objects on the way have no prototype, so no key reaches Object.prototype. */
function setPath(obj, path, value) {
  const keys = path.split('.');
  for (const k of keys) if (UNSAFE_KEYS.has(k)) throw new ValueError(`'${path}' is not a config field`);
  let o = obj;
  for (const k of keys.slice(0, -1)) {
    if (typeof o[k] !== 'object' || o[k] === null || Array.isArray(o[k])) o[k] = Object.create(null);
    o = o[k];
  }
  o[keys.at(-1)] = value;
}

const INT_RE = /^[+-]?\d+$/;
const NUMBER_RE = /^[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?$/;

/** A flag's text as the field's type: strict decimal numbers (0x10 is refused), lists comma separated. */
function typedValue(f, flag, text) {
  const bad = () => new ValueError(`${flag} wants ${allowed(f)} (${f.path}), got '${text}'`);
  const num = (t, int) => {
    if (!(int ? INT_RE : NUMBER_RE).test(t.trim())) throw bad();
    return Number(t);
  };
  switch (f.type) {
    case 'int': return num(text, true);
    case 'number':
      if (f.items && text.includes(',')) return text.split(',').map((t) => num(t, false)); // model.dropout per layer
      return num(text, false);
    case 'bool':
      if (text === 'true' || text === 'false') return text === 'true';
      throw bad();
    case 'list': {
      if (text.trim().startsWith('[')) return parseJSONValue(text);
      if (text.trim() === '' || text === 'none') return [];
      return text.split(',').map((t) => num(t, f.items.type === 'int'));
    }
    default: return text;
  }
}

function parseJSONValue(text) {
  try { return JSON.parse(text); } catch { return text; }
}

async function readConfigFile(file, checkText) {
  let text;
  try {
    text = await readFile(file, 'utf8');
  } catch (e) {
    throw new ValueError(`cannot read the config file ${file}: ${e.code === 'EISDIR' ? 'it is a directory' : e.code === 'ENOENT' ? 'no such file' : e.message}`);
  }
  let config;
  try {
    config = JSON.parse(text);
  } catch (e) {
    throw new ValueError(`the config file ${file} is not valid JSON: ${e.message}`);
  }
  if (config === null || typeof config !== 'object' || Array.isArray(config))
    throw new ValueError(`the config file ${file} must hold a JSON object, got ${config === null ? 'null' : Array.isArray(config) ? 'an array' : typeof config}`);
  // What JSON.parse lets through but the core refuses (a key given twice: JSON.parse keeps the last)
  const problem = checkText?.(text);
  if (problem) throw new ValueError(`the config file ${file}: ${problem}`);
  return config;
}

/** Parses the command line against the engine's schema. */
/**
 * checkText(text): the core's complaint about a config file's text as JSON (a key given twice),
 * or null; given by main, so that flags can still fix the file's values.
 */
export async function parseArgs(argv, schema, checkText) {
  const flags = flagTable(schema);
  const args = { json: false, simd: undefined, config: {}, overrides: [] };
  if (argv[0] === 'presets') return { list: true };
  if (!['compare', 'export-torch', 'sweep'].includes(argv[0])) throw new UsageError(argv.length ? `unknown command '${argv[0]}'` : 'no command');
  args.command = argv[0];
  for (let i = 1; i < argv.length; i++) {
    const a = argv[i];
    const next = () => {
      if (i + 1 >= argv.length) throw new UsageError(`${a} needs a value`);
      return argv[++i];
    };
    if (a === '--json' && args.command === 'export-torch') throw new UsageError('--json is the script\'s option: python3 experiment.py --json');
    else if (a === '--json') args.json = true;
    else if (a === '--ddp' && args.command === 'export-torch') args.ddp = true;
    else if (args.command === 'sweep' && Object.hasOwn(SWEEPABLE, a.slice(2)) && a.startsWith('--')) {
      const text = next(), values = text.split(',').map((t) => t.trim());
      if (args.sweep) throw new UsageError('sweep walks one field: give one of --k, --m, --workers');
      if (!values.every((t) => INT_RE.test(t) && Number(t) >= 1)) throw new ValueError(`${a} wants positive integers, comma separated, got '${text}'`);
      args.sweep = { flag: a.slice(2), field: SWEEPABLE[a.slice(2)], values: values.map(Number) };
    }
    else if (a === '--scalar') args.simd = false;
    else if (a === '--config') args.config = { ...args.config, ...(await readConfigFile(next(), checkText)) };
    else if (a === '--preset') {
      const id = next(), preset = presetById(id);
      if (!preset) throw new UsageError(`unknown preset '${id}'; one of: ${PRESETS.map((p) => p.id).join(', ')}`);
      args.config = { ...args.config, ...structuredClone(preset.config) };
      args.preset = preset;
    } else if (a === '--set') {
      const [path, ...rest] = next().split('=');
      if (!rest.length) throw new UsageError(`--set wants PATH=VALUE, got '${path}'`);
      const text = rest.join('='), f = schema.find((x) => x.path === path);
      // A known field's value is typed by the schema; any other path goes to the engine, which names it.
      args.overrides.push([path, f && f.type !== 'enum' && !text.trim().startsWith('[') ? typedValue(f, `--set ${path}`, text) : parseJSONValue(text)]);
    } else if (flags.has(a)) {
      const f = flags.get(a);
      args.overrides.push([f.path, typedValue(f, a, next())]);
    } else throw new UsageError(`unknown option '${a}'`);
  }
  for (const [path, value] of args.overrides) setPath(args.config, path, value);
  if (args.command === 'sweep' && !args.sweep) throw new UsageError('sweep needs the values to walk: --k 1,2,4 (or --m, --workers)');
  return args;
}

const f = (x, d = 4) => (typeof x === 'number' ? (Number.isFinite(x) ? Number(x.toPrecision(d)).toString() : String(x)) : String(x));
const yes = (b) => (b ? 'yes' : 'no');

/** The table and verdict in words; m and k from the effective config the engine ran. */
export function summary(result) {
  const m = result.config.batchSize, k = result.config.accumSteps, W = result.config.workers ?? 1;
  const fw = result.config.framework && result.config.framework !== 'pytorch' ? ` (${result.config.framework})` : '';
  const lines = [];
  lines.push(`reference: batch ${W * m * k}, 1 backward per step; accumulated${fw}: ${W > 1 ? `${W} workers x ` : ''}${k} x batch ${m}; ${result.paramCount} parameters`);
  // Gradients at the same point (the accumulated loop at the reference's parameters), then
  // the parameters after the step; closeness in one word (bitwise, allclose, close_by_norm, not_close).
  // The micro-batches of each step are shown when some group has fewer than k.
  const clip = result.config.clipGradNorm > 0;
  const micro = result.steps.some((s) => s.microBatches !== k);
  const head = ['step', ...(micro ? ['micro-batches'] : []), 'loss ref', 'loss acc', 'grad (same point)', 'ratio', '|diff|/|ref|',
    ...(clip ? ['ratio unclipped'] : []), 'params', 'param max|diff|'];
  const rows = result.steps.map((s) => [s.step, ...(micro ? [s.microBatches] : []), f(s.lossRef), f(s.lossAcc), s.samePoint.closeness, f(s.samePoint.normRatio),
    f(s.samePoint.relNormDiff, 2), ...(clip ? [f(s.unclipped.normRatio)] : []), s.params.closeness, f(s.params.maxAbsDiff, 3)].map(String));
  const widths = head.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i].length)));
  const line = (cells) => cells.map((c, i) => c.padStart(widths[i])).join('  ');
  lines.push(line(head), ...rows.map(line));
  const v = result.verdict;
  lines.push('', `gradients: ${v.grads}${v.factor !== undefined ? ` (x${f(v.factor)})` : ''}; parameters: ${v.params}`, v.text);
  for (const c of v.causes) lines.push(`- ${c.id}: ${c.text}`);
  return lines.join('\n');
}

/** The sweep's table: one row per value, the same-point difference and the verdict. */
export function sweepTable(flag, rows) {
  const head = [flag, 'same point |diff|/|ref| mean', 'max', 'ratio', 'gradients', 'parameters', 'causes'];
  const body = rows.map((r) => (r.error ? [String(r.value), `error: ${r.error}`, '', '', '', '', '']
    : [String(r.value), f(r.meanRel, 3), f(r.maxRel, 3), f(r.ratio), r.grads, r.params, r.causes.join(', ')]));
  const widths = head.map((h, i) => Math.max(h.length, ...body.map((b) => (b[1].startsWith('error') && i > 0 ? 0 : b[i].length))));
  return [head, ...body].map((cells) => cells.map((c, i) => (i === cells.length - 1 || (i === 1 && c.startsWith('error')) ? c : c.padStart(widths[i]))).join('  ').trimEnd()).join('\n');
}

function exportTorch(lab, args) {
  try {
    const script = args.ddp ? ddpScript : torchScript;
    process.stdout.write(script(lab, args.config, { title: args.preset?.title ?? '' }));
    return 0;
  } catch (e) {
    if (e instanceof AccumLabError) {
      console.error(`accumlab: ${e.message}${e.field ? ` [field: ${e.field}]` : ''}`);
      return 2;
    }
    throw e;
  }
}

async function main(argv) {
  const simd = argv.includes('--scalar') ? false : undefined;
  const lab = await createLab({ simd });
  if (argv.includes('-h') || argv.includes('--help')) { console.log(usage(lab.schema)); return 0; }
  let args;
  try {
    args = await parseArgs(argv, lab.schema, (text) => {
      try { lab.configCauses(text); return null; } catch (e) {
        return e instanceof AccumLabError && e.code === 'parse' ? `${e.message}${e.field ? ` [field: ${e.field}]` : ''}` : null;
      }
    });
  } catch (e) {
    if (e instanceof UsageError) {
      console.error(`accumlab: ${e.message}\n\n${usage(lab.schema)}`);
      return 2;
    }
    if (e instanceof ValueError) {
      console.error(`accumlab: ${e.message} (accumlab --help lists the options)`);
      return 2;
    }
    throw e;
  }
  if (args.list) {
    for (const p of PRESETS) console.log(`${p.id.padEnd(24)} Q${p.question}  ${p.title}`);
    return 0;
  }
  if (args.command === 'export-torch') return exportTorch(lab, args);
  if (args.command === 'sweep') {
    const { flag, field, values } = args.sweep;
    const tty = process.stderr.isTTY;
    const rows = sweep(lab, args.config, field, values, (row) => { if (tty) process.stderr.write(`\r${flag} = ${row.value} done`); });
    if (tty) process.stderr.write('\r\x1b[K');
    console.log(args.json ? toJSONText(rows) : sweepTable(flag, rows));
    return rows.every((r) => r.error) ? 2 : 0;
  }
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
      console.log(toJSONText(result));
    } else {
      console.log(summary(result));
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
