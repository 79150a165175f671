/**
 * Roundups instead of floods: when more than `roundup.threshold` articles become due for a
 * chat channel within `roundup.window` (a bulk import, the first pass after downtime, many
 * approvals ending at once), the ones due now go out as one roundup post instead of one
 * post each. The roundup is one delivery whose variant lists its articles (oldest first);
 * `why` finds each article in it.
 */
import { createHash } from 'node:crypto';
import type { Article } from '../content/article.ts';
import type { NewDelivery } from '../store/types.ts';
import { type ChannelConfig, channelKind } from './channel-kinds.ts';
import type { Herald } from './herald.ts';

export interface RoundupSettings {
  threshold: number;
  window: number;
}

export function roundupSettings(c: ChannelConfig): RoundupSettings | undefined {
  return c.type === 'email' ? undefined : c.roundup;
}

/** Articles posted to the channel (one by one or in roundups) planned within the window before `now`. */
async function recentlyPlanned(h: Herald, c: ChannelConfig, now: Date, windowMs: number): Promise<number> {
  const since = new Date(now.getTime() - windowMs).toISOString();
  let n = 0;
  for (const d of await h.store.recentDeliveries({ channelId: c.id, limit: 500 })) {
    if (d.createdAt < since) break;
    if (d.kind !== 'post' || d.manual) continue;
    n += d.articleId !== undefined ? 1 : d.variant ? (JSON.parse(d.variant) as string[]).length : 0;
  }
  return n;
}

/**
 * Whether these articles, due now, go out as one roundup: at least two of them, and more than
 * the threshold counting what the channel planned within the window.
 */
export async function wantsRoundup(h: Herald, c: ChannelConfig, due: readonly Article[], now: Date): Promise<boolean> {
  const s = roundupSettings(c);
  if (!s || due.length < 2 || channelKind(c).audience !== 'destination') return false;
  if (due.length > s.threshold) return true;
  return due.length + (await recentlyPlanned(h, c, now, s.window)) > s.threshold;
}

/** The one delivery of a roundup; the same articles always make the same key (planned once). */
export function roundupDelivery(c: ChannelConfig, articles: readonly Article[]): NewDelivery {
  const ids = articles.map((a) => a.id);
  const key = createHash('sha256').update(ids.join('\n')).digest('hex').slice(0, 20);
  return { channelId: c.id, kind: 'post', recipient: channelKind(c).destination(c), variant: JSON.stringify(ids), dedupeKey: `roundup:${c.id}:${key}` };
}
