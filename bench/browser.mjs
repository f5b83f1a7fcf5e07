// bench/browser.mjs — `make bench-browser`: every preset of wasm/presets.mjs (and a few bigger
// lab configs) run in headless Chromium, from a blank page that imports wasm/accumlab.mjs over a
// tiny local static server. Per config: the whole run's time (lab.compare, the SIMD build), and
// the same run stepped one optimizer step per task (as the page's worker does), with the
// longest step and the longest task the browser reports (PerformanceObserver 'longtask').
// Here the core runs on the page's main thread, so the longest task is an upper bound of what
// the page's UI thread would see (the page runs the core in a Worker). Medians of ROUNDS runs.
// Prints a table and writes build/bench/browser.json.
import { createServer } from 'node:http';
import { readFileSync, mkdirSync, writeFileSync, existsSync } from 'node:fs';
import { dirname, join, normalize } from 'node:path';
import { fileURLToPath } from 'node:url';
import { createRequire } from 'node:module';
import { PRESETS } from '../wasm/presets.mjs';

const require = createRequire(import.meta.url);
const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 5);

// a handful of typical lab configs beyond the presets: bigger models and batches
const EXTRA = [
  { id: 'digits-64-256-256-10-m8k4', config: { data: { name: 'digits', n: 1797 }, model: { sizes: [64, 256, 256, 10], activation: 'relu' }, loss: 'cross_entropy', batchSize: 8, accumSteps: 4, steps: 50 } },
  { id: 'digits-64-128-10-m16k8-tanh', config: { data: { name: 'digits', n: 1797 }, model: { sizes: [64, 128, 10], activation: 'tanh' }, loss: 'cross_entropy', batchSize: 16, accumSteps: 8, steps: 50 } },
  { id: 'moons-default-50', config: { data: { name: 'moons', n: 256 }, steps: 50 } },
  { id: 'spirals-2-64-64-2-m32k4', config: { data: { name: 'spirals', n: 512 }, model: { sizes: [2, 64, 64, 2], activation: 'tanh' }, batchSize: 32, accumSteps: 4, steps: 50 } },
];
const CONFIGS = [...PRESETS.map((p) => ({ id: p.id, config: p.config })), ...EXTRA];

const PAGE = `<!doctype html><meta charset="utf-8"><title>accumlab bench</title>
<script type="module">
  import { createLab } from '/wasm/accumlab.mjs';
  const longTasks = [];
  new PerformanceObserver((list) => { for (const e of list.getEntries()) longTasks.push(e.duration); })
    .observe({ type: 'longtask', buffered: true });
  const tick = () => new Promise((r) => setTimeout(r, 0));
  window.bench = async (configs, rounds) => {
    const lab = await createLab();
    const out = [];
    for (const { id, config } of configs) {
      const whole = [], stepped = [], maxStep = [], maxTask = [];
      for (let r = 0; r < rounds; r++) {
        let t = performance.now();
        const res = lab.compare(config);
        whole.push(performance.now() - t);
        await tick();
        longTasks.length = 0;
        const run = lab.start(config);
        let worst = 0;
        t = performance.now();
        for (;;) {
          const s = performance.now();
          const more = run.step();
          worst = Math.max(worst, performance.now() - s);
          if (!more) break;
          await tick();
        }
        stepped.push(performance.now() - t);
        run.free();
        await tick();
        maxStep.push(worst);
        maxTask.push(longTasks.length ? Math.max(...longTasks) : 0);
        if (r === 0) out.push({ id, steps: res.steps?.length ?? null, simd: lab.simd });
      }
      Object.assign(out[out.length - 1], { whole, stepped, maxStep, maxTask });
    }
    return out;
  };
  window.ready = true;
</script>`;

const MIME = { '.mjs': 'text/javascript', '.js': 'text/javascript', '.wasm': 'application/wasm', '.json': 'application/json' };
function serve() {
  const server = createServer((req, res) => {
    const path = decodeURIComponent(new URL(req.url, 'http://x').pathname);
    if (path === '/') {
      res.writeHead(200, { 'Content-Type': 'text/html; charset=utf-8' });
      return res.end(PAGE);
    }
    const file = normalize(join(root, path));
    if (!file.startsWith(join(root, 'wasm') + '/') || !existsSync(file)) {
      res.writeHead(404);
      return res.end('not found');
    }
    const ext = file.slice(file.lastIndexOf('.'));
    res.writeHead(200, { 'Content-Type': MIME[ext] ?? 'application/octet-stream' });
    res.end(readFileSync(file));
  });
  return new Promise((resolve) => server.listen(0, '127.0.0.1', () => resolve(server)));
}

const median = (xs) => { const s = [...xs].sort((a, b) => a - b); const n = s.length; return n % 2 ? s[(n - 1) / 2] : (s[n / 2 - 1] + s[n / 2]) / 2; };

const { chromium } = require('playwright-core');
const server = await serve();
const port = server.address().port;
const browser = await chromium.launch({
  executablePath: process.env.CHROMIUM ?? '/usr/bin/chromium',
  args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking',
    '--disable-component-update', '--disable-sync'],
});
try {
  const page = await browser.newPage();
  page.on('pageerror', (e) => console.error('page error:', e.message));
  await page.goto(`http://127.0.0.1:${port}/`);
  await page.waitForFunction(() => window.ready === true);
  const version = browser.version();
  const results = await page.evaluate(([c, r]) => window.bench(c, r), [CONFIGS, ROUNDS]);
  console.log(`accumlab in headless Chromium ${version}: ${CONFIGS.length} configs, median of ${ROUNDS} runs each (ms)`);
  console.log('  config                          steps  whole run  stepped (one step per task)  longest step  longest task');
  let worstTotal = 0, worstTask = 0;
  for (const r of results) {
    const w = median(r.whole), s = median(r.stepped), ms = Math.max(...r.maxStep), mt = Math.max(...r.maxTask);
    worstTotal = Math.max(worstTotal, w);
    worstTask = Math.max(worstTask, ms, mt);
    r.summary = { wholeMedian: w, steppedMedian: s, longestStep: ms, longestTask: mt };
    console.log(`  ${r.id.padEnd(32)}${String(r.steps).padStart(5)}  ${w.toFixed(1).padStart(9)}  ${s.toFixed(1).padStart(27)}  ${ms.toFixed(2).padStart(12)}  ${mt ? mt.toFixed(0).padStart(12) : '        none'}`);
  }
  console.log(`  ${worstTotal < 1000 ? 'PASS' : 'FAIL'}  every config completes in under 1 s (slowest: ${worstTotal.toFixed(1)} ms)`);
  console.log(`  ${worstTask <= 50 ? 'PASS' : 'FAIL'}  no step or task over 50 ms (longest: ${worstTask.toFixed(1)} ms)`);
  mkdirSync(join(root, 'build/bench'), { recursive: true });
  writeFileSync(join(root, 'build/bench/browser.json'), JSON.stringify({ chromium: version, rounds: ROUNDS, results }, null, 2));
  console.log('wrote build/bench/browser.json');
} finally {
  await browser.close();
  server.close();
}
