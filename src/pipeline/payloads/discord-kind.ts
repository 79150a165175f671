import { retractedDiscord, roundupDiscord, withDiscordNote } from '../../render/discord/living.ts';
import { parseColor } from '../../render/discord/render-post.ts';
import { createDiscordAdapter } from '../../channels/discord/discord-adapter.ts';
import { type DiscordChannelConfig, discordDestination, isDiscordPreview } from '../../channels/discord/discord-config.ts';
import { describeDiscordPayload } from '../../render/discord/describe-payload.ts';
import { renderDiscordPost } from '../../render/discord/render-post.ts';
import { siteForLanguage } from '../../content/site.ts';
import { sharedPacing } from '../../channels/shared-pacing.ts';
import { clusterOf } from '../../store/cluster.ts';
import { postKind } from './post-kind.ts';

export const discordKind = postKind({
  type: 'discord',
  destination: (c: DiscordChannelConfig) => discordDestination(c),
  isPreview: (c) => isDiscordPreview(c),
  createAdapter: (c, h) => {
    // Several processes on one store: a rate limit one meets holds the others too.
    const cluster = clusterOf(h.store);
    return createDiscordAdapter(c, cluster ? { shared: sharedPacing(cluster) } : {});
  },
  render: (h, c, article) =>
    renderDiscordPost(h.engine, {
      // A post speaks the article's language (interface strings, the language's site title).
      site: siteForLanguage(h.config.content, h.config.site, article.language),
      article,
      channel: { template: c.template, color: c.color, mention: c.mention, username: c.username, avatarUrl: c.avatarUrl, threadId: c.threadId },
    }),
  describe: describeDiscordPayload,
  note: withDiscordNote,
  retracted: retractedDiscord,
  roundup: (c, heading, items) =>
    roundupDiscord({ threadId: c.threadId, username: c.username, avatar_url: c.avatarUrl, color: parseColor(c.color) }, heading, items),
});
