// Progress inside a step (lab.onProgress, the core's env.al_progress): the engine reports
// the reference's big batch, then each micro-batch of the same-point pass (once the
// parameters differ; twice with clipping per micro-batch: clipped and unclipped) unless the
// reference's backward took the same point too, then each of the accumulated run's. The
// sequence is predicted here from the config alone; the numbers do not depend on listening.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { lab } from './helpers.mjs';

/** What the engine must report for one step: J micro-batches, same point measured or not. */
function expected(J, samePoint, perMicroClip) {
  const seq = ['reference 1/1'];
  const micro = (phase) => { for (let j = 1; j <= J; j++) seq.push(`${phase} ${j}/${J}`); };
  if (samePoint) {
    micro('same point');
    if (perMicroClip) micro('same point');
  }
  micro('accumulated');
  return seq;
}

function recordSteps(l, config) {
  const steps = [];
  let current = [];
  l.onProgress((p) => current.push(`${p.phase} ${p.done}/${p.total}`));
  const run = l.start(config);
  const records = [];
  for (let r; (r = run.step()) !== null;) {
    records.push(r);
    steps.push(current);
    current = [];
  }
  l.onProgress(null);
  run.free();
  return { steps, records };
}

test('the progress of each step follows the loop: reference, same point (once the runs part), accumulated', async () => {
  const l = await lab();
  // mean, no correction: the runs part after step 1, so from step 2 on the same point is a pass of its own
  const { steps } = recordSteps(l, { batchSize: 4, accumSteps: 3, steps: 3 });
  assert.deepEqual(steps[0], expected(3, false, false), 'step 1: the parameters are equal, no extra pass');
  assert.deepEqual(steps[1], expected(3, true, false));
  assert.deepEqual(steps[2], expected(3, true, false));
  // clipping every micro-batch: the same point is passed twice (clipped, and not)
  const clip = recordSteps(l, { batchSize: 4, accumSteps: 2, steps: 2, clipGradNorm: 0.1, clipPlacement: 'per_micro_batch' });
  assert.deepEqual(clip.steps[0], expected(2, true, true));
  // an uneven last group: fewer micro-batches in that step
  const uneven = recordSteps(l, { data: { name: 'moons', n: 20, shuffle: false }, batchSize: 4, accumSteps: 2, steps: 3 });
  assert.deepEqual(uneven.steps.map((s) => s.filter((x) => x.startsWith('accumulated')).length), [2, 2, 1]);
});

test("the same point rides on the reference's backward where the loop's loss gradient is the reference's times a power of two", async () => {
  const l = await lab();
  const samePointPasses = (config) => recordSteps(l, { steps: 3, ...config }).steps.map((s) => s.filter((x) => x.startsWith('same point')).length);
  assert.deepEqual(samePointPasses({ batchSize: 4, accumSteps: 4 }), [0, 0, 0], 'unscaled mean, k 4: c = 4, no pass of its own');
  assert.deepEqual(samePointPasses({ batchSize: 4, accumSteps: 4, correction: 'scale_loss', model: { activation: 'tanh' } }), [0, 0, 0], 'c = 1');
  assert.deepEqual(samePointPasses({ batchSize: 4, accumSteps: 3 }), [0, 3, 3], 'c = 3 is no power of two: the loop backwards at the same point');
  assert.deepEqual(samePointPasses({ batchSize: 4, accumSteps: 4, model: { activation: 'sigmoid' } }), [0, 4, 4], "sigmoid's derivative is not bounded below");
  // a weight of 1e-20 in the output layer (from hidden unit 0, dead: weights 0, bias -1, so the
  // weight keeps its value): its products with the gradient may round below the normal range,
  // where scaling by c does not commute with rounding
  const init = [0, 0, 0.2, 0.1, -0.4, 0.6, 0.3, -0.2, -1, 0, -0.1, 0.2, 1e-20, 0.3, -0.5, 0.4, 0.2, -0.3, 0.1, 0.2, 0, 0];
  assert.deepEqual(samePointPasses({ batchSize: 4, accumSteps: 4, model: { sizes: [2, 4, 2], activation: 'relu' }, init }), [0, 4, 4]);
  init[12] = 1e-2;
  assert.deepEqual(samePointPasses({ batchSize: 4, accumSteps: 4, model: { sizes: [2, 4, 2], activation: 'relu' }, init }), [0, 0, 0]);
});

test('listening changes no bit of any record', async () => {
  const l = await lab();
  const config = { batchSize: 4, accumSteps: 3, steps: 4, model: { hidden: [8], dropout: 0.2 } };
  const quiet = l.compare(config).steps;
  const { records } = recordSteps(l, config);
  assert.deepEqual(JSON.stringify(records), JSON.stringify(quiet));
});
