// tests/node/native.test.mjs — the native build (gcc, SSE2) and the WebAssembly builds give
// the same bits: every double of every step record and the final parameter vectors.
import test from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { lab, scalar, KNOB_CONFIGS } from './helpers.mjs';

const NATIVE = fileURLToPath(new URL('../../build/native/accumlab_native', import.meta.url));
const HEAD = ['step', 'lossRef', 'lossAcc', 'lrRef', 'lrAcc', 'groupSize', 'microBatches', 'gradNormRef', 'gradNormAcc', 'gradCategory'];
const METRICS = ['allclose', 'bitwise', 'maxAbsDiff', 'maxRelDiff', 'maxUlp', 'cosine', 'normRatio', 'relNormDiff', 'scale', 'scaledResidual'];
const CATEGORIES = ['bitwise', 'rounding', 'scaled', 'different'];

const hex64 = (x) => {
  const b = new DataView(new ArrayBuffer(8));
  b.setFloat64(0, typeof x === 'boolean' ? Number(x) : x);
  return b.getBigUint64(0).toString(16).padStart(16, '0');
};
const fnv = (floats) => {
  let h = 0xcbf29ce484222325n;
  for (const byte of new Uint8Array(floats.buffer, floats.byteOffset, floats.byteLength)) h = ((h ^ BigInt(byte)) * 0x100000001b3n) & 0xffffffffffffffffn;
  return h.toString(16).padStart(16, '0');
};

/** The wasm result in native_run.c's format. */
function linesOf(result) {
  const lines = result.steps.map((s) => [
    ...HEAD.map((k) => (k === 'gradCategory' ? CATEGORIES.indexOf(s[k]) : s[k])),
    ...METRICS.map((k) => s.grad[k]), ...METRICS.map((k) => s.params[k]),
  ].map(hex64).join(' '));
  lines.push(`init ${fnv(result.initialParams)}`, `ref ${fnv(result.final.paramsRef)}`, `acc ${fnv(result.final.paramsAcc)}`);
  return lines;
}

test('native and WebAssembly (SIMD and scalar) give identical bits for every knob', { skip: !existsSync(NATIVE) && 'run make native first' }, async () => {
  const builds = [await lab(), await scalar()];
  for (const config of KNOB_CONFIGS) {
    const p = spawnSync(NATIVE, { input: JSON.stringify(config), encoding: 'utf8' });
    assert.equal(p.status, 0, p.stderr);
    const native = p.stdout.trim().split('\n').filter((l) => !l.startsWith('verdict'));
    for (const build of builds) assert.deepEqual(linesOf(build.compare(config)), native, `${build.simd ? 'simd' : 'scalar'}: ${JSON.stringify(config)}`);
  }
});
