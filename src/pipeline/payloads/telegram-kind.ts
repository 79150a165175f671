import { retractedTelegram, roundupTelegram, withTelegramNote } from '../../render/telegram/living.ts';
import { createTelegramAdapter } from '../../channels/telegram/telegram-adapter.ts';
import { isTelegramPreview, type TelegramChannelConfig, telegramPostLink } from '../../channels/telegram/telegram-config.ts';
import { describeTelegramPayload, renderTelegramPost } from '../../render/telegram/render-post.ts';
import { siteForLanguage } from '../../content/site.ts';
import { sharedPacing } from '../../channels/shared-pacing.ts';
import { clusterOf } from '../../store/cluster.ts';
import { postKind } from './post-kind.ts';

export const telegramKind = postKind({
  postLink: (c: TelegramChannelConfig, id) => telegramPostLink(c, id),
  type: 'telegram',
  destination: (c: TelegramChannelConfig) => `chat:${c.chat}${c.thread === undefined ? '' : `/thread:${c.thread}`}`,
  isPreview: (c) => isTelegramPreview(c),
  createAdapter: (c, h) => {
    // Several processes on one store pace each chat and token as one.
    const cluster = clusterOf(h.store);
    return createTelegramAdapter(c, cluster ? { shared: sharedPacing(cluster) } : {});
  },
  render: (h, c, article) =>
    renderTelegramPost(h.engine, {
      // A post speaks the article's language (interface strings, the language's site title).
      site: siteForLanguage(h.config.content, h.config.site, article.language),
      article,
      channel: { template: c.template, disableNotification: c.disableNotification, linkPreview: c.linkPreview, chat: c.chat, thread: c.thread },
    }),
  describe: describeTelegramPayload,
  note: withTelegramNote,
  retracted: retractedTelegram,
  roundup: (c, heading, items) => roundupTelegram({ chatId: c.chat, threadId: c.thread, disableNotification: c.disableNotification }, heading, items),
  replaces: (form, p) => (form === 'photo') !== (p.photo !== undefined),
});
