// wasm/host-imports.js — the functions the core asks its host for (Emscripten --js-library:
// each becomes an import of the standalone module, env.NAME). The binding
// (wasm/accumlab.mjs importsFor) gives the real ones; these bodies are never used.
mergeInto(LibraryManager.library, {
  // Progress inside one step (core/experiment_internal.h): phase, micro-batches done, total.
  al_progress: function (phase, done, total) {},
});
