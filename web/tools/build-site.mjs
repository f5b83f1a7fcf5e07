#!/usr/bin/env node
// web/tools/build-site.mjs — assembles the static lab into one directory (default build/site),
// in the repository's own layout, so the page's relative imports (../wasm/...,
// ../node_modules/uplot/...) are the same served from the repo root or from the site:
//
//   web/index.html, style.css, *.mjs    the page (web/, without tools/ and dist/)
//   wasm/*.mjs, wasm/*.wasm             the engine (SIMD and scalar builds; not the CLI)
//   node_modules/uplot/dist/uPlot.esm.js, uPlot.min.css   the chart library (no CDN)
//   index.html                          a link to web/ (meta refresh)
//
// Usage: node web/tools/build-site.mjs [--out DIR] [--engine DIR]
//   --engine DIR  where accumlab.mjs and the .wasm files are (default: wasm/)
// Exits non-zero with a message naming what is missing.
import { cpSync, existsSync, mkdirSync, readdirSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '../..');

const REDIRECT = `<!doctype html>
<meta charset="utf-8">
<meta http-equiv="refresh" content="0; url=web/">
<title>accumlab</title>
<a href="web/">accumlab: the lab</a>
`;

/** Builds the site; returns the output directory. Throws an Error naming what is missing. */
export function buildSite({ out = join(ROOT, 'build/site'), engine = join(ROOT, 'wasm') } = {}) {
  const web = join(ROOT, 'web');
  const uplot = join(ROOT, 'node_modules/uplot/dist');
  const need = [
    [join(engine, 'accumlab.mjs'), 'the engine module: is the wasm binding written?'],
    [join(engine, 'accumlab.wasm'), 'the SIMD build: run `make wasm`'],
    [join(engine, 'accumlab-scalar.wasm'), 'the scalar build: run `make wasm`'],
    [join(uplot, 'uPlot.esm.js'), 'uPlot: run `make deps` (npm install)'],
  ];
  const missing = need.filter(([p]) => !existsSync(p));
  if (missing.length) {
    throw new Error(`build-site: missing files:\n${missing.map(([p, why]) => `  ${p} (${why})`).join('\n')}`);
  }

  rmSync(out, { recursive: true, force: true });
  mkdirSync(join(out, 'web'), { recursive: true });
  mkdirSync(join(out, 'wasm'), { recursive: true });
  mkdirSync(join(out, 'node_modules/uplot/dist'), { recursive: true });

  for (const name of readdirSync(web)) {
    const p = join(web, name);
    if (statSync(p).isFile() && /\.(html|css|mjs|js|svg|png|ico|json)$/.test(name)) cpSync(p, join(out, 'web', name));
  }
  // The engine: its ES module(s) and both builds. The CLI stays out (Node only).
  for (const name of readdirSync(engine)) {
    if (/\.wasm$/.test(name) || (/\.m?js$/.test(name) && !/^cli/.test(name))) {
      cpSync(join(engine, name), join(out, 'wasm', name));
    }
  }
  for (const name of ['uPlot.esm.js', 'uPlot.min.css', '../LICENSE']) {
    if (existsSync(join(uplot, name))) cpSync(join(uplot, name), join(out, 'node_modules/uplot/dist', name));
  }
  writeFileSync(join(out, 'index.html'), REDIRECT);
  return out;
}

function main(argv) {
  const opts = {};
  for (let i = 0; i < argv.length; i++) {
    if (argv[i] === '--out') opts.out = resolve(argv[++i]);
    else if (argv[i] === '--engine') opts.engine = resolve(argv[++i]);
    else {
      console.error(`build-site: unknown argument ${argv[i]}\nusage: node web/tools/build-site.mjs [--out DIR] [--engine DIR]`);
      process.exit(2);
    }
  }
  try {
    const out = buildSite(opts);
    console.log(`site assembled in ${out}`);
  } catch (e) {
    console.error(e.message);
    process.exit(1);
  }
}

if (process.argv[1] && resolve(process.argv[1]) === fileURLToPath(import.meta.url)) main(process.argv.slice(2));
