// web/protocol.mjs — the worker protocol, as a plain module.
//
// A browser Worker (web/worker.mjs) and Node's worker_threads (tests) both load this.
// Requests are {id, type, ...}; every request gets exactly one answer, {id, result} or
// {id, error: {name, message, code, field}}. While a run request trains, the handler
// also posts progress messages {type: 'step', id, record}, one per optimizer step, and, if
// asked, pictures of both models {type: 'picture', id, step, picture} (run.picture()).
//
//   {type: 'init', simd}          → {simd, simdSupported, forced}
//                                   load the engine (simd: true | false | undefined = detect)
//   {type: 'start', config}       → {paramCount, totalSteps}   new experiment (frees the old)
//   {type: 'run', maxSteps, picture} → {done, stopped, step, result}
//                                   train up to maxSteps more steps (all if absent), posting
//                                   each record; `result` is run.result() at the end.
//                                   picture: {size, everyMs} (optional): also post a picture
//                                   message at most every everyMs (default 150; more rarely when
//                                   a picture is slow: at most a quarter of the time goes to
//                                   them), and once after the request's last step unless one
//                                   of that step was posted (so the final state is drawn)
//                                   A step that takes over PROGRESS_MS also posts
//                                   {type: 'progress', id, step, phase, done, total} at most
//                                   every PROGRESS_MS from inside it (phase 'reference' |
//                                   'same point' | 'accumulated'; micro-batches done of total)
//   {type: 'picture', size}       → picture             both models at the current step
//                                   (before any step: the initial parameters, both runs equal)
//   {type: 'stop'}                → {stopped: boolean}  ends the current run request after
//                                   its current step, and cancels queued run requests with a
//                                   smaller id (ids grow: the client counts them up)
//   {type: 'free'}                → {}                  release the experiment
//   {type: 'causes', config}      → {ids}               the causes the core predicts for a config (no run)
//   {type: 'sweep', config, field, values} → {rows}     the config once per value of field (accumSteps,
//                                   batchSize, workers): wasm/sweep.mjs's rows, one value per slice
//   {type: 'torchScript', config, title} → {text}       the config as a PyTorch script (wasm/export-torch.mjs;
//                                   with workers > 1 wasm/export-ddp.mjs's torch.distributed one;
//                                   needs an engine module with torchScript)
//
// The handler slices its work: it trains for about SLICE_MS, then yields to the event
// loop, so a 'stop' message is seen between steps and the worker never blocks for long.

import { SWEEPABLE, sweep } from '../wasm/sweep.mjs';

const SLICE_MS = 12;
const SWEEP_FIELDS = new Set(Object.values(SWEEPABLE));
const SWEEP_MAX_VALUES = 16;
// A step longer than this reports its progress (micro-batch i of k), at most this often.
export const PROGRESS_MS = 100;
export const PICTURE_EVERY_MS = 150;

/** The run request's picture option, checked: {size, everyMs} or null. */
function pictureOption(picture) {
  if (picture === undefined || picture === null || picture === false) return null;
  const fail = (message, code, field) => { throw Object.assign(new Error(message), { code, field }); };
  if (typeof picture !== 'object' || Array.isArray(picture)) fail(`picture must be an object {size, everyMs}, got ${typeof picture}`, 'type', 'picture');
  const { size, everyMs = PICTURE_EVERY_MS } = picture;
  if (size !== undefined && !Number.isInteger(size)) fail(`picture.size must be an integer, got ${size}`, 'type', 'picture.size');
  if (typeof everyMs !== 'number' || !(everyMs >= 0)) fail(`picture.everyMs must be a number >= 0, got ${everyMs}`, 'range', 'picture.everyMs');
  return { size, everyMs };
}

/** Plain-object copy of an error for postMessage. */
export function serializeError(e) {
  if (e && typeof e === 'object') {
    return {
      name: e.name ?? 'Error',
      message: String(e.message ?? e),
      code: e.code ?? null,
      field: e.field ?? null,
    };
  }
  return { name: 'Error', message: String(e), code: null, field: null };
}

const yieldToEventLoop = () => new Promise((resolve) => setTimeout(resolve, 0));

/**
 * Creates the message handler.
 *   loadEngine: async () => module with createLab (and optionally simdSupported)
 *   post: (message) => void, sends to the page
 * Returns {handle(message): Promise<void>}.
 */
