// Node tests of web/run-controller.mjs, the page's run state machine: it drives the real
// worker protocol (web/protocol.mjs) and client (web/client.mjs) over the stub engine, in
// process, and the tests read the phases and view calls it makes.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createProtocol } from '../../web/protocol.mjs';
import { createClient } from '../../web/client.mjs';
import { createRunController } from '../../web/run-controller.mjs';
import { stubEngine } from '../browser/stub-engine.mjs';

/** A client over the protocol in this process (messages cross a macrotask, like a port). */
function stubClient(engineOptions = {}) {
  const port = new EventTarget();
  const protocol = createProtocol({
    loadEngine: async () => stubEngine(engineOptions),
    post: (m) => setTimeout(() => port.dispatchEvent(new MessageEvent('message', { data: m }))),
  });
  port.postMessage = (m) => setTimeout(() => protocol.handle(structuredClone(m)));
  let onStep = () => {};
  const client = createClient(port, { onStep: (r, id) => onStep(r, id) });
  return { client, setOnStep: (fn) => { onStep = fn; } };
}

async function setup({ engine = {}, canRun, viewExtra = {} } = {}) {
  const { client, setOnStep } = stubClient(engine);
  const log = { phases: [], started: [], records: [], finished: [], refused: [], failed: [], interrupted: [], invalid: [] };
  const controller = createRunController({
    client,
    canRun,
    view: {
      phase: (p, info) => log.phases.push([p, info.reason]),
      started: (s) => log.started.push(s.totalSteps),
      record: (r) => log.records.push(r.step),
      finished: (f) => log.finished.push({ step: f.step, done: f.done, grads: f.result.verdict.grads }),
      refused: (e) => log.refused.push(e.field),
      failed: (e) => log.failed.push(e.code),
      interrupted: ({ step }) => log.interrupted.push(step),
      invalid: ({ explicit }) => log.invalid.push(explicit),
      ...viewExtra,
    },
  });
  setOnStep((r, id) => controller.onStep(r, id));
  await client.init();
  controller.ready();
  return { controller, client, log };
}

const phasesOf = (log) => log.phases.map(([p]) => p);

test('run: idle → running → done, every record once, one verdict', async () => {
  const { controller, log } = await setup();
  await controller.run({ steps: 6 });
  assert.deepEqual(phasesOf(log), ['idle', 'running', 'done']);
  assert.deepEqual(log.records, [1, 2, 3, 4, 5, 6]);
  assert.deepEqual(log.finished, [{ step: 6, done: true, grads: 'bitwise' }]);
  assert.equal(controller.shown.step, 6);
});

test('step: paused after each step, the same experiment continues, then done', async () => {
  const { controller, log } = await setup();
  const config = { steps: 3 };
  await controller.step(config);
  await controller.step(config);
  assert.equal(controller.phase, 'paused');
  assert.deepEqual(log.started, [3], 'one experiment for both steps');
  await controller.run(config);
  assert.equal(controller.phase, 'done');
  assert.deepEqual(log.records, [1, 2, 3]);
});

test('a changed setting during a run, with auto: the old run stops and never shows its verdict', async () => {
  const { controller, log } = await setup({ engine: { ms: 5 } });
  const first = controller.run({ steps: 400 });
  await new Promise((ok) => setTimeout(ok, 30));
  assert.equal(controller.phase, 'running');
  const second = controller.settingsChanged({ steps: 4 }, { auto: true });
  await Promise.all([first, second]);
  assert.deepEqual(log.started, [400, 4]);
  assert.equal(log.finished.length, 1, 'only the newest run gives a verdict');
  assert.deepEqual(log.finished[0], { step: 4, done: true, grads: 'bitwise' });
  assert.equal(controller.phase, 'done');
  assert.equal(controller.shown.key, JSON.stringify({ steps: 4 }));
});

test('without auto, a change marks the results stale; changing back makes them current again', async () => {
  const { controller } = await setup();
  await controller.run({ steps: 2 });
  await controller.settingsChanged({ steps: 3 }, { auto: false });
  assert.equal(controller.phase, 'stale');
  await controller.settingsChanged({ steps: 2 }, { auto: false });
  assert.equal(controller.phase, 'done');
  await controller.settingsChanged({ steps: 3 }, { auto: false });
  await controller.run({ steps: 3 });
  assert.equal(controller.phase, 'done');
});

