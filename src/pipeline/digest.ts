/**
 * Digests: when a channel's schedule has come, the articles waiting for it become one
 * digest, and a delivery per active subscriber with at least one matching article is
 * planned. Planning is resumable: a digest stays 'planning' until its fanout is written.
 */
import { articleStatus } from '../content/article.ts';
import type { Article } from '../content/article.ts';
import type { Digest, StoredArticle, Subscriber } from '../store/types.ts';
import type { EmailChannelConfig } from '../channels/email/email-config.ts';
import { isDigestDue } from './digest-schedule.ts';
import type { Herald } from './herald.ts';
import { readerContext } from './plan.ts';
import { articlesForReader, type ReaderContext } from './translations.ts';

export interface DigestSummary {
  channelId: string;
  /** Why nothing was made, when nothing was. */
  skipped?: 'not-scheduled' | 'no-articles';
  digest?: Digest;
  articles: string[];
  recipients: number;
}

/**
 * A subscriber's variant of a digest: the ids of the articles they get, newest first, or
 * null. Of each page they get one version, in their language when the site has it.
 */
export function digestVariant(articles: Article[], s: Pick<Subscriber, 'topics' | 'language'> & { id?: number }, readers: ReaderContext): string | null {
  const mine = articlesForReader(articles, s, readers);
  return mine.length === 0 ? null : JSON.stringify(mine.map((a) => a.id));
}

async function fanout(h: Herald, channel: EmailChannelConfig, digest: Digest): Promise<number> {
  const articles: Article[] = [];
  for (const id of digest.articleIds) {
    const a = await h.store.getArticle(id);
    if (a) articles.push(a.article);
  }
  const readers = await readerContext(h, channel, articles);
  const { planned } = await h.store.applyPlan(
    {
      channelId: channel.id,
      decisions: [],
      deliveries: [],
      fanouts: [
        {
          channelId: channel.id,
          kind: 'digest',
          digestId: digest.id,
          dedupePrefix: `digest:${digest.id}`,
          match: (s) => digestVariant(articles, s, readers),
          messageId: (s) => h.messageId(channel.id, `d${digest.id}.${s.publicId}`),
        },
      ],
    },
    h.now(),
  );
  await h.store.finishDigest(digest.id);
  return planned;
}

export async function planDigest(
  h: Herald,
  channel: EmailChannelConfig,
  now: Date,
  opts: { force?: boolean; dryRun?: boolean } = {},
): Promise<DigestSummary> {
  // A digest interrupted while planning is completed first (idempotent).
  if (!opts.dryRun) for (const d of await h.store.unfinishedDigests(channel.id)) await fanout(h, channel, d);

  const state = await h.store.getChannel(channel.id);
  if (!state) return { channelId: channel.id, skipped: 'not-scheduled', articles: [], recipients: 0 };
  const since = new Date(state.lastDigestAt ?? state.firstRunAt);
  if (!opts.force && !isDigestDue(channel.schedule, h.config.site.timezone, since, now)) {
    return { channelId: channel.id, skipped: 'not-scheduled', articles: [], recipients: 0 };
  }

  const waiting: StoredArticle[] = [];
  for (const id of await h.store.waitingArticles(channel.id)) {
    const a = await h.store.getArticle(id);
    // An article that was unpublished again (draft, expired) or deleted waits; it is not lost.
    if (a && !a.goneAt && articleStatus(a.article, now) === 'published') waiting.push(a);
  }
  if (waiting.length === 0) {
    // The scheduled time passed with nothing new: no email, and the schedule moves on.
    if (!opts.dryRun) await h.store.setLastDigestAt(channel.id, now);
    return { channelId: channel.id, skipped: 'no-articles', articles: [], recipients: 0 };
  }
  const articles = waiting.map((w) => w.article).sort((a, b) => b.publishedAt.localeCompare(a.publishedAt) || a.id.localeCompare(b.id));
  const ids = articles.map((a) => a.id);
  if (opts.dryRun) {
    const readers = await readerContext(h, channel, articles);
    let recipients = 0;
    for (let after = 0; ; ) {
      const page = await h.store.subscribers({ status: 'active', afterId: after, limit: 1000 });
      if (page.length === 0) break;
      for (const s of page) if (!s.paused && digestVariant(articles, s, readers) !== null) recipients++;
      after = page[page.length - 1]!.id;
    }
    return { channelId: channel.id, articles: ids, recipients };
  }
  const digest = await h.store.createDigest(channel.id, ids, now);
  if (!digest) return { channelId: channel.id, skipped: 'no-articles', articles: [], recipients: 0 };
  const recipients = await fanout(h, channel, digest);
  return { channelId: channel.id, digest, articles: digest.articleIds, recipients };
}
