// tests/c/run-wasm.mjs — runs one C unit test compiled to WebAssembly (a WASI command) in
// Node; the process exits with the test's own exit status. `make test-c` calls it once per
// test binary: the SIMD build (wasm_simd128.h paths of the core) and the scalar build (the
// plain 4-lane fallbacks of core/simd.h), neither of which the native tests run.
// returnOnExit stays false: with it, Node 20 crashed (SIGSEGV) after test_config's main had
// returned; without it proc_exit ends the process directly.
import { readFileSync } from 'node:fs';
import { WASI } from 'node:wasi';

const file = process.argv[2];
if (!file) {
  console.error('usage: node --no-warnings tests/c/run-wasm.mjs build/ctest-wasm/simd/test_rng.wasm');
  process.exit(2);
}
const wasi = new WASI({ version: 'preview1', args: [file], returnOnExit: false });
const module = await WebAssembly.compile(readFileSync(file));
const instance = await WebAssembly.instantiate(module, {
  wasi_snapshot_preview1: wasi.wasiImport,
  env: { emscripten_notify_memory_growth() {} },
});
wasi.start(instance);
