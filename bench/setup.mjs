// bench/setup.mjs — BENCH_PART=setup: what creating an experiment costs next to training it
// (issue 14): start() with MNIST-sized explicit data (typed-array rows: binary blocks) against
// its first 8 compare steps, and the JSON text path's reading speed (the same data as text).

const SHAPES = [
  { name: '1024x784', N: 1024, IN: 784, sizes: [784, 512, 512, 10] },
  { name: '4096x64', N: 4096, IN: 64, sizes: [64, 256, 256, 10] },
];

const median = (xs) => xs.slice().sort((a, b) => a - b)[xs.length >> 1];

function dataOf({ N, IN }) {
  const inputs = Array.from({ length: N }, (_, i) => Float32Array.from({ length: IN }, (_, j) => Math.sin(i * 7 + j)));
  return { inputs, targets: Array.from({ length: N }, (_, i) => i % 10) };
}

/** {name: {start, steps8, ratio, jsonMBps, jsonMB}} medians over `rounds` (ms). */
export function measureSetup(lab, rounds, log) {
  const out = {};
  for (const s of SHAPES) {
    const data = dataOf(s);
    const config = { data, model: { sizes: s.sizes }, loss: 'cross_entropy', batchSize: 8, accumSteps: 4, steps: 8 };
    const starts = [], steps = [];
    for (let r = 0; r < rounds; r++) {
      const t0 = performance.now();
      const run = lab.start(config);
      const t1 = performance.now();
      while (run.step()) { /* the first 8 compare steps */ }
      steps.push(performance.now() - t1);
      starts.push(t1 - t0);
      run.free();
    }
    const text = JSON.stringify({ ...config, data: { inputs: data.inputs.map((r) => Array.from(r)), targets: data.targets } });
    const json = [];
    for (let r = 0; r < Math.min(3, rounds); r++) {
      const t0 = performance.now();
      lab.start(text).free();
      json.push(performance.now() - t0);
    }
    const start = median(starts), steps8 = median(steps), jsonMs = median(json);
    out[s.name] = { start, steps8, ratio: start / steps8, jsonMs, jsonMB: text.length / 1e6, jsonMBps: text.length / 1e6 / (jsonMs / 1000) };
    log(`  ${s.name.padEnd(9)} start ${start.toFixed(1)} ms  first 8 compare steps ${steps8.toFixed(1)} ms  ratio ${(start / steps8).toFixed(2)}` +
      `  | the same data as JSON text (${(text.length / 1e6).toFixed(1)} MB): start ${jsonMs.toFixed(0)} ms = ${(text.length / 1e6 / (jsonMs / 1000)).toFixed(0)} MB/s`);
  }
  return out;
}
