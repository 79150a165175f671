/**
 * The planner: for one channel, decide once per article what to do (baseline, too old,
 * waiting for a digest, or planned now) and write it, with any deliveries, in one
 * atomic step. Nothing is sent here.
 */
import type { Article } from '../content/article.ts';
import { matchesTopics } from '../content/article.ts';
import type { ChannelPlan, NewDelivery, StoredArticle, Subscriber, SubscriberFanout } from '../store/types.ts';
import type { Herald } from './herald.ts';
import { type ChannelConfig, channelKind } from './channel-kinds.ts';
import { approvalSettings, newPostApproval } from './approval.ts';
import { decide } from './rules.ts';

export interface ChannelPlanSummary {
  channelId: string;
  firstContact: boolean;
  due: string[];
  baseline: string[];
  tooOld: string[];
  waiting: string[];
  /** Due, and waiting for an editors' approval (or held by an editor in advance). */
  awaiting: string[];
  planned: number;
}

/** Deliveries for one article to one channel: one per destination, or one per matching subscriber. */
export function articleDeliveries(
  h: Herald,
  channel: ChannelConfig,
  article: Article,
  keyPrefix: string,
  manual = false,
): { deliveries: NewDelivery[]; fanouts: SubscriberFanout[] } {
  const kind = channelKind(channel);
  if (kind.audience === 'destination') {
    return {
      deliveries: [
        { channelId: channel.id, kind: 'post', articleId: article.id, recipient: kind.destination(channel), dedupeKey: keyPrefix, manual },
      ],
      fanouts: [],
    };
  }
  return {
    deliveries: [],
    fanouts: [
      {
        channelId: channel.id,
        kind: 'post',
        articleId: article.id,
        dedupePrefix: keyPrefix,
        match: (s: Subscriber) => (matchesTopics(article.topics, s.topics) ? JSON.stringify([article.id]) : null),
        messageId: (s: Subscriber) => h.messageId(channel.id, `a.${keyPrefix.split(':').pop()}.${s.publicId}`),
      },
    ],
  };
}

export async function planChannel(
  h: Herald,
  channel: ChannelConfig,
  articles: Article[],
  seen: Map<string, StoredArticle>,
  now: Date,
  opts: { dryRun?: boolean } = {},
): Promise<ChannelPlanSummary> {
  const state = await h.store.getChannel(channel.id);
  const firstContact = !state;
  const known = firstContact ? new Map() : await h.store.decisions(channel.id);
  const kind = channelKind(channel);
  const digest = kind.usesDigests(channel);
  const plan: ChannelPlan = {
    channelId: channel.id,
    createChannelAt: firstContact ? now.toISOString() : undefined,
    decisions: [],
    deliveries: [],
    fanouts: [],
    approvals: [],
    plannedApprovals: [],
  };
  const summary: ChannelPlanSummary = { channelId: channel.id, firstContact, due: [], baseline: [], tooOld: [], waiting: [], awaiting: [], planned: 0 };
  const settings = digest ? undefined : approvalSettings(channel);
  // An editor may have held (or released) an article before it became due.
  const approvals = digest ? new Map() : await h.store.postApprovals(channel.id);

  // Oldest first, so deliveries are written (and later sent) in publishing order.
  const ordered = [...articles].sort((a, b) => a.publishedAt.localeCompare(b.publishedAt) || a.id.localeCompare(b.id));
  for (const article of ordered) {
    if (known.has(article.id)) continue;
    const firstSeen = seen.get(article.id)?.firstSeenAt;
    const outcome = decide({
      article,
      firstSeenAt: firstSeen ? new Date(firstSeen) : now,
      channel,
      firstContact,
      now,
      lookbackMs: h.config.content.lookbackMs,
      maxAgeMs: h.config.content.maxAgeMs,
    });
    if (outcome === null) continue;
    if (outcome === 'baseline' || outcome === 'too-old') {
      plan.decisions.push({ articleId: article.id, status: outcome });
      (outcome === 'baseline' ? summary.baseline : summary.tooOld).push(article.id);
      continue;
    }
    summary.due.push(article.id);
    if (digest) {
      plan.decisions.push({ articleId: article.id, status: 'waiting' });
      summary.waiting.push(article.id);
      continue;
    }
    plan.decisions.push({ articleId: article.id, status: 'planned' });
    const approval = approvals.get(article.id);
    if (approval?.status !== 'released' && (approval || settings)) {
      // Nothing claimable is written: the deliveries come when the approval is released.
      if (!approval && settings) plan.approvals?.push(newPostApproval(channel, settings, article.id, now));
      summary.awaiting.push(article.id);
      continue;
    }
    if (approval) plan.plannedApprovals?.push(approval.id);
    const { deliveries, fanouts } = articleDeliveries(h, channel, article, `auto:${channel.id}:${article.id}`);
    plan.deliveries.push(...deliveries);
    plan.fanouts.push(...fanouts);
  }
  if (!opts.dryRun && (firstContact || plan.decisions.length > 0)) {
    summary.planned = (await h.store.applyPlan(plan, now)).planned;
  }
  return summary;
}
