/**
 * The one place that decides what happens after a failed send.
 * transient → retry later with exponential backoff and jitter, failed after maxAttempts;
 * permanent → failed at once; rate-limited → wait what the provider asked, not counted.
 */
import { type DeliveryError, isDeliveryError } from '../channels/errors.ts';
import { errorMessage } from '../util/secrets.ts';

export interface RetrySettings {
  maxAttempts: number;
  backoffMs: number;
  maxBackoffMs: number;
}

export type RetryDecision =
  | { action: 'fail'; reason: string }
  | { action: 'retry'; at: Date; reason: string; countAttempt: boolean };

export function backoffDelay(attempts: number, s: RetrySettings, random: () => number = Math.random): number {
  const exp = Math.min(s.maxBackoffMs, s.backoffMs * 2 ** Math.max(0, attempts - 1));
  // "Equal jitter": between half and the full delay, so retries from many deliveries spread out.
  return Math.round(exp / 2 + (random() * exp) / 2);
}

export function onFailure(error: unknown, attempts: number, now: Date, s: RetrySettings, random?: () => number): RetryDecision {
  const e: DeliveryError | undefined = isDeliveryError(error) ? error : undefined;
  const reason = errorMessage(error);
  if (e?.kind === 'permanent') return { action: 'fail', reason };
  if (e?.kind === 'rate-limited') {
    return { action: 'retry', at: new Date(now.getTime() + (e.retryAfterMs ?? 1000)), reason, countAttempt: false };
  }
  // Unknown errors are treated as transient: a bug must not lose a delivery.
  if (attempts >= s.maxAttempts) return { action: 'fail', reason: `${reason} (gave up after ${attempts} attempts)` };
  return { action: 'retry', at: new Date(now.getTime() + backoffDelay(attempts, s, random)), reason, countAttempt: true };
}
