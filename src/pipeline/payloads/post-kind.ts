/**
 * Chat platforms (Telegram, Discord, …) share one shape: each article is one post to
 * the channel's single destination, rendered from the stored article snapshot, sent
 * one at a time so posts arrive in publishing order. Preview mode writes .json files.
 */
import { permanent } from '../../channels/errors.ts';
import { createOutboxAdapter } from '../../channels/preview/outbox-adapter.ts';
import type { ChannelAdapter } from '../../channels/types.ts';
import { type Article, displayTitle } from '../../content/article.ts';
import { siteForLanguage } from '../../content/site.ts';
import type { ChannelConfig, ChannelKind, PayloadDescription } from '../channel-kinds.ts';
import type { Herald } from '../herald.ts';

export interface PostKindSpec<C, P> {
  type: string;
  /** Ledger-safe name of the destination (never a token). */
  destination(c: C): string;
  isPreview(c: C): boolean;
  createAdapter(c: C, h: Herald): ChannelAdapter<P>;
  render(h: Herald, c: C, article: Article): Promise<P>;
  /** For `herald preview`: the exact request and its measured lengths against each limit. */
  describe(p: P): PayloadDescription;
  /** A link to a post, where the platform has one. */
  postLink?(c: C, providerMessageId: string): string | undefined;
  /** Pure: the post with a (localized) "Updated …" note. */
  note(p: P, note: string): P;
  /** Pure: the post turned into a (localized) "Retracted" notice. */
  retracted(p: P, title: string, label: string): P;
  /** Pure: one roundup of these articles under a heading (split into more messages if it must). */
  roundup(c: C, heading: string, items: Array<{ title: string; url: string }>): P;
  /** True when a sent message of this form cannot become this payload (Telegram: photo ↔ text); a replacement is posted then. */
  replaces?(form: 'photo' | 'text', p: P): boolean;
}

export function postKind<C extends ChannelConfig, P>(spec: PostKindSpec<C, P>): ChannelKind<C, P> {
  const kind: ChannelKind<C, P> = {
    audience: 'destination',
    usesDigests: () => false,
    destination: spec.destination,
    isPreview: spec.isPreview,
    createAdapter: (c, h) =>
      spec.isPreview(c) ? (createOutboxAdapter({ channelId: c.id, type: spec.type, dir: h.config.outboxDir }) as ChannelAdapter<P>) : spec.createAdapter(c, h),
    payloads: (c, h) => ({
      async build(d) {
        if (d.articleId === undefined && d.variant !== undefined) return buildRoundup(h, c, d.variant);
        const stored = d.articleId ? await h.store.getArticle(d.articleId) : undefined;
        if (!stored) throw permanent(`${c.id}: article "${d.articleId}" is not in the store`);
        // Retracted before its turn came (draft again, file deleted): not posted. An editor's own send goes anyway.
        if (!d.manual && (stored.goneAt || stored.article.draft)) {
          throw permanent(`${c.id}: not posted: ${d.articleId} was ${stored.goneAt ? 'deleted' : 'made a draft again'} before it went out`);
        }
        return spec.render(h, c, stored.article);
      },
    }),
    concurrency: () => 1,
    post: {
      render: spec.render,
      note: spec.note,
      retracted: spec.retracted,
      replaces: spec.replaces ?? (() => false),
      roundup: (h: Herald, c: C, articles: Article[]) => buildRoundupOf(h, c, articles),
    },
    ...(spec.postLink ? { postLink: spec.postLink } : {}),
    preview: async (h, c, article) => {
      const payload = await spec.render(h, c, article);
      return { payload, description: spec.describe(payload) };
    },
  };
  return kind;

  /** A roundup delivery carries its articles' ids (JSON) as its variant. */
  async function buildRoundup(h: Herald, c: C, variant: string): Promise<P> {
    const ids = JSON.parse(variant) as string[];
    const articles: Article[] = [];
    for (const id of ids) {
      const stored = await h.store.getArticle(id);
      if (stored) articles.push(stored.article);
    }
    if (articles.length === 0) throw permanent(`${c.id}: none of the roundup's articles is in the store`);
    return buildRoundupOf(h, c, articles);
  }

  function buildRoundupOf(h: Herald, c: C, articles: Article[]): P {
    // The roundup speaks the language of its articles (the first one's, when they differ).
    const site = siteForLanguage(h.config.content, h.config.site, articles[0]?.language);
    const lang = h.engine.i18n.resolve(site.language);
    const heading = h.engine.i18n.t(lang, 'roundup_heading', { count: articles.length, site: site.title });
    return spec.roundup(c, heading, articles.map((a) => ({ title: displayTitle(a), url: a.url })));
  }
}