test('Stop: running → stopping → paused at the step reached; Run continues from there', async () => {
  const { controller, log } = await setup({ engine: { ms: 3 } });
  const config = { steps: 300 };
  const run = controller.run(config);
  await new Promise((ok) => setTimeout(ok, 40));
  controller.stop();
  assert.equal(controller.phase, 'stopping');
  await run;
  assert.equal(controller.phase, 'paused');
  const at = controller.shown.step;
  assert.ok(at > 0 && at < 300, `stopped at ${at}`);
  assert.deepEqual(log.phases.at(-1), ['paused', 'stopped']);
  await controller.run(config);
  assert.equal(controller.phase, 'done');
  assert.deepEqual(log.started, [300], 'the same experiment went on');
  assert.equal(log.records.length, 300);
});

test('the engine refuses a config: error, with the field; a good config runs again', async () => {
  const { controller, log } = await setup();
  await controller.run({ bad: true });
  assert.equal(controller.phase, 'error');
  assert.deepEqual(log.refused, ['optimizer.lr']);
  await controller.run({ steps: 1 });
  assert.equal(controller.phase, 'done');
});

test('a run ended by an engine error: crashed, the steps drawn stay, the next Run starts afresh', async () => {
  const { controller, log } = await setup({ engine: { onStep: (t) => { if (t === 3) throw new Error('boom'); } } });
  await controller.run({ steps: 5 });
  assert.equal(controller.phase, 'crashed');
  assert.deepEqual(log.records, [1, 2]);
  assert.equal(log.failed.length, 1);
});

test('an invalid control: nothing runs, the view is told', async () => {
  let ok = false;
  const { controller, log } = await setup({ canRun: () => ok });
  await controller.run({ steps: 2 });
  assert.deepEqual(log.started, []);
  assert.equal(controller.phase, 'idle');
  ok = true;
  await controller.run({ steps: 2 });
  assert.equal(controller.phase, 'done');
});

test('Reset: idle, nothing shown; actions queued before it give up', async () => {
  const { controller, log } = await setup({ engine: { ms: 2 } });
  const run = controller.run({ steps: 200 });
  const reset = controller.reset();
  await Promise.all([run, reset]);
  assert.equal(controller.phase, 'idle');
  assert.equal(controller.shown, null);
  assert.equal(log.finished.length, 0, 'the reset run gave no verdict');
});

test('what is run is what the settings are: Step after a change and Reset is paused, not stale', async () => {
  const { controller } = await setup();
  await controller.run({ steps: 2 });
  await controller.settingsChanged({ steps: 9 }, { auto: false });
  assert.equal(controller.phase, 'stale');
  await controller.reset();
  await controller.step({ steps: 3 }); // Reset went back to the link's settings
  assert.equal(controller.phase, 'paused');
});

test('a run stopped by a change the engine then refuses: the page is told where it stopped, and the phase is error', async () => {
  const { controller, log } = await setup({ engine: { ms: 3 } });
  const first = controller.run({ steps: 400 });
  await new Promise((ok) => setTimeout(ok, 40));
  const second = controller.settingsChanged({ bad: true }, { auto: true });
  await Promise.all([first, second]);
  assert.equal(controller.phase, 'error');
  assert.equal(log.finished.length, 0, 'the stopped run gives no verdict');
  assert.equal(log.interrupted.length, 1);
  assert.ok(log.interrupted[0] > 0 && log.interrupted[0] < 400, `stopped at ${log.interrupted[0]}`);
});

test('an invalid control during a run: the run stops, the phase is paused (never stuck in running), no focus steal', async () => {
  let ok = true;
  const { controller, log } = await setup({ engine: { ms: 3 }, canRun: () => ok });
  const first = controller.run({ steps: 400 });
  await new Promise((r) => setTimeout(r, 40));
  ok = false;
  const second = controller.settingsChanged({ steps: 400 }, { auto: true });
  await Promise.all([first, second]);
  assert.equal(controller.phase, 'paused');
  assert.deepEqual(log.invalid, [false], 'a change, not the user pressing Run');
  assert.equal(log.interrupted.length, 1);
  await controller.run({ steps: 400 });
  assert.deepEqual(log.invalid, [false, true]);
});

test('a view callback that throws does not stop later actions', async () => {
  const { controller } = await setup({ viewExtra: { finished: () => { throw new Error('paint failed'); } } });
  const quiet = console.error;
  console.error = () => {};
  try {
    await controller.run({ steps: 2 });
    assert.equal(controller.phase, 'done');
    await controller.run({ steps: 3 });
    assert.equal(controller.phase, 'done');
    assert.equal(controller.shown.step, 3);
  } finally {
    console.error = quiet;
  }
});
