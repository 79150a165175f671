/** The subscriber statuses and which of them stop all email (shared by every store and the pipeline). */
import type { SubscriberStatus } from './types.ts';

export const SUBSCRIBER_STATUSES: readonly SubscriberStatus[] = ['active', 'pending', 'unsubscribed', 'bounced', 'complained'];

/** Statuses that get no email and that no sign-up, import or editor can undo. */
export const SUPPRESSED_STATUSES: readonly SubscriberStatus[] = ['unsubscribed', 'bounced', 'complained'];

export function isSuppressed(s: SubscriberStatus): boolean {
  return SUPPRESSED_STATUSES.includes(s);
}
