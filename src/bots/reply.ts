/**
 * What a command answers, independent of the platform: lines of simple rich text, buttons,
 * an attached file, or a post to preview. Rendered as Telegram HTML or Discord markdown and
 * split into messages within each platform's limit (Telegram 4096, Discord 2000 characters),
 * at line ends where possible.
 */
import type { DiscordPayload } from '../channels/discord/discord-payload.ts';
import type { TelegramPayload } from '../channels/telegram/telegram-payload.ts';
import { escapeMarkdown } from '../render/discord/markdown.ts';
import { truncateUtf16 } from '../util/text.ts';

export type Span = string | { b: string } | { i: string } | { code: string } | { a: string; href: string };
export type Line = Span | Span[];

export interface ButtonSpec {
  label: string;
  /** Signed button data (./buttons.ts). */
  data: string;
  style?: 'primary' | 'secondary' | 'success' | 'danger';
}

export interface Reply {
  lines: Line[];
  buttons?: ButtonSpec[];
  /** A document to attach, e.g. an email's rendered HTML. */
  file?: { name: string; data: Buffer; contentType: string };
  /** A post exactly as a channel would send it (`preview`), shown after the lines. */
  post?: { telegram: TelegramPayload } | { discord: DiscordPayload };
  /** Discord: only the editor who asked sees it. */
  ephemeral?: boolean;
}

export const TELEGRAM_TEXT_LIMIT = 4096;
export const DISCORD_CONTENT_LIMIT = 2000;

const spansOf = (l: Line): Span[] => (Array.isArray(l) ? l : [l]);

export function escapeTelegramHtml(s: string): string {
  return s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;');
}

function telegramSpan(s: Span): string {
  if (typeof s === 'string') return escapeTelegramHtml(s);
  if ('b' in s) return `<b>${escapeTelegramHtml(s.b)}</b>`;
  if ('i' in s) return `<i>${escapeTelegramHtml(s.i)}</i>`;
  if ('code' in s) return `<code>${escapeTelegramHtml(s.code)}</code>`;
  return `<a href="${escapeTelegramHtml(s.href)}">${escapeTelegramHtml(s.a)}</a>`;
}

function discordSpan(s: Span): string {
  if (typeof s === 'string') return escapeMarkdown(s);
  if ('b' in s) return `**${escapeMarkdown(s.b)}**`;
  if ('i' in s) return `*${escapeMarkdown(s.i)}*`;
  if ('code' in s) return `\`${s.code.replace(/`/g, 'ˋ')}\``;
  // <url> keeps Discord from unfurling every link in an answer.
  return `[${escapeMarkdown(s.a).replace(/[[\]]/g, '\\$&')}](<${s.href.replace(/[<>\s]/g, encodeURIComponent)}>)`;
}

const plainSpan = (s: Span): string => (typeof s === 'string' ? s : 'b' in s ? s.b : 'i' in s ? s.i : 'code' in s ? s.code : s.a);

export const telegramLine = (l: Line): string => spansOf(l).map(telegramSpan).join('');
export const discordLine = (l: Line): string => spansOf(l).map(discordSpan).join('');
export const plainLine = (l: Line): string => spansOf(l).map(plainSpan).join('');

/**
 * Lines joined into messages of at most `limit` (as `measure` counts); a single line longer
 * than a message is cut as plain text.
 */
export function splitMessages(lines: Line[], render: (l: Line) => string, limit: number, measure: (s: string) => number = (s) => s.length): string[] {
  const out: string[] = [];
  let current = '';
  for (const line of lines) {
    let text = render(line);
    if (measure(text) > limit) text = render(truncateUtf16(plainLine(line), limit));
    const next = current === '' ? text : `${current}\n${text}`;
    if (measure(next) <= limit) current = next;
    else {
      if (current !== '') out.push(current);
      current = text;
    }
  }
  if (current !== '' || out.length === 0) out.push(current === '' ? '…' : current);
  return out;
}

/** Telegram counts the visible text, not the markup. */
export function telegramVisibleLength(html: string): number {
  return html
    .replace(/<[^>]*>/g, '')
    .replace(/&lt;/g, '<')
    .replace(/&gt;/g, '>')
    .replace(/&quot;/g, '"')
    .replace(/&amp;/g, '&').length;
}
