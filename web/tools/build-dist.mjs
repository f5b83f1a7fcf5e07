#!/usr/bin/env node
// web/tools/build-dist.mjs — the single-file lab: dist/accumlab.html, one self-contained page
// that works opened from disk (file://) or uploaded to a learning platform.
//
//   1. assemble the site as `make site` does (web/tools/build-site.mjs) in a temporary directory,
//      so the page's current files are what gets bundled;
//   2. bundle the engine worker (web/dist/worker-entry.mjs: protocol + engine + both wasm
//      builds as base64) into one classic script, with esbuild;
//   3. bundle each module script of index.html (main.mjs) into one inline module script with no
//      imports; web/dist/engine-host.mjs replaces web/engine-host.mjs and starts the worker from
//      a Blob URL of step 2's source (module scripts and workers from files are blocked on file://);
//   4. inline the style sheets, and rewrite the Content-Security-Policy meta tag: the inline
//      scripts and styles allowed by their sha256 hashes, workers from blob: only, no
//      'unsafe-inline' or 'unsafe-eval' for scripts (one is generated if index.html has none).
// The page then makes no request at all. The build fails, naming it, on anything it cannot
// inline (another external file, a url() in CSS, an import left in a bundle).
//
// Usage: node web/tools/build-dist.mjs [--out FILE] [--engine DIR]
import { createHash } from 'node:crypto';
import { cpSync, existsSync, mkdirSync, mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import * as esbuild from 'esbuild';
import { buildSite } from './build-site.mjs';

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '../..');
const TARGET = ['chrome100', 'firefox100', 'safari15']; // all have module scripts, wasm, Blob workers

/** The CSP for a page with no policy of its own; the hashes and blob: are added to it. */
const DEFAULT_POLICY = "default-src 'none'; img-src data: blob:; base-uri 'none'";

/**
 * Builds the single-file page. Options: out (default dist/accumlab.html), engine (where
 * accumlab.mjs and the .wasm files are; default wasm/).
 * Returns {file, bytes, wasmBase64Bytes, policy}.
 */
export async function buildDist({ out = join(ROOT, 'dist/accumlab.html'), engine } = {}) {
  const site = mkdtempSync(join(tmpdir(), 'accumlab-dist-'));
  try {
    buildSite({ out: site, engine });
    // The dist modules use the site's paths (../protocol.mjs, ../../wasm/...), as in the repo.
    const pageDir = join(site, 'web');
    mkdirSync(join(pageDir, 'dist'));
    for (const name of readdirSync(join(ROOT, 'web/dist'))) cpSync(join(ROOT, 'web/dist', name), join(pageDir, 'dist', name));

    const workerSource = await bundle({
      entryPoints: [join(pageDir, 'dist/worker-entry.mjs')], absWorkingDir: site,
      format: 'iife',
      loader: { '.wasm': 'base64' },
      // accumlab.mjs reads files with node:fs in Node only; import.meta.url is only used
      // when no wasmBytes are given. Neither is reached in the page.
      plugins: [nodeBuiltinsUnavailable()],
      define: { 'import.meta.url': 'undefined' },
    });
    const html = readFileSync(join(pageDir, 'index.html'), 'utf8');
    const page = await inlinePage(html, pageDir, workerSource);
    mkdirSync(dirname(out), { recursive: true });
    writeFileSync(out, page.html);
    const wasmBase64Bytes = ['accumlab.wasm', 'accumlab-scalar.wasm']
      .reduce((n, f) => n + Math.ceil(readFileSync(join(site, 'wasm', f)).length / 3) * 4, 0);
    return { file: out, bytes: Buffer.byteLength(page.html), wasmBase64Bytes, policy: page.policy };
  } finally {
    rmSync(site, { recursive: true, force: true });
  }
}

/** One esbuild bundle as text; fails on warnings and on any import left in the output. */
async function bundle(options) {
  const result = await esbuild.build({
    bundle: true, write: false, metafile: true, platform: 'browser', target: TARGET,
    charset: 'utf8', legalComments: 'inline', logLevel: 'silent', outdir: 'out', ...options,
  });
  if (result.warnings.length) {
    const text = await esbuild.formatMessages(result.warnings, { kind: 'warning' });
    throw new Error(`build-dist: esbuild warnings:\n${text.join('\n')}`);
  }
  const left = Object.values(result.metafile.outputs).flatMap((o) => o.imports);
  if (left.length) throw new Error(`build-dist: imports left in a bundle: ${left.map((i) => i.path).join(', ')}`);
  const js = result.outputFiles.find((f) => f.path.endsWith('.js')).text;
  // Inside an inline <script>, "</script" ends the element and "<!--" changes how it is parsed.
  if (/<\/script|<!--/i.test(js)) throw new Error('build-dist: a bundle contains "</script" or "<!--"');
  return js;
}

