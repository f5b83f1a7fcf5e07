// Node tests of the worker protocol (web/protocol.mjs): in-process with a stub engine for
// the message rules, and in a worker_threads Worker with the real wasm engine.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Worker } from 'node:worker_threads';
import { resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { PROGRESS_MS, createProtocol, serializeError } from '../../web/protocol.mjs';
import { ROOT } from './helpers.mjs';
import { stubEngine } from './stub-engine.mjs';

const ENGINE = pathToFileURL(resolve(process.env.ACCUMLAB_ENGINE_DIR || resolve(ROOT, 'wasm'), 'accumlab.mjs')).href;

/** In-process protocol: returns {send(msg) → Promise<answer>, messages}. */
function inProcess(engine) {
  const messages = [];
  const times = []; // when each message was posted (Date.now())
  const waiting = new Map();
  const protocol = createProtocol({
    loadEngine: async () => engine,
    post: (m) => {
      messages.push(m);
      times.push(Date.now());
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
  return { send, messages, times };
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

test('a long step posts its progress from inside it, at most every PROGRESS_MS; short steps post none', async () => {
  const { send, messages, times } = inProcess(stubEngine({ ms: 5 * PROGRESS_MS, micro: 50 }));
  await send({ type: 'init', simd: false });
  await send({ type: 'start', config: { steps: 2 } });
  const done = await send({ type: 'run' });
  const at = messages.indexOf(done);
  const progress = messages.map((m, i) => [m, times[i]]).filter(([m]) => m.type === 'progress');
  assert.ok(progress.length >= 6 && progress.length <= 10, `${progress.length} progress messages over two steps of ${5 * PROGRESS_MS} ms`);
  for (const [m] of progress) {
    assert.equal(m.phase, 'accumulated');
    assert.ok(m.step === 1 || m.step === 2, `step ${m.step}`);
    assert.ok(m.done >= 1 && m.done <= 50 && m.total === 50);
    assert.ok(messages.indexOf(m) < at, 'before the answer');
  }
  const firstOfStep2 = messages.findIndex((m) => m.type === 'step' && m.record.step === 1);
  assert.ok(progress.filter(([m]) => m.step === 1).every(([m]) => messages.indexOf(m) < firstOfStep2), 'step 1\'s progress comes before its record');
  for (let i = 1; i < progress.length; i++) assert.ok(progress[i][1] - progress[i - 1][1] >= PROGRESS_MS - 2, 'throttled');
  // Fast steps: nothing.
  const quick = inProcess(stubEngine({ ms: 2, micro: 50 }));
  await quick.send({ type: 'init', simd: false });
  await quick.send({ type: 'start', config: { steps: 5 } });
  await quick.send({ type: 'run' });
  assert.equal(quick.messages.filter((m) => m.type === 'progress').length, 0);
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

test('run with picture posts pictures at most every everyMs, each after its step, and one of the last step', async () => {
  const { send, messages, times } = inProcess(stubEngine({ ms: 4 }));
  await send({ type: 'init' });
  await send({ type: 'start', config: { steps: 60 } });
  const t0 = Date.now();
  const res = await send({ type: 'run', picture: { size: 6, everyMs: 50 } });
  const elapsed = Date.now() - t0;
  assert.equal(res.result.step, 60);
  const at = messages.map((m, i) => ({ m, t: times[i], i })).filter(({ m }) => m.type === 'picture');
  assert.ok(at.length >= 2, `${at.length} pictures in ${elapsed} ms`);
  assert.ok(at.length <= Math.floor(elapsed / 50) + 2, `${at.length} pictures in ${elapsed} ms: at most one per 50 ms, and the last`);
  for (let j = 1; j < at.length - 1; j++)
    assert.ok(at[j].t - at[j - 1].t >= 49, `pictures ${at[j].t - at[j - 1].t} ms apart`);
  for (const { m, i } of at) {
    assert.equal(m.id, res.id);
    assert.equal(m.picture.step, m.step);
    assert.equal(m.picture.size, 6, 'the size asked for');
    const stepAt = messages.findIndex((x) => x.type === 'step' && x.record.step === m.step);
    assert.ok(stepAt >= 0 && stepAt < i, `the picture of step ${m.step} comes after its step message`);
  }
  assert.equal(at[0].m.step, 1, 'the first picture right after the first step');
  assert.equal(at.at(-1).m.step, 60, 'the final state is drawn');
  assert.ok(at.at(-1).i < messages.indexOf(res), 'before the answer');
  assert.equal(new Set(at.map(({ m }) => m.step)).size, at.length, 'no step pictured twice');
  // a request of one step: its picture, once
  await send({ type: 'start', config: { steps: 3 } });
  const before = messages.length;
  const one = await send({ type: 'run', maxSteps: 1, picture: { everyMs: 1e9 } });
  const pics = messages.slice(before).filter((m) => m.type === 'picture');
  assert.deepEqual(pics.map((m) => [m.id, m.step, m.picture.size]), [[one.id, 1, 48]], 'one picture, default size');
  // without the option: none
  const start = messages.length;
  await send({ type: 'run' });
  assert.equal(messages.slice(start).filter((m) => m.type === 'picture').length, 0);
});

test('a slow picture is taken more rarely: pictures take at most about a quarter of the time', async () => {
  const pictures = [];
  const { send } = inProcess(stubEngine({ ms: 2, pictureMs: 25, pictures }));
  await send({ type: 'init' });
  await send({ type: 'start', config: { steps: 100 } });
  const t0 = Date.now();
  await send({ type: 'run', picture: { everyMs: 0 } });
  const elapsed = Date.now() - t0;
  assert.ok(pictures.length >= 2, `${pictures.length} pictures`);
  assert.ok(pictures.length * 25 <= 0.3 * elapsed + 50, `${pictures.length} pictures of 25 ms in ${elapsed} ms`);
  assert.equal(pictures.at(-1), 100);
});

test('a stopped run posts the picture of the step it stopped at', async () => {
  const { send, messages } = inProcess(stubEngine({ ms: 5 }));
  await send({ type: 'init' });
  await send({ type: 'start', config: { steps: 100000 } });
  const running = send({ type: 'run', picture: { size: 4, everyMs: 1e9 } });
  await new Promise((ok) => setTimeout(ok, 60));
  await send({ type: 'stop' });
  const r = await running;
  assert.equal(r.result.stopped, true);
  const pics = messages.filter((m) => m.type === 'picture');
  assert.deepEqual(pics.map((m) => m.step), [1, r.result.step], 'the first step and the last');
});

test('the picture request draws the current step; bad picture options are errors before any step', async () => {
  const { send, messages } = inProcess(stubEngine());
  await send({ type: 'init' });
  assert.equal((await send({ type: 'picture', size: 8 })).error.code, 'state', 'no experiment yet');
  await send({ type: 'start', config: { steps: 5 } });
  const first = await send({ type: 'picture', size: 8 });
  assert.equal(first.error, undefined);
  assert.deepEqual([first.result.kind, first.result.step, first.result.size, first.result.ref.length], ['grid', 0, 8, 64]);
  assert.equal((await send({ type: 'picture' })).result.size, 48, 'default size');
  assert.equal((await send({ type: 'picture', size: 0 })).error.field, 'size', 'the engine judges the size');
  await send({ type: 'run', maxSteps: 2 });
  assert.equal((await send({ type: 'picture', size: 8 })).result.step, 2);
  for (const [picture, code, field] of [[7, 'type', 'picture'], [{ size: 2.5 }, 'type', 'picture.size'],
    [{ everyMs: -1 }, 'range', 'picture.everyMs'], [{ everyMs: 'soon' }, 'range', 'picture.everyMs']]) {
    const bad = await send({ type: 'run', picture });
    assert.deepEqual([bad.error?.code, bad.error?.field], [code, field], JSON.stringify(picture));
  }
  assert.equal((await send({ type: 'run', maxSteps: 1 })).result.step, 3, 'no step was taken by the refused runs');
  assert.equal(messages.filter((m) => m.type === 'picture').length, 0, 'no picture message outside run requests');
});

/** A worker_threads Worker speaking the protocol with the real engine. */
function realWorker() {
  const worker = new Worker(new URL('./protocol-worker.mjs', import.meta.url), { workerData: { engine: ENGINE } });
  const steps = [];
  const pictures = [];
  const waiting = new Map();
  worker.on('message', (m) => {
    if (m.type === 'step') steps.push(m.record);
    else if (m.type === 'picture') pictures.push(m);
    else waiting.get(m.id)?.(m);
  });
  let id = 0;
  const send = (msg) => {
    const mid = ++id;
    const p = new Promise((ok) => waiting.set(mid, ok));
    worker.postMessage({ id: mid, ...msg });
    return p;
  };
  return { send, steps, pictures, close: () => worker.terminate() };
}

test('real engine in worker_threads: pictures of both models cross as typed arrays, the last of the last step', async (t) => {
  const w = realWorker();
  t.after(() => w.close());
  await w.send({ type: 'init' });
  await w.send({ type: 'start', config: { data: { name: 'moons', n: 128 }, steps: 8 } });
  const initial = await w.send({ type: 'picture', size: 16 });
  assert.equal(initial.error, undefined, initial.error?.message);
  const p0 = initial.result;
  assert.deepEqual([p0.kind, p0.step, p0.size, p0.outputs, p0.prediction, p0.classes], ['grid', 0, 16, 2, 'softmax', 2]);
  assert.ok(p0.ref instanceof Float32Array && p0.ref.length === 16 * 16 * 2);
  assert.deepEqual(p0.acc, p0.ref, 'before any step both runs are the initial parameters');
  assert.ok(p0.points.label instanceof Int32Array && p0.points.x.length === 128);
  const run = await w.send({ type: 'run', picture: { size: 16, everyMs: 0 } });
  assert.equal(run.result.done, true);
  const stepsPictured = w.pictures.map((m) => m.step);
  assert.ok(stepsPictured.every((s, i) => i === 0 || s > stepsPictured[i - 1]), `in order: ${stepsPictured}`);
  assert.deepEqual([stepsPictured[0], stepsPictured.at(-1)], [1, 8], 'the first step at once, and the last');
  assert.ok(w.pictures.every((m) => m.id === run.id && m.picture.step === m.step));
  const last = w.pictures.at(-1).picture;
  assert.equal(last.step, 8);
  assert.ok(last.ref.some((v, i) => v !== last.acc[i]), 'an unscaled mean: the runs part');
  const fit = await w.send({ type: 'start', config: { data: { name: 'digits', n: 100 }, steps: 2 } });
  assert.equal(fit.error, undefined);
  const f = (await w.send({ type: 'picture' })).result;
  assert.deepEqual([f.kind, f.n, f.outputs], ['fit', 100, 10]);
});

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
