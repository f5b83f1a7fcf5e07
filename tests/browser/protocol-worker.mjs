// The Node side of web/protocol.mjs: the same handler the browser worker runs, on a
// worker_threads port. workerData.engine is the URL of the engine module to load.
import { parentPort, workerData } from 'node:worker_threads';
import { createProtocol } from '../../web/protocol.mjs';

const protocol = createProtocol({
  loadEngine: () => import(workerData.engine),
  post: (message) => parentPort.postMessage(message),
});
parentPort.on('message', (message) => protocol.handle(message));