/** node:* imports become a module whose functions say they are not available here. */
function nodeBuiltinsUnavailable() {
  return {
    name: 'node-builtins-unavailable',
    setup(build) {
      build.onResolve({ filter: /^node:/ }, (args) => ({ path: args.path, namespace: 'node-unavailable' }));
      build.onLoad({ filter: /.*/, namespace: 'node-unavailable' }, (args) => ({
        contents: `const unavailable = () => { throw new Error('${args.path} is not available in the single-file page'); };
export const readFile = unavailable;`,
        loader: 'js',
      }));
    },
  };
}

/** engine-host.mjs → web/dist/engine-host.mjs; 'accumlab-dist:worker-source' → the worker bundle. */
function distEngineHost(site, workerSource) {
  return {
    name: 'dist-engine-host',
    setup(build) {
      build.onResolve({ filter: /(^|\/)engine-host\.mjs$/ }, (args) => (
        args.importer.startsWith(join(site, 'dist')) ? undefined : { path: join(site, 'dist/engine-host.mjs') }));
      build.onResolve({ filter: /^accumlab-dist:worker-source$/ }, () => ({ path: 'worker-source', namespace: 'accumlab-dist' }));
      build.onLoad({ filter: /.*/, namespace: 'accumlab-dist' }, () => ({
        contents: `export default ${JSON.stringify(workerSource)};`, loader: 'js',
      }));
    },
  };
}

