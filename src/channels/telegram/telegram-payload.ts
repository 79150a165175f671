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
  /** More messages sent right after this one (a roundup too long for one message). */
  continued?: string[];
}

/** Telegram's limits, counted in UTF-16 code units of the text after HTML parsing. */
export const TELEGRAM_LIMITS = { caption: 1024, text: 4096 } as const;

export type TelegramMethod = 'sendPhoto' | 'sendMessage' | 'editMessageText' | 'editMessageCaption' | 'editMessageMedia' | 'deleteMessage';

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

/**
 * The Bot API call that changes a sent message into this payload. A photo message keeps a
 * photo (its caption edited, or the photo itself with editMessageMedia when `newImage`);
 * a text message stays text. Telegram cannot turn one into the other: the pipeline posts a
 * replacement then.
 */
export function telegramEditRequest(p: TelegramPayload, messageId: number, form: 'photo' | 'text', newImage: boolean, chatId: string | number = p.chatId): TelegramRequest {
  const common = { chat_id: chatId, message_id: messageId };
  if (form === 'photo' && p.photo !== undefined) {
    if (newImage) {
      return { method: 'editMessageMedia', fields: { ...common, media: { type: 'photo', media: p.photo.url, caption: p.photo.caption, parse_mode: 'HTML' } } };
    }
    return { method: 'editMessageCaption', fields: { ...common, caption: p.photo.caption, parse_mode: 'HTML' } };
  }
  if (form === 'photo') {
    // A photo without a photo to show (a retraction notice): only its caption can change.
    return { method: 'editMessageCaption', fields: { ...common, caption: p.text, parse_mode: 'HTML' } };
  }
  const preview = { ...(p.linkPreviewUrl === undefined ? {} : { url: p.linkPreviewUrl }), is_disabled: !p.linkPreview };
  return { method: 'editMessageText', fields: { ...common, text: p.text, parse_mode: 'HTML', link_preview_options: preview } };
}
