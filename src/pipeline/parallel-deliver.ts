/**
 * Large email fan-outs are sent from several worker threads at once (one per core),
 * each with its own store connection and its share of the SMTP pool. They need no
 * coordination beyond the store's atomic claims.
 */
import { availableParallelism } from 'node:os';
import type { EmailChannelConfig } from '../channels/email/email-config.ts';
import { PROCESS_CLAIMANT } from '../util/claimant.ts';
import { withSendHeapPolicy } from '../util/heap-policy.ts';
import { newWorker } from '../util/worker-exec-argv.ts';
import type { ChannelRunResult, DeliverOptions } from './deliver.ts';
import type { Herald } from './herald.ts';
import type { SendWorkerData, WorkerMessage } from './send-worker.ts';

/** Below this many pending emails one thread is enough (a worker costs about a second to start). */
export const PARALLEL_MIN = 500;

/**
 * Send threads for one large fan-out: HERALD_SEND_THREADS (default 1, at most the core
 * count). More threads help when the SMTP server is on another machine; when it shares
 * this machine's cores (the benchmark's local sink) it needs the spare core itself, and
 * each thread costs about 150 MB, so one thread is the default.
 */
export function sendThreads(env: Record<string, string | undefined> = process.env): number {
  const forced = Number(env.HERALD_SEND_THREADS);
  return Number.isInteger(forced) && forced >= 1 ? Math.min(forced, availableParallelism()) : 1;
}

export async function deliverInWorkers(h: Herald, channel: EmailChannelConfig, threads: number, opts: DeliverOptions = {}): Promise<ChannelRunResult> {
  return withSendHeapPolicy(() => deliverInWorkersNow(h, channel, threads, opts));
}

async function deliverInWorkersNow(h: Herald, channel: EmailChannelConfig, threads: number, opts: DeliverOptions): Promise<ChannelRunResult> {
  const share = (n: number) => (n === 0 ? 0 : Math.max(1, Math.ceil(n / threads)));
  const data: Omit<SendWorkerData, never> = {
    processClaimant: PROCESS_CLAIMANT,
    configFile: h.config.file,
    env: h.config.env,
    channelId: channel.id,
    clockOffsetMs: h.now().getTime() - Date.now(),
    pool: { maxConnections: share(channel.pool.maxConnections), rateLimit: channel.pool.rateLimit / threads },
    logLevel: h.log.level,
    maxInRunWaitMs: opts.maxInRunWaitMs,
  };
  // From the sources the worker needs tsx registered first; the build (dist/) has it compiled.
  const url = import.meta.url.endsWith('.ts') ? new URL('./send-worker-entry.mjs', import.meta.url) : new URL('./send-worker.js', import.meta.url);
  const runs = Array.from(
    { length: threads },
    () =>
      new Promise<ChannelRunResult>((resolve, reject) => {
        const w = newWorker(url, { workerData: data });
        const onAbort = () => w.postMessage({ type: 'stop' });
        opts.signal?.addEventListener('abort', onAbort, { once: true });
        let done = false;
        w.on('message', (m: WorkerMessage) => {
          if (m.type === 'result') {
            opts.onResult?.(m.outcome);
            return;
          }
          done = true;
          if (m.type === 'done') resolve(m.result as ChannelRunResult);
          else reject(new Error(m.message));
          // Its store and connections are closed; nothing else may keep the process alive.
          void w.terminate();
        });
        w.on('error', reject);
        w.on('exit', (code) => {
          opts.signal?.removeEventListener('abort', onAbort);
          if (!done) reject(new Error(`send worker exited with code ${code}`));
        });
      }),
  );
  const results = await Promise.allSettled(runs);
  const out: ChannelRunResult = { channelId: channel.id, sent: 0, failed: 0, deferred: 0, messages: [] };
  for (const r of results) {
    if (r.status === 'rejected') {
      out.messages.push(`${channel.id}: a send thread failed: ${(r.reason as Error).message}`);
      continue;
    }
    out.sent += r.value.sent;
    out.failed += r.value.failed;
    out.deferred += r.value.deferred;
    out.messages.push(...r.value.messages.filter((m) => !out.messages.includes(m)));
    out.gaveUp ??= r.value.gaveUp;
    out.paused ??= r.value.paused;
  }
  return out;
}
