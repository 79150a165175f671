/**
 * The worker thread that compiles MJML for compile-mjml.ts: MJML, html-minifier, terser and
 * clean-css (~60 MB once loaded and compiled) live and die with this thread instead of
 * staying in the process for the rest of a fan-out or of `herald run`.
 */
import { parentPort } from 'node:worker_threads';
import { mjmlToHtml } from './mjml-to-html.ts';

export interface MjmlJob {
  id: number;
  source: string;
}

const port = parentPort!;
port.on('message', (job: MjmlJob) => {
  mjmlToHtml(job.source).then(
    (outcome) => port.postMessage({ id: job.id, outcome }),
    (e: unknown) => port.postMessage({ id: job.id, outcome: { thrown: e instanceof Error ? e.message : String(e) } }),
  );
});
