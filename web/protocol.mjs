// web/protocol.mjs — the worker protocol, as a plain module.
//
// A browser Worker (web/worker.mjs) and Node's worker_threads (tests) both load this.
// Requests are {id, type, ...}; every request gets exactly one answer, {id, result} or
// {id, error: {name, message, code, field}}. While a run request trains, the handler
// also posts progress messages {type: 'step', id, record}, one per optimizer step.
//
//   {type: 'init', simd}          → {simd, simdSupported, forced}
//                                   load the engine (simd: true | false | undefined = detect)
//   {type: 'start', config}       → {paramCount, totalSteps}   new experiment (frees the old)
//   {type: 'run', maxSteps}       → {done, stopped, step, result}
//                                   train up to maxSteps more steps (all if absent), posting
//                                   each record; `result` is run.result() at the end
//   {type: 'stop'}                → {stopped: boolean}  ends the current run request after
//                                   its current step, and cancels queued run requests with a
//                                   smaller id (ids grow: the client counts them up)
//   {type: 'free'}                → {}                  release the experiment
//   {type: 'causes', config}      → {ids}               the causes the core predicts for a config (no run)
//   {type: 'torchScript', config, title} → {text}       the config as a PyTorch script (wasm/export-torch.mjs;
//                                   needs an engine module with torchScript)
//
// The handler slices its work: it trains for about SLICE_MS, then yields to the event
// loop, so a 'stop' message is seen between steps and the worker never blocks for long.

const SLICE_MS = 12;

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
      const limit = msg.maxSteps ?? Infinity;
      const me = { id: msg.id, stopRequested: msg.id < stopBefore };
      active = me;
      let done = false;
      let count = 0;
      try {
        let sliceStart = Date.now();
        while (count < limit && !me.stopRequested) {
          const record = r.step();
          if (record === null) {
            done = true;
            break;
          }
          step += 1;
          count += 1;
          post({ type: 'step', id: msg.id, record });
          if (Date.now() - sliceStart >= SLICE_MS) {
            await yieldToEventLoop();
            sliceStart = Date.now();
          }
        }
        if (!done && step >= r.totalSteps) done = true;
        return { done, stopped: me.stopRequested, step, result: r.result() };
      } finally {
        if (active === me) active = null;
      }
    },
    free() {
      freeRun();
      return {};
    },
    causes({ config }) {
      return { ids: requireLab().configCauses(config) };
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
