// Node tests of web/tools/serve.mjs and build-site.mjs: MIME types, no way out of the
// served directory, 127.0.0.1 only, and the assembled site's files.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, mkdirSync, writeFileSync, existsSync, rmSync } from 'node:fs';
import { request } from 'node:http';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { serve, resolveInside } from '../../web/tools/serve.mjs';
import { buildSite } from '../../web/tools/build-site.mjs';

function get(url, path) {
  const u = new URL(url);
  return new Promise((ok, fail) => {
    // path is sent as written (no normalisation), as a hostile client would.
    const req = request({ host: u.hostname, port: u.port, path, method: 'GET' }, (res) => {
      let body = '';
      res.on('data', (c) => { body += c; });
      res.on('end', () => ok({ status: res.statusCode, type: res.headers['content-type'], body }));
    });
    req.on('error', fail);
    req.end();
  });
}

test('serves files with the right MIME types and index.html for /', async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'accumlab-serve-'));
  mkdirSync(join(dir, 'wasm'));
  const files = {
    'index.html': ['<!doctype html>', 'text/html; charset=utf-8'],
    'a.mjs': ['export {}', 'text/javascript; charset=utf-8'],
    'b.js': ['1', 'text/javascript; charset=utf-8'],
    'c.css': ['p{}', 'text/css; charset=utf-8'],
    'd.json': ['{}', 'application/json; charset=utf-8'],
    'wasm/e.wasm': ['\0asm', 'application/wasm'],
    'f.svg': ['<svg/>', 'image/svg+xml'],
    'g.png': ['png', 'image/png'],
  };
  for (const [name, [body]] of Object.entries(files)) writeFileSync(join(dir, name), body);
  const { server, url } = await serve(dir, 0);
  t.after(() => { server.close(); rmSync(dir, { recursive: true, force: true }); });
  assert.match(url, /^http:\/\/127\.0\.0\.1:\d+\/$/);
  assert.equal(server.address().address, '127.0.0.1');
  for (const [name, [body, type]] of Object.entries(files)) {
    const r = await get(url, `/${name}`);
    assert.equal(r.status, 200, name);
    assert.equal(r.type, type, name);
    assert.equal(r.body, body, name);
  }
  const root = await get(url, '/?m=4&k=2');
  assert.equal(root.status, 200);
  assert.equal(root.type, 'text/html; charset=utf-8');
  assert.equal((await get(url, '/missing.js')).status, 404);
});

test('no directory traversal', async (t) => {
  const base = mkdtempSync(join(tmpdir(), 'accumlab-serve-'));
  const dir = join(base, 'site');
  mkdirSync(dir);
  writeFileSync(join(base, 'secret.txt'), 'secret');
  writeFileSync(join(dir, 'index.html'), 'ok');
  const { server, url } = await serve(dir, 0);
  t.after(() => { server.close(); rmSync(base, { recursive: true, force: true }); });
  for (const path of ['/../secret.txt', '/%2e%2e/secret.txt', '/..%2fsecret.txt', '/%2e%2e%2fsecret.txt', '/wasm/../../secret.txt', '/%00', '/%zz']) {
    const r = await get(url, path);
    assert.notEqual(r.status, 200, path);
    assert.ok(!r.body.includes('secret'), path);
  }
  assert.equal(resolveInside(dir, '/../x'), null);
  assert.equal(resolveInside(dir, '/a/b.js'), join(dir, 'a/b.js'));
});

test('build-site assembles the page, the engine and uPlot, without the CLI or dev files', () => {
  const out = mkdtempSync(join(tmpdir(), 'accumlab-site-'));
  const engine = process.env.ACCUMLAB_ENGINE_DIR ? resolve(process.env.ACCUMLAB_ENGINE_DIR) : undefined;
  try {
    buildSite({ out, engine });
    // The repository's layout: the page's relative imports work in both.
    for (const f of ['index.html', 'web/index.html', 'web/style.css', 'web/main.mjs', 'web/state.mjs', 'web/charts.mjs',
      'web/panel.mjs', 'web/controls.mjs', 'web/client.mjs', 'web/worker.mjs', 'web/protocol.mjs', 'wasm/accumlab.mjs',
      'wasm/contract.mjs', 'wasm/accumlab.wasm', 'wasm/accumlab-scalar.wasm', 'node_modules/uplot/dist/uPlot.esm.js',
      'node_modules/uplot/dist/uPlot.min.css']) {
      assert.ok(existsSync(join(out, f)), `${f} is in the site`);
    }
    for (const f of ['web/tools', 'web/dist', 'wasm/cli.mjs']) assert.ok(!existsSync(join(out, f)), `${f} is not in the site`);
  } finally {
    rmSync(out, { recursive: true, force: true });
  }
});

test('build-site names what is missing', () => {
  const empty = mkdtempSync(join(tmpdir(), 'accumlab-empty-'));
  try {
    assert.throws(() => buildSite({ out: join(empty, 'out'), engine: empty }), /accumlab\.wasm.*make wasm/s);
  } finally {
    rmSync(empty, { recursive: true, force: true });
  }
});
