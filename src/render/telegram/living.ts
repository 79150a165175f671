/**
 * Pure Telegram renderings for posts after they are out: the "Updated" note of a correction,
 * the "Retracted" notice, and a roundup of many articles split into messages within
 * Telegram's limit. Strings come in already localized; nothing here reads templates.
 */
import type { TelegramPayload } from '../../channels/telegram/telegram-payload.ts';
import { TELEGRAM_LIMITS } from '../../channels/telegram/telegram-payload.ts';
import { collapseWhitespace } from '../../util/text.ts';
import { telegramTextLength } from './telegram-html.ts';

export function escapeTelegram(s: string): string {
  return s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;');
}

/** The post with `note` in italics at its end; a text or caption that would pass its limit keeps no note. */
export function withTelegramNote(p: TelegramPayload, note: string): TelegramPayload {
  const add = (html: string, limit: number) => {
    const next = `${html}\n\n<i>${escapeTelegram(note)}</i>`;
    return telegramTextLength(next) <= limit ? next : html;
  };
  return {
    ...p,
    text: add(p.text, TELEGRAM_LIMITS.text),
    ...(p.photo === undefined ? {} : { photo: { ...p.photo, caption: add(p.photo.caption, TELEGRAM_LIMITS.caption) } }),
  };
}

/** A retracted post: the notice, the title struck through, no link and no preview. */
export function retractedTelegram(p: TelegramPayload, title: string, label: string): TelegramPayload {
  const text = `<b>${escapeTelegram(label)}</b>\n<s>${escapeTelegram(collapseWhitespace(title))}</s>`;
  const { photo: _photo, linkPreviewUrl: _url, ...rest } = p;
  return { ...rest, text, linkPreview: false };
}

/**
 * One roundup: a heading, then each title linked, one a line. Lines are never cut; a
 * roundup longer than one message continues in more (`continued`), each within the limit.
 */
export function roundupTelegram(
  base: Pick<TelegramPayload, 'chatId' | 'threadId' | 'disableNotification'>,
  heading: string,
  items: Array<{ title: string; url: string }>,
  limit: number = TELEGRAM_LIMITS.text,
): TelegramPayload {
  const lines = items.map((i) => `• <a href="${escapeTelegram(i.url)}">${escapeTelegram(collapseWhitespace(i.title))}</a>`);
  const parts: string[] = [];
  let current = `<b>${escapeTelegram(heading)}</b>`;
  for (const line of lines) {
    const next = `${current}\n${line}`;
    if (telegramTextLength(next) > limit && current !== '') {
      parts.push(current);
      current = line;
    } else current = next;
  }
  parts.push(current);
  return {
    kind: 'telegram',
    chatId: base.chatId,
    ...(base.threadId === undefined ? {} : { threadId: base.threadId }),
    disableNotification: base.disableNotification,
    text: parts[0] as string,
    linkPreview: false,
    ...(parts.length > 1 ? { continued: parts.slice(1) } : {}),
  };
}
