// Node tests of web/supervisor.mjs: the page's engine worker is recreated after a wasm trap,
// an error outside any request, or silence; the next request then works. The workers here
// are in-process fakes running the real protocol (web/protocol.mjs) over a stub engine
// whose behaviour each test chooses; tests/browser/crash.test.mjs does it in Chromium.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createProtocol } from '../../web/protocol.mjs';
import { createSupervisor } from '../../web/supervisor.mjs';
import { stubEngine } from './stub-engine.mjs';

/** A fake Worker: an EventTarget whose postMessage feeds the protocol (async, like a port). */
function fakeWorker(hooks) {
  const w = new EventTarget();
  w.terminated = false;
  w.silent = false; // true: swallows every message (a dead worker)
  const protocol = createProtocol({
    loadEngine: async () => {
      await new Promise((ok) => setTimeout(ok, hooks.loadMs ?? 0)); // fetching and compiling
      return stubEngine({ onStep: (t) => hooks.onStep?.(t), inits: hooks.inits });
    },
    post: (m) => setTimeout(() => {
      if (!w.terminated && !w.silent) w.dispatchEvent(new MessageEvent('message', { data: m }));
    }),
  });
  w.postMessage = (m) => setTimeout(() => { if (!w.terminated && !w.silent) protocol.handle(structuredClone(m)); });
  w.terminate = () => { w.terminated = true; };
  w.fail = (message) => w.dispatchEvent(Object.assign(new Event('error'), { message }));
  return w;
}

function setup(hooks = {}, opts = {}) {
  const workers = [];
  let made = 0;
  const crashes = [];
  const steps = [];
  const pictures = [];
  const sup = createSupervisor({
    createWorker: () => {
      const w = fakeWorker(hooks);
      workers.push(w);
      hooks.onCreate?.(w, made++);
      return w;
    },
    onStep: (record) => steps.push(record.step),
    onPicture: (picture, id) => pictures.push({ step: picture.step, id }),
    onCrash: (e) => crashes.push(e),
    ...opts,
  });
  return { sup, workers, crashes, steps, pictures };
}

test('pictures of a run reach onPicture with the run\'s id; picture() answers the current step', async () => {
  const { sup, workers, pictures } = setup();
  await sup.init();
  await sup.start({ steps: 4 });
  assert.equal((await sup.picture(8)).step, 0);
  const run = sup.run(undefined, { picture: { size: 8, everyMs: 0 } });
  const res = await run;
  assert.equal(res.step, 4);
  // every step may be pictured, but a picture that takes a clock tick makes the protocol skip
  // some (never more than a quarter of the time): the first step, the last one, in order
  assert.ok(pictures.every((p) => p.id === run.id), JSON.stringify(pictures));
  assert.equal(pictures[0].step, 1);
  assert.equal(pictures.at(-1).step, 4, 'the last step is always drawn');
  assert.ok(pictures.every((p, i) => i === 0 || p.step > pictures[i - 1].step));
  const drawn = pictures.length;
  assert.equal((await sup.picture(8)).size, 8);
  // after a crash, the old worker's pictures are not passed on
  workers[0].fail('boom');
  await sup.start({ steps: 2 });
  await sup.run(2);
  assert.equal(pictures.length, drawn, 'a run without the option posts none');
});

test('a wasm trap mid-run rejects the run with a crash error, recreates the worker, and the next run works', async () => {
  let trapAt = 3;
  const { sup, workers, crashes } = setup({
    onStep(t) { if (t === trapAt) throw Object.assign(new Error('unreachable'), { name: 'RuntimeError' }); },
  });
  await sup.init(false);
  await sup.start({ steps: 5 });
  await assert.rejects(sup.run(), (e) => e.code === 'crash' && /crashed \(WebAssembly trap: unreachable\)/.test(e.message));
  assert.equal(crashes.length, 1);
  assert.equal(workers.length, 2, 'a new worker was created');
  assert.equal(workers[0].terminated, true, 'the trapped worker was terminated');
  trapAt = 0;
  const info = await sup.start({ steps: 5 });
  assert.equal(info.totalSteps, 5);
  const res = await sup.run();
  assert.equal(res.done, true);
  assert.equal(res.step, 5);
});

test('the new worker is initialised with the same build choice as the first', async () => {
  const hooks = { inits: [] };
  const { sup, workers } = setup(hooks);
  assert.deepEqual((await sup.init(false)).simd, false);
  workers[0].fail('boom');
  await sup.start({ steps: 1 });
  assert.equal((await sup.run()).done, true);
  assert.deepEqual(hooks.inits, [false, false], 'both workers loaded the scalar build');
});

test('an engine error that is not a trap is passed on and keeps the worker', async () => {
  const { sup, workers, crashes } = setup({ onStep() { throw Object.assign(new Error('step: bad'), { name: 'AccumLabError', code: 'state' }); } });
  await sup.init();
  await sup.start({ steps: 2 });
  await assert.rejects(sup.run(), (e) => e.code === 'state' && e.name === 'AccumLabError');
  assert.equal(workers.length, 1);
  assert.equal(crashes.length, 0);
});

