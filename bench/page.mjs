// bench/page.mjs — the lab page itself in headless Chromium (part of `make bench-browser`):
// the built site (web/, engine in a Worker) is served locally, every preset is chosen through
// its button, and we measure the time from the click to the verdict on the page (a preset
// acts at once: no debounce; the new results replace the old in one frame), and every long task
// (> 50 ms, PerformanceObserver 'longtask') on the page's UI thread, which includes rendering
// the charts and tables: during the runs, and separately while the page loads (before the
// first verdict). Prints a table, the median over every preset's clicks (issue 13's target:
// ≤ 150 ms) and PASS/FAIL for the page targets of issues 5 and 13; writes
// build/bench/page.json.
import { mkdirSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { PRESETS } from '../wasm/presets.mjs';
import { startLab, waitForVerdict } from '../tests/browser/helpers.mjs';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const ROUNDS = 3;
const lab = await startLab();
const { page, context } = await lab.newPage({ width: 1366, height: 768 });
await page.addInitScript(() => {
  window.__longTasks = [];
  new PerformanceObserver((list) => {
    for (const e of list.getEntries()) window.__longTasks.push({ start: e.startTime, ms: e.duration });
  }).observe({ type: 'longtask', buffered: true });
});
await page.goto(lab.url);
await waitForVerdict(page, 60000);
const loadTasks = await page.evaluate(() => window.__longTasks.slice());
const version = await page.context().browser().version();

const rows = [];
let runs = 0;
for (const preset of PRESETS) {
  const times = [];
  let longest = 0, count = 0;
  for (let r = 0; r < ROUNDS; r++) {
    // choosing the same preset again may not start a run: start from another one each time
    if (r > 0 || rows.length === 0) {
      const other = PRESETS.find((p) => p.id !== preset.id);
      await page.evaluate(() => { document.body.dataset.phase = 'clicked'; });
      await page.click(`button.preset[data-preset="${other.id}"]`);
      await waitForVerdict(page, 60000);
      runs++;
    }
    const before = await page.evaluate(() => window.__longTasks.length);
    await page.evaluate(() => { document.body.dataset.phase = 'clicked'; window.__t0 = performance.now(); });
    await page.click(`button.preset[data-preset="${preset.id}"]`);
    await waitForVerdict(page, 60000);
    runs++;
    times.push(await page.evaluate(() => performance.now() - window.__t0));
    const tasks = await page.evaluate((n) => window.__longTasks.slice(n), before);
    count += tasks.length;
    for (const t of tasks) longest = Math.max(longest, t.ms);
  }
  times.sort((a, b) => a - b);
  rows.push({ id: preset.id, steps: preset.config.steps, clickToVerdictMs: times[(times.length - 1) >> 1], maxMs: times.at(-1), longTasks: count, longestTaskMs: longest });
}
const all = (await page.evaluate(() => window.__longTasks)).slice(loadTasks.length);
await context.close();
await lab.close();

const pad = (s, n) => String(s).padEnd(n);
console.log(`the lab page in headless Chromium ${version}: every preset chosen through its button, median of ${ROUNDS} (ms)`);
console.log(`  ${pad('preset', 26)} ${pad('steps', 6)} click to verdict (max)   long tasks (longest)`);
for (const r of rows)
  console.log(`  ${pad(r.id, 26)} ${pad(r.steps ?? '', 6)} ${pad(`${r.clickToVerdictMs.toFixed(1)} (${r.maxMs.toFixed(1)})`, 24)} ${r.longTasks ? `${r.longTasks} (${r.longestTaskMs.toFixed(0)} ms)` : 'none'}`);
const slowest = Math.max(...rows.map((r) => r.maxMs));
const medians = rows.map((r) => r.clickToVerdictMs).sort((a, b) => a - b);
const overall = medians[(medians.length - 1) >> 1];
const longestTask = Math.max(0, ...all.map((t) => t.ms));
const fmtTasks = (ts) => `${ts.length}${ts.length ? ` (${ts.map((t) => `${t.ms.toFixed(0)} ms at ${t.start.toFixed(0)} ms`).join(', ')})` : ''}`;
console.log(`  long tasks on the UI thread while the page loads (before the first verdict): ${fmtTasks(loadTasks)}`);
console.log(`  long tasks on the UI thread during the ${runs} preset runs: ${fmtTasks(all)}`);
console.log(`  ${overall <= 150 ? 'PASS' : 'FAIL'}  click to verdict: median over the presets ${overall.toFixed(1)} ms (target ≤ 150 ms; fastest preset ${medians[0].toFixed(1)}, slowest ${medians.at(-1).toFixed(1)})`);
console.log(`  ${slowest < 1000 ? 'PASS' : 'FAIL'}  every preset from click to verdict in under 1 s (slowest: ${slowest.toFixed(1)} ms)`);
console.log(`  ${longestTask <= 50 ? 'PASS' : 'FAIL'}  UI thread never blocked over 50 ms during a run (longest: ${all.length ? `${longestTask.toFixed(0)} ms` : 'no long task'})`);
mkdirSync(join(root, 'build/bench'), { recursive: true });
writeFileSync(join(root, 'build/bench/page.json'), JSON.stringify({ chromium: version, rounds: ROUNDS, medianClickToVerdictMs: overall, presets: rows, loadLongTasks: loadTasks, runLongTasks: all }, null, 1));
console.log('wrote build/bench/page.json');
