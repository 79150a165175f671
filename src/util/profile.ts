/**
 * `herald --profile …` or HERALD_PROFILE=1: where a command spent its time, printed to stderr
 * when it ends, so slowness can be reported usefully. Phases are exclusive: time spent in a
 * phase started inside another (render inside send) counts for the inner one only. Off by
 * default; then `phase` only calls through.
 */
import { getHeapSpaceStatistics } from 'node:v8';
const totals = new Map<string, number>();
const stack: { name: string; resumedAt: number }[] = [];
let enabled = false;

export function enableProfile(): void {
  enabled = true;
  if (process.env.HERALD_PROFILE_MEMORY === '1') startMemorySampler();
}

/** Highest memory seen in each phase (HERALD_PROFILE_MEMORY=1): where a command's peak RSS comes from. */
const memoryPeaks = new Map<string, { m: NodeJS.MemoryUsage; spaces: string }>();

function startMemorySampler(): void {
  const sample = () => {
    const m = process.memoryUsage();
    const name = stack.at(-1)?.name ?? 'other';
    if ((memoryPeaks.get(name)?.m.rss ?? 0) >= m.rss) return;
    const spaces = getHeapSpaceStatistics()
      .filter((s) => s.space_size >= 1048576)
      .map((s) => `${s.space_name.replace('_space', '')} ${Math.round(s.space_size / 1048576)}`)
      .join(' ');
    memoryPeaks.set(name, { m, spaces });
  };
  setInterval(sample, 10).unref();
}

function memoryReport(): string {
  const mb = (n: number) => Math.round(n / 1048576);
  const parts = [...memoryPeaks].map(
    ([name, { m, spaces }]) => `${name} ${mb(m.rss)} MB (heap ${mb(m.heapUsed)}/${mb(m.heapTotal)}: ${spaces}; external ${mb(m.external)}, buffers ${mb(m.arrayBuffers)})`,
  );
  return parts.length > 0 ? `\nherald profile memory: ${parts.join('; ')}` : '';
}

export function profiling(): boolean {
  return enabled;
}

function pause(now: number): void {
  const top = stack.at(-1);
  if (top) totals.set(top.name, (totals.get(top.name) ?? 0) + now - top.resumedAt);
}

/** Runs `fn` as the named phase. Concurrent phases (overlapping promises) are counted as they nest. */
export async function phase<T>(name: string, fn: () => Promise<T> | T): Promise<T> {
  if (!enabled) return fn();
  const start = performance.now();
  pause(start);
  const frame = { name, resumedAt: start };
  stack.push(frame);
  try {
    return await fn();
  } finally {
    const end = performance.now();
    const i = stack.lastIndexOf(frame);
    if (i === stack.length - 1) {
      pause(end);
      stack.pop();
      const parent = stack.at(-1);
      if (parent) parent.resumedAt = end;
    } else if (i >= 0) {
      // Ended while a later-started phase still runs (concurrent work): count it up to now.
      totals.set(name, (totals.get(name) ?? 0) + end - frame.resumedAt);
      stack.splice(i, 1);
    }
  }
}

/** Adds time measured elsewhere (process start-up before any module of ours ran). */
export function addPhaseTime(name: string, ms: number): void {
  if (enabled) totals.set(name, (totals.get(name) ?? 0) + ms);
}

/** "start-up 120 ms, scan 310 ms, …, total 1.84 s", in the order phases first ran. */
export function profileReport(totalMs: number): string {
  const ms = (n: number) => (n >= 1000 ? `${(n / 1000).toFixed(2)} s` : `${Math.round(n)} ms`);
  const parts = [...totals].map(([name, n]) => `${name} ${ms(n)}`);
  const other = totalMs - [...totals.values()].reduce((a, b) => a + b, 0);
  if (other >= 1) parts.push(`other ${ms(other)}`);
  const rss = process.resourceUsage().maxRSS / 1024;
  return `herald profile: ${parts.join(', ')}; total ${ms(totalMs)}, peak RSS ${Math.round(rss)} MB${memoryReport()}`;
}
