// web/client.mjs — the page's side of the worker protocol (see protocol.mjs).
// request() returns a promise per request; step records go to the onStep callback, pictures
// of both models to onPicture.

/** Error thrown for an {id, error} answer: keeps the engine's code and field. */
export class EngineError extends Error {
  constructor({ name, message, code, field }) {
    super(message);
    this.name = name || 'EngineError';
    this.code = code ?? null;
    this.field = field ?? null;
  }
}

/**
 * Wraps a Worker (or anything with postMessage / addEventListener('message')).
 *   onStep(record, id): called for every {type: 'step'} progress message
 *   onProgress({step, phase, done, total}, id): progress inside a long step
 *   onPicture(picture, id): called for every {type: 'picture', step, picture} message of a
 *     run request asked for pictures (run(maxSteps, {picture: {size, everyMs}}))
 *   onCrash(error): the worker failed outside any request (script error)
 */
export function createClient(worker, { onStep = () => {}, onPicture = () => {}, onProgress = () => {}, onCrash = () => {} } = {}) {
  let nextId = 1;
  const pending = new Map();

  worker.addEventListener('message', (event) => {
    const msg = event.data;
    if (msg && msg.type === 'step') {
      onStep(msg.record, msg.id);
      return;
    }
    if (msg && msg.type === 'picture') {
      onPicture(msg.picture, msg.id);
      return;
    }
    if (msg && msg.type === 'progress') {
      onProgress(msg, msg.id);
      return;
    }
    const p = pending.get(msg?.id);
    if (!p) return;
    pending.delete(msg.id);
    if (msg.error) p.reject(new EngineError(msg.error));
    else p.resolve(msg.result);
  });
  worker.addEventListener('error', (event) => {
    const error = new EngineError({ name: 'WorkerError', message: event.message || 'the worker failed to load' });
    for (const p of pending.values()) p.reject(error);
    pending.clear();
    onCrash(error);
  });

  /** Sends one request; the returned promise carries the request's id as `.id`. */
  function request(type, fields = {}) {
    const id = nextId++;
    const promise = new Promise((resolve, reject) => {
      pending.set(id, { resolve, reject });
      worker.postMessage({ id, type, ...fields });
    });
    promise.id = id;
    return promise;
  }

  return {
    init: (simd) => request('init', { simd }),
    start: (config) => request('start', { config }),
    /** options.picture: {size, everyMs}: pictures of both models while it trains (onPicture) */
    run: (maxSteps, { picture } = {}) => request('run', {
      ...(maxSteps === undefined ? {} : { maxSteps }), ...(picture ? { picture } : {}),
    }),
    /** A picture of both models at the current step (run.picture({size})) */
    picture: (size) => request('picture', size === undefined ? {} : { size }),
    stop: () => request('stop'),
    free: () => request('free'),
    causes: (config) => request('causes', { config }),
    /** The config once per value of field: {rows} (wasm/sweep.mjs) */
    sweep: (config, field, values) => request('sweep', { config, field, values }),
    torchScript: (config, title) => request('torchScript', { config, title }),
  };
}
