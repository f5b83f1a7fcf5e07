// Generated sources stay what their generators write: core/pow5_table.{c,h} (the powers of
// five of the JSON number reader) from scripts/gen-pow5.mjs.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '../..');

test('core/pow5_table.c and .h are what scripts/gen-pow5.mjs writes', () => {
  const dir = mkdtempSync(join(tmpdir(), 'pow5-'));
  try {
    execFileSync(process.execPath, [join(ROOT, 'scripts/gen-pow5.mjs'), dir]);
    for (const f of ['pow5_table.c', 'pow5_table.h'])
      assert.equal(readFileSync(join(dir, f), 'utf8'), readFileSync(join(ROOT, 'core', f), 'utf8'), `${f}: run node scripts/gen-pow5.mjs`);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
