// tests/node/preset-table.test.mjs — the course script prints what the lab shows for a preset.
import test from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { presetById } from '../../wasm/presets.mjs';
import { lab } from './helpers.mjs';

const SCRIPT = fileURLToPath(new URL('../../scripts/preset-table.mjs', import.meta.url));
const run = (...args) => spawnSync(process.execPath, [SCRIPT, ...args], { encoding: 'utf8' });
const cells = (line) => line.trim().split(/\s{2,}/);

test('a preset prints one row per step with the run\'s numbers, then the verdict', async () => {
  const p = run('poorer-results', '--steps', '3');
  assert.equal(p.status, 0, p.stderr);
  const lines = p.stdout.split('\n');
  assert.equal(lines[0], presetById('poorer-results').title);
  const head = lines.findIndex((l) => l.startsWith('step'));
  assert.deepEqual(cells(lines[head]), ['step', 'loss ref', 'loss acc', 'grad', 'grad allclose', 'grad max|diff|', 'norm ratio', 'params allclose', 'params |diff|/|ref|']);
  const rows = lines.slice(head + 1, head + 4).map(cells);
  const r = (await lab()).compare({ ...presetById('poorer-results').config, steps: 3 });
  rows.forEach((row, i) => {
    const s = r.steps[i];
    assert.equal(Number(row[0]), s.step);
    assert.ok(Math.abs(Number(row[1]) - s.lossRef) <= 1e-3 * s.lossRef, `loss ref ${row[1]} vs ${s.lossRef}`);
    assert.equal(row[3], s.gradCategory);
    assert.equal(row[4], s.grad.allclose ? 'yes' : 'no');
    assert.ok(Math.abs(Number(row[5]) / s.grad.maxAbsDiff - 1) < 0.01, `max diff ${row[5]} vs ${s.grad.maxAbsDiff}`);
    assert.ok(Math.abs(Number(row[6]) - s.grad.normRatio) < 1e-3 * s.grad.normRatio, `ratio ${row[6]}`);
    assert.ok(Math.abs(Number(row[8]) / s.params.relNormDiff - 1) < 0.01, `params diff ${row[8]} vs ${s.params.relNormDiff}`);
  });
  assert.equal(rows[0][6], '4', 'the unscaled mean gives 4 times the gradient at step 1');
  assert.equal(lines[head + 4], '');
  assert.equal(lines[head + 5], 'gradients: scaled (×4); parameters: different; causes: mean_unscaled');
  assert.equal(lines[head + 6], r.verdict.text);
});

test('the forum example with sum reduction prints identical rows', () => {
  const p = run('forum-sum');
  assert.equal(p.status, 0, p.stderr);
  assert.match(p.stdout, /gradients: bitwise; parameters: bitwise; causes: none/);
  const rows = p.stdout.split('\n').filter((l) => /^\s+\d+\s/.test(l)).map(cells);
  assert.equal(rows.length, 5);
  for (const row of rows) assert.deepEqual(row.slice(3), ['bitwise', 'yes', '0', '1', 'yes', '0']);
});

test('no preset lists them; an unknown preset exits 2 and names the known ones', () => {
  const list = run();
  assert.equal(list.status, 2);
  assert.match(list.stdout, /poorer-results\s+“batch 32 vs batch 8 × 4 gives poorer results”/);
  const bad = run('no-such-preset');
  assert.equal(bad.status, 2);
  assert.match(bad.stderr, /unknown preset 'no-such-preset'; one of: poorer-results, /);
});
