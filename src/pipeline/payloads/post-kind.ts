/**
 * Chat platforms (Telegram, Discord, …) share one shape: each article is one post to
 * the channel's single destination, rendered from the stored article snapshot, sent
 * one at a time so posts arrive in publishing order. Preview mode writes .json files.
 */
import { permanent } from '../../channels/errors.ts';
import { createOutboxAdapter } from '../../channels/preview/outbox-adapter.ts';
import type { ChannelAdapter } from '../../channels/types.ts';
import type { Article } from '../../content/article.ts';
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
}

export function postKind<C extends ChannelConfig, P>(spec: PostKindSpec<C, P>): ChannelKind<C, P> {
  return {
    audience: 'destination',
    usesDigests: () => false,
    destination: spec.destination,
    isPreview: spec.isPreview,
    createAdapter: (c, h) =>
      spec.isPreview(c) ? (createOutboxAdapter({ channelId: c.id, type: spec.type, dir: h.config.outboxDir }) as ChannelAdapter<P>) : spec.createAdapter(c, h),
    payloads: (c, h) => ({
      async build(d) {
        const stored = d.articleId ? await h.store.getArticle(d.articleId) : undefined;
        if (!stored) throw permanent(`${c.id}: article "${d.articleId}" is not in the store`);
        return spec.render(h, c, stored.article);
      },
    }),
    concurrency: () => 1,
    ...(spec.postLink ? { postLink: spec.postLink } : {}),
    preview: async (h, c, article) => {
      const payload = await spec.render(h, c, article);
      return { payload, description: spec.describe(payload) };
    },
  };
}
