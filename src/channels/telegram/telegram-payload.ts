/**
 * What render/telegram produces and the Telegram adapter sends. It lives next to the
 * adapter (like EmailPayload in ../types.ts) so both sides build the Bot API request
 * from one function, and `herald preview` shows exactly what would be sent.
 */
export interface TelegramPayload {
  kind: 'telegram';
  chatId: string | number;
  threadId?: number;
  disableNotification: boolean;
  /** Present when the article has an image: sendPhoto with `caption` (Telegram HTML). */
  photo?: { url: string; caption: string };
  /** Telegram HTML for sendMessage: the post without an image, and the fallback when a photo is rejected. */
  text: string;
  /** The article's URL, previewed under `text`. */
  linkPreviewUrl?: string;
  linkPreview: boolean;
}

/** Telegram's limits, counted in UTF-16 code units of the text after HTML parsing. */
export const TELEGRAM_LIMITS = { caption: 1024, text: 4096 } as const;

export type TelegramMethod = 'sendPhoto' | 'sendMessage';

export interface TelegramRequest {
  method: TelegramMethod;
  fields: Record<string, unknown>;
}

/**
 * The Bot API call for a payload: `photo` → sendPhoto (if it has a photo), `text` →
 * sendMessage. `chatId` overrides the payload's (a group migrated to a supergroup).
 */
export function telegramRequest(p: TelegramPayload, as: 'photo' | 'text', chatId: string | number = p.chatId): TelegramRequest {
  const common = {
    chat_id: chatId,
    ...(p.threadId === undefined ? {} : { message_thread_id: p.threadId }),
    parse_mode: 'HTML',
    disable_notification: p.disableNotification,
  };
  if (as === 'photo' && p.photo !== undefined) {
    return { method: 'sendPhoto', fields: { ...common, photo: p.photo.url, caption: p.photo.caption } };
  }
  const preview = { ...(p.linkPreviewUrl === undefined ? {} : { url: p.linkPreviewUrl }), is_disabled: !p.linkPreview };
  return { method: 'sendMessage', fields: { ...common, text: p.text, link_preview_options: preview } };
}
