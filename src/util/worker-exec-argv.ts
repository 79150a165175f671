/**
 * The process's own node flags, for a worker thread, minus those a worker refuses with
 * ERR_WORKER_INVALID_EXEC_ARGV: `--input-type` (`node --input-type=module -e …`) and V8 heap
 * sizes (`node --max-semi-space-size=4 bin/herald …`, which the README suggests; a worker
 * sizes its heap through `resourceLimits`).
 */
const REFUSED = /^--input-type\b|^--(max|min)[-_](semi|old)[-_]space[-_]size\b|^--max[-_]heap[-_]size\b/;

export function workerExecArgv(): string[] {
  return process.execArgv.filter((a) => !REFUSED.test(a));
}
