// web/dist/engine-host.mjs — the single-file page's engine-host.mjs. `make dist`
// (web/tools/build-dist.mjs) bundles this in place of web/engine-host.mjs. Module scripts and
// workers from files are blocked on file://, so the worker runs from a Blob URL holding its
// bundled source (web/dist/worker-entry.mjs, both wasm builds inlined). The build provides
// that source as the default export of the virtual module 'accumlab-dist:worker-source'.
import WORKER_SOURCE from 'accumlab-dist:worker-source';

/** A new Worker running the engine protocol (web/protocol.mjs), from inlined source. */
export function createEngineWorker(name = '') {
  // Not revoked: the worker may still be loading it; one per worker, for the page's life.
  const url = URL.createObjectURL(new Blob([WORKER_SOURCE], { type: 'text/javascript' }));
  return new Worker(url, { name }); // the name is the worker's life lock (liveness.mjs)
}
