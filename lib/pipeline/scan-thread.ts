/** The scan thread's entry (lib/pipeline/scan-ahead.ts); bundled beside each bundle that starts one. */
import { parentPort } from 'node:worker_threads';
import { serveScans } from './scan-ahead';

if (parentPort) serveScans(parentPort);
