/**
 * Parsing many pages on every core. A cold scan spends most of its time parsing (YAML,
 * dates, summaries: ~0.5 ms a page), which is pure and per file, so when a scan has hundreds
 * of pages to parse, worker threads (parse-worker.ts) parse them beside the main thread. Every
 * thread claims its next pages from one shared counter (Atomics), so none waits for another
 * to hand it work; each worker first parses a few pages kept for it, so each takes part.
 * Which thread parsed a page changes nothing: each result goes to its own index, and a worker
 * answers with JSON, as the parse cache stores pages.
 */
import { availableParallelism } from 'node:os';
import type { Worker } from 'node:worker_threads';
import type { ArticleProblem } from './article.ts';
import type { Candidate } from './scan.ts';
import type { ContentSettings, SiteSettings } from './site.ts';
import { newWorker } from '../util/worker-exec-argv.ts';

export interface ParseWorkerData {
  content: ContentSettings;
  site: SiteSettings;
}

/** What a worker is to parse: its own pages first, then those it claims from the counter. */
export interface ParseJob {
  /** Every page of this parse, in order; results name their position here. */
  candidates: Candidate[];
  /** Positions [from, to) kept for this worker. */
  own: [number, number];
  /** Int32 at 0: the next unclaimed position; positions from `end` on are kept for workers. */
  next: SharedArrayBuffer;
  end: number;
  /** Pages claimed at once. */
  chunk: number;
}

/** A page parsed by a worker: as JSON, with the sha256 of its bytes; or why the file is no page. */
export type WorkerParse = { json: string; hash: string } | ArticleProblem;

export interface ParseWorkerMessage {
  results: Array<{ i: number; parsed: WorkerParse }>;
  /** Nothing left to claim: its last message. */
  done?: boolean;
}

/**
 * Below this many pages to parse, one thread is quicker: a worker costs ~100 ms of CPU to
 * start (Node plus the parsing modules) before it parses anything.
 */
export const PARALLEL_PARSE_MIN = 300;

/** Pages a worker claims (and answers for) at once: few enough that the threads finish close together. */
const CHUNK = 8;

/** Threads that parse (the main one included): one per core, at most four. */
export function parseThreads(): number {
  return Math.min(availableParallelism(), 4);
}

/**
 * Plain data only (what YAML and JSON give): a worker receives a structured clone, which would
 * turn a TomlDate or YamlTimestamp in a cascade or default into something the parse reads differently.
 */
export function cloneable(value: unknown): boolean {
  if (value === null || typeof value !== 'object') return typeof value !== 'function' && typeof value !== 'symbol';
  if (Array.isArray(value)) return value.every(cloneable);
  const proto = Object.getPrototypeOf(value);
  if (proto !== Object.prototype && proto !== null) return false;
  return Object.values(value).every(cloneable);
}

/**
 * Where a worker starts: from the build, dist/parse-worker-boot.cjs (the worker bundle through
 * V8's code cache); from the sources, with tsx registered first.
 */
function workerUrl(): URL {
  return import.meta.url.endsWith('.ts') ? new URL('./parse-worker-entry.mjs', import.meta.url) : new URL('./parse-worker-boot.cjs', import.meta.url);
}

/** Claims `count` positions from the counter: the first, or none (-1) when all are claimed. */
export function claim(next: Int32Array, count: number, end: number): number {
  const at = Atomics.add(next, 0, count);
  return at < end ? at : -1;
}

/** A worker started before its pages were known (see startParseWorkers). */
export interface EarlyWorker {
  worker: Worker;
  /** It has ended (failed to load): not to be given pages. */
  exited: boolean;
  /** Taken by parseInParallel, which ends it. */
  taken: boolean;
}

/**
 * Workers started ahead, while the main thread walks the site, when the scan already knows it
 * will parse every page (an empty parse cache: a site's first scan): a worker takes ~0.1-0.2 s
 * to load, time it would otherwise spend after the walk. Those parseInParallel does not take
 * are ended by `endUnused`.
 */
export function startParseWorkers(count: number, settings: ParseWorkerData): EarlyWorker[] {
  const url = workerUrl();
  const early: EarlyWorker[] = [];
  for (let n = 0; n < count; n++) {
    let worker: Worker;
    try {
      worker = newWorker(url, { workerData: settings });
    } catch {
      break; // the main thread parses alone
    }
    const e: EarlyWorker = { worker, exited: false, taken: false };
    // Until taken, a failure only marks it (parseInParallel then leaves it).
    worker.on('error', () => {});
    worker.on('exit', () => {
      e.exited = true;
    });
    early.push(e);
  }
  return early;
}

/** Ends the early workers parseInParallel did not take. */
export function endUnused(early: readonly EarlyWorker[]): void {
  for (const e of early) if (!e.taken && !e.exited) void e.worker.terminate();
}

/**
 * Parses the candidates at `items`: `parseHere(i)` on this thread, `take(i, parsed)` for what
 * a worker parsed. Pages a worker claimed but did not answer for (it failed or could not
 * start) are parsed on this thread at the end. Workers started early (startParseWorkers, same
 * settings) are used first.
 */
export async function parseInParallel(
  items: readonly number[],
  candidates: readonly Candidate[],
  threads: number,
  settings: ParseWorkerData,
  parseHere: (i: number) => void,
  take: (i: number, parsed: WorkerParse) => void,
  early: readonly EarlyWorker[] = [],
): Promise<void> {
  const url = workerUrl();
  const ready = early.filter((e) => !e.exited && !e.taken);
  const helpers = Math.max(0, Math.min(threads - 1, Math.floor(items.length / CHUNK) - 1));
  // Each worker's own pages are at the end; the counter runs over the rest.
  const end = items.length - helpers * CHUNK;
  const next = new Int32Array(new SharedArrayBuffer(4));
  const done = new Uint8Array(items.length);
  const list = items.map((i) => candidates[i] as Candidate);

  const help = (n: number): Promise<void> =>
    new Promise<void>((resolve) => {
      const job: ParseJob = { candidates: list, own: [end + n * CHUNK, end + (n + 1) * CHUNK], next: next.buffer as SharedArrayBuffer, end, chunk: CHUNK };
      let w: Worker;
      const e = ready.shift();
      try {
        w = e ? e.worker : newWorker(url, { workerData: settings });
      } catch {
        resolve(); // its pages are parsed here
        return;
      }
      if (e) e.taken = true;
      let over = false;
      const finish = () => {
        if (over) return;
        over = true;
        resolve();
        void w.terminate();
      };
      w.on('message', (m: ParseWorkerMessage) => {
        for (const r of m.results) {
          if (done[r.i] === 1) continue;
          done[r.i] = 1;
          take(items[r.i] as number, r.parsed);
        }
        if (m.done) finish();
      });
      w.on('error', finish);
      w.on('exit', finish);
      w.postMessage(job);
    });

  const working = Array.from({ length: helpers }, (_, n) => help(n));
  let parsed = 0;
  for (let at = claim(next, 1, end); at >= 0; at = claim(next, 1, end)) {
    done[at] = 1;
    parseHere(items[at] as number);
    // Lets the workers' answers in as they come.
    if (++parsed % 8 === 0) await new Promise(setImmediate);
  }
  await Promise.all(working);
  for (let at = 0; at < items.length; at++) {
    if (done[at] === 1) continue;
    done[at] = 1;
    parseHere(items[at] as number);
  }
}
