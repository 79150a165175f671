/**
 * One scheduler pass: scan, plan every channel, make the digests whose time has come,
 * then send everything due. The CLI's `dispatch`, the daemon and the web hook all call this.
 */
import type { EmailChannelConfig } from '../channels/email/email-config.ts';
import type { Actor } from '../store/types.ts';
import { phase } from '../util/profile.ts';
import { errorMessage } from '../util/secrets.ts';
import { announceApprovals, releaseDueApprovals } from './approval.ts';
import type { ChannelConfig } from './channel-kinds.ts';
import { type ChannelRunResult, type DeliverOptions, deliverChannel } from './deliver.ts';
import { type DigestSummary, planDigest } from './digest.ts';
import { type LivingResult, revisePosts } from './living.ts';
import type { Herald } from './herald.ts';
import { deliverInWorkers, PARALLEL_MIN, sendThreads } from './parallel-deliver.ts';
import { type ChannelPlanSummary, planChannel } from './plan.ts';
import { scanAndRecord } from './scan.ts';

export interface PassOptions extends DeliverOptions {
  dryRun?: boolean;
  /** Only these channels (default: every enabled one). */
  channels?: string[];
  /** Make this channel's digest now, whatever its schedule. */
  forceDigest?: string;
  /** Skip sending (plan only). */
  planOnly?: boolean;
  /** Who asked for a forced digest (it decides that digest's approval card). */
  actor?: Actor;
  /** Only send what is due: no scan, no planning, no digests (a worker, or a process that does not lead). */
  sendOnly?: boolean;
}

export interface PassResult {
  problems: { file: string; reason: string }[];
  plans: ChannelPlanSummary[];
  digests: DigestSummary[];
  runs: ChannelRunResult[];
  /** Living posts: corrections, retractions and re-posts on chat channels. */
  living: LivingResult[];
  /** When a waiting change (a post's settle time) is due: the daemon wakes then. */
  wakeAt?: string;
  /** Channel-level errors (a channel that could not even start). */
  errors: string[];
  ok: boolean;
}

const isDigestChannel = (c: ChannelConfig): c is EmailChannelConfig => c.type === 'email' && c.mode === 'digest';

export async function runPass(h: Herald, opts: PassOptions = {}): Promise<PassResult> {
  const channels = h.config.channels.filter((c) => c.enabled && (!opts.channels || opts.channels.includes(c.id)));
  if (opts.sendOnly) {
    const result: PassResult = { problems: [], plans: [], digests: [], runs: [], living: [], errors: [], ok: true };
    return send(h, channels, opts, result);
  }
  const scan = await scanAndRecord(h, { dryRun: opts.dryRun });
  const now = h.now();
  const result: PassResult = { problems: scan.problems, plans: [], digests: [], runs: [], living: [], errors: [], ok: true };

  // Windows that have ended are released first, so their deliveries go out in this pass.
  if (!opts.dryRun) {
    try {
      await releaseDueApprovals(h, now);
    } catch (e) {
      const msg = `approvals: ${errorMessage(e)}`;
      h.log.error(msg);
      result.errors.push(msg);
    }
  }
  await phase('plan', async () => {
    for (const ch of channels) {
      try {
        result.plans.push(await planChannel(h, ch, scan.articles, scan.seen, now, { dryRun: opts.dryRun }));
        if (isDigestChannel(ch)) {
          const d = await planDigest(h, ch, now, { force: opts.forceDigest === ch.id, dryRun: opts.dryRun, actor: opts.actor });
          result.digests.push(d);
        }
      } catch (e) {
        const msg = `${ch.id}: planning failed: ${errorMessage(e)}`;
        h.log.error(msg);
        result.errors.push(msg);
      }
    }
  });
  // The editors hear of new approvals before anything else is sent; a chat that is down never stops the pass.
  if (!opts.dryRun) await announceApprovals(h).catch((e) => h.log.error(`approval cards: ${errorMessage(e)}`));
  if (opts.dryRun || opts.planOnly) return result;

  // Posts already out follow their articles (edits, retractions) before new ones go out; re-posts are sent below.
  const broken = new Set(scan.problems.map((p) => p.file));
  for (const ch of channels) {
    if (ch.type === 'email') continue;
    try {
      const l = await revisePosts(h, ch, broken);
      result.living.push(l);
      if (l.wakeAt && (!result.wakeAt || l.wakeAt < result.wakeAt)) result.wakeAt = l.wakeAt;
    } catch (e) {
      const msg = `${ch.id}: updating posts failed: ${errorMessage(e)}`;
      h.log.error(msg);
      result.errors.push(msg);
    }
  }
  return send(h, channels, opts, result);
}

async function send(h: Herald, channels: ChannelConfig[], opts: PassOptions, result: PassResult): Promise<PassResult> {
  // Channels send side by side: a slow or dead one never holds up the others.
  const runs = await phase('send', () =>
    Promise.all(
      channels.map(async (ch) => {
        try {
          const threads = sendThreads(h.config.env);
          if (ch.type === 'email' && ch.smtp !== '' && threads > 1) {
            const pending = (await h.store.counts()).find((c) => c.channelId === ch.id)?.pending ?? 0;
            if (pending >= PARALLEL_MIN) return await deliverInWorkers(h, ch, threads, opts);
          }
          return await deliverChannel(h, ch, opts);
        } catch (e) {
          const msg = `${ch.id}: ${errorMessage(e)}`;
          h.log.error(msg);
          result.errors.push(msg);
          return { channelId: ch.id, sent: 0, failed: 0, deferred: 0, messages: [msg] } satisfies ChannelRunResult;
        }
      }),
    ),
  );
  result.runs = runs;
  result.ok = result.errors.length === 0 && runs.every((r) => r.failed === 0 && !r.gaveUp && !r.paused);
  return result;
}
