/**
 * Pacing budgets shared by every Herald process on one PostgreSQL store: a chat that takes
 * one post a second gets one a second from all of them together, not one from each. Each
 * post takes the budget's next slot (slots are `intervalMs` apart) and waits for it.
 */
import { setTimeout as sleep } from 'node:timers/promises';
import type { Cluster } from '../store/cluster.ts';

export interface SharedPacing {
  /**
   * Takes the next slot of `key` and waits for it; resolves with how long it waited. A slot
   * further than `maxWaitMs` away is not waited for: resolves with -(ms to go) instead.
   */
  take(key: string, intervalMs: number, opts?: { signal?: AbortSignal; maxWaitMs?: number }): Promise<number>;
  /** Nothing on this budget before `untilMs` (ms since the epoch): the platform asked to wait. */
  hold(key: string, untilMs: number): Promise<void>;
}

export function sharedPacing(cluster: Cluster, clock: () => number = Date.now): SharedPacing {
  return {
    async take(key, intervalMs, opts = {}) {
      const now = clock();
      const slot = await cluster.paceSlot(key, Math.max(1, Math.round(intervalMs)), now);
      const wait = slot - clock();
      if (wait <= 0) return 0;
      if (opts.maxWaitMs !== undefined && wait > opts.maxWaitMs) return -wait;
      await sleep(wait, undefined, opts.signal ? { signal: opts.signal } : undefined);
      return wait;
    },
    hold: (key, untilMs) => cluster.holdPace(key, Math.round(untilMs)),
  };
}
