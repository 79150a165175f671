/**
 * An editor's "send this article to this channel now" (the CLI's `herald send` and the
 * dashboard's "send now" button): scan, refuse what is not published or already sent
 * unless forced, and plan it as a manual delivery. Both callers then deliver the
 * channel, so either path sees in the ledger what the other did.
 */
import { randomUUID } from 'node:crypto';
import { type Article, type ArticleStatus, articleStatus } from '../content/article.ts';
import type { Actor } from '../store/types.ts';
import { settleCards } from './approval.ts';
import type { ChannelConfig } from './channel-kinds.ts';
import { type ChannelRunResult, deliverChannel } from './deliver.ts';
import type { Herald } from './herald.ts';
import { articleDeliveries, readerContext } from './plan.ts';
import { channelKind } from './channel-kinds.ts';
import { scanAndRecord } from './scan.ts';

export type ManualSendPlan =
  | { outcome: 'not-found'; problem?: string }
  | { outcome: 'not-published'; article: Article; status: ArticleStatus }
  | { outcome: 'already-sent'; article: Article; at?: string }
  | { outcome: 'no-recipients'; article: Article }
  | { outcome: 'planned'; article: Article; planned: number };

/** An article by id, or by its path under its content folder (with or without the extension). */
function matches(a: Article, ref: string): boolean {
  return a.id === ref || a.file === ref || a.file.replace(/\.[^./]+$/, '') === ref;
}

/** The command line, when no one else is named. */
export const CLI_ACTOR: Actor = { name: 'cli', via: 'cli' };

export async function planManualSend(h: Herald, channel: ChannelConfig, articleRef: string, force: boolean, actor: Actor = CLI_ACTOR): Promise<ManualSendPlan> {
  const scan = await scanAndRecord(h);
  const article = scan.articles.find((a) => a.id === articleRef) ?? scan.articles.find((a) => matches(a, articleRef));
  if (!article) return { outcome: 'not-found', problem: scan.problems.find((p) => p.file === articleRef)?.reason };
  const status = articleStatus(article, h.now());
  if (status !== 'published' && !force) return { outcome: 'not-published', article, status };
  const before = await h.store.deliverySummary(channel.id, { articleId: article.id });
  const decision = (await h.store.decisions(channel.id)).get(article.id);
  const inDigest = decision?.digestId !== undefined ? await h.store.deliverySummary(channel.id, { digestId: decision.digestId }) : undefined;
  if ((before.sent > 0 || (inDigest?.sent ?? 0) > 0) && !force) return { outcome: 'already-sent', article, at: before.lastSentAt ?? inDigest?.lastSentAt };
  const now = h.now();
  // Each manual send is a send of its own: two in one millisecond (two processes, two clicks, or
  // HERALD_NOW clocks started at one instant) must not share a key and be taken for one.
  const key = `manual:${channel.id}:${article.id}:${now.getTime()}:${randomUUID()}`;
  // Readers get the version in their language; forced, even those who had another version already.
  const readers = channelKind(channel).audience === 'subscribers' ? await readerContext(h, channel, [article], scan.articles) : undefined;
  const { deliveries, fanouts } = articleDeliveries(h, channel, article, key, true, readers, { ignoreReached: force });
  const created = !(await h.store.getChannel(channel.id));
  // Recorded as planned, so the automatic path (or the next digest) never sends it again.
  const keepDecision = decision?.status === 'planned';
  // An approval still open for it is settled by this send: its window must not send it again.
  const approval = await h.store.findApproval(channel.id, 'post', article.id);
  if (approval && (approval.status === 'awaiting' || approval.status === 'held' || approval.status === 'skipped')) {
    const decided = await h.store.decideApproval(approval.id, { from: ['awaiting', 'held', 'skipped'], to: 'released', action: 'sent-manually', actor }, now);
    if (decided) {
      await h.store.markApprovalPlanned(decided.id, now);
      await settleCards(h, decided);
    }
  }
  const { planned } = await h.store.applyPlan(
    {
      channelId: channel.id,
      createChannelAt: created ? now.toISOString() : undefined,
      decisions: keepDecision ? [] : [{ articleId: article.id, status: 'planned' }],
      overrideWaiting: true,
      deliveries,
      fanouts,
    },
    now,
  );
  return planned === 0 ? { outcome: 'no-recipients', article } : { outcome: 'planned', article, planned };
}

export type ManualSendResult = Exclude<ManualSendPlan, { outcome: 'planned' }> | { outcome: 'ran'; run: ChannelRunResult };

/** A person waiting on a page or in a chat should not wait a minute on a provider's long rate-limit wait: longer waits become the next attempt time. */
const MAX_INTERACTIVE_WAIT_MS = 15_000;

/** Plan like `herald send`, then deliver the channel at once (the dashboard's and the chats' "send now"). */
export async function sendArticleNow(h: Herald, channel: ChannelConfig, articleId: string, force: boolean, actor: Actor = CLI_ACTOR): Promise<ManualSendResult> {
  const plan = await planManualSend(h, channel, articleId, force, actor);
  if (plan.outcome !== 'planned') return plan;
  return { outcome: 'ran', run: await deliverChannel(h, channel, { maxInRunWaitMs: MAX_INTERACTIVE_WAIT_MS }) };
}
