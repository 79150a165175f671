/** The dashboard's "send now": plan like `herald send`, then deliver the channel within the request. */
import type { ChannelConfig } from '../../pipeline/channel-kinds.ts';
import { type ChannelRunResult, deliverChannel } from '../../pipeline/deliver.ts';
import type { Herald } from '../../pipeline/herald.ts';
import { type ManualSendPlan, planManualSend } from '../../pipeline/manual-send.ts';

export type ManualSendResult = Exclude<ManualSendPlan, { outcome: 'planned' }> | { outcome: 'ran'; run: ChannelRunResult };

/** A web request should not hang for a minute on a provider's long rate-limit wait: longer waits become the next attempt time. */
const MAX_IN_REQUEST_WAIT_MS = 15_000;

export async function sendArticleNow(h: Herald, channel: ChannelConfig, articleId: string, force: boolean): Promise<ManualSendResult> {
  const plan = await planManualSend(h, channel, articleId, force);
  if (plan.outcome !== 'planned') return plan;
  return { outcome: 'ran', run: await deliverChannel(h, channel, { maxInRunWaitMs: MAX_IN_REQUEST_WAIT_MS }) };
}
