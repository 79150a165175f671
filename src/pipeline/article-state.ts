/**
 * Where one article stands on one channel, read from the ledger: shared by
 * `herald articles` and the dashboard so both tell the same story.
 */
import type { Decision } from '../store/types.ts';
import type { Herald } from './herald.ts';

export interface ChannelState {
  state: string;
  time?: string;
  messageId?: string;
  sent?: number;
  pending?: number;
  failed?: number;
  error?: string;
}

/** `decisions` may be read once per channel by a caller listing many articles. */
export async function articleChannelState(h: Herald, channelId: string, articleId: string, decisions?: Map<string, Decision>): Promise<ChannelState> {
  const decision = (decisions ?? (await h.store.decisions(channelId))).get(articleId);
  if (!decision) return { state: 'not-due' };
  if (decision.status !== 'planned') return { state: decision.status };
  const direct = await h.store.deliverySummary(channelId, { articleId });
  const viaDigest = decision.digestId !== undefined ? await h.store.deliverySummary(channelId, { digestId: decision.digestId }) : undefined;
  const s = {
    pending: direct.pending + direct.sending + (viaDigest ? viaDigest.pending + viaDigest.sending : 0),
    sent: direct.sent + (viaDigest?.sent ?? 0),
    failed: direct.failed + (viaDigest?.failed ?? 0),
  };
  const state = s.pending > 0 ? 'pending' : s.failed > 0 && s.sent > 0 ? 'partly-failed' : s.failed > 0 ? 'failed' : s.sent > 0 ? 'sent' : 'planned';
  return {
    state,
    time: direct.lastSentAt ?? viaDigest?.lastSentAt,
    messageId: direct.providerMessageId ?? viaDigest?.providerMessageId,
    ...s,
    error: direct.lastError ?? viaDigest?.lastError,
  };
}
