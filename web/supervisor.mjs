// web/supervisor.mjs — keeps the page's engine worker alive.
//
// Wraps createClient (client.mjs) with the same methods (init, start, run, picture, stop, free) and
// recreates the worker when it crashes, so the next request works:
//   - a wasm trap inside a request (the answer is an error named RuntimeError: the engine's
//     memory may be inconsistent after it, so the instance is not trusted again);
//   - an error outside any request (the Worker's 'error' event);
//   - a worker that ended without a word (self.close()): noticed at once through its life
//     lock (liveness.mjs), where the browser has Web Locks;
//   - Stop not answered within STOP_GRACE_MS (a step at the size limits takes seconds, and the
//     engine answers between steps): the worker is replaced and the run rejected with code
//     'stopped', a normal stop that keeps what the page drew, never a crash;
//   - where the browser has no Web Locks, a request that hears nothing for WATCHDOG_MS.
// Each crash rejects every open request with an EngineError of code 'crash', terminates the
// old worker, starts a new one with the same init arguments and calls onCrash(error).
// If the new worker cannot load the engine, onCrash gets code 'restart-failed' and nothing is
// restarted again; a worker that fails before it ever loaded the engine is not restarted
// either (no loop): its init is rejected with code 'load', and so is every later request.
import { createClient, EngineError } from './client.mjs';
import { lifeLockName, watchLifeLock } from './liveness.mjs';

export const WATCHDOG_MS = 60000;
export const STOP_GRACE_MS = 700; // Stop answers within 1 s, inside a long step too

/** True for an engine answer that means the wasm instance trapped. */
export function isTrap(error) {
  return error?.name === 'RuntimeError';
}

/**
 * createWorker: () => Worker (web/engine-host.mjs createEngineWorker)
 * onStep(record, id), onPicture(picture, id), onProgress(progress, id), onCrash(error): as in createClient; see above
 * for onCrash.
 */
