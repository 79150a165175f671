/**
 * Who holds a claim: host, pid and process start, so a run can tell that a claim's
 * owner on this host is dead (killed mid-send) and resume its deliveries at once.
 */
import { hostname } from 'node:os';

const started = Date.now();
export const CLAIMANT = `${hostname()}:${process.pid}:${started}`;

export function claimantAlive(claimant: string): boolean {
  const [host, pidText] = claimant.split(':');
  if (claimant === CLAIMANT) return true;
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
