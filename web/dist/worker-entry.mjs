// web/dist/worker-entry.mjs — the single-file page's engine worker (web/worker.mjs with the
// wasm inlined). `make dist` bundles it into one classic script, as a string that
// web/dist/engine-host.mjs starts from a Blob URL. The paths are those of the assembled site
// (web/tools/build-site.mjs), like web/main.mjs's; *.wasm imports are base64 text (esbuild's
// base64 loader), decoded here and passed to createLab as wasmBytes: nothing is fetched.
import { createProtocol } from '../protocol.mjs';
import { holdLifeLock } from '../liveness.mjs';
import { createLab, simdSupported } from '../../wasm/accumlab.mjs';
import { labScript } from '../../wasm/export-ddp.mjs'; // one process, or torch.distributed with workers > 1
import SIMD_WASM_BASE64 from '../../wasm/accumlab.wasm';
import SCALAR_WASM_BASE64 from '../../wasm/accumlab-scalar.wasm';

function bytesFromBase64(text) {
  const binary = atob(text);
  const bytes = new Uint8Array(binary.length);
  for (let i = 0; i < binary.length; i++) bytes[i] = binary.charCodeAt(i);
  return bytes;
}

/** The engine module's API, with the bytes of the chosen build supplied. */
const engine = {
  simdSupported,
  torchScript: labScript,
  createLab(options = {}) {
    const simd = options.simd ?? simdSupported();
    return createLab({ ...options, simd, wasmBytes: bytesFromBase64(simd ? SIMD_WASM_BASE64 : SCALAR_WASM_BASE64) });
  },
};

const protocol = createProtocol({
  loadEngine: async () => engine,
  post: (message) => self.postMessage(message),
});

const held = holdLifeLock(self.name); // messages wait for it: see web/worker.mjs
self.addEventListener('message', (event) => {
  held.then(() => protocol.handle(event.data));
});
