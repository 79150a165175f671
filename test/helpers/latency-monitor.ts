/**
 * Polls a URL from a worker thread and records how long each answer took. The worker has its
 * own event loop: a server that blocks the test process's loop cannot hide it by also
 * blocking the monitor (an in-process poller would only send its requests when the server
 * is free again, and measure nothing).
 *
 *   const monitor = startLatencyMonitor(`${origin}/healthz`);
 *   … the work under test …
 *   const latencies = await monitor.stop();   // milliseconds, one per answer
 */
import { Worker } from 'node:worker_threads';

const SOURCE = `
const { parentPort, workerData } = require('node:worker_threads');
const { performance } = require('node:perf_hooks');
let stopping = false;
const latencies = [];
parentPort.on('message', () => { stopping = true; });
(async () => {
  while (!stopping) {
    const sent = performance.now();
    try {
      const res = await fetch(workerData.url);
      await res.arrayBuffer();
      latencies.push({ ms: performance.now() - sent, status: res.status });
    } catch (e) {
      latencies.push({ ms: performance.now() - sent, status: 0 });
    }
    await new Promise((r) => setTimeout(r, workerData.intervalMs));
  }
  parentPort.postMessage(latencies);
})();
`;

export interface Sample {
  ms: number;
  /** HTTP status, 0 when the request failed. */
  status: number;
}

export function startLatencyMonitor(url: string, intervalMs = 10): { stop(): Promise<Sample[]> } {
  const worker = new Worker(SOURCE, { eval: true, workerData: { url, intervalMs } });
  const done = new Promise<Sample[]>((resolve, reject) => {
    worker.once('message', (samples: Sample[]) => resolve(samples));
    worker.once('error', reject);
  });
  return {
    async stop() {
      worker.postMessage('stop');
      const samples = await done;
      await worker.terminate();
      return samples;
    },
  };
}
