/**
 * A thread that parses pages for scan.ts when a scan has many to parse (see parallel-parse.ts):
 * the same pure parse as the main thread's, on another core. It reads each file itself and
 * answers with the page as JSON (what the parse cache keeps anyway) and the bytes' sha256:
 * first its own pages, then those it claims from the shared counter until none is left.
 */
import { parentPort, workerData } from 'node:worker_threads';
import { claim, type ParseJob, type ParseWorkerData, type ParseWorkerMessage } from './parallel-parse.ts';
import { parseFileForWorker } from './parse-file.ts';

/**
 * Answers the jobs the main thread posts. `afterOwnPages` runs once, after the first job's own
 * pages are parsed (parse-worker-boot.cjs writes its code cache there: the parser is compiled
 * by then, and the worker is still running, as it is not once it has said it is done).
 */
export function serveParseJobs(afterOwnPages?: () => void): void {
  const { content, site } = workerData as ParseWorkerData;
  const port = parentPort!;
  let first = afterOwnPages;
  port.on('message', (job: ParseJob) => {
    const parse = (from: number, to: number) => {
      const results: ParseWorkerMessage['results'] = [];
      for (let i = from; i < to; i++) results.push({ i, parsed: parseFileForWorker(job.candidates[i] as ParseJob['candidates'][number], content, site) });
      port.postMessage({ results } satisfies ParseWorkerMessage);
    };
    parse(job.own[0], job.own[1]);
    first?.();
    first = undefined;
    const next = new Int32Array(job.next);
    for (let at = claim(next, job.chunk, job.end); at >= 0; at = claim(next, job.chunk, job.end)) parse(at, Math.min(at + job.chunk, job.end));
    port.postMessage({ results: [], done: true } satisfies ParseWorkerMessage);
  });
}
