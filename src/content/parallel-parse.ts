/**
 * Parsing many pages on every core. A cold scan spends most of its time parsing (YAML,
 * dates, summaries: ~0.4 ms a page), which is pure and per file, so when a scan has hundreds
 * of pages to parse, worker threads (parse-worker.ts) take chunks of them while the main
 * thread parses from the other end. Which thread parsed a page changes nothing: each result
 * goes to its own index, and a worker answers with JSON, as the parse cache stores pages.
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
  /** Its first pages. */
  first?: ParseJob;
}

export interface ParseJob {
  items: Array<{ i: number; c: Candidate }>;
}

/** A page parsed by a worker: as JSON, with the sha256 of its bytes; or why the file is no page. */
export type WorkerParse = { json: string; hash: string } | ArticleProblem;

export interface ParseWorkerMessage {
  results: Array<{ i: number; parsed: WorkerParse }>;
}

/**
 * Below this many pages to parse, one thread is quicker: a worker costs ~100 ms of CPU to
 * start (Node plus the parsing modules) before it parses anything.
 */
export const PARALLEL_PARSE_MIN = 300;

/** Pages handed to a worker at once: few enough that the threads finish close together. */
const CHUNK = 16;

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

interface Helper {
  /** The chunks it was given and has not answered for, oldest first (it answers in order). */
  outstanding: number[][];
  done: Promise<void>;
  finish(): void;
}

/**
 * Parses the candidates at `items`: `parseHere(i)` on this thread, `take(i, parsed)` for what
 * a worker parsed. A worker that fails (or cannot start) gives its pages back to this thread.
 * Workers started early (startParseWorkers, same settings) are used first.
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
  let front = 0;
  let back = items.length;
  const leftovers: number[] = [];
  const url = workerUrl();
  const ready = early.filter((e) => !e.exited && !e.taken);

  /** The next chunk from the back: the main thread parses from the front. */
  const chunk = () => {
    const end = back;
    back = Math.max(front, back - CHUNK);
    return items.slice(back, end);
  };
  const jobOf = (chunkItems: number[]): ParseJob => ({ items: chunkItems.map((i) => ({ i, c: candidates[i] as Candidate })) });

  const start = (): Helper => {
    // Its first chunk goes with it, so it starts parsing as soon as it has loaded; a second
    // waits in its queue, so it never sits idle while this thread, busy parsing, answers.
    const first = chunk();
    const e = ready.shift();
    let w: Worker;
    if (e) {
      e.taken = true;
      w = e.worker;
      w.postMessage(jobOf(first));
    } else {
      w = newWorker(url, { workerData: { ...settings, first: jobOf(first) } satisfies ParseWorkerData });
    }
    let resolve = () => {};
    const helper: Helper = {
      outstanding: [first],
      done: new Promise<void>((r) => {
        resolve = r;
      }),
      finish() {
        leftovers.push(...helper.outstanding.flat());
        helper.outstanding = [];
        resolve();
        void w.terminate();
      },
    };
    const give = () => {
      const next = chunk();
      if (next.length === 0) return;
      helper.outstanding.push(next);
      w.postMessage(jobOf(next));
    };
    give();
    w.on('message', (m: ParseWorkerMessage) => {
      for (const r of m.results) take(r.i, r.parsed);
      helper.outstanding.shift();
      give();
      if (helper.outstanding.length === 0) helper.finish();
    });
    w.on('error', () => helper.finish());
    w.on('exit', () => helper.finish());
    return helper;
  };

  const helpers: Helper[] = [];
  for (let n = 1; n < threads && back - front > CHUNK; n++) helpers.push(start());
  while (front < back) {
    const stop = Math.min(back, front + 8);
    while (front < stop) parseHere(items[front++] as number);
    // Lets the workers' answers in, so each gets its next chunk while this thread parses on.
    await new Promise(setImmediate);
  }
  await Promise.all(helpers.map((h) => h.done));
  for (const i of leftovers) parseHere(i);
}