test('an error outside any request (worker error event) recreates the worker', async () => {
  const { sup, workers, crashes } = setup();
  await sup.init();
  workers[0].fail('Uncaught Error: boom');
  assert.equal(crashes.length, 1);
  assert.match(crashes[0].message, /crashed \(Uncaught Error: boom\) and was restarted/);
  assert.equal(workers.length, 2);
  await sup.start({ steps: 3 });
  assert.equal((await sup.run()).step, 3);
});

test('a request that hears nothing for the watchdog time is rejected and the worker recreated', async () => {
  const { sup, workers, crashes } = setup({}, { watchdogMs: 120 });
  await sup.init();
  await sup.start({ steps: 3 });
  workers[0].silent = true; // the worker died without an event
  const t0 = Date.now();
  await assert.rejects(sup.run(), (e) => e.code === 'crash' && /did not answer for/.test(e.message));
  const waited = Date.now() - t0;
  assert.ok(waited >= 120 && waited < 2000, `rejected after ${waited} ms`);
  assert.equal(crashes.length, 1);
  await sup.start({ steps: 3 });
  assert.equal((await sup.run()).step, 3);
});

test('the watchdog does not fire while a slow run keeps posting steps', async () => {
  const { sup, crashes } = setup({ onStep() { const end = Date.now() + 15; while (Date.now() < end); } }, { watchdogMs: 100 });
  await sup.init();
  await sup.start({ steps: 20 }); // 300 ms in all, never 100 ms silent
  assert.equal((await sup.run()).step, 20);
  assert.equal(crashes.length, 0);
});

test('Stop that is not answered within the grace time restarts the worker: a stop, not a crash', async () => {
  const { sup, workers, crashes } = setup({}, { stopGraceMs: 100 });
  await sup.init();
  await sup.start({ steps: 3 });
  workers[0].silent = true;
  const run = sup.run();
  const stopped = await sup.stop();
  assert.deepEqual(stopped, { stopped: true, restarted: true });
  await assert.rejects(run, (e) => e.code === 'stopped' && /Stopped inside a long step/.test(e.message));
  assert.deepEqual(crashes.map((e) => e.code), ['stopped']);
  assert.equal(workers.length, 2);
  await sup.start({ steps: 2 });
  assert.equal((await sup.run()).step, 2);
});

test('an answered Stop does not restart anything', async () => {
  const { sup, workers, crashes } = setup({ onStep() { const end = Date.now() + 5; while (Date.now() < end); } }, { stopGraceMs: 100 });
  await sup.init();
  await sup.start({ steps: 1000 });
  const run = sup.run();
  await new Promise((ok) => setTimeout(ok, 30));
  assert.equal((await sup.stop()).stopped, true);
  const res = await run;
  assert.equal(res.stopped, true);
  await new Promise((ok) => setTimeout(ok, 150));
  assert.equal(workers.length, 1);
  assert.equal(crashes.length, 0);
});

test('a worker that fails before loading the engine is not restarted in a loop; later requests fail at once', async () => {
  const { sup, workers, crashes } = setup({ onCreate: (w) => setTimeout(() => w.fail('worker.mjs: 404')) });
  await assert.rejects(sup.init(), (e) => e.code === 'load' && /worker failed \(worker.mjs: 404\)/.test(e.message));
  await new Promise((ok) => setTimeout(ok, 50));
  assert.equal(workers.length, 1, 'no second worker');
  assert.equal(crashes.length, 0, 'the init rejection says it; onCrash is for crashes after loading');
  await assert.rejects(sup.start({ steps: 1 }), (e) => e.code === 'load');
});

test('a restarted worker that cannot load the engine is reported once, as restart-failed', async () => {
  const { sup, workers, crashes } = setup({ onCreate: (w, i) => { if (i > 0) setTimeout(() => w.fail('out of memory')); } });
  await sup.init();
  workers[0].fail('boom');
  await new Promise((ok) => setTimeout(ok, 50));
  assert.deepEqual(crashes.map((e) => e.code), ['crash', 'restart-failed']);
  assert.match(crashes[1].message, /could not be restarted \(out of memory\)/);
  assert.equal(workers.length, 2, 'no third worker');
  await assert.rejects(sup.start({ steps: 1 }), (e) => e.code === 'restart-failed');
});

test('loading the engine is not cut short by the watchdog', async () => {
  const { sup, workers, crashes } = setup({ loadMs: 300 }, { watchdogMs: 50 });
  const info = await sup.init();
  assert.equal(info.simd, true);
  assert.equal(crashes.length, 0);
  assert.equal(workers.length, 1);
  // ...but a request after it is.
  workers[0].silent = true;
  await assert.rejects(sup.start({ steps: 1 }), (e) => e.code === 'crash');
});
