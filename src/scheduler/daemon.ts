/**
 * `herald run`: passes of the pipeline on a timetable. A pass runs at start, every
 * content.scan, soon after a file under content.dir changes, at each digest schedule,
 * when a future-dated article's time comes and when a retry falls due. Passes never
 * overlap; a request during a pass runs one more pass after it.
 */
import { watch } from 'chokidar';
import { fetchBounces } from '../bounces/mailbox.ts';
import type { EmailChannelConfig } from '../channels/email/email-config.ts';
import cron from 'node-cron';
import { articleStatus } from '../content/article.ts';
import { nextApprovalWake } from '../pipeline/approval.ts';
import { nextScheduled } from '../pipeline/digest-schedule.ts';
import { runPass } from '../pipeline/dispatch.ts';
import type { Herald } from '../pipeline/herald.ts';
import { errorMessage } from '../util/secrets.ts';

export interface DaemonOptions {
  signal: AbortSignal;
  /** Called after each pass (tests, the web server's status). */
  onPass?: (r: Awaited<ReturnType<typeof runPass>>) => void;
  /** Debounce for file changes. */
  changeDelayMs?: number;
  /** Receives the function that runs a pass now (the web hook and dashboard buttons use it). */
  expose?: (trigger: () => Promise<void>) => void;
}

const MAX_TIMER_MS = 6 * 3_600_000;

