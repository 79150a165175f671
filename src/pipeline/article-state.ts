/**
 * Where one article stands on one channel, read from the ledger: shared by
 * `herald articles` and the dashboard so both tell the same story.
 */
import type { Actor, Approval, ApprovalStatus, ChannelDeliverySummaries, Decision, DeliverySummary } from '../store/types.ts';
import type { Herald } from './herald.ts';

export interface ChannelState {
  state: string;
  time?: string;
  messageId?: string;
  sent?: number;
  pending?: number;
  failed?: number;
  error?: string;
  /** The editors' approval of this article on this channel, with every decision (who, when, from where). */
  approval?: { status: ApprovalStatus; releaseAt?: string; decisions: Array<{ action: string; at: string; by: Actor }> };
}

function approvalView(a: Approval): NonNullable<ChannelState['approval']> {
  return {
    status: a.status,
    ...(a.releaseAt ? { releaseAt: a.releaseAt } : {}),
    decisions: a.events.map((e) => ({ action: e.action, at: e.at, by: e.actor })),
  };
}

const NONE: DeliverySummary = { pending: 0, sending: 0, sent: 0, failed: 0 };

/**
 * `decisions`, `approvals` and `summaries` (Store.deliverySummaries) may be read once per channel
 * by a caller listing many articles: asked per article, a digest's deliveries were counted again
 * for each article in it.
 */
export async function articleChannelState(
  h: Herald,
  channelId: string,
  articleId: string,
  decisions?: Map<string, Decision>,
  approvals?: Map<string, Approval>,
  summaries?: ChannelDeliverySummaries,
): Promise<ChannelState> {
  const decision = (decisions ?? (await h.store.decisions(channelId))).get(articleId);
  const found = (approvals ?? (await h.store.postApprovals(channelId))).get(articleId);
  if (decision?.status !== 'planned') return stateOf(decision, found);
  const digestId = decision.digestId;
  const direct = summaries ? (summaries.articles.get(articleId) ?? NONE) : await h.store.deliverySummary(channelId, { articleId });
  const viaDigest = digestId === undefined ? undefined : summaries ? (summaries.digests.get(digestId) ?? NONE) : await h.store.deliverySummary(channelId, { digestId });
  return stateOf(decision, found, direct, viaDigest);
}

/**
 * articleChannelState from what a caller listing many articles has read once per channel: no
 * store reads and nothing to wait for (10,000 articles on two channels were 20,000 awaits).
 */
export function loadedChannelState(articleId: string, decisions: Map<string, Decision>, approvals: Map<string, Approval>, summaries: ChannelDeliverySummaries): ChannelState {
  const decision = decisions.get(articleId);
  const found = approvals.get(articleId);
  if (decision?.status !== 'planned') return stateOf(decision, found);
  const viaDigest = decision.digestId === undefined ? undefined : (summaries.digests.get(decision.digestId) ?? NONE);
  return stateOf(decision, found, summaries.articles.get(articleId) ?? NONE, viaDigest);
}

/** The state from the article's decision and approval, and for a planned one its deliveries' summary. */
function stateOf(decision: Decision | undefined, found: Approval | undefined, direct: DeliverySummary = NONE, viaDigest?: DeliverySummary): ChannelState {
  const approval = found ? { approval: approvalView(found) } : {};
  if (!decision) return found && found.status !== 'released' ? { state: approvalState(found.status), ...approval } : { state: 'not-due', ...approval };
  if (decision.status !== 'planned') return { state: found && found.status !== 'released' ? approvalState(found.status) : decision.status, ...approval };
  const s = {
    pending: direct.pending + direct.sending + (viaDigest ? viaDigest.pending + viaDigest.sending : 0),
    sent: direct.sent + (viaDigest?.sent ?? 0),
    failed: direct.failed + (viaDigest?.failed ?? 0),
  };
  const held = found && found.status !== 'released' && s.pending === 0 && s.sent === 0 && s.failed === 0;
  const state = held
    ? approvalState(found.status)
    : s.pending > 0
      ? 'pending'
      : s.failed > 0 && s.sent > 0
        ? 'partly-failed'
        : s.failed > 0
          ? 'failed'
          : s.sent > 0
            ? 'sent'
            : 'planned';
  return {
    state,
    time: direct.lastSentAt ?? viaDigest?.lastSentAt,
    messageId: direct.providerMessageId ?? viaDigest?.providerMessageId,
    ...s,
    error: direct.lastError ?? viaDigest?.lastError,
    ...approval,
  };
}

function approvalState(s: ApprovalStatus): string {
  return s === 'awaiting' ? 'awaiting-approval' : s;
}
