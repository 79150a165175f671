/**
 * Pure Discord renderings for posts after they are out: the "Updated" note of a correction
 * (in the embed footer), the "Retracted" notice, and a roundup split into messages within
 * Discord's limits. Strings come in already localized.
 */
import type { DiscordEmbed, DiscordPayload } from '../../channels/discord/discord-payload.ts';
import { collapseWhitespace } from '../../util/text.ts';
import { discordLength, fitText, DISCORD_LIMITS as L } from './limits.ts';
import { escapeMarkdown } from './markdown.ts';

export function withDiscordNote(p: DiscordPayload, note: string): DiscordPayload {
  const [embed] = p.embeds;
  const text = embed.footer?.text ? `${embed.footer.text} · ${note}` : note;
  return { ...p, embeds: [{ ...embed, footer: { text: fitText(text, L.footer) } }] };
}

/** A retracted post: the notice as title, the old title struck through, no link, no image. */
export function retractedDiscord(p: DiscordPayload, title: string, label: string): DiscordPayload {
  const embed: DiscordEmbed = {
    title: fitText(label, L.title),
    description: `~~${fitText(escapeMarkdown(collapseWhitespace(title)), L.description - 4)}~~`,
    ...(p.embeds[0].color === undefined ? {} : { color: p.embeds[0].color }),
  };
  return { kind: 'discord', content: '', embeds: [embed], allowed_mentions: { parse: [] }, ...(p.threadId === undefined ? {} : { threadId: p.threadId }) };
}

/** A roundup: the heading above an embed listing each title as a link; more messages when one embed cannot hold them. */
export function roundupDiscord(
  base: Pick<DiscordPayload, 'threadId' | 'username' | 'avatar_url'> & { color?: number },
  heading: string,
  items: Array<{ title: string; url: string }>,
  limit: number = L.description,
): DiscordPayload {
  const lines = items.map((i) => `• [${fitText(escapeMarkdown(collapseWhitespace(i.title)), 200)}](${i.url})`);
  const parts: string[] = [];
  let current = '';
  for (const line of lines) {
    const next = current === '' ? line : `${current}\n${line}`;
    if (discordLength(next) > limit && current !== '') {
      parts.push(current);
      current = line;
    } else current = next;
  }
  parts.push(current);
  const message = (description: string, i: number): DiscordPayload => ({
    kind: 'discord',
    ...(i === 0 ? { content: fitText(heading, L.content) } : {}),
    embeds: [{ title: fitText(heading, L.title), description, ...(base.color === undefined ? {} : { color: base.color }) }],
    allowed_mentions: { parse: [] },
    ...(base.username === undefined ? {} : { username: base.username }),
    ...(base.avatar_url === undefined ? {} : { avatar_url: base.avatar_url }),
    ...(base.threadId === undefined ? {} : { threadId: base.threadId }),
  });
  const [first, ...rest] = parts.map(message);
  return { ...(first as DiscordPayload), ...(rest.length > 0 ? { continued: rest } : {}) };
}
