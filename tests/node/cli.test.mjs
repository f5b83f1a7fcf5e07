// tests/node/cli.test.mjs — the CLI: JSON output, readable summary, exit codes.
import test from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { writeFileSync, mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { createLab } from '../../wasm/accumlab.mjs';

const CLI = fileURLToPath(new URL('../../wasm/cli.mjs', import.meta.url));
const run = (...args) => spawnSync(process.execPath, [CLI, ...args], { encoding: 'utf8' });

test('compare --config FILE --json prints the result as JSON', () => {
  const dir = mkdtempSync(join(tmpdir(), 'accumlab-'));
  const file = join(dir, 'config.json');
  writeFileSync(file, JSON.stringify({ steps: 3, batchSize: 4, accumSteps: 2, data: { name: 'moons', n: 64 } }));
  const p = run('compare', '--config', file, '--json');
  assert.equal(p.status, 0, p.stderr);
  const r = JSON.parse(p.stdout);
  assert.equal(r.steps.length, 3);
  assert.equal(r.initialParams.length, r.paramCount);
  assert.equal(r.verdict.grads, 'scaled');
  assert.ok(Math.abs(r.steps[0].grad.normRatio - 2) < 1e-5);
});

test('flags override the config and the summary names the verdict', () => {
  const p = run('compare', '--batch', '8', '--accum', '4', '--correction', 'scale_loss', '--steps', '3');
  assert.equal(p.status, 0, p.stderr);
  assert.match(p.stdout, /reference: batch 32, 1 backward per step; accumulated: 4 x batch 8/);
  assert.match(p.stdout, /gradients: (rounding|bitwise); parameters: (rounding|bitwise)/);
  assert.equal(p.stdout.trim().split('\n').filter((l) => /^\s+\d+\s/.test(l)).length, 3);
});

test('--set and --<field-path> reach nested fields, and the engine ran with them', () => {
  const p = run('compare', '--steps', '2', '--set', 'optimizer.momentum=0.9', '--set', 'model.norm=layernorm',
    '--optimizer-eps', '1e-6', '--hidden', '5,3', '--json');
  assert.equal(p.status, 0, p.stderr);
  const { config, paramCount } = JSON.parse(p.stdout);
  assert.equal(config.optimizer.momentum, 0.9);
  assert.equal(config.model.norm, 'layernorm');
  assert.equal(config.optimizer.eps, 1e-6);
  assert.deepEqual(config.model.sizes, [2, 5, 3, 2]);
  assert.equal(paramCount, (2 * 5 + 5) + 2 * 5 + (5 * 3 + 3) + 2 * 3 + (3 * 2 + 2), 'Linear and LayerNorm parameters of 2-5-3-2');
});

test('every schema flag is a CLI flag, and hostile input exits 2 naming the field or file', async () => {
  const lab = await createLab();
  const help = run('--help').stdout;
  for (const f of lab.schema.filter((x) => x.flag)) assert.match(help, new RegExp(`--${f.flag} .*${f.path.replace('.', '\\.')}`), f.path);
  const cases = [
    [['--batch', '0x10'], /--batch wants an integer in 1\.\.4096 \(batchSize\)/],
    [['--set', '__proto__.batchSize=512'], /'__proto__\.batchSize' is not a config field/],
    [['--set', 'constructor.prototype.x=1'], /not a config field/],
    [['--steps', '1.5'], /--steps wants an integer/],
    [['--nesterov-x', '1'], /unknown option/],
  ];
  const dir = mkdtempSync(join(tmpdir(), 'accumlab-'));
  for (const [name, text] of [['null.json', 'null'], ['num.json', '123'], ['arr.json', '[1]'], ['bad.json', '{']]) {
    writeFileSync(join(dir, name), text);
    cases.push([['--config', join(dir, name)], new RegExp(name.replace('.', '\\.'))]);
  }
  cases.push([['--config', dir], /is a directory/], [['--config', join(dir, 'missing.json')], /no such file/]);
  for (const [args, message] of cases) {
    const p = run('compare', ...args);
    assert.equal(p.status, 2, `${args.join(' ')}: ${p.stderr}`);
    assert.match(p.stderr, message, args.join(' '));
    assert.doesNotMatch(p.stderr, /at .*\.mjs:\d+/, 'no stack trace');
  }
  assert.equal(Object.prototype.batchSize, undefined);
});

test('a bad config exits 2 with the field named', () => {
  const p = run('compare', '--lr', '-1');
  assert.equal(p.status, 2);
  assert.match(p.stderr, /optimizer\.lr/);
  const q = run('compare', '--set', 'optimizer.learningRate=0.1');
  assert.equal(q.status, 2);
  assert.match(q.stderr, /did you mean 'lr'/);
});

test('bad usage exits 2 with the usage text', () => {
  for (const args of [[], ['train'], ['compare', '--bogus'], ['compare', '--batch']]) {
    const p = run(...args);
    assert.equal(p.status, 2, args.join(' '));
    assert.match(p.stderr, /usage: accumlab compare/);
  }
  assert.equal(run('--help').status, 0);
});

test('presets are listed and run by id, with their text', () => {
  const list = run('presets');
  assert.equal(list.status, 0);
  assert.match(list.stdout, /poorer-results/);
  const p = run('compare', '--preset', 'forum-sum');
  assert.equal(p.status, 0, p.stderr);
  assert.match(p.stdout, /gradients: bitwise; parameters: bitwise/);
  assert.match(p.stdout, /What you see:/);
  const bad = run('compare', '--preset', 'nope');
  assert.equal(bad.status, 2);
  assert.match(bad.stderr, /unknown preset 'nope'/);
});

test('export-torch prints a PyTorch script that real PyTorch runs to the table and verdict of compare', () => {
  const p = run('export-torch', '--preset', 'forum-mean-lr');
  assert.equal(p.status, 0, p.stderr);
  assert.match(p.stdout, /^#!\/usr\/bin\/env python3\n"""Forum example: mean reduction, lr 1\.0 vs 0\.5: an accumlab experiment as a PyTorch script/);
  assert.match(p.stdout, /torch\.manual_seed\(SEED\)  # init 'torch'/);
  const dir = mkdtempSync(join(tmpdir(), 'accumlab-'));
  const file = join(dir, 'experiment.py');
  writeFileSync(file, p.stdout);
  const py = spawnSync('/usr/bin/python3', [file], { encoding: 'utf8' });
  assert.equal(py.status, 0, py.stderr);
  const lab = run('compare', '--preset', 'forum-mean-lr');
  // The same table (here PyTorch's floats are the lab's, bit for bit) and verdict line.
  const table = (text) => text.split('\n').filter((l) => /^\s*(step|\d+) /.test(l) || l.startsWith('gradients:'));
  assert.equal(table(py.stdout).length, 7);
  assert.deepEqual(table(py.stdout), table(lab.stdout));
});

test('export-torch: a bad field exits 2 naming it; --json belongs to the script', () => {
  const bad = run('export-torch', '--batch', '0');
  assert.equal(bad.status, 2);
  assert.match(bad.stderr, /\[field: batchSize\]/);
  const json = run('export-torch', '--json');
  assert.equal(json.status, 2);
  assert.match(json.stderr, /python3 experiment\.py --json/);
});

test('--json: one convention for non-finite numbers, the strings "Infinity", "-Infinity" and "NaN"', async () => {
  const p = run('compare', '--lr', '1e38', '--steps', '3', '--json');
  assert.equal(p.status, 0, p.stderr);
  assert.doesNotMatch(JSON.stringify(JSON.parse(p.stdout).steps), /null/, 'no metric written as null');
  const r = JSON.parse(p.stdout);
  assert.equal(r.verdict.params, 'diverged');
  const last = r.steps.at(-1).params;
  assert.equal(last.maxAbsDiff, 'Infinity');
  assert.equal(last.cosine, 'NaN');
  assert.equal(Number(last.maxAbsDiff), Infinity, 'Number() reads it back');
  // the page's JSON export writes the same
  const { resultJSON } = await import('../../web/export.mjs');
  const lab = await createLab();
  const result = lab.compare({ optimizer: { lr: 1e38 }, steps: 3 });
  const page = JSON.parse(resultJSON({ config: {}, result, url: 'x' })).result.steps.at(-1).params;
  assert.deepEqual([page.maxAbsDiff, page.cosine], ['Infinity', 'NaN']);
});

test('--config: a key given twice is refused (JSON.parse would keep the last), naming the file and the field', () => {
  const dir = mkdtempSync(join(tmpdir(), 'accumlab-'));
  const file = join(dir, 'twice.json');
  writeFileSync(file, '{"batchSize": 4, "batchSize": 512}');
  const p = run('compare', '--config', file, '--steps', '1');
  assert.equal(p.status, 2, p.stdout);
  assert.match(p.stderr, /twice\.json: .*\[field: batchSize\]/);
  // a value the flags override is still the flags' to fix
  writeFileSync(file, '{"batchSize": 0}');
  assert.equal(run('compare', '--config', file, '--batch', '2', '--steps', '1').status, 0);
});