export function createSupervisor({
  createWorker, onStep = () => {}, onPicture = () => {}, onProgress = () => {}, onCrash = () => {},
  watchdogMs = WATCHDOG_MS, stopGraceMs = STOP_GRACE_MS, locks = globalThis.navigator?.locks,
}) {
  let worker = null;
  let client = null;
  let generation = 0; // bumped by every (re)start: messages of older workers are ignored
  let initArgs = null; // [simd] of the last init, replayed after a crash
  let ready = false; // the current worker has loaded the engine
  let failure = null; // set once a worker could not load the engine: no more restarts
  const open = new Set(); // {reject, watch} of every request not answered yet
  let lastHeard = Date.now();
  let lockName = ''; // the current worker's life lock

  /** Once the current worker answered (so it holds its lock): crash when it ends unasked. */
  function watchWorker(gen) {
    watchLifeLock(lockName, () => { if (gen === generation && !failure) crash('its worker ended'); }, locks);
  }
  let watchdog = 0;

  function spawn() {
    const gen = ++generation;
    ready = false;
    lockName = locks ? lifeLockName() : '';
    worker = createWorker(lockName);
    worker.addEventListener('message', () => { if (gen === generation) lastHeard = Date.now(); });
    client = createClient(worker, {
      onStep(record, id) { if (gen === generation) onStep(record, id); },
      onPicture(picture, id) { if (gen === generation) onPicture(picture, id); },
      onProgress(progress, id) { if (gen === generation) onProgress(progress, id); },
      onCrash(error) { if (gen === generation) crash(error.message || 'the worker failed'); },
    });
  }

  function rejectOpen(error) {
    for (const r of [...open]) r.reject(error);
    open.clear();
  }

  /** A worker that never loaded the engine is not restarted: it would fail the same way. */
  function fail(error, report) {
    if (failure) return;
    failure = error;
    rejectOpen(error);
    try { worker.terminate(); } catch { /* already gone */ }
    if (report) onCrash(error);
  }

  function crash(detail) {
    if (failure) return;
    if (!ready) {
      const restarting = generation > 1;
      fail(new EngineError({
        name: 'EngineCrash', code: restarting ? 'restart-failed' : 'load', field: null,
        message: restarting ? `The engine crashed and could not be restarted (${detail})` : `the engine worker failed (${detail})`,
      }), restarting);
      return;
    }
    replaceWorker(new EngineError({
      name: 'EngineCrash', code: 'crash', field: null,
      message: `The engine crashed (${detail}) and was restarted. Press Run to train again`,
    }));
  }

  /**
   * Stop not answered within the grace time: a legal step can run for many seconds (the engine
   * returns between steps, not inside one), so this is a stop, not a crash: the open requests
   * are rejected with code 'stopped', the worker is replaced, and the page keeps what it drew.
   */
  function forceStop() {
    if (failure || !ready) return crash(`it did not answer Stop within ${stopGraceMs / 1000} s`);
    replaceWorker(new EngineError({
      name: 'EngineStopped', code: 'stopped', field: null,
      message: `Stopped inside a long step (the engine answers between steps; it was restarted after ${stopGraceMs / 1000} s)`,
    }));
  }

  /** Rejects the open requests with `error`, replaces the worker (same init) and tells onCrash. */
  function replaceWorker(error) {
    rejectOpen(error);
    try { worker.terminate(); } catch { /* already gone */ }
    spawn();
    const gen = generation;
    client.init(...initArgs).then(() => { if (gen === generation) { ready = true; watchWorker(gen); } }, (e) => {
      if (gen === generation) {
        fail(new EngineError({
          name: 'EngineCrash', code: 'restart-failed', field: null,
          message: `The engine crashed and could not be restarted (${e.message})`,
        }), true);
      }
    });
    onCrash(error);
  }

  function checkWatchdog() {
    if (!open.size) {
      clearInterval(watchdog);
      watchdog = 0;
    } else if (!locks && [...open].some((r) => r.watch) && Date.now() - lastHeard > watchdogMs) {
      // With Web Locks a dead worker is noticed at once (liveness.mjs), and a long step is legal:
      // the watchdog is only for browsers without them
      crash(`it did not answer for ${Math.round(watchdogMs / 1000)} s`);
    }
  }

  /**
   * Sends one request through the current client; the promise keeps the request's `.id`.
   * watch: false leaves it out of the watchdog (loading the engine may be slow on a slow link).
   */
  function track(send, { watch = true } = {}) {
    if (failure) return Promise.reject(failure);
    if (watch && ![...open].some((r) => r.watch)) lastHeard = Date.now();
    const inner = send();
    const gen = generation;
    const entry = { reject: null, watch };
    const promise = new Promise((resolve, reject) => {
      entry.reject = reject;
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
      const gen = generation;
      const p = track(() => client.init(simd), { watch: false });
      p.then(() => { if (gen === generation) { ready = true; watchWorker(gen); } }, () => {});
      return p;
    },
    start: (config) => track(() => client.start(config)),
    run: (maxSteps, options) => track(() => client.run(maxSteps, options)),
    picture: (size) => track(() => client.picture(size)),
    free: () => track(() => client.free()),
    causes: (config) => track(() => client.causes(config)),
    sweep: (config, field, values) => track(() => client.sweep(config, field, values)),
    torchScript: (config, title) => track(() => client.torchScript(config, title)),
    /** Stops the current run; a worker that does not answer within stopGraceMs is restarted. */
    stop() {
      if (failure) return Promise.resolve({ stopped: false });
      const gen = generation;
      const answer = client.stop().catch(() => ({ stopped: false })); // never rejects: callers fire and forget
      let timer;
      const late = new Promise((resolve) => {
        timer = setTimeout(() => {
          if (gen === generation) forceStop();
          resolve({ stopped: true, restarted: true });
        }, stopGraceMs);
      });
      return Promise.race([answer.finally(() => clearTimeout(timer)), late]);
    },
  };
}
