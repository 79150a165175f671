/**
 * While a channel sends, V8's old generation may grow only 20% past what was live after a full
 * collection, instead of V8's own factor (up to 4×), so a long send's memory stays flat.
 *
 * Why: during a fan-out, each delivery's short-lived objects are often promoted (they outlive
 * two young-generation collections while their page of deliveries is in flight) and then die
 * in the old generation, which V8 lets grow to several times its live size before it collects.
 * `herald digest` to 200,000 subscribers (DKIM off, Postfix smtp-sink, 2 cores) peaked at
 * 172–177 MB with V8's default and at 146–147 MB with 20%, in 66–70 s either way (alternating
 * runs); 1,000,000 peaked at 147 MB.
 *
 * Only while sending: a scan's heap grows because what it keeps grows, and there a tight limit
 * only adds full collections (10,000 unchanged articles listed 15–20% slower with it).
 *
 * The flag is process-wide and only read when V8 sizes the heap after a collection, which is
 * why setting and clearing it while the process runs is safe. A node flag given on the command
 * line (`node --heap-growing-percent=… bin/herald`) is left alone. Only the main thread sets it:
 * send threads (parallel-deliver.ts) run under the main thread's.
 */
import { setFlagsFromString } from 'node:v8';
import { isMainThread } from 'node:worker_threads';

const HEAP_GROWING_PERCENT = 20;

/**
 * A long-running process (`herald run`, `serve`) keeps V8's young generation at the size it
 * has when the command starts (1-2 MB semi-spaces) instead of letting it double up to 16 MB
 * while modules load and passes run: memory an idle daemon keeps and V8 rarely gives back.
 * Idle `herald run` on the example site: 85-91 MB instead of 99-102 MB (22 s runs, 2 cores).
 * Sends keep it too: `herald digest` to 20,000 subscribers with it took 7.8-9.1 s against
 * 7.5-10.2 s without (alternating runs, noise larger than any difference), peaking ~10 MB lower.
 * A young generation flag given to node is left alone. bin/herald now sets the same for every
 * command before anything loads (fresh pages are what a short command pays for); this stays for
 * daemons started another way (the sources, an embedding).
 */
export function useDaemonHeapPolicy(execArgv: readonly string[] = process.execArgv): void {
  if (!isMainThread || execArgv.some((a) => /^--(?:semi[-_]space[-_]growth[-_]factor|max[-_]semi[-_]space[-_]size)\b/.test(a))) return;
  setFlagsFromString('--semi-space-growth-factor=1');
}

const userSetting = (execArgv: readonly string[]) => execArgv.some((a) => /^--heap[-_]growing[-_]percent\b/.test(a));

let depth = 0;

/** Runs `send` with the send-time heap policy (nested and concurrent sends share it). */
export async function withSendHeapPolicy<T>(send: () => Promise<T>, execArgv: readonly string[] = process.execArgv): Promise<T> {
  if (!isMainThread || userSetting(execArgv)) return send();
  // 0 is V8's default: its own dynamic factor.
  if (depth++ === 0) setFlagsFromString(`--heap-growing-percent=${HEAP_GROWING_PERCENT}`);
  try {
    return await send();
  } finally {
    if (--depth === 0) setFlagsFromString('--heap-growing-percent=0');
  }
}

/** Whether the send-time policy is in force now (for tests). */
export function sendHeapPolicyActive(): boolean {
  return depth > 0;
}
