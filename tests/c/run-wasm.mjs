// tests/c/run-wasm.mjs — runs one C unit test compiled to WebAssembly (a WASI command) in
// Node; the process exits with the test's own exit status. `make test-c` calls it once per
// test binary: the SIMD build (wasm_simd128.h paths of the core) and the scalar build (the
// plain 4-lane fallbacks of core/simd.h), neither of which the native tests run.
//
// The tests need only four WASI calls (fd_write to stdout/stderr, fd_seek, fd_close,
// proc_exit), given here. Node 20's own node:wasi crashed the process (SIGSEGV) after some
// tests had passed, at exit; here proc_exit unwinds with an exception and Node exits normally.
import { readFileSync } from 'node:fs';

const file = process.argv[2];
if (!file) {
  console.error('usage: node tests/c/run-wasm.mjs build/ctest-wasm/simd/test_rng.wasm');
  process.exit(2);
}

class Exit { constructor(code) { this.code = code; } }
const EBADF = 8, ENOSYS = 52;
let memory;
const wasi = {
  fd_write(fd, iovs, count, written) {
    if (fd !== 1 && fd !== 2) return EBADF;
    const view = new DataView(memory.buffer);
    let total = 0;
    for (let i = 0; i < count; i++) {
      const ptr = view.getUint32(iovs + 8 * i, true), len = view.getUint32(iovs + 8 * i + 4, true);
      (fd === 1 ? process.stdout : process.stderr).write(new Uint8Array(memory.buffer, ptr, len).slice());
      total += len;
    }
    view.setUint32(written, total, true);
    return 0;
  },
  fd_seek: () => ENOSYS,
  fd_close: () => 0,
  proc_exit(code) { throw new Exit(code); },
};
const module = await WebAssembly.compile(readFileSync(file));
const { exports } = await WebAssembly.instantiate(module, {
  wasi_snapshot_preview1: wasi,
  env: { emscripten_notify_memory_growth() {}, al_progress() {} }, // no host to show progress to
});
memory = exports.memory;
try {
  exports._start();
  process.exitCode = 0;
} catch (e) {
  if (!(e instanceof Exit)) throw e; // a trap: Node prints it and exits with 1
  process.exitCode = e.code;
}
