// web/supervisor.mjs — keeps the page's engine worker alive.
//
// Wraps createClient (client.mjs) with the same methods (init, start, run, stop, free) and
// recreates the worker when it crashes, so the next request works:
//   - a wasm trap inside a request (the answer is an error named RuntimeError: the engine's
//     memory may be inconsistent after it, so the instance is not trusted again);
//   - an error outside any request (the Worker's 'error' event);
//   - a worker that stops answering: Stop is not answered within STOP_GRACE_MS, or a request
//     hears nothing for WATCHDOG_MS (one step at the size limits can take many seconds, so
//     the watchdog is long; Stop is the quick way out).
// Each crash rejects every open request with an EngineError of code 'crash', terminates the
// old worker, starts a new one with the same init arguments and calls onCrash(error).
// If the new worker cannot load the engine, onCrash gets code 'restart-failed'.
import { createClient, EngineError } from './client.mjs';

export const WATCHDOG_MS = 60000;
export const STOP_GRACE_MS = 3000;

/** True for an engine answer that means the wasm instance trapped. */
export function isTrap(error) {
  return error?.name === 'RuntimeError';
}

/**
 * createWorker: () => Worker (web/engine-host.mjs createEngineWorker)
 * onStep(record, id), onCrash(error): as in createClient; see above for onCrash.
 */
export function createSupervisor({
  createWorker, onStep = () => {}, onCrash = () => {},
  watchdogMs = WATCHDOG_MS, stopGraceMs = STOP_GRACE_MS,
}) {
  let worker = null;
  let client = null;
  let generation = 0; // bumped by every (re)start: messages of older workers are ignored
  let initArgs = null; // [simd] of the last init, replayed after a crash
  const open = new Set(); // {reject} of every request not answered yet
  let lastHeard = Date.now();
  let watchdog = 0;

  function spawn() {
    const gen = ++generation;
    worker = createWorker();
    worker.addEventListener('message', () => { if (gen === generation) lastHeard = Date.now(); });
    client = createClient(worker, {
      onStep(record, id) { if (gen === generation) onStep(record, id); },
      onCrash(error) { if (gen === generation) crash(error.message || 'the worker failed'); },
    });
  }

  function crash(detail) {
    const error = new EngineError({
      name: 'EngineCrash', code: 'crash', field: null,
      message: `The engine crashed (${detail}) and was restarted. Press Run to train again`,
    });
    for (const r of [...open]) r.reject(error);
    open.clear();
    try { worker.terminate(); } catch { /* already gone */ }
    spawn();
    if (initArgs) {
      client.init(...initArgs).catch((e) => onCrash(new EngineError({
        name: 'EngineCrash', code: 'restart-failed', field: null,
        message: `The engine crashed and could not be restarted (${e.message})`,
      })));
    }
    onCrash(error);
  }

  function checkWatchdog() {
    if (!open.size) {
      clearInterval(watchdog);
      watchdog = 0;
    } else if (Date.now() - lastHeard > watchdogMs) {
      crash(`it did not answer for ${Math.round(watchdogMs / 1000)} s`);
    }
  }

  /** Sends one request through the current client; the promise keeps the request's `.id`. */
  function track(send) {
    if (!open.size) lastHeard = Date.now();
    const inner = send();
    const gen = generation;
    let entry;
    const promise = new Promise((resolve, reject) => {
      entry = { reject };
      open.add(entry);
      inner.then((v) => {
        if (!open.delete(entry)) return; // already rejected by a crash
        resolve(v);
      }, (e) => {
        if (!open.delete(entry)) return;
        if (isTrap(e) && gen === generation) {
          open.add(entry); // rejected with the crash error below
          crash(`WebAssembly trap: ${e.message}`);
        } else reject(e);
      });
    });
    promise.id = inner.id;
    if (!watchdog) watchdog = setInterval(checkWatchdog, Math.min(1000, watchdogMs / 4));
    return promise;
  }

  spawn();
  return {
    init(simd) {
      initArgs = [simd];
      return track(() => client.init(simd));
    },
    start: (config) => track(() => client.start(config)),
    run: (maxSteps) => track(() => client.run(maxSteps)),
    free: () => track(() => client.free()),
    /** Stops the current run; a worker that does not answer within stopGraceMs is restarted. */
    stop() {
      const gen = generation;
      const answer = client.stop().catch(() => ({ stopped: false })); // never rejects: callers fire and forget
      let timer;
      const late = new Promise((resolve) => {
        timer = setTimeout(() => {
          if (gen === generation) crash(`it did not answer Stop within ${stopGraceMs / 1000} s`);
          resolve({ stopped: true, restarted: true });
        }, stopGraceMs);
      });
      return Promise.race([answer.finally(() => clearTimeout(timer)), late]);
    },
  };
}