export function createProtocol({ loadEngine, post }) {
  let engine = null; // the engine module, after init
  let lab = null; // the engine instance, after init
  let run = null; // the current experiment
  let step = 0; // optimizer steps done in `run`
  let active = null; // {id, stopRequested} of the running 'run' request
  let stopBefore = -Infinity; // run requests with a smaller id were stopped before they began
  let queue = Promise.resolve(); // requests other than 'stop' run one after another

  const requireLab = () => {
    if (!lab) throw Object.assign(new Error('the engine is not loaded yet (send init first)'), { code: 'state', field: '' });
    return lab;
  };
  const requireRun = () => {
    if (!run) throw Object.assign(new Error('no experiment: send start first'), { code: 'state', field: '' });
    return run;
  };
  const freeRun = () => {
    if (run) run.free();
    run = null;
    step = 0;
  };

  const handlers = {
    async init({ simd }) {
      engine = await loadEngine();
      const detect = engine.simdSupported;
      let supported = typeof detect === 'function' ? await detect() : detect;
      const opts = simd === undefined || simd === null ? {} : { simd: Boolean(simd) };
      freeRun();
      lab = await engine.createLab(opts);
      if (typeof supported !== 'boolean') supported = lab.simd;
      return { simd: lab.simd, simdSupported: supported, forced: simd === false };
    },
    start({ config }) {
      const l = requireLab();
      freeRun();
      run = l.start(config);
      return { paramCount: run.paramCount, totalSteps: run.totalSteps };
    },
    async run(msg) {
      const r = requireRun();
      // Progress inside a long step: the engine calls back between micro-batches (lab.onProgress);
      // posted from inside the step, so the page hears it while the worker is busy.
      let stepStart = Date.now();
      let lastProgress = 0;
      lab.onProgress?.((p) => {
        const now = Date.now();
        if (now - stepStart < PROGRESS_MS || now - lastProgress < PROGRESS_MS) return;
        lastProgress = now;
        post({ type: 'progress', id: msg.id, step: step + 1, ...p });
      });
      const limit = msg.maxSteps ?? Infinity;
      const pictures = pictureOption(msg.picture);
      const me = { id: msg.id, stopRequested: msg.id < stopBefore };
      active = me;
      let done = false;
      let count = 0;
      // Pictures: at most every everyMs, and never more than a quarter of the time (a picture
      // of a big model can cost more than a step)
      let nextPicture = -Infinity;
      let pictured = -1; // the step of the last picture posted by this request
      const postPicture = () => {
        const t0 = Date.now();
        const picture = r.picture(pictures.size === undefined ? {} : { size: pictures.size });
        const now = Date.now();
        nextPicture = now + Math.max(pictures.everyMs, 3 * (now - t0));
        pictured = step;
        post({ type: 'picture', id: msg.id, step, picture });
      };
      try {
        let sliceStart = Date.now();
        while (count < limit && !me.stopRequested) {
          stepStart = Date.now();
          const record = r.step();
          if (record === null) {
            done = true;
            break;
          }
          step += 1;
          count += 1;
          post({ type: 'step', id: msg.id, record });
          if (pictures && Date.now() >= nextPicture) postPicture();
          if (Date.now() - sliceStart >= SLICE_MS) {
            await yieldToEventLoop();
            sliceStart = Date.now();
          }
        }
        if (!done && step >= r.totalSteps) done = true;
        if (pictures && pictured !== step) postPicture();
        return { done, stopped: me.stopRequested, step, result: r.result() };
      } finally {
        lab.onProgress?.(null);
        if (active === me) active = null;
      }
    },
    picture({ size }) {
      return requireRun().picture(size === undefined || size === null ? {} : { size });
    },
    free() {
      freeRun();
      return {};
    },
    causes({ config }) {
      return { ids: requireLab().configCauses(config) };
    },
    async sweep({ config, field, values }) {
      const l = requireLab();
      const fail = (message, f) => { throw Object.assign(new Error(message), { code: 'range', field: f }); };
      if (!SWEEP_FIELDS.has(field)) fail(`sweep field must be one of ${[...SWEEP_FIELDS].join(', ')}, got ${field}`, 'field');
      if (!Array.isArray(values) || !values.length || values.length > SWEEP_MAX_VALUES || !values.every((v) => Number.isInteger(v) && v >= 1))
        fail(`sweep values must be 1 to ${SWEEP_MAX_VALUES} positive integers`, 'values');
      const rows = [];
      for (const value of values) { // one value per slice: the worker stays responsive
        rows.push(...sweep(l, config, field, [value]));
        await yieldToEventLoop();
      }
      return { rows };
    },
    torchScript({ config, title }) {
      const l = requireLab();
      if (typeof engine.torchScript !== 'function')
        throw Object.assign(new Error('this engine cannot write PyTorch scripts'), { code: 'state', field: '' });
      return { text: engine.torchScript(l, config, { title: title ?? '' }) };
    },
  };

  async function answer(msg) {
    const fn = handlers[msg.type];
    try {
      if (!fn) throw Object.assign(new Error(`unknown request type "${msg.type}"`), { code: 'unknown', field: 'type' });
      const result = await fn(msg);
      post({ id: msg.id, result });
    } catch (e) {
      post({ id: msg.id, error: serializeError(e) });
    }
  }

  return {
    handle(msg) {
      if (msg && msg.type === 'stop') {
        // Answered at once, not queued behind the run it stops.
        const stopped = Boolean(active);
        if (active) active.stopRequested = true;
        if (typeof msg.id === 'number') stopBefore = Math.max(stopBefore, msg.id);
        post({ id: msg.id, result: { stopped } });
        return Promise.resolve();
      }
      queue = queue.then(() => answer(msg));
      return queue;
    },
  };
}
