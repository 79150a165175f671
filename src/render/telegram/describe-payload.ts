import { TELEGRAM_LIMITS, type TelegramMethod, type TelegramPayload, telegramRequest } from '../../channels/telegram/telegram-payload.ts';
import { telegramTextLength } from './telegram-html.ts';

export interface TelegramPayloadDescription {
  method: TelegramMethod;
  /** The exact Bot API fields the adapter sends (before a photo fallback or a chat migration). */
  fields: Record<string, unknown>;
  /** Measured the way Telegram counts (UTF-16 units of the visible text). */
  limits: Array<{ field: string; length: number; limit: number }>;
}

/** For `herald preview`: what would be sent, and how close it is to Telegram's limits. */
export function describeTelegramPayload(p: TelegramPayload): TelegramPayloadDescription {
  const { method, fields } = telegramRequest(p, 'photo');
  const limits: TelegramPayloadDescription['limits'] = [];
  if (p.photo !== undefined) limits.push({ field: 'caption', length: telegramTextLength(p.photo.caption), limit: TELEGRAM_LIMITS.caption });
  // With a photo, `text` is what goes out if Telegram rejects the image.
  limits.push({
    field: p.photo === undefined ? 'text' : 'text (sent if the photo is rejected)',
    length: telegramTextLength(p.text),
    limit: TELEGRAM_LIMITS.text,
  });
  return { method, fields, limits };
}
