/**
 * The planner: for one channel, decide once per article what to do (baseline, too old,
 * waiting for a digest, or planned now) and write it, with any deliveries, in one
 * atomic step. Nothing is sent here.
 */
import type { Article } from '../content/article.ts';
import { defaultLanguageCode, siteLanguages } from '../content/site.ts';
import type { ChannelPlan, FanoutReader, NewDelivery, StoredArticle, SubscriberFanout } from '../store/types.ts';
import type { Herald } from './herald.ts';
import { type ChannelConfig, channelKind } from './channel-kinds.ts';
import { approvalSettings, newPostApproval } from './approval.ts';
import { decide } from './rules.ts';
import { roundupDelivery, wantsRoundup } from './roundup.ts';
import { articlesForReader, keyOf, type ReaderContext, siblingsOf, translationGroups } from './translations.ts';
import { isBreaking, sendsAlerts } from './breaking.ts';

/**
 * What choosing a reader's version needs: every current version of the pages due (from
 * `present`, else the ledger) and who already got another version of them on this channel.
 */
export async function readerContext(h: Herald, channel: ChannelConfig, due: readonly Article[], present?: readonly Article[]): Promise<ReaderContext> {
  const stored = await h.store.listArticles();
  const current = present ?? stored.filter((s) => !s.goneAt).map((s) => s.article);
  const ctx: ReaderContext = {
    defaultLanguage: defaultLanguageCode(h.config.content, h.config.site),
    order: siteLanguages(h.config.content, h.config.site).map((l) => l.code),
    groups: translationGroups(current, channel, h.now()),
    reached: new Map(),
  };
  // Breaking news already emailed as an alert on this channel: those readers do not get it again.
  const alerted = sendsAlerts(channel) ? due.filter((a) => isBreaking(a, h.config)) : [];
  for (const a of alerted) {
    const key = keyOf(a);
    const ids = new Set([a.id, ...[...current, ...stored.map((s) => s.article)].filter((v) => keyOf(v) === key).map((v) => v.id)]);
    for (const id of await h.store.subscribersReached(channel.id, [...ids])) {
      const keys = ctx.reached.get(id) ?? new Set<string>();
      keys.add(key);
      ctx.reached.set(id, keys);
    }
  }
  // Single-language sites have no other versions: no ledger reads.
  for (const [key, ids] of siblingsOf(due, [...current, ...stored.map((s) => s.article)])) {
    for (const id of await h.store.subscribersReached(channel.id, [...new Set(ids)])) {
      const keys = ctx.reached.get(id) ?? new Set<string>();
      keys.add(key);
      ctx.reached.set(id, keys);
    }
  }
  return ctx;
}

export interface ChannelPlanSummary {
  channelId: string;
  firstContact: boolean;
  due: string[];
  baseline: string[];
  tooOld: string[];
  waiting: string[];
  /** Due, and waiting for an editors' approval (or held by an editor in advance). */
  awaiting: string[];
  /** Breaking news emailed at once to the readers who asked for alerts (digest channels with `breaking: email`). */
  alerts: string[];
  planned: number;
}

/** Deliveries for one article to one channel: one per destination, or one per matching subscriber. */
export function articleDeliveries(
  h: Herald,
  channel: ChannelConfig,
  article: Article,
  keyPrefix: string,
  manual = false,
  readers?: ReaderContext,
  opts: { ignoreReached?: boolean } = {},
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
        // Each reader gets the page in their language (this version or another), once.
        match: (s: FanoutReader) =>
          articlesForReader([article], s, readers ?? { defaultLanguage: '', order: [], groups: new Map(), reached: new Map() }, opts).length > 0 ? JSON.stringify([article.id]) : null,
        messageId: (s: FanoutReader) => h.messageId(channel.id, `a.${keyPrefix.split(':').pop()}.${s.publicId}`),
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
  const summary: ChannelPlanSummary = { channelId: channel.id, firstContact, due: [], baseline: [], tooOld: [], waiting: [], awaiting: [], alerts: [], planned: 0 };
  const alerts: Article[] = [];
  const settings = digest ? undefined : approvalSettings(channel);
  // An editor may have held (or released) an article before it became due.
  const approvals = digest ? new Map() : await h.store.postApprovals(channel.id);
  const readersDefault = defaultLanguageCode(h.config.content, h.config.site);
  const due: Array<{ article: Article; key: string }> = [];

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
      defaultLanguage: readersDefault,
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
      // Breaking news also goes out at once to the readers who asked for alerts (no digest window holds it).
      if (sendsAlerts(channel) && isBreaking(article, h.config)) alerts.push(article);
      continue;
    }
    plan.decisions.push({ articleId: article.id, status: 'planned' });
    const approval = approvals.get(article.id);
    // Breaking news skips the approval queue unless the channel's approval says `breaking: true`.
    const gate = settings && (settings.breaking || !isBreaking(article, h.config)) ? settings : undefined;
    if (approval?.status !== 'released' && (approval || gate)) {
      // Nothing claimable is written: the deliveries come when the approval is released.
      if (!approval && gate) plan.approvals?.push(newPostApproval(channel, gate, article.id, now));
      summary.awaiting.push(article.id);
      continue;
    }
    if (approval) plan.plannedApprovals?.push(approval.id);
    due.push({ article, key: `auto:${channel.id}:${article.id}` });
  }
  const readers = kind.audience === 'subscribers' && due.length > 0 ? await readerContext(h, channel, due.map((d) => d.article), articles) : undefined;
  const roundable = due.filter((d) => !isBreaking(d.article, h.config));
  if (await wantsRoundup(h, channel, roundable.map((d) => d.article), now)) {
    // A burst: one roundup post instead of one post each (breaking news still goes alone, first).
    const alone = due.filter((d) => isBreaking(d.article, h.config));
    plan.deliveries.push(...alone.flatMap((d) => articleDeliveries(h, channel, d.article, d.key).deliveries), roundupDelivery(channel, roundable.map((d) => d.article)));
    due.length = 0;
  }
  if (alerts.length > 0) {
    const alertReaders = await readerContext(h, channel, alerts, articles);
    for (const a of alerts) {
      const { fanouts } = articleDeliveries(h, channel, a, `alert:${channel.id}:${a.id}`, false, alertReaders);
      // Only readers who opted in; each gets the page once, in their language.
      plan.fanouts.push(...fanouts.map((f) => ({ ...f, match: (sub: FanoutReader) => (sub.alerts ? f.match(sub) : null) })));
      summary.alerts.push(a.id);
    }
  }
  for (const d of due) {
    const { deliveries, fanouts } = articleDeliveries(h, channel, d.article, d.key, false, readers);
    plan.deliveries.push(...deliveries);
    plan.fanouts.push(...fanouts);
  }
  if (!opts.dryRun && (firstContact || plan.decisions.length > 0)) {
    summary.planned = (await h.store.applyPlan(plan, now)).planned;
  }
  return summary;
}
