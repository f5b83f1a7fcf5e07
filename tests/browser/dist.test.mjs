// The single-file lab (make dist → dist/accumlab.html): what the file contains, and that it
// works opened from disk (file://) and served over http from any path, also in a sandboxed
// iframe as a learning platform shows it. The file is built here, from the current sources,
// into a temporary directory.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync, copyFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import * as esbuild from 'esbuild';
import { buildDist, distPolicy, inlinePage } from '../../web/tools/build-dist.mjs';
import { serve } from '../../web/tools/serve.mjs';
import { PRESETS } from '../../wasm/presets.mjs';
import { stateFromConfig, urlFromState } from '../../web/state.mjs';
import {
  ROOT, downloadOf, launchChromium, newWatchedPage, readPanel, screenshot, setControl, waitForVerdict,
} from './helpers.mjs';

const engineDir = process.env.ACCUMLAB_ENGINE_DIR ? resolve(process.env.ACCUMLAB_ENGINE_DIR) : join(ROOT, 'wasm');
let dir; let built; let html; let fileURL; let browser;

before(async () => {
  dir = mkdtempSync(join(tmpdir(), 'accumlab-dist-test-'));
  const started = Date.now();
  built = await buildDist({ out: join(dir, 'accumlab.html'), engine: engineDir });
  built.ms = Date.now() - started;
  html = readFileSync(built.file, 'utf8');
  fileURL = pathToFileURL(built.file).href;
  browser = await launchChromium();
});
after(async () => {
  await browser?.close();
  if (dir) rmSync(dir, { recursive: true, force: true });
});

// ---- what the file contains

const sha256 = (text) => `'sha256-${createHash('sha256').update(text, 'utf8').digest('base64')}'`;
const elements = (tag) => [...html.matchAll(new RegExp(`<${tag}\\b([^>]*)>([\\s\\S]*?)</${tag}>`, 'gi'))]
  .map((m) => ({ attrs: m[1], text: m[2] }));
/** A CSP as {directive: sorted sources}. */
const policyOf = (text) => Object.fromEntries(text.split(';').map((d) => d.trim().split(/\s+/)).map(([n, ...v]) => [n, v.sort()]));

