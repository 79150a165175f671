import { Worker, type WorkerOptions } from 'node:worker_threads';

/**
 * The process's own node flags, for a worker thread, minus those a worker refuses with
 * ERR_WORKER_INVALID_EXEC_ARGV: `--input-type` (`node --input-type=module -e …`) and V8 heap
 * sizes (`node --max-semi-space-size=4 bin/herald …`, which the README suggests; a worker
 * sizes its heap through `resourceLimits`).
 */
const REFUSED = /^--input-type\b|^--(max|min)[-_](semi|old)[-_]space[-_]size\b|^--max[-_]heap[-_]size\b/;

/** Flags that change how a worker's code loads: kept when the others are refused. */
const LOADING = /^(--import|--require|-r|--loader|--experimental-loader|--conditions|-C|--enable-source-maps)\b/;

export function workerExecArgv(): string[] {
  return process.execArgv.filter((a) => !REFUSED.test(a));
}

/**
 * A worker with the process's node flags. Node refuses some per-process flags in a worker
 * (`node --trace-gc bin/herald …`, and others this list cannot foresee): then it starts with
 * only the flags that change how code loads, and failing that with none.
 */
export function newWorker(url: URL, options: Omit<WorkerOptions, 'execArgv'> = {}): Worker {
  const all = workerExecArgv();
  const loading = pairedFlags(all).filter((group) => LOADING.test(group[0] as string)).flat();
  const tries = [all, loading, []];
  for (const [n, execArgv] of tries.entries()) {
    try {
      return new Worker(url, { ...options, execArgv });
    } catch (err) {
      if ((err as { code?: string }).code !== 'ERR_WORKER_INVALID_EXEC_ARGV' || n === tries.length - 1) throw err;
    }
  }
  throw new Error('unreachable');
}

/** `--import tsx` stays one group (a flag and its separate value); `--import=tsx` is one item. */
function pairedFlags(argv: string[]): string[][] {
  const groups: string[][] = [];
  for (const a of argv) {
    const last = groups.at(-1);
    if (last && last.length === 1 && !a.startsWith('-') && !(last[0] as string).includes('=')) last.push(a);
    else groups.push([a]);
  }
  return groups;
}
