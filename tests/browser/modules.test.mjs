// Static checks of the page's source (web/): the rules the modules promise to keep.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { ROOT } from './helpers.mjs';

const WEB = join(ROOT, 'web');
const pageFiles = readdirSync(WEB).filter((f) => /\.(mjs|html|css)$/.test(f));
const modules = pageFiles.filter((f) => f.endsWith('.mjs'));

test('every page module says its job in its first line', () => {
  for (const f of modules) {
    const first = readFileSync(join(WEB, f), 'utf8').split('\n')[0];
    assert.match(first, new RegExp(`^// web/${f.replace('.', '\\.')} — `), f);
  }
});

test('no module-level mutable state in the page modules (no top-level let or var)', () => {
  for (const f of modules) {
    const lines = readFileSync(join(WEB, f), 'utf8').split('\n');
    const bad = lines.map((l, i) => [l, i + 1]).filter(([l]) => /^(let|var)\s/.test(l));
    assert.deepEqual(bad, [], `${f}: ${bad.map(([l, n]) => `${n}: ${l}`).join('; ')}`);
  }
});

test('the page loads nothing from other origins (no CDN, no absolute URLs)', () => {
  for (const f of pageFiles) {
    const text = readFileSync(join(WEB, f), 'utf8');
    const urls = [...text.matchAll(/(?:src|href)\s*=\s*["']([^"']+)["']|import\s*\(?\s*["']([^"']+)["']|url\(([^)]+)\)/g)]
      .map((m) => m[1] ?? m[2] ?? m[3])
      .filter((u) => /^(https?:)?\/\//.test(u));
    assert.deepEqual(urls, [], f);
  }
});

test('the fake or dev engines never ship: the worker imports the built engine only', () => {
  const worker = readFileSync(join(WEB, 'worker.mjs'), 'utf8');
  assert.match(worker, /import\('\.\.\/wasm\/accumlab\.mjs'\)/);
  assert.ok(!modules.some((f) => /fake|dev/.test(f)));
});
