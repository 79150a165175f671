/**
 * A worker thread that sends one channel's claimed deliveries. Several of them share a
 * channel's work safely because every delivery is claimed atomically in the store; this
 * is how one digest fan-out uses every core (MIME splicing and the SMTP stream are CPU work).
 */
import { parentPort, workerData } from 'node:worker_threads';
import { loadConfig } from '../config/load.ts';
import { createLogger } from '../util/logger.ts';
import { deliverChannel } from './deliver.ts';
import { createHerald } from './herald.ts';

export interface SendWorkerData {
  processClaimant: string;
  configFile: string;
  env: Record<string, string | undefined>;
  channelId: string;
  /** Herald's clock minus the real clock in the parent (tests and benchmarks move time). */
  clockOffsetMs: number;
  /** This worker's share of the channel's SMTP pool. */
  pool: { maxConnections: number; rateLimit: number };
  logLevel: string;
  maxInRunWaitMs?: number;
}

export type WorkerMessage = { type: 'result'; outcome: 'sent' | 'failed' | 'retry' } | { type: 'done'; result: unknown } | { type: 'error'; message: string };

const data = workerData as SendWorkerData;
const port = parentPort!;
const stop = new AbortController();
port.on('message', (m: { type: string }) => {
  if (m.type === 'stop') stop.abort();
});

try {
  const config = loadConfig({ file: data.configFile, env: data.env });
  for (const c of config.channels) if (c.id === data.channelId && c.type === 'email') c.pool = data.pool;
  const h = await createHerald(config, {
    log: createLogger({ level: data.logLevel }),
    now: () => new Date(Date.now() + data.clockOffsetMs),
    quiet: true,
  });
  let result: unknown;
  try {
    const channel = h.channel(data.channelId);
    if (!channel) throw new Error(`unknown channel ${data.channelId}`);
    result = await deliverChannel(h, channel, {
      signal: stop.signal,
      maxInRunWaitMs: data.maxInRunWaitMs,
      onResult: (outcome) => port.postMessage({ type: 'result', outcome } satisfies WorkerMessage),
    });
  } finally {
    await h.close();
  }
  port.postMessage({ type: 'done', result } satisfies WorkerMessage);
} catch (e) {
  port.postMessage({ type: 'error', message: e instanceof Error ? e.message : String(e) } satisfies WorkerMessage);
}
