/**
 * A thread that parses pages for scan.ts when a scan has many to parse (see parallel-parse.ts):
 * the same pure parse as the main thread's, on another core. It reads each file itself and
 * answers with the page as JSON (what the parse cache keeps anyway) and the bytes' sha256.
 */
import { parentPort, workerData } from 'node:worker_threads';
import type { ParseJob, ParseWorkerData, ParseWorkerMessage } from './parallel-parse.ts';
import { parseFileForWorker } from './parse-file.ts';

const { content, site, first } = workerData as ParseWorkerData;
const port = parentPort!;
const parse = (job: ParseJob) => {
  const results = job.items.map(({ i, c }) => ({ i, parsed: parseFileForWorker(c, content, site) }));
  port.postMessage({ results } satisfies ParseWorkerMessage);
};
port.on('message', parse);
if (first) parse(first);
