/**
 * Pacing shared across every Telegram adapter in the process: Telegram limits a bot
 * token as a whole (~30 calls/s) and each chat (~20 posts/min in a group, and about one
 * a second), however many channels use them.
 */
import { createHash } from 'node:crypto';
import { createRateLimiter, type RateLimiter } from './rate-limiter.ts';

const limiters = new Map<string, RateLimiter>();

/** Keys never hold the token itself, only a short hash of it. */
export function tokenKey(token: string): string {
  return createHash('sha256').update(token).digest('hex').slice(0, 16);
}

function shared(key: string, limit: number, windowMs: number, now?: () => number): RateLimiter {
  let limiter = limiters.get(key);
  if (limiter === undefined) {
    limiter = createRateLimiter({ limit, windowMs, ...(now === undefined ? {} : { now }) });
    limiters.set(key, limiter);
  } else {
    limiter.lower(limit, windowMs);
  }
  return limiter;
}

/** At most `perSecond` API calls a second for this token. */
export function tokenLimiter(token: string, perSecond: number, now?: () => number): RateLimiter {
  return shared(`token:${tokenKey(token)}`, perSecond, 1000, now);
}

/**
 * At most `perMinute` posts a minute to this chat, evenly spaced (60/perMinute s apart)
 * rather than in bursts, which also keeps within Telegram's one-a-second per chat.
 */
export function chatLimiter(token: string, chat: string | number, perMinute: number, now?: () => number): RateLimiter {
  return shared(`chat:${tokenKey(token)}:${String(chat)}`, 1, 60_000 / perMinute, now);
}
