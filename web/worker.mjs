// web/worker.mjs — the Web Worker that owns the wasm engine.
// All the logic is in protocol.mjs (shared with Node tests); this file only connects it to
// the worker's message port. The engine is imported on 'init' so a load failure becomes an
// error answer the page can show, not an unhandled exception.
import { createProtocol } from './protocol.mjs';
import { holdLifeLock } from './liveness.mjs';

const protocol = createProtocol({
  loadEngine: async () => {
    // the page's "PyTorch script": one process, or torch.distributed when workers > 1 (labScript)
    const [engine, { labScript }] = await Promise.all([import('../wasm/accumlab.mjs'), import('../wasm/export-ddp.mjs')]);
    return { ...engine, torchScript: labScript };
  },
  post: (message) => self.postMessage(message),
});

// Messages wait for the life lock, so the page's watch on it starts after it is held.
const held = holdLifeLock(self.name);
self.addEventListener('message', (event) => {
  held.then(() => protocol.handle(event.data));
});
