import type { Worker } from 'node:worker_threads';
import { TemplateError } from '../template-engine.ts';
import { newWorker } from '../../util/worker-exec-argv.ts';
import type { MjmlOutcome } from './mjml-to-html.ts';
import type { MjmlJob } from './mjml-worker.ts';

export { dropInvalidImageHeights, minifyEmailHtml } from './mjml-to-html.ts';

/**
 * MJML → HTML. Validation runs in 'soft' mode (MJML renders and reports), and any
 * reported error is rethrown naming the template: a broken layout should stop the
 * send, not reach 20,000 inboxes. The HTML is then minified (html-minifier-terser, with
 * only the transformations that keep email HTML intact: see `minifyEmailHtml`), rather
 * than with MJML's own htmlnano step, which can rewrite attribute values and conditional
 * comments.
 *
 * The compile runs in a worker thread that ends shortly after its last job: MJML and the
 * minifiers take ~60 MB once loaded, which otherwise stayed in the process for a whole
 * fan-out or an idle `herald run` (measured in the commits that made it so).
 */
export async function compileMjml(source: string, templateName: string): Promise<string> {
  const cached = recent.get(source);
  if (cached !== undefined) return cached;
  const outcome = await inWorker(source);
  if ('thrown' in outcome) {
    throw new TemplateError(templateName, `MJML could not compile the rendered template: ${outcome.thrown}`, new Error(outcome.thrown));
  }
  if ('errors' in outcome) {
    const details = outcome.errors.map((err) => `line ${err.line}: ${err.message}`).join('; ');
    const more = outcome.count > 5 ? ` (and ${outcome.count - 5} more)` : '';
    throw new TemplateError(templateName, `invalid MJML (line numbers refer to the rendered MJML): ${details}${more}`);
  }
  recent.set(source, outcome.html);
  if (recent.size > RECENT_COMPILES) recent.delete(recent.keys().next().value as string);
  return outcome.html;
}

/**
 * The last few compiles, by MJML source (the output depends on nothing else): a digest
 * rendered before its fan-out is planned (payloads/email-kind.ts, `prerenderDigest`) is not
 * compiled again when its first email is built, so the worker is not alive, holding ~50 MB,
 * on top of what planning a large fan-out holds. A few hundred KB at most.
 */
const recent = new Map<string, string>();
const RECENT_COMPILES = 8;

/** Ends the worker now if it has nothing to do (its idle timer cannot fire while a long synchronous step, such as planning, holds the thread). */
export async function endIdleMjmlWorker(): Promise<void> {
  const r = current;
  if (!r || r.pending.size > 0) return;
  current = undefined;
  clearTimeout(r.idleTimer);
  await r.w.terminate();
}

/** The worker's young generation (V8's default is 48 MB); see startWorker below. */
const MJML_YOUNG_GENERATION_MB = 6;

/** How long the worker waits for another job before it ends (renders come in bursts). */
const IDLE_MS = 100;

/** A worker and the jobs it owes: each worker answers for its own (one that ends fails only those). */
interface Running {
  w: Worker;
  pending: Map<number, { resolve: (o: MjmlOutcome) => void; reject: (e: Error) => void }>;
  idleTimer?: NodeJS.Timeout;
}

let current: Running | undefined;
let nextId = 0;

function startWorker(): Running {
  // From the sources the worker needs tsx registered first; the build (dist/) has it compiled.
  const url = import.meta.url.endsWith('.ts') ? new URL('./mjml-worker-entry.mjs', import.meta.url) : new URL('./mjml-worker.js', import.meta.url);
  // A small young generation: the compile makes little that lives long, and V8's default
  // (3 × 16 MB semi-spaces) was ~20 MB of the fan-out's peak RSS, at no measurable speed gain.
  const w = newWorker(url, { resourceLimits: { maxYoungGenerationSizeMb: MJML_YOUNG_GENERATION_MB } });
  const r: Running = { w, pending: new Map() };
  const failAll = (e: Error) => {
    for (const p of r.pending.values()) p.reject(e);
    r.pending.clear();
  };
  w.on('message', (m: { id: number; outcome: MjmlOutcome }) => {
    const p = r.pending.get(m.id);
    r.pending.delete(m.id);
    p?.resolve(m.outcome);
    if (r.pending.size === 0) {
      // Idle, it never keeps the process alive; while a caller waits it does.
      w.unref();
      clearTimeout(r.idleTimer);
      r.idleTimer = setTimeout(() => {
        if (r.pending.size > 0 || current !== r) return;
        current = undefined;
        void w.terminate();
      }, IDLE_MS);
      r.idleTimer.unref();
    }
  });
  w.on('error', (e) => {
    if (current === r) current = undefined;
    failAll(e);
  });
  w.on('exit', (code) => {
    if (current === r) current = undefined;
    if (r.pending.size > 0) failAll(new Error(`MJML worker exited with code ${code}`));
  });
  return r;
}

function inWorker(source: string): Promise<MjmlOutcome> {
  current ??= startWorker();
  const r = current;
  clearTimeout(r.idleTimer);
  r.w.ref();
  const id = nextId++;
  return new Promise((resolve, reject) => {
    r.pending.set(id, { resolve, reject });
    r.w.postMessage({ id, source } satisfies MjmlJob);
  });
}