export async function runDaemon(h: Herald, opts: DaemonOptions): Promise<void> {
  const { signal } = opts;
  let running: Promise<void> | undefined;
  let again = false;
  let wakeTimer: NodeJS.Timeout | undefined;
  let changeTimer: NodeJS.Timeout | undefined;
  /** A correction waiting for the end of its post's settle time (from the last pass). */
  let livingWake: string | undefined;

  const passOnce = async (reason: string) => {
    h.log.debug(`pass (${reason})`);
    try {
      const r = await runPass(h, { signal });
      livingWake = r.wakeAt;
      for (const l of r.living) {
        if (l.edited || l.retracted || l.reposted) h.log.info(`${l.channelId}: ${l.edited} post(s) edited, ${l.retracted} retracted, ${l.reposted} to post again`);
      }
      for (const p of r.plans) if (p.due.length) h.log.info(`${p.channelId}: ${p.due.length} new article(s) due: ${p.due.join(', ')}`);
      for (const d of r.digests) if (d.digest) h.log.info(`${d.channelId}: digest #${d.digest.id} of ${d.articles.length} article(s) for ${d.recipients} subscriber(s)`);
      for (const run of r.runs) {
        if (run.sent || run.failed) h.log.info(`${run.channelId}: ${run.sent} sent, ${run.failed} failed, ${run.deferred} pending`);
        for (const m of run.messages) h.log.warn(m);
      }
      opts.onPass?.(r);
    } catch (e) {
      h.log.error(`pass failed: ${errorMessage(e)}`);
    }
    await scheduleWake();
  };

  const pass = (reason: string): Promise<void> => {
    if (signal.aborted) return Promise.resolve();
    if (running) {
      again = true;
      return running;
    }
    running = (async () => {
      do {
        again = false;
        await passOnce(reason);
      } while (again && !signal.aborted);
    })().finally(() => {
      running = undefined;
    });
    return running;
  };

  /** Wake for the next future-dated article or retry, rather than waiting for the next scan. */
  async function scheduleWake(): Promise<void> {
    if (signal.aborted) return;
    const now = h.now().getTime();
    const times: number[] = [];
    for (const s of await h.store.listArticles()) {
      if (!s.goneAt && articleStatus(s.article, h.now()) === 'scheduled') times.push(Date.parse(s.article.publishedAt));
      // The end of an embargo (front matter herald.embargo) is when channels may take it.
      if (!s.goneAt && s.article.herald?.embargo) times.push(Date.parse(s.article.herald.embargo));
    }
    for (const c of h.config.channels) {
      const t = await h.store.nextAttemptAt(c.id);
      if (t) times.push(Date.parse(t));
      // A digest with an approval window: its card goes out `window` before the scheduled time.
      const lead = c.type === 'email' && c.mode === 'digest' && c.enabled ? c.approval?.window : undefined;
      const state = lead !== undefined ? await h.store.getChannel(c.id) : undefined;
      if (lead !== undefined && state && c.type === 'email') {
        times.push(nextScheduled(c.schedule, h.config.site.timezone, new Date(state.lastDigestAt ?? state.firstRunAt)).getTime() - lead);
      }
    }
    if (livingWake) times.push(Date.parse(livingWake));
    // The end of an approval window releases its deliveries exactly then.
    const release = await nextApprovalWake(h);
    if (release !== undefined) times.push(release);
    const next = Math.min(...times.filter((t) => t > now), Number.POSITIVE_INFINITY);
    if (wakeTimer) clearTimeout(wakeTimer);
    wakeTimer = undefined;
    if (Number.isFinite(next)) {
      wakeTimer = setTimeout(() => void pass('scheduled time'), Math.min(MAX_TIMER_MS, Math.max(250, next - now + 250)));
    }
  }

  const tasks = h.config.channels
    .filter((c): c is EmailChannelConfig => c.enabled && c.type === 'email' && c.mode === 'digest')
    .map((c) => cron.schedule(c.schedule, () => void pass(`${c.id} digest schedule`), { timezone: h.config.site.timezone, name: `digest-${c.id}` }));
  const scanTimer = setInterval(() => void pass('scan interval'), h.config.content.scanMs);
  // Every language's content folder (a Hugo site may keep them side by side).
  const folders = [...new Set([h.config.content.dir, ...(h.config.content.languages ?? []).map((l) => l.contentDir)])];
  const watcher = watch(folders, { ignoreInitial: true, awaitWriteFinish: { stabilityThreshold: 300, pollInterval: 100 } });
  watcher.on('all', () => {
    if (changeTimer) clearTimeout(changeTimer);
    changeTimer = setTimeout(() => void pass('content changed'), opts.changeDelayMs ?? 1000);
  });
  watcher.on('error', (e) => h.log.warn(`watching ${folders.join(', ')}: ${errorMessage(e)}`));

  // The bounce mailbox, on its own timer: a slow or unreachable IMAP server never holds up a pass.
  let fetching: Promise<void> | undefined;
  const fetchMailbox = () => {
    if (fetching || signal.aborted) return;
    fetching = (async () => {
      try {
        const r = await fetchBounces(h);
        if (r.reports > 0) h.log.info(`bounce mailbox: ${r.reports} report(s), ${r.recorded} event(s) recorded, ${r.suppressed} address(es) stopped, ${r.unmatched} unmatched`);
        for (const p of r.problems) h.log.warn(`bounce mailbox: ${p}`);
      } catch (e) {
        h.log.error(errorMessage(e));
      }
    })().finally(() => {
      fetching = undefined;
    });
  };
  const mailboxTimer = h.config.bounces.mailbox ? setInterval(fetchMailbox, h.config.bounces.fetchMs) : undefined;
  if (mailboxTimer) fetchMailbox();

  opts.expose?.(() => pass('requested'));
  h.log.info(`Herald is running: ${h.config.channels.filter((c) => c.enabled).length} channel(s), content in ${h.config.content.dir}; Ctrl-C to stop`);
  await pass('start');

  await new Promise<void>((resolve) => {
    if (signal.aborted) resolve();
    else signal.addEventListener('abort', () => resolve(), { once: true });
  });
  h.log.info('stopping: finishing sends in flight');
  for (const t of tasks) await t.stop();
  clearInterval(scanTimer);
  if (mailboxTimer) clearInterval(mailboxTimer);
  if (wakeTimer) clearTimeout(wakeTimer);
  if (changeTimer) clearTimeout(changeTimer);
  await watcher.close();
  await running;
  await fetching;
}
