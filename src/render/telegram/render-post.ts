import type { TelegramPayload } from '../../channels/telegram/telegram-payload.ts';
import { TELEGRAM_LIMITS } from '../../channels/telegram/telegram-payload.ts';
import { type Article, displayTitle } from '../../content/article.ts';
import type { SiteSettings } from '../../content/site.ts';
import { collapseWhitespace, truncateUtf16 } from '../../util/text.ts';
import { TemplateError, type TemplateEngine } from '../template-engine.ts';
import { topicHashtags } from './hashtags.ts';
import { telegramTextLength, truncateTelegramHtml, validateTelegramHtml } from './telegram-html.ts';

export type { TelegramPayload } from '../../channels/telegram/telegram-payload.ts';
export { describeTelegramPayload } from './describe-payload.ts';
export { telegramTextLength, validateTelegramHtml } from './telegram-html.ts';

/**
 * Pure Telegram renderer: one article → one post in Telegram's HTML parse mode
 * (never MarkdownV2: escaping it correctly from templates is hopeless).
 */
export interface TelegramPostInput {
  site: SiteSettings;
  article: Article;
  channel: {
    /** Template path without extension, default 'telegram/post' (→ telegram/post.html.liquid). */
    template?: string;
    disableNotification: boolean;
    linkPreview: boolean;
    chat: string | number;
    thread?: number;
  };
}

type Render = (title: string, summary: string) => Promise<string>;

export async function renderTelegramPost(engine: TemplateEngine, input: TelegramPostInput): Promise<TelegramPayload> {
  const { site, article, channel } = input;
  const name = `${channel.template ?? 'telegram/post'}.html.liquid`;
  const lang = engine.i18n.resolve(site.language);
  const hashtags = topicHashtags(article.topics);
  const render: Render = async (title, summary) => tidy(await engine.render(name, { site, lang, hashtags, article: { ...article, title, summary } }));

  const title = collapseWhitespace(stripControls(displayTitle(article)));
  const summary = stripControls(article.summary).trim();
  const text = await fitToLimit(render, title, summary, TELEGRAM_LIMITS.text);
  const problems = validateTelegramHtml(text);
  if (problems.length > 0) throw new TemplateError(name, `Telegram would reject the post's HTML: ${problems.join('; ')}`);

  return {
    kind: 'telegram',
    chatId: channel.chat,
    ...(channel.thread === undefined ? {} : { threadId: channel.thread }),
    disableNotification: channel.disableNotification,
    ...(article.image === undefined ? {} : { photo: { url: article.image, caption: await fitToLimit(render, title, summary, TELEGRAM_LIMITS.caption) } }),
    text,
    linkPreviewUrl: article.url,
    linkPreview: channel.linkPreview,
  };
}

/**
 * Renders the post and, while it is over `limit` (Telegram's count), shortens the
 * summary, then the title, on grapheme boundaries with `…`. Both are plain text
 * escaped by Liquid, so their visible length in the post is their own length and a
 * cut can never fall inside a tag or an entity. A template that still does not fit
 * (dozens of hashtags, say) is cut as HTML as a last resort.
 */
async function fitToLimit(render: Render, title: string, summary: string, limit: number): Promise<string> {
  let html = await render(title, summary);
  let over = telegramTextLength(html) - limit;
  // A few rounds suffice; more only if the template prints the summary several times.
  for (let round = 0; over > 0 && summary !== '' && round < 8; round++) {
    const target = summary.length - over;
    summary = target < 2 ? '' : truncateUtf16(summary, target);
    html = await render(title, summary);
    over = telegramTextLength(html) - limit;
  }
  for (let round = 0; over > 0 && title.length > 1 && round < 8; round++) {
    title = truncateUtf16(title, Math.max(1, title.length - over));
    html = await render(title, summary);
    over = telegramTextLength(html) - limit;
  }
  return over > 0 ? truncateTelegramHtml(html, limit) : html;
}

// Tab and newline stay (Telegram shows them); other control characters never display.
// biome-ignore lint/suspicious/noControlCharactersInRegex: removing control characters is the point
const CONTROLS = /[\u0000-\u0008\u000b-\u001f\u007f]/g;

function stripControls(s: string): string {
  return s.replace(CONTROLS, '');
}

/** Trailing spaces off, runs of blank lines down to one, edges trimmed: templates can be laid out freely. */
function tidy(html: string): string {
  return html
    .replace(/\r\n?/g, '\n')
    .split('\n')
    .map((line) => line.trimEnd())
    .join('\n')
    .replace(/\n{3,}/g, '\n\n')
    .trim();
}
