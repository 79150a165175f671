/**
 * Recording what a report says: match it to the email it is about, then let the store
 * record it and apply the policy (bounces.hard / soft / softWindow) in one transaction.
 * Matching never guesses: a bounce names its email by the VERP return path (signed), else
 * by the original Message-ID; a provider's webhook (authenticated) also by its own message id
 * or the recipient's address. What cannot be matched is recorded as unmatched, with why.
 */
import type { Herald } from '../pipeline/herald.ts';
import type { BounceEvent, NewBounceEvent } from '../store/types.ts';
import { readVerp } from './verp.ts';

export interface Match {
  deliveryId?: number;
  subscriberId?: number;
  /** Why nothing was matched. */
  unmatched?: string;
}

export interface ReportRefs {
  /** Addresses that may be Herald's VERP return path. */
  returnPaths?: string[];
  /** RFC 5322 Message-ID of the email that bounced, with brackets. */
  messageId?: string;
  /** The provider's own id of the email (webhooks). */
  providerMessageId?: string;
  /** The address the report is about; used for matching only when `byAddress` (an authenticated provider's word). */
  recipient?: string;
  byAddress?: boolean;
}

export async function matchReport(h: Herald, refs: ReportRefs): Promise<Match> {
  const returnPath = h.config.bounces.returnPath;
  if (returnPath) {
    for (const a of refs.returnPaths ?? []) {
      const v = readVerp(a, returnPath, h.secret);
      if (!v) continue;
      if (!v.ok) return { unmatched: v.reason };
      if (v.ref.kind === 'subscriber') {
        const s = await h.store.getSubscriberById(v.ref.id);
        return s ? { subscriberId: s.id } : { unmatched: `subscriber #${v.ref.id} of the VERP address no longer exists` };
      }
      const d = await h.store.findDelivery({ id: v.ref.id });
      return d ? { deliveryId: d.id } : { unmatched: `delivery #${v.ref.id} of the VERP address is not in the ledger` };
    }
  }
  if (refs.messageId) {
    const d = await h.store.findDelivery({ messageId: refs.messageId });
    if (d) return { deliveryId: d.id };
  }
  if (refs.providerMessageId) {
    const d = await h.store.findDelivery({ providerMessageId: refs.providerMessageId });
    if (d) return { deliveryId: d.id };
  }
  if (refs.byAddress && refs.recipient) {
    const s = await h.store.getSubscriber(refs.recipient);
    if (s) return { subscriberId: s.id };
    return { unmatched: `${refs.recipient} is not a subscriber` };
  }
  if (refs.messageId) return { unmatched: `Message-ID ${refs.messageId.slice(0, 120)} is not one Herald sent` };
  return { unmatched: 'no VERP return path and no Message-ID of an email Herald sent' };
}

/** What a report says, before it is matched to a delivery or subscriber. */
export type ReportInput = Pick<NewBounceEvent, 'key' | 'source' | 'type' | 'code' | 'diagnostic' | 'recipient'>;

/** Match, record and apply one report; logs what it changed. */
export async function recordReport(h: Herald, input: ReportInput, match: Match): Promise<{ event: BounceEvent; duplicate: boolean }> {
  const e: NewBounceEvent = {
    ...input,
    ...(input.diagnostic ? { diagnostic: input.diagnostic.replace(/\s+/g, ' ').trim().slice(0, 1000) } : {}),
    ...(match.deliveryId === undefined ? {} : { deliveryId: match.deliveryId }),
    ...(match.subscriberId === undefined ? {} : { subscriberId: match.subscriberId }),
    ...(match.unmatched === undefined ? {} : { unmatched: match.unmatched }),
  };
  const r = await h.store.recordBounce(e, h.config.bounces.policy, h.now());
  if (!r.duplicate) {
    const who = r.event.recipient ?? (r.event.subscriberId === undefined ? 'unknown address' : `subscriber #${r.event.subscriberId}`);
    if (r.event.applied) h.log.warn(`${input.source}: ${who} is now ${r.event.applied} (${input.type}${input.code ? ` ${input.code}` : ''}); their pending emails are cancelled`);
    else if (r.event.unmatched) h.log.warn(`${input.source}: ${input.type} report for ${who} not matched: ${r.event.unmatched}`);
    else h.log.info(`${input.source}: ${input.type} bounce recorded for ${who}`);
  }
  return r;
}
