/**
 * Who holds a claim: host, pid, process start and thread, so a run can tell that a
 * claim's owner on this host is dead (killed mid-send) and resume its deliveries at
 * once, while the sibling threads of a live process are left alone.
 */
import { hostname } from 'node:os';
import { isMainThread, threadId, workerData } from 'node:worker_threads';

/** host:pid:start, the same for every thread of this process (workers get it from the main thread). */
export const PROCESS_CLAIMANT: string =
  !isMainThread && typeof (workerData as { processClaimant?: unknown } | null)?.processClaimant === 'string'
    ? (workerData as { processClaimant: string }).processClaimant
    : `${hostname()}:${process.pid}:${Date.now()}`;

export const CLAIMANT = `${PROCESS_CLAIMANT}:${threadId}`;

export function claimantAlive(claimant: string): boolean {
  if (claimant.startsWith(`${PROCESS_CLAIMANT}:`)) return true; // this process (any thread)
  const [host, pidText] = claimant.split(':');
  if (host !== hostname()) return true; // another machine: only the lease can expire it
  const pid = Number(pidText);
  if (!Number.isInteger(pid) || pid <= 0) return false;
  if (pid === process.pid) return false; // an earlier process that had our pid
  try {
    process.kill(pid, 0);
    return true;
  } catch (e) {
    return (e as NodeJS.ErrnoException).code === 'EPERM';
  }
}
