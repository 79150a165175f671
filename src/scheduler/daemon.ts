/**
 * `herald run`: passes of the pipeline on a timetable. A pass runs at start, every
 * content.scan, soon after a file under content.dir changes, at each digest schedule,
 * when a future-dated article's time comes and when a retry falls due. Passes never
 * overlap; a request during a pass runs one more pass after it.
 *
 * On a shared store (PostgreSQL) several processes run at once: one leader at a time
 * scans, plans and makes digests (the others only send) and a process takes the lead
 * within seconds when the leader dies; everyone sends, woken by new work (LISTEN/NOTIFY)
 * with a slow poll as a safety net, and writes a heartbeat that `herald status` lists.
 * `herald worker` (role 'worker') never leads and never scans: it only sends.
 */
import { watch } from 'chokidar';
import type { EmailChannelConfig } from '../channels/email/email-config.ts';
import cron from 'node-cron';
import { articleStatus } from '../content/article.ts';
import { nextApprovalWake } from '../pipeline/approval.ts';
import { nextScheduled } from '../pipeline/digest-schedule.ts';
import { runPass } from '../pipeline/dispatch.ts';
import type { Herald } from '../pipeline/herald.ts';
import { hostname } from 'node:os';
import { clusterOf, PASS_REQUEST } from '../store/cluster.ts';
import { PROCESS_CLAIMANT } from '../util/claimant.ts';
import { errorMessage } from '../util/secrets.ts';

export interface DaemonOptions {
  signal: AbortSignal;
  /** Called after each pass (tests, the web server's status). */
  onPass?: (r: Awaited<ReturnType<typeof runPass>>) => void;
  /** Debounce for file changes. */
  changeDelayMs?: number;
  /** Receives the function that runs a pass now (the web hook and dashboard buttons use it). */
  expose?: (trigger: () => Promise<void>) => void;
  /** 'run' (default): scan, plan and send; 'worker': send only. */
  role?: 'run' | 'worker';
}

const MAX_TIMER_MS = 6 * 3_600_000;

/** Heartbeat and leadership check (ms); a dead leader is replaced within about this long. */
function clusterTickMs(env: Record<string, string | undefined>): number {
  const v = Number(env.HERALD_CLUSTER_TICK_MS);
  return Number.isFinite(v) && v >= 100 ? v : 2000;
}

/** The safety-net poll for due work when no notification came (ms). */
function pollMs(env: Record<string, string | undefined>): number {
  const v = Number(env.HERALD_POLL_MS);
  return Number.isFinite(v) && v >= 100 ? v : 30_000;
}

