/**
 * The editors' Telegram bot as a client (telegraf's Telegram): messages with inline
 * keyboards, edits, callback answers, documents, previews of posts, and the update feed
 * (getUpdates long polling or setWebhook). Errors carry Telegram's reason, never the token.
 */
import { Telegram } from 'telegraf';
import type { Update, UserFromGetMe } from 'telegraf/types';
import { readFailure, shortReason } from '../../channels/telegram/telegram-errors.ts';
import { type TelegramPayload, telegramRequest } from '../../channels/telegram/telegram-payload.ts';
import { isPhotoRejection } from '../../channels/telegram/telegram-errors.ts';
import { redact, registerSecret } from '../../util/secrets.ts';
import type { TelegramEditorsConfig } from '../editors-config.ts';
import type { ButtonSpec } from '../reply.ts';

export class TelegramCallError extends Error {
  constructor(
    readonly method: string,
    readonly status: number | undefined,
    readonly description: string,
  ) {
    super(`Telegram ${method} failed: ${description}`);
    this.name = 'TelegramCallError';
  }
}

export interface TelegramEditorClient {
  readonly telegram: Telegram;
  getMe(): Promise<UserFromGetMe>;
  sendText(chat: number | string, html: string, opts?: { buttons?: ButtonSpec[]; linkPreviewUrl?: string }): Promise<number>;
  /** Editing to the same text and buttons is not an error. */
  editText(chat: number | string, messageId: number, html: string, opts?: { buttons?: ButtonSpec[]; linkPreviewUrl?: string }): Promise<void>;
  answerCallback(id: string, text: string): Promise<void>;
  sendDocument(chat: number | string, file: { name: string; data: Buffer }, captionHtml?: string): Promise<number>;
  /** A post exactly as a channel's adapter sends it (photo rejected → text), into another chat. */
  sendPost(chat: number | string, p: TelegramPayload): Promise<number>;
  getUpdates(offset: number | undefined, timeoutSec: number, signal: AbortSignal): Promise<Update[]>;
  setWebhook(url: string, secretToken: string): Promise<void>;
  deleteWebhook(): Promise<void>;
}

const ALLOWED_UPDATES = ['message', 'callback_query'];

export function keyboard(buttons: ButtonSpec[] | undefined): { inline_keyboard: Array<Array<{ text: string; callback_data: string }>> } {
  return { inline_keyboard: buttons && buttons.length > 0 ? [buttons.map((b) => ({ text: b.label, callback_data: b.data }))] : [] };
}

export function createTelegramEditorClient(cfg: TelegramEditorsConfig, opts: { requestTimeoutMs?: number } = {}): TelegramEditorClient {
  registerSecret(cfg.token);
  const apiRoot = cfg.apiRoot.endsWith('/') ? cfg.apiRoot : `${cfg.apiRoot}/`;
  const telegram = new Telegram(cfg.token, { apiRoot });
  const scrub = (s: string) => redact(s.split(cfg.token).join('***'));
  const timeoutMs = opts.requestTimeoutMs ?? 30_000;

  async function call<T>(method: string, fields: Record<string, unknown>, signal?: AbortSignal, extraMs = 0): Promise<T> {
    const timeout = AbortSignal.timeout(timeoutMs + extraMs);
    const both = signal ? AbortSignal.any([signal, timeout]) : timeout;
    try {
      // callApi: the one documented call that takes an AbortSignal (long polls must stop at once on shutdown).
      return (await telegram.callApi(method as never, fields as never, { signal: both } as never)) as T;
    } catch (e) {
      const f = readFailure(e, method, scrub, timeout.aborted ? 'timeout' : signal?.aborted ? 'closed' : undefined);
      throw new TelegramCallError(method, f.status, f.status === undefined ? f.description : shortReason(f));
    }
  }

  const preview = (url?: string) => (url ? { link_preview_options: { url, is_disabled: false } } : { link_preview_options: { is_disabled: true } });

  return {
    telegram,
    getMe: () => call<UserFromGetMe>('getMe', {}),
    async sendText(chat, html, o = {}) {
      const m = await call<{ message_id: number }>('sendMessage', {
        chat_id: chat,
        text: html,
        parse_mode: 'HTML',
        ...preview(o.linkPreviewUrl),
        ...(o.buttons && o.buttons.length > 0 ? { reply_markup: keyboard(o.buttons) } : {}),
      });
      return m.message_id;
    },
    async editText(chat, messageId, html, o = {}) {
      try {
        await call('editMessageText', { chat_id: chat, message_id: messageId, text: html, parse_mode: 'HTML', ...preview(o.linkPreviewUrl), reply_markup: keyboard(o.buttons) });
      } catch (e) {
        if (e instanceof TelegramCallError && /message is not modified/i.test(e.description)) return;
        throw e;
      }
    },
    async answerCallback(id, text) {
      await call('answerCallbackQuery', { callback_query_id: id, text: text.slice(0, 200) });
    },
    async sendDocument(chat, file, captionHtml) {
      const m = (await telegram
        .sendDocument(chat, { source: file.data, filename: file.name }, captionHtml ? { caption: captionHtml, parse_mode: 'HTML' } : {})
        .catch((e: unknown) => {
          const f = readFailure(e, 'sendDocument', scrub);
          throw new TelegramCallError('sendDocument', f.status, f.status === undefined ? f.description : shortReason(f));
        })) as { message_id: number };
      return m.message_id;
    },
    async sendPost(chat, p) {
      if (p.photo !== undefined) {
        const photo = telegramRequest(p, 'photo', chat);
        try {
          return (await call<{ message_id: number }>(photo.method, withoutThread(photo.fields))).message_id;
        } catch (e) {
          if (!(e instanceof TelegramCallError) || !isPhotoRejection({ method: e.method, status: e.status, description: e.description })) throw e;
        }
      }
      const text = telegramRequest(p, 'text', chat);
      return (await call<{ message_id: number }>(text.method, withoutThread(text.fields))).message_id;
    },
    getUpdates: (offset, timeoutSec, signal) =>
      call<Update[]>('getUpdates', { ...(offset === undefined ? {} : { offset }), timeout: timeoutSec, allowed_updates: ALLOWED_UPDATES }, signal, timeoutSec * 1000),
    async setWebhook(url, secretToken) {
      await call('setWebhook', { url, secret_token: secretToken, allowed_updates: ALLOWED_UPDATES, max_connections: 1 });
    },
    async deleteWebhook() {
      await call('deleteWebhook', { drop_pending_updates: false });
    },
  };
}

/** A preview goes to the editors' chat, not into the channel's forum topic. */
function withoutThread(fields: Record<string, unknown>): Record<string, unknown> {
  const { message_thread_id: _thread, ...rest } = fields;
  return rest;
}
