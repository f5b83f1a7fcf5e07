// tests/node/docs.test.mjs — the README's config table is the schema's (scripts/config-table.mjs).
import test from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { BEGIN, END, configTable } from '../../scripts/config-table.mjs';
import { lab } from './helpers.mjs';

test('README.md\'s config table is generated from the schema (node scripts/config-table.mjs --write)', async () => {
  const readme = readFileSync(new URL('../../README.md', import.meta.url), 'utf8');
  const a = readme.indexOf(BEGIN), b = readme.indexOf(END);
  assert.ok(a >= 0 && b > a, 'README.md has the table markers');
  assert.equal(readme.slice(a, b + END.length), configTable((await lab()).schema));
});