export async function runDaemon(h: Herald, opts: DaemonOptions): Promise<void> {
  const { signal } = opts;
  const role = opts.role ?? 'run';
  const cluster = clusterOf(h.store);
  const leadership = cluster && role === 'run' ? cluster.leadership() : undefined;
  // Alone on its store, `run` leads; on a shared one it leads once it holds the lock.
  let leader = role === 'run' && !leadership;
  let running: Promise<void> | undefined;
  /** What the pass after the running one must do: the full pass wins over send-only. */
  let again: 'full' | 'send' | undefined;
  let wakeTimer: NodeJS.Timeout | undefined;
  let changeTimer: NodeJS.Timeout | undefined;
  /** A correction waiting for the end of its post's settle time (from the last pass). */
  let livingWake: string | undefined;

  const passOnce = async (reason: string, kind: 'full' | 'send') => {
    const sendOnly = kind === 'send' || !leader;
    h.log.debug(`pass (${reason}${sendOnly ? ', sending only' : ''})`);
    try {
      const r = await runPass(h, { signal, sendOnly });
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
    await scheduleWake().catch((e) => h.log.error(`scheduling the next pass: ${errorMessage(e)}`));
  };

  const pass = (reason: string, kind: 'full' | 'send' = 'full'): Promise<void> => {
    if (signal.aborted) return Promise.resolve();
    if (running) {
      again = again === 'full' || kind === 'full' ? 'full' : 'send';
      return running;
    }
    running = (async () => {
      let next: 'full' | 'send' | undefined = kind;
      while (next && !signal.aborted) {
        again = undefined;
        await passOnce(reason, next);
        next = again;
      }
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

  const worker = role === 'worker';
  const tasks = worker
    ? []
    : h.config.channels
        .filter((c): c is EmailChannelConfig => c.enabled && c.type === 'email' && c.mode === 'digest')
        .map((c) => cron.schedule(c.schedule, () => void pass(`${c.id} digest schedule`), { timezone: h.config.site.timezone, name: `digest-${c.id}` }));
  const scanTimer = worker ? undefined : setInterval(() => void pass('scan interval'), h.config.content.scanMs);
  // Every language's content folder (a Hugo site may keep them side by side).
  const folders = [...new Set([h.config.content.dir, ...(h.config.content.languages ?? []).map((l) => l.contentDir)])];
  const watcher = worker ? undefined : watch(folders, { ignoreInitial: true, awaitWriteFinish: { stabilityThreshold: 300, pollInterval: 100 } });
  watcher?.on('all', () => {
    if (changeTimer) clearTimeout(changeTimer);
    changeTimer = setTimeout(() => void pass('content changed'), opts.changeDelayMs ?? 1000);
  });
  watcher?.on('error', (e) => h.log.warn(`watching ${folders.join(', ')}: ${errorMessage(e)}`));

  // Many processes on one store: heartbeats, leadership, wake-ups on new work, a slow poll.
  let tickTimer: NodeJS.Timeout | undefined;
  let pollTimer: NodeJS.Timeout | undefined;
  let stopListening: (() => Promise<void>) | undefined;
  const me = { process: PROCESS_CLAIMANT, host: hostname(), pid: process.pid, role, startedAt: new Date() };
  if (cluster) {
    const tick = async () => {
      if (leadership) {
        const now = await leadership.check();
        if (now !== leader) {
          leader = now;
          h.log.info(now ? 'this process now leads: it scans, plans and makes the digests' : 'this process no longer leads: sending only');
          if (now) void pass('became the leader');
        }
      }
      await cluster.heartbeat({ ...me, leader });
    };
    await tick().catch((e) => h.log.error(`heartbeat: ${errorMessage(e)}`));
    tickTimer = setInterval(() => void tick().catch((e) => h.log.warn(`heartbeat: ${errorMessage(e)}`)), clusterTickMs(h.config.env));
    // New work: send it. A pass asked of the leader by another process (its web hook, a button): the leader runs it.
    stopListening = await cluster.onWork((payload) => void (payload === PASS_REQUEST ? pass('asked by another process', leader ? 'full' : 'send') : pass('new work', 'send')));
  }
  // The safety net on a shared store; a worker on SQLite (no notifications) has only this.
  if (cluster || worker) pollTimer = setInterval(() => void pass('poll', 'send'), pollMs(h.config.env));

  // The bounce mailbox, on its own timer and only on the leader: a slow or unreachable IMAP
  // server never holds up a pass (each report is recorded once, whoever reads it).
  let fetching: Promise<void> | undefined;
  const fetchMailbox = () => {
    if (fetching || signal.aborted || !leader) return;
    fetching = (async () => {
      try {
        // Loaded when a mailbox is read: imapflow and mailparser stay out of every other start-up.
        const { fetchBounces } = await import('../bounces/mailbox.ts');
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
  const mailboxTimer = h.config.bounces.mailbox && !worker ? setInterval(fetchMailbox, h.config.bounces.fetchMs) : undefined;
  if (mailboxTimer) fetchMailbox();

  // Asked here (the publish hook, a dashboard button) while another process leads: the leader scans and plans.
  opts.expose?.(async () => {
    if (cluster && !leader) await cluster.requestPass();
    await pass('requested');
  });
  h.log.info(
    worker
      ? `Herald worker is running: sending for ${h.config.channels.filter((c) => c.enabled).length} channel(s); Ctrl-C to stop`
      : `Herald is running: ${h.config.channels.filter((c) => c.enabled).length} channel(s), content in ${h.config.content.dir}; Ctrl-C to stop`,
  );
  await pass('start', worker ? 'send' : 'full');

  await new Promise<void>((resolve) => {
    if (signal.aborted) resolve();
    else signal.addEventListener('abort', () => resolve(), { once: true });
  });
  h.log.info('stopping: finishing sends in flight');
  for (const t of tasks) await t.stop();
  if (mailboxTimer) clearInterval(mailboxTimer);
  if (scanTimer) clearInterval(scanTimer);
  if (tickTimer) clearInterval(tickTimer);
  if (pollTimer) clearInterval(pollTimer);
  if (wakeTimer) clearTimeout(wakeTimer);
  if (changeTimer) clearTimeout(changeTimer);
  await stopListening?.();
  await watcher?.close();
  await running;
  await fetching;
  // Handing over at once rather than when the connection times out.
  await leadership?.release();
  await cluster?.forget(me.process).catch(() => undefined);
}