test('one inline module script with no imports, web/early.js inline before it, and no other scripts', async (t) => {
  t.diagnostic(`dist/accumlab.html: ${Math.round(built.bytes / 1024)} KB, of which the two wasm builds as base64 ${Math.round(built.wasmBase64Bytes / 1024)} KB; built in ${built.ms} ms`);
  const all = elements('script');
  assert.equal(all.length, 2, 'two script elements');
  // The classic one sets compact mode before the first paint (web/early.js), as it is.
  assert.match(all[0].attrs, /^\s*$/, 'a classic script, no src');
  assert.equal(all[0].text, readFileSync(join(ROOT, 'web/early.js'), 'utf8'));
  const scripts = all.slice(1);
  assert.match(scripts[0].attrs, /^\s*type="module"\s*$/, 'type="module", no src');
  // Bundling the script again finds nothing to import (an import would fail to resolve).
  const r = await esbuild.build({
    stdin: { contents: scripts[0].text, loader: 'js', resolveDir: dir }, bundle: true, write: false, metafile: true, format: 'esm', logLevel: 'silent',
  });
  assert.deepEqual(r.metafile.inputs['<stdin>'].imports, []);
  // The worker's source is a string inside it: no dynamic import or importScripts either.
  assert.doesNotMatch(html, /\bimport\s*\(|importScripts|import\.meta/);
  // uPlot is MIT: its copyright notice travels with it.
  assert.match(scripts[0].text, /Copyright \(c\) \d+, Leon Sorokin/);
});

test('nothing refers to another file: every src and href is inline (links to follow aside)', () => {
  const outside = [...html.replace(/<(script|style)\b[^>]*>[\s\S]*?<\/\1>/gi, '').matchAll(/<(\w+)\b[^>]*?\b(src|href|srcset|poster)\s*=\s*["']?([^"'\s>]*)/gi)]
    .filter(([, tag, attr, url]) => !/^(data:|#|$)/i.test(url) && !(tag.toLowerCase() === 'a' && attr.toLowerCase() === 'href'))
    .map(([m]) => m);
  assert.deepEqual(outside, []);
  assert.doesNotMatch(html, /<link\b[^>]*rel=["']?stylesheet/i, 'style sheets are inline');
  for (const s of elements('style')) assert.doesNotMatch(s.text, /url\(\s*['"]?(?!data:|#)/i, 'no url() to a file');
});

test('both wasm builds are inside, as base64', () => {
  for (const name of ['accumlab.wasm', 'accumlab-scalar.wasm']) {
    const b64 = readFileSync(join(engineDir, name)).toString('base64');
    assert.ok(html.includes(b64), `${name} inlined`);
  }
});

test('the CSP allows exactly the inline scripts and styles by hash, workers from blob:, no unsafe-inline/eval for scripts', () => {
  const metas = [...html.matchAll(/<meta\b[^>]*http-equiv="Content-Security-Policy"[^>]*content="([^"]*)"/gi)];
  assert.equal(metas.length, 1, 'one CSP meta tag');
  assert.ok(html.indexOf(metas[0][0]) < html.search(/<(script|style)\b/i), 'it comes before every script and style');
  const csp = policyOf(metas[0][1].replaceAll('&quot;', '"'));
  const scriptHashes = elements('script').map((s) => sha256(s.text));
  assert.deepEqual(csp['script-src'].filter((s) => s.startsWith("'sha")).sort(), scriptHashes.sort());
  assert.ok(csp['script-src'].includes("'wasm-unsafe-eval'"), 'wasm may compile');
  for (const bad of ["'unsafe-inline'", "'unsafe-eval'", "'self'", '*']) assert.ok(!csp['script-src'].includes(bad), bad);
  assert.deepEqual(csp['worker-src'], ['blob:']);
  const styleSrc = csp['style-src'];
  if (!styleSrc.includes("'unsafe-inline'")) {
    for (const s of elements('style')) assert.ok(styleSrc.includes(sha256(s.text)), 'every style element by hash');
  }
});

test('distPolicy: rewrites a served page\'s CSP for the single file, keeps the rest', () => {
  const h = { scriptHashes: ["'sha256-S'"], styleHashes: ["'sha256-C'"] };
  const served = "default-src 'self'; script-src 'self' 'unsafe-eval' 'wasm-unsafe-eval'; worker-src 'self' blob:; style-src 'self'; img-src 'self' data:";
  assert.deepEqual(policyOf(distPolicy(served, h)), {
    'default-src': ["'self'"], 'script-src': ["'sha256-S'", "'wasm-unsafe-eval'"], 'worker-src': ['blob:'],
    'style-src': ["'sha256-C'"], 'img-src': ["'self'", 'data:'].sort(),
  });
  // A hash would switch 'unsafe-inline' off, so styles that rely on it keep it alone.
  assert.deepEqual(policyOf(distPolicy("default-src 'self'; style-src 'self' 'unsafe-inline'", h))['style-src'], ["'self'", "'unsafe-inline'"]);
  // No policy of its own: a strict one is made; script-src from default-src when absent.
  const made = policyOf(distPolicy(null, h));
  assert.deepEqual(made['default-src'], ["'none'"]);
  assert.deepEqual(made['script-src'], ["'sha256-S'", "'wasm-unsafe-eval'"]);
  assert.deepEqual(policyOf(distPolicy("default-src 'self' 'unsafe-inline'", h))['script-src'], ["'sha256-S'", "'wasm-unsafe-eval'"]);
});

test('inlinePage: hashes inline styles the page already has; refuses what it cannot inline', async () => {
  const site = join(dir, 'fake-site');
  mkdirSync(site, { recursive: true });
  writeFileSync(join(site, 'main.mjs'), "import { x } from './x.mjs'; document.title = x;");
  writeFileSync(join(site, 'x.mjs'), "export const x = 'bundled';");
  writeFileSync(join(site, 'a.css'), 'body { color: red }');
  const page = (extra) => `<!doctype html><head><meta charset="utf-8"><link rel="stylesheet" href="a.css">
<style>p { margin: 0 }</style><script type="module" src="main.mjs"></script></head><body>${extra}</body>`;
  const { html: out, policy } = await inlinePage(page(''), site, '');
  const csp = policyOf(policy);
  assert.ok(csp['style-src'].includes(sha256('p { margin: 0 }')), 'the inline style by hash');
  assert.ok(csp['style-src'].includes(sha256('body { color: red }')), 'the inlined sheet by hash');
  assert.match(out, /document\.title = x/);
  assert.doesNotMatch(out, /\b(src|href)=/);
  await assert.rejects(inlinePage(page('<img src="logo.png">'), site, ''), /logo\.png/);
  writeFileSync(join(site, 'b.css'), 'body { background: url(bg.png) }');
  await assert.rejects(inlinePage(page('').replace('a.css', 'b.css'), site, ''), /bg\.png/);
});

// ---- in Chromium

/** A watched page that also records CSP violations (also those in frames). */
async function openPage(opts) {
  const w = await newWatchedPage(browser, opts);
  await w.context.addInitScript(() => {
    window.__cspViolations = [];
    document.addEventListener('securitypolicyviolation', (e) => {
      window.__cspViolations.push(`${e.violatedDirective}: ${e.blockedURI}`);
      console.error(`CSP violation: ${e.violatedDirective} blocked ${e.blockedURI}`);
    });
  });
  return w;
}

/** Runs body(page); then no console errors, no CSP violations, no requests but `allowed`. */
async function withPage(allowed, body, opts) {
  const { page, context, problems, requests } = await openPage(opts);
  try {
    await body(page);
    assert.deepEqual(problems, [], 'no console errors, page errors or failed requests');
    const foreign = requests.filter((u) => !allowed.some((a) => u.startsWith(a)) && !u.startsWith('blob:') && !u.startsWith('data:'));
    assert.deepEqual(foreign, [], 'no requests but the file itself (and its blob: worker)');
  } finally {
    await context.close();
  }
}

const presetURL = (id) => {
  const p = PRESETS.find((x) => x.id === id);
  assert.ok(p, `preset ${id}`);
  return { preset: p, query: urlFromState(stateFromConfig(p.config).state) };
};

test('file://: the default experiment runs on the SIMD build; mean loss, no fix: gradients 4 ×', async () => {
  await withPage([fileURL], async (page) => {
    await page.goto(fileURL);
    await waitForVerdict(page);
    const p = await readPanel(page);
    assert.equal(p.grads, 'scaled');
    assert.match(p.head, /Not the same/);
    assert.match(p.head, /4 ×/);
    assert.equal(p.table.grad.normRatio, '4.0000');
    assert.ok(p.causes.includes('mean_unscaled'), `causes: ${p.causes}`);
    assert.equal(await page.evaluate(() => document.body.dataset.engine), 'simd');
    // The charts (uPlot, bundled) drew, styled by the inlined sheets.
    assert.ok(await page.locator('figure.chart canvas').count() >= 3, 'charts drawn');
    assert.equal(await page.locator('.uplot').first().evaluate((e) => getComputedStyle(e).width !== 'auto'), true);
    assert.deepEqual(await page.evaluate(() => window.__cspViolations), []);
    await screenshot(page, 'dist-file-default');
  });
});

test('file://: a crafted 400 kB link (m=1& x 100,000) is handled in linear time and reported in a few lines', async () => {
  await withPage([fileURL], async (page) => {
    await page.addInitScript(() => {
      window.__longTasks = [];
      new PerformanceObserver((list) => { for (const e of list.getEntries()) window.__longTasks.push(e.duration); })
        .observe({ type: 'longtask', buffered: true });
    });
    await page.goto(`${fileURL}?${'m=1&'.repeat(100000)}`);
    await waitForVerdict(page);
    const longest = Math.max(0, ...await page.evaluate(() => window.__longTasks));
    assert.ok(longest < 1000, `the longest task took ${longest} ms`);
    assert.equal(await page.locator('#url-message li').count(), 11, 'ten problems and a count of the rest');
    assert.match(await page.locator("#url-message").innerText(), /… and 99989 more\./, "99,999 repeats, ten listed");
    assert.equal((await readPanel(page)).grads, 'scaled', 'm=1 (the first value) is used');
  });
});

test('file://: the PyTorch script download works from the single file', async () => {
  await withPage([fileURL], async (page) => {
    await page.goto(`${fileURL}?preset=forum-sum`);
    await waitForVerdict(page);
    const script = await downloadOf(page, '#export-torch');
    assert.match(script.name, /^forum-sum-[0-9a-f]{8}-5steps\.py$/);
    const text = script.bytes.toString('utf8');
    assert.match(text, /^#!\/usr\/bin\/env python3\n/);
    assert.match(text, /torch\.manual_seed\(SEED\)  # init 'torch'/, 'the forum preset starts from PyTorch\'s own init');
    assert.deepEqual(await page.evaluate(() => window.__cspViolations), []);
  });
});

test('file://: a preset from the URL query shows its verdict; ?simd=0 runs the scalar build', async () => {
  // A preset as its settings, as its settings on the scalar build, and as a compact ?preset= link.
  for (const [id, link, simd] of [['poorer-results-dropout', 'settings', null], ['sum-reduction', 'settings', '0'], ['forum-mean-lr', 'preset', null]]) {
    const { preset, query } = presetURL(id);
    const url = `${fileURL}${link === 'preset' ? `?preset=${id}&embed=1` : query}${simd ? `&simd=${simd}` : ''}`;
    await withPage([fileURL], async (page) => {
      await page.goto(url);
      await waitForVerdict(page);
      const p = await readPanel(page);
      assert.equal(p.grads, preset.expect.grads, `${id}: gradients`);
      assert.equal(p.params, preset.expect.params, `${id}: parameters`);
      for (const c of preset.expect.causes) assert.ok(p.causes.includes(c), `${id}: cause ${c} in ${p.causes}`);
      assert.equal(await page.evaluate(() => document.body.dataset.engine), simd === '0' ? 'scalar' : 'simd');
      if (link === 'preset') await screenshot(page, 'dist-file-preset-embed');
      if (simd === '0') {
        assert.match(await page.locator('#engine-note').innerText(), /scalar build \(forced/);
        await screenshot(page, 'dist-file-sum-scalar');
      }
    });
  }
});

test('file://: settings go into the URL and back/forward restores them', async () => {
  await withPage([fileURL], async (page) => {
    await page.goto(fileURL);
    await waitForVerdict(page);
    await page.evaluate(() => { document.body.dataset.phase = 'clicked'; });
    await setControl(page, 'k', 2);
    await waitForVerdict(page);
    assert.equal(new URL(page.url()).search, '?k=2');
    assert.match((await readPanel(page)).head, /2 ×/);
    await page.goBack();
    await page.waitForFunction(() => document.getElementById('c-k').value === '4');
    assert.equal(new URL(page.url()).search, '');
    await page.reload();
    await waitForVerdict(page);
    assert.match((await readPanel(page)).head, /4 ×/);
  });
});

test('served over http from any path, alone and in a sandboxed iframe (a learning platform)', async () => {
  const root = join(dir, 'site');
  const course = join(root, 'pluginfile.php/42/mod_resource/content/1');
  mkdirSync(course, { recursive: true });
  copyFileSync(built.file, join(course, 'accumlab.html'));
  writeFileSync(join(root, 'pluginfile.php/42/course.html'), `<!doctype html><meta charset="utf-8"><link rel="icon" href="data:,">
<title>A course page</title><h1>Week 3: gradient accumulation</h1>
<iframe sandbox="allow-scripts" src="mod_resource/content/1/accumlab.html?k=2" width="1000" height="900" title="accumlab"></iframe>`);
  const { server, url } = await serve(root, 0);
  try {
    const base = `${url}pluginfile.php/42/`;
    await withPage([base], async (page) => {
      await page.goto(`${base}mod_resource/content/1/accumlab.html?k=8`);
      await waitForVerdict(page);
      assert.match((await readPanel(page)).head, /8 ×/);
    });
    await withPage([base], async (page) => {
      await page.goto(`${base}course.html`);
      const frame = page.frames().find((f) => f.url().includes('accumlab.html'));
      assert.ok(frame, 'the lab frame');
      await waitForVerdict(frame);
      assert.match((await readPanel(frame)).head, /2 ×/);
      // The URL state works in the sandbox too (an opaque origin).
      await frame.evaluate(() => { document.body.dataset.phase = 'clicked'; });
      await setControl(frame, 'k', 8); // 256 samples make whole groups of 8 × 8: a pure ×8 at every step
      await waitForVerdict(frame);
      assert.match((await readPanel(frame)).head, /8 ×/);
      assert.equal(new URL(frame.url()).search, '?k=8');
      assert.deepEqual(await frame.evaluate(() => window.__cspViolations), []);
      await screenshot(page, 'dist-lms-iframe');
    }, { width: 1100, height: 1000 });
  } finally {
    await new Promise((ok) => server.close(ok));
  }
});