/** The copyright notices at the top of the libraries the page loads (uPlot), kept. */
function vendorNotices(pageDir) {
  const dir = join(pageDir, '../node_modules/uplot/dist');
  if (!existsSync(dir)) return '';
  return readdirSync(dir).filter((f) => /\.esm\.js$/.test(f)).map((f) => {
    const head = readFileSync(join(dir, f), 'utf8').match(/^\s*\/\*([\s\S]*?)\*\//);
    return head && /copyright|licen[cs]e/i.test(head[1]) ? `/*!${head[1].replace(/^\*/, '')}*/` : '';
  }).filter(Boolean).join('\n');
}

const sha256 = (text) => `'sha256-${createHash('sha256').update(text, 'utf8').digest('base64')}'`;

function attributes(tag) {
  const attrs = {};
  for (const m of tag.replace(/^<\w+|\/?>$/g, '').matchAll(/([\w:-]+)(?:\s*=\s*(?:"([^"]*)"|'([^']*)'|([^\s"'>]+)))?/g)) {
    attrs[m[1].toLowerCase()] = m[2] ?? m[3] ?? m[4] ?? '';
  }
  return attrs;
}

const isInlineURL = (u) => /^(data:|#|$)/i.test(u.trim());

/** index.html with its scripts and style sheets inlined and the CSP rewritten. */
export async function inlinePage(html, site, workerSource) {
  const parts = []; // inline contents, put in after the markup around them is checked
  const placeholder = (i) => `\u0000${i}\u0000`;
  const scriptHashes = [];
  const styleHashes = [];
  let policySource = null;
  // Inline scripts and styles the page already has need their hashes too.
  for (const m of html.matchAll(/<(script|style)\b([^>]*)>([\s\S]*?)<\/\1>/gi)) {
    if (/\bsrc\s*=/i.test(m[2])) continue;
    (m[1].toLowerCase() === 'script' ? scriptHashes : styleHashes).push(sha256(m[3]));
  }

  // Style sheets: <link rel="stylesheet" href="X"> → <style>X's text</style>.
  html = html.replace(/<link\b[^>]*>/gi, (tag) => {
    const a = attributes(tag);
    if (!/(^|\s)stylesheet(\s|$)/i.test(a.rel ?? '')) return tag;
    const css = readFileSync(join(site, a.href), 'utf8');
    const urls = [...css.matchAll(/url\(\s*['"]?([^'")]*)/gi)].map((m) => m[1]).filter((u) => !isInlineURL(u));
    if (urls.length) throw new Error(`build-dist: ${a.href} refers to files: ${urls.join(', ')}`);
    if (/<\/style/i.test(css)) throw new Error(`build-dist: ${a.href} contains "</style"`);
    styleHashes.push(sha256(css));
    parts.push(css);
    return `<style>${placeholder(parts.length - 1)}</style>`;
  });

  // Module scripts: <script type="module" src="X"></script> → the bundle of X, inline.
  // Classic scripts (small, no imports: run before the first paint) are inlined as they are.
  const scripts = [...html.matchAll(/<script\b[^>]*\bsrc\s*=[^>]*>\s*<\/script>/gi)];
  for (const [tag] of scripts) {
    const a = attributes(tag.replace(/<\/script>$/i, ''));
    if (a.type !== 'module') {
      const js = readFileSync(join(site, a.src), 'utf8');
      if (/<\/script|<!--/i.test(js)) throw new Error(`build-dist: ${a.src} contains "</script" or "<!--"`);
      scriptHashes.push(sha256(js));
      parts.push(js);
      html = html.replace(tag, () => `<script>${placeholder(parts.length - 1)}</script>`);
      continue;
    }
    const js = await bundle({
      entryPoints: [join(site, a.src)], absWorkingDir: site, format: 'esm', plugins: [distEngineHost(site, workerSource)],
      banner: { js: vendorNotices(site) },
    });
    scriptHashes.push(sha256(js));
    parts.push(js);
    html = html.replace(tag, () => `<script type="module">${placeholder(parts.length - 1)}</script>`);
  }

  // The CSP meta tag: read, then put back rewritten right after <meta charset> (it only
  // governs what comes after it).
  html = html.replace(/\s*<meta\b[^>]*http-equiv\s*=\s*["']?content-security-policy["']?[^>]*>/gi, (tag) => {
    policySource = attributes(tag).content;
    return '';
  });
  const policy = distPolicy(policySource, { scriptHashes, styleHashes });
  const meta = `<meta http-equiv="Content-Security-Policy" content="${policy.replaceAll('"', '&quot;')}">`;
  if (!/<meta\s+charset[^>]*>/i.test(html)) throw new Error('build-dist: index.html has no <meta charset>');
  html = html.replace(/<meta\s+charset[^>]*>/i, (tag) => `${tag}\n  ${meta}`);

  // Nothing else may load a file: every src, and every href but links to follow, is inline.
  for (const m of html.matchAll(/<(\w+)\b[^>]*>/g)) {
    const a = attributes(m[0]);
    for (const name of ['src', 'href', 'srcset', 'poster', 'data']) {
      if (name in a && !isInlineURL(a[name]) && !(name === 'href' && m[1].toLowerCase() === 'a')) {
        throw new Error(`build-dist: index.html loads ${a[name]} (${m[0]}): inline it or drop it`);
      }
    }
  }
  html = html.replace(/\u0000(\d+)\u0000/g, (_, i) => parts[Number(i)]);
  return { html, policy };
}

/**
 * The single file's CSP from the page's own (or DEFAULT_POLICY): script-src keeps its
 * sources except 'self', 'unsafe-inline', 'unsafe-eval' and 'strict-dynamic', gains the
 * scripts' hashes and 'wasm-unsafe-eval'; worker-src is blob:; style-src gains the style
 * sheets' hashes unless it allows 'unsafe-inline' (a hash would switch that off). The other
 * directives stay as they are.
 */
export function distPolicy(source, { scriptHashes, styleHashes }) {
  const directives = new Map();
  for (const part of (source || DEFAULT_POLICY).split(';')) {
    const [name, ...tokens] = part.trim().split(/\s+/);
    if (name) directives.set(name.toLowerCase(), tokens);
  }
  const fallback = directives.get('default-src') ?? ["'none'"];
  const without = (tokens, drop) => tokens.filter((t) => !drop.includes(t.toLowerCase()) && t !== "'none'");
  const scriptSrc = (tokens) => [...new Set([
    ...without(tokens, ["'self'", "'unsafe-inline'", "'unsafe-eval'", "'strict-dynamic'"]), ...scriptHashes, "'wasm-unsafe-eval'"])];
  directives.set('script-src', scriptSrc(directives.get('script-src') ?? fallback));
  if (directives.has('script-src-elem')) directives.set('script-src-elem', scriptSrc(directives.get('script-src-elem')));
  directives.set('worker-src', ['blob:']);
  for (const name of ['style-src', 'style-src-elem']) {
    if (name === 'style-src-elem' && !directives.has(name)) continue;
    const tokens = directives.get(name) ?? fallback;
    if (tokens.some((t) => t.toLowerCase() === "'unsafe-inline'")) directives.set(name, tokens);
    else directives.set(name, [...new Set([...without(tokens, ["'self'"]), ...styleHashes])]);
  }
  return [...directives].map(([name, tokens]) => [name, ...tokens].join(' ')).join('; ');
}

async function main(argv) {
  const opts = {};
  for (let i = 0; i < argv.length; i++) {
    if (argv[i] === '--out') opts.out = resolve(argv[++i]);
    else if (argv[i] === '--engine') opts.engine = resolve(argv[++i]);
    else {
      console.error(`build-dist: unknown argument ${argv[i]}\nusage: node web/tools/build-dist.mjs [--out FILE] [--engine DIR]`);
      process.exit(2);
    }
  }
  try {
    const r = await buildDist(opts);
    const kb = (n) => `${Math.round(n / 1024)} KB`;
    console.log(`${r.file}: ${kb(r.bytes)} (of which both wasm builds as base64: ${kb(r.wasmBase64Bytes)})`);
  } catch (e) {
    console.error(e.message);
    process.exit(1);
  }
}

if (process.argv[1] && resolve(process.argv[1]) === fileURLToPath(import.meta.url)) await main(process.argv.slice(2));
