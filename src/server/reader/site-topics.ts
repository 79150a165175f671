/**
 * The topics a reader can choose: those of the site's published articles, most used
 * first. Drafts and scheduled articles are left out so an unpublished topic never shows.
 */
import { articleStatus } from '../../content/article.ts';
import type { Store } from '../../store/types.ts';

export const MAX_TOPICS = 30;
const CACHE_MS = 60_000;

/** Topics compare like channel routing does: Unicode-normalised, case-insensitive. */
export const topicKey = (t: string) => t.normalize('NFC').toLowerCase();

export async function collectTopics(store: Store, now: Date, limit = MAX_TOPICS): Promise<string[]> {
  const counts = new Map<string, { name: string; n: number }>();
  for (const stored of await store.listArticles()) {
    if (stored.goneAt !== undefined) continue;
    const status = articleStatus(stored.article, now);
    if (status === 'draft' || status === 'scheduled') continue;
    for (const name of new Set(stored.article.topics.map((t) => t.trim()).filter((t) => t !== ''))) {
      const key = topicKey(name);
      const c = counts.get(key);
      if (c) c.n++;
      else counts.set(key, { name, n: 1 });
    }
  }
  return [...counts.values()]
    .sort((a, b) => b.n - a.n || a.name.localeCompare(b.name))
    .slice(0, limit)
    .map((c) => c.name);
}

/** Public pages read the topics on every view; reading every article each time would be a cheap way to load the server. */
export function cachedTopics(store: Store, now: () => Date): () => Promise<string[]> {
  let cached: { at: number; topics: Promise<string[]> } | undefined;
  return () => {
    const t = Date.now();
    if (!cached || t - cached.at > CACHE_MS) {
      const topics = collectTopics(store, now());
      cached = { at: t, topics };
      topics.catch(() => {
        cached = undefined;
      });
    }
    return cached.topics;
  };
}

/** Keep only choices that are on offer (a form can be posted with anything), in the offered spelling. */
export function pickTopics(chosen: string[], offered: string[]): string[] {
  const byKey = new Map(offered.map((t) => [topicKey(t), t]));
  const out = new Set<string>();
  for (const c of chosen) {
    const t = byKey.get(topicKey(c.trim()));
    if (t !== undefined) out.add(t);
  }
  return [...out];
}
