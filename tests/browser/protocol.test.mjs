// Node tests of the worker protocol (web/protocol.mjs): in-process with a stub engine for
// the message rules, and in a worker_threads Worker with the real wasm engine.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Worker } from 'node:worker_threads';
import { resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { createProtocol, serializeError } from '../../web/protocol.mjs';
import { ROOT } from './helpers.mjs';
import { stubEngine } from './stub-engine.mjs';

const ENGINE = pathToFileURL(resolve(process.env.ACCUMLAB_ENGINE_DIR || resolve(ROOT, 'wasm'), 'accumlab.mjs')).href;

/** In-process protocol: returns {send(msg) → Promise<answer>, messages}. */
function inProcess(engine) {
  const messages = [];
  const waiting = new Map();
  const protocol = createProtocol({
    loadEngine: async () => engine,
    post: (m) => {
      messages.push(m);
      if (m.id !== undefined && m.type === undefined && waiting.has(m.id)) waiting.get(m.id)(m);
    },
  });
  let id = 0;
  const send = (msg) => {
    const mid = ++id;
    const p = new Promise((ok) => waiting.set(mid, ok));
    protocol.handle({ id: mid, ...msg });
    return p;
  };
  return { send, messages };
}

test('errors become plain objects with name, message, code and field', () => {
  const e = Object.assign(new Error('bad'), { name: 'AccumLabError', code: 'range', field: 'optimizer.lr' });
  assert.deepEqual(serializeError(e), { name: 'AccumLabError', message: 'bad', code: 'range', field: 'optimizer.lr' });
  assert.deepEqual(serializeError('text'), { name: 'Error', message: 'text', code: null, field: null });
});

test('requests before init, unknown types and engine errors get {id, error}', async () => {
  const { send } = inProcess(stubEngine());
  const early = await send({ type: 'start', config: {} });
  assert.equal(early.error.code, 'state');
  const unknown = await send({ type: 'dance' });
  assert.equal(unknown.error.code, 'unknown');
  assert.deepEqual((await send({ type: 'init' })).result, { simd: true, simdSupported: true, forced: false });
  const bad = await send({ type: 'start', config: { bad: true } });
  assert.deepEqual(bad.error, { name: 'AccumLabError', message: 'optimizer.lr: -1 is not > 0', code: 'range', field: 'optimizer.lr' });
  const noRun = await send({ type: 'run' });
  assert.equal(noRun.error.code, 'state', 'a refused start leaves no experiment to run');
});

test('run posts one step message per step before its answer', async () => {
  const { send, messages } = inProcess(stubEngine());
  await send({ type: 'init', simd: false });
  assert.deepEqual((await send({ type: 'start', config: { steps: 5 } })).result, { paramCount: 3, totalSteps: 5 });
  const two = await send({ type: 'run', maxSteps: 2 });
  assert.deepEqual({ ...two.result, result: undefined }, { done: false, stopped: false, step: 2, result: undefined });
  const rest = await send({ type: 'run' });
  assert.equal(rest.result.done, true);
  assert.equal(rest.result.step, 5);
  const steps = messages.filter((m) => m.type === 'step').map((m) => m.record.step);
  assert.deepEqual(steps, [1, 2, 3, 4, 5]);
  const answerAt = messages.indexOf(rest);
  assert.ok(messages.slice(answerAt).every((m) => m.type !== 'step'), 'no step message after the answer');
});

test('stop ends a running run between steps and cancels queued runs', async () => {
  const { send } = inProcess(stubEngine({ ms: 5 }));
  await send({ type: 'init' });
  await send({ type: 'start', config: { steps: 100000 } });
  const running = send({ type: 'run' });
  await new Promise((ok) => setTimeout(ok, 60));
  const queued = send({ type: 'run' });
  const stop = await send({ type: 'stop' });
  assert.deepEqual(stop.result, { stopped: true });
  const r = await running;
  assert.equal(r.result.stopped, true);
  assert.equal(r.result.done, false);
  assert.ok(r.result.step > 0 && r.result.step < 100000);
  const q = await queued;
  assert.equal(q.result.step, r.result.step, 'the queued run did no step');
  const one = await send({ type: 'run', maxSteps: 1 });
  assert.equal(one.result.step, r.result.step + 1, 'a later run continues');
});

/** A worker_threads Worker speaking the protocol with the real engine. */
function realWorker() {
  const worker = new Worker(new URL('./protocol-worker.mjs', import.meta.url), { workerData: { engine: ENGINE } });
  const steps = [];
  const waiting = new Map();
  worker.on('message', (m) => {
    if (m.type === 'step') steps.push(m.record);
    else waiting.get(m.id)?.(m);
  });
  let id = 0;
  const send = (msg) => {
    const mid = ++id;
    const p = new Promise((ok) => waiting.set(mid, ok));
    worker.postMessage({ id: mid, ...msg });
    return p;
  };
  return { send, steps, close: () => worker.terminate() };
}

test('real engine in worker_threads: mean loss without correction gives k times the gradient', async (t) => {
  const w = realWorker();
  t.after(() => w.close());
  const init = await w.send({ type: 'init', simd: false });
  assert.equal(init.error, undefined, init.error?.message);
  assert.equal(init.result.simd, false);
  assert.equal(init.result.forced, true);
  const start = await w.send({ type: 'start', config: { batchSize: 8, accumSteps: 4, steps: 6 } });
  assert.equal(start.error, undefined, start.error?.message);
  assert.equal(start.result.totalSteps, 6);
  const run = await w.send({ type: 'run' });
  assert.equal(run.result.done, true);
  assert.equal(w.steps.length, 6);
  assert.deepEqual(w.steps.map((r) => r.step), [1, 2, 3, 4, 5, 6]);
  assert.equal(run.result.result.verdict.grads, 'scaled');
  assert.ok(Math.abs(w.steps[0].grad.normRatio - 4) < 1e-3, `norm ratio ${w.steps[0].grad.normRatio}`);
});

test('real engine in worker_threads: a bad config is an error naming the field, and the worker stays usable', async (t) => {
  const w = realWorker();
  t.after(() => w.close());
  await w.send({ type: 'init' });
  const bad = await w.send({ type: 'start', config: { optimizer: { lr: -1 } } });
  assert.equal(bad.error.name, 'AccumLabError');
  assert.equal(bad.error.code, 'range');
  assert.equal(bad.error.field, 'optimizer.lr');
  assert.match(bad.error.message, /-1/);
  const unknown = await w.send({ type: 'start', config: { batchSise: 8 } });
  assert.equal(unknown.error.code, 'unknown');
  const good = await w.send({ type: 'start', config: { reduction: 'sum', steps: 3 } });
  assert.equal(good.error, undefined);
  const run = await w.send({ type: 'run' });
  assert.equal(run.result.step, 3);
  assert.ok(['bitwise', 'rounding'].includes(run.result.result.verdict.grads));
});

test('real engine in worker_threads: stop interrupts a long run', async (t) => {
  const w = realWorker();
  t.after(() => w.close());
  await w.send({ type: 'init' });
  await w.send({ type: 'start', config: { steps: 100000, model: { sizes: [2, 256, 256, 2] } } });
  const running = w.send({ type: 'run' });
  while (w.steps.length < 3) await new Promise((ok) => setTimeout(ok, 10));
  await w.send({ type: 'stop' });
  const r = await running;
  assert.equal(r.result.stopped, true);
  assert.ok(r.result.step < 100000);
  assert.equal(r.result.result.steps.length, r.result.step);
});
