/**
 * `preview`: an article as a channel will send it. A chat post on its own platform is sent
 * with the same method and formatting (into the editors' chat, marked as a preview; on
 * Discord as an ephemeral reply); on the other platform its text is shown with the request's
 * lengths. An email is its rendered HTML as a document, with its size.
 */
import type { DiscordPayload } from '../channels/discord/discord-payload.ts';
import type { TelegramPayload } from '../channels/telegram/telegram-payload.ts';
import type { Article } from '../content/article.ts';
import { type ChannelConfig, channelKind } from '../pipeline/channel-kinds.ts';
import { personalHtml, renderEmailBody } from '../pipeline/payloads/email-kind.ts';
import { telegramVisibleText } from '../render/telegram/telegram-html.ts';
import { preferencesUrl, unsubscribeUrl } from '../util/tokens.ts';
import type { BotContext } from './commands.ts';
import type { Line, Reply } from './reply.ts';

const SAMPLE = { email: 'reader@example.com', name: 'Preview Reader', publicId: 'preview' };

export async function previewReplies(ctx: BotContext, c: ChannelConfig, article: Article): Promise<Reply[]> {
  const { h } = ctx;
  const header: Line = ['🔍 Preview of ', { b: article.title }, ' for ', { b: c.id }, ` (${c.type})`];
  if (c.type === 'email') {
    const body = await renderEmailBody(h, c, { kind: 'post', article });
    const unsubscribe = unsubscribeUrl(h.config.server.publicUrl, h.secret, SAMPLE.publicId);
    const preferences = preferencesUrl(h.config.server.publicUrl, h.secret, SAMPLE.publicId);
    const html = personalHtml(body, { name: SAMPLE.name, unsubscribeUrl: unsubscribe, preferencesUrl: preferences });
    const raw = await body.prepared.build({
      to: { address: SAMPLE.email, name: SAMPLE.name },
      messageId: h.messageId(c.id, `preview.${h.now().getTime()}`),
      unsubscribeUrl: unsubscribe,
      preferencesUrl: preferences,
      unsubscribeMailto: c.unsubscribeMailto,
      name: SAMPLE.name,
    });
    const note = c.mode === 'digest' ? 'as a single article; in the digest it is one of several' : 'as each subscriber gets it';
    return [
      {
        lines: [header, ['Subject: ', { b: body.subject }], `Size: ${raw.length} bytes as sent (HTML ${Buffer.byteLength(html)} bytes), ${note}.`],
        file: { name: `${c.id}-${article.id.replace(/[^A-Za-z0-9_-]+/g, '_')}.html`, data: Buffer.from(html), contentType: 'text/html; charset=utf-8' },
      },
    ];
  }
  const kind = channelKind(c);
  if (!kind.preview) return [{ lines: [header, 'This channel has no preview.'] }];
  const { payload, description } = await kind.preview(h, c, article);
  const limits = description.limits.map((l) => `${l.field} ${l.length}/${l.limit}${l.length > l.limit ? ' OVER THE LIMIT' : ''}`).join(' · ');
  const info: Line = `${description.method}${kind.isPreview(c) ? ' (the channel is in preview mode)' : ''} · ${limits}`;
  if (c.type === 'telegram') {
    const p = payload as TelegramPayload;
    if (ctx.platform === 'telegram') return [{ lines: [header, info], post: { telegram: p } }];
    return [{ lines: [header, info, ...(p.photo ? [['Photo: ', { a: p.photo.url, href: p.photo.url }] as Line] : []), ...telegramVisibleText(p.photo?.caption ?? p.text).split('\n')] }];
  }
  const p = payload as DiscordPayload;
  if (ctx.platform === 'discord') return [{ lines: [header, info], post: { discord: p } }];
  const [embed] = p.embeds;
  return [
    {
      lines: [
        header,
        info,
        ...(p.content ? [p.content] : []),
        embed.url === undefined ? [{ b: embed.title }] : [{ a: embed.title, href: embed.url }],
        ...(embed.description ? embed.description.split('\n') : []),
        ...(embed.fields ?? []).map((f): Line => [{ b: f.name }, `: ${f.value}`]),
        ...(embed.image ? [['Image: ', { a: embed.image.url, href: embed.image.url }] as Line] : []),
        ...(embed.footer ? [embed.footer.text] : []),
      ],
    },
  ];
}
