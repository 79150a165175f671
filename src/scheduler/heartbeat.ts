/**
 * A heartbeat for a process that does not run the daemon (`herald serve`), so `herald status`
 * lists it too. Only on a shared store; returns the function that stops it (and removes the row).
 */
import { hostname } from 'node:os';
import type { Herald } from '../pipeline/herald.ts';
import { clusterOf } from '../store/cluster.ts';
import { PROCESS_CLAIMANT } from '../util/claimant.ts';
import { errorMessage } from '../util/secrets.ts';

export async function startHeartbeat(h: Herald, role: string, everyMs = 2000): Promise<() => Promise<void>> {
  const cluster = clusterOf(h.store);
  if (!cluster) return async () => {};
  const me = { process: PROCESS_CLAIMANT, host: hostname(), pid: process.pid, role, leader: false, startedAt: new Date() };
  const beat = () => cluster.heartbeat(me).catch((e) => h.log.warn(`heartbeat: ${errorMessage(e)}`));
  await beat();
  const timer = setInterval(() => void beat(), everyMs);
  return async () => {
    clearInterval(timer);
    await cluster.forget(me.process).catch(() => undefined);
  };
}
