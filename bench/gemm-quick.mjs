// bench/gemm-quick.mjs — GFLOP/s of the three GEMM forms and the peak, SIMD wasm only (a
// development aid; bench/run.mjs is the full benchmark).
import { loadBench, median, timeRounds } from './load.mjs';
const x = await loadBench(process.argv[2] ?? 'build/bench/bench.wasm');
const peakIters = 2e7;
for (const ch of [4, 6, 8, 9, 10, 12]) {
  const pk = timeRounds(() => x.bench_peak(ch, peakIters), 5);
  console.log("peak", ch, (x.bench_peak(ch, peakIters) * 1 / median(pk) / 1e6).toFixed(1), 'GFLOP/s');
}
const shapes = [[128, 512, 784, 'W3 fwd1 nt'], [128, 512, 512, 'W3 fwd2 nt'], [128, 784, 512, 'W3 din1 nn'],
  [512, 784, 128, 'W3 dW1 tn'], [512, 512, 128, 'W3 dW2 tn'], [128, 512, 512, 'W3 nn'], [64, 256, 256, 'W2'], [128, 10, 512, 'W3 out']];
for (const [M, N, K, name] of shapes) {
  x.bench_gemm_setup(M, N, K);
  const reps = Math.max(1, Math.round(2e8 / (2 * M * N * K)));
  const row = [];
  for (const form of [0, 1, 2, 3]) {
    const t = median(timeRounds(() => x.bench_gemm(form, reps), 7));
    row.push(['nn', 'nt', 'tn+', 'tn='][form] + ' ' + (2 * M * N * K * reps / t / 1e6).toFixed(1));
  }
  console.log(`${name} ${M}x${N}x${K}:`, row.join('  '));
}
