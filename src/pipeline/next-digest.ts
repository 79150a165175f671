/** What a digest channel's next digest holds, read-only: for previews, the dashboard and the chats. */
import type { EmailChannelConfig } from '../channels/email/email-config.ts';
import { type Article, articleStatus, matchesTopics } from '../content/article.ts';
import { scanSite } from './scan.ts';
import type { Approval } from '../store/types.ts';
import { digestVariant } from './digest.ts';
import { nextScheduled } from './digest-schedule.ts';
import type { Herald } from './herald.ts';
import { planChannel, readerContext } from './plan.ts';

export interface NextDigest {
  articles: Article[];
  /** True when nothing is waiting and the preview falls back to the latest published matching articles. */
  fallback: boolean;
}

/** The next digest = what is waiting plus what the next pass would add (read-only: a dry-run plan); held articles stay out. */
export async function nextDigest(h: Herald, channel: EmailChannelConfig): Promise<NextDigest> {
  const scan = await scanSite(h);
  const now = h.now();
  const seen = new Map((await h.store.listArticles()).map((s) => [s.article.id, s]));
  const plan = await planChannel(h, channel, scan.articles, seen, now, { dryRun: true });
  const approvals = await h.store.postApprovals(channel.id);
  const ids = new Set([...(await h.store.waitingArticles(channel.id)), ...plan.waiting].filter((id) => (approvals.get(id)?.status ?? 'released') === 'released'));
  const published = scan.articles.filter((a) => articleStatus(a, now) === 'published');
  let articles = published.filter((a) => ids.has(a.id));
  const fallback = articles.length === 0;
  if (fallback) articles = published.filter((a) => matchesTopics(a.topics, channel.topics, channel.exclude));
  articles.sort((a, b) => b.publishedAt.localeCompare(a.publishedAt));
  return { articles, fallback };
}

export interface DigestOutlook {
  /** Waiting for it (empty: no email at its time). */
  articles: Article[];
  /** Active subscribers who would get at least one of them. */
  recipients: number;
  scheduledAt?: string;
  /** The approval of that digest, when the channel has an approval window and its card is out. */
  approval?: Approval;
}

export async function digestOutlook(h: Herald, channel: EmailChannelConfig): Promise<DigestOutlook> {
  const next = await nextDigest(h, channel);
  const articles = next.fallback ? [] : next.articles;
  let recipients = 0;
  if (articles.length > 0) {
    const readers = await readerContext(h, channel, articles);
    for (let after = 0; ; ) {
      const page = await h.store.subscribers({ status: 'active', afterId: after, limit: 1000 });
      if (page.length === 0) break;
      for (const s of page) if (!s.paused && digestVariant(articles, s, readers) !== null) recipients++;
      after = page[page.length - 1]!.id;
    }
  }
  const state = await h.store.getChannel(channel.id);
  const scheduledAt = state ? nextScheduled(channel.schedule, h.config.site.timezone, new Date(state.lastDigestAt ?? state.firstRunAt)).toISOString() : undefined;
  const approval = scheduledAt ? await h.store.findApproval(channel.id, 'digest', scheduledAt) : undefined;
  return { articles, recipients, ...(scheduledAt ? { scheduledAt } : {}), ...(approval ? { approval } : {}) };
}
