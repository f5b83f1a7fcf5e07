// bench/tfjs-step.mjs — the same MLP training step in TensorFlow.js, for the benchmark's peers.
// Usage (one backend per process: tfjs keeps global state): node bench/tfjs-step.mjs BACKEND SPEC
// BACKEND: wasm | cpu.  SPEC (JSON): {sizes, activation, batch, variant: 'default'|'transpose',
// rounds, steps, warm}. Prints one JSON line {msPerStep: [per-round medians...]}.
//
// default:   optimizer.minimize (tf.variableGrads under the hood): tfjs's own gradients, whose
//            matMul backward uses transposeA/transposeB flags.
// transpose: a hand-written gradient with explicit tf.transpose + plain matMul, as a tfjs user
//            who knows the wasm backend's slow transposed matMul would write it.
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
const require = createRequire(import.meta.url);
const tf = require('@tensorflow/tfjs');

const [backend, specText] = process.argv.slice(2);
const spec = JSON.parse(specText);

if (backend === 'wasm') {
  const wasm = require('@tensorflow/tfjs-backend-wasm');
  const dist = dirname(require.resolve('@tensorflow/tfjs-backend-wasm/dist/tfjs-backend-wasm.wasm'));
  // a file path, and Emscripten's own loader (fs in Node): Node 20's global fetch rejects paths
  wasm.setWasmPaths(join(dist, '/'), false);
  wasm.setThreadsCount?.(1);
}
await tf.setBackend(backend);
await tf.ready();

const { sizes, activation, batch: B } = spec;
const L = sizes.length - 1;
// PyTorch-like init, from a fixed seed
const params = [];
for (let l = 0; l < L; l++) {
  const bound = 1 / Math.sqrt(sizes[l]);
  params.push({
    w: tf.variable(tf.randomUniform([sizes[l], sizes[l + 1]], -bound, bound, 'float32', 1 + l)),   // (IN, OUT)
    b: tf.variable(tf.randomUniform([sizes[l + 1]], -bound, bound, 'float32', 100 + l)),
  });
}
const x = tf.randomUniform([B, sizes[0]], -1, 1, 'float32', 7);
const labels = tf.oneHot(tf.randomUniform([B], 0, sizes[L], 'int32', 8), sizes[L]).toFloat();
const act = activation === 'tanh' ? tf.tanh : tf.relu;
const lr = 0.01;
const opt = tf.train.sgd(lr);

function forward() {
  let h = x;
  for (let l = 0; l < L; l++) {
    h = tf.add(tf.matMul(h, params[l].w), params[l].b);
    if (l < L - 1) h = act(h);
  }
  return tf.losses.softmaxCrossEntropy(labels, h);   // mean over the batch
}

function stepDefault() {
  const loss = opt.minimize(forward, true);
  loss.dataSync();   // wait for the step (and keep the comparison fair: one sync per step)
  loss.dispose();
}

function stepTranspose() {
  tf.tidy(() => {
    // forward, saving what backward needs
    const hs = [x], zs = [];
    let h = x;
    for (let l = 0; l < L; l++) {
      const z = tf.add(tf.matMul(h, params[l].w), params[l].b);
      zs.push(z);
      h = l < L - 1 ? act(z) : z;
      if (l < L - 1) hs.push(h);
    }
    // softmax cross-entropy, mean: dy = (softmax(y) - onehot) / B
    const loss = tf.losses.softmaxCrossEntropy(labels, h);
    let d = tf.div(tf.sub(tf.softmax(h), labels), B);
    for (let l = L - 1; l >= 0; l--) {
      const dw = tf.matMul(tf.transpose(hs[l]), d);      // (IN, OUT) = inᵀ · dout
      const db = tf.sum(d, 0);
      if (l > 0) {
        d = tf.matMul(d, tf.transpose(params[l].w));       // din = dout · wᵀ
        d = activation === 'tanh' ? tf.mul(d, tf.sub(1, tf.square(hs[l]))) : tf.mul(d, tf.step(zs[l - 1]));
      }
      params[l].w.assign(tf.sub(params[l].w, tf.mul(lr, dw)));
      params[l].b.assign(tf.sub(params[l].b, tf.mul(lr, db)));
    }
    loss.dataSync();
  });
}

const step = spec.variant === 'transpose' ? stepTranspose : stepDefault;
for (let i = 0; i < spec.warm; i++) step();
const rounds = [];
for (let r = 0; r < spec.rounds; r++) {
  const t = performance.now();
  for (let i = 0; i < spec.steps; i++) step();
  rounds.push((performance.now() - t) / spec.steps);
}
const leaked = tf.memory().numTensors;
console.log(JSON.stringify({ backend: tf.getBackend(), msPerStep: rounds, numTensors: leaked }));
