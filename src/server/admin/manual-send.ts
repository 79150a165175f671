/**
 * The dashboard's "send now": the same steps as `herald send` (scan, refuse what is not
 * published or already sent unless forced, plan as a manual delivery, deliver the
 * channel). Kept beside the dashboard because the CLI command prints as it goes;
 * both write the same ledger rows, so either path sees what the other did.
 */
import { type ArticleStatus, articleStatus } from '../../content/article.ts';
import type { ChannelConfig } from '../../pipeline/channel-kinds.ts';
import { type ChannelRunResult, deliverChannel } from '../../pipeline/deliver.ts';
import type { Herald } from '../../pipeline/herald.ts';
import { articleDeliveries } from '../../pipeline/plan.ts';
import { scanAndRecord } from '../../pipeline/scan.ts';

export type ManualSendResult =
  | { outcome: 'not-found'; problem?: string }
  | { outcome: 'not-published'; status: ArticleStatus }
  | { outcome: 'already-sent'; at?: string }
  | { outcome: 'no-recipients' }
  | { outcome: 'ran'; run: ChannelRunResult };

/** A web request should not hang for a minute on a provider's long rate-limit wait: longer waits become the next attempt time. */
const MAX_IN_REQUEST_WAIT_MS = 15_000;

export async function sendArticleNow(h: Herald, channel: ChannelConfig, articleId: string, force: boolean): Promise<ManualSendResult> {
  const scan = await scanAndRecord(h);
  const article = scan.articles.find((a) => a.id === articleId);
  if (!article) return { outcome: 'not-found', problem: scan.problems.find((p) => p.file === articleId)?.reason };
  const status = articleStatus(article, h.now());
  if (status !== 'published' && !force) return { outcome: 'not-published', status };
  const before = await h.store.deliverySummary(channel.id, { articleId: article.id });
  const decision = (await h.store.decisions(channel.id)).get(article.id);
  const inDigest = decision?.digestId !== undefined ? await h.store.deliverySummary(channel.id, { digestId: decision.digestId }) : undefined;
  if ((before.sent > 0 || (inDigest?.sent ?? 0) > 0) && !force) return { outcome: 'already-sent', at: before.lastSentAt ?? inDigest?.lastSentAt };
  const now = h.now();
  const key = `manual:${channel.id}:${article.id}:${now.getTime()}`;
  const { deliveries, fanouts } = articleDeliveries(h, channel, article, key, true);
  const created = !(await h.store.getChannel(channel.id));
  // Recorded as planned, so the automatic path (or the next digest) never sends it again.
  const keepDecision = decision && decision.status === 'planned';
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
  if (planned === 0) return { outcome: 'no-recipients' };
  return { outcome: 'ran', run: await deliverChannel(h, channel, { maxInRunWaitMs: MAX_IN_REQUEST_WAIT_MS }) };
}
