// web/engine-host.mjs — where the page gets its engine worker from.
// The served page starts web/worker.mjs as a module worker. The single-file build
// (`make dist`) swaps this module for one that starts the worker from a Blob URL with the
// wasm inlined, because module scripts and workers from files are blocked on file://.
// Everything that needs a worker calls createEngineWorker(); nothing else names worker.mjs.

/** A new Worker running the engine protocol (web/protocol.mjs). */
export function createEngineWorker(name = '') {
  // the name is the worker's life lock (liveness.mjs)
  return new Worker(new URL('./worker.mjs', import.meta.url), { type: 'module', name });
}
