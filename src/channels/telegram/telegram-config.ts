import * as z from 'zod';
import { channelBase, httpUrl, postLife } from '../../config/fields.ts';

// BotFather tokens look like 123456789:AAE…; the check only catches paste mistakes
// (a "bot" prefix, quotes, whitespace) early, and never echoes the value.
export const TELEGRAM_TOKEN = /^\d+:[A-Za-z0-9_-]+$/;
// Public usernames: 5–32 characters, letters, digits and underscores, starting with a letter.
const USERNAME = /^@[A-Za-z][A-Za-z0-9_]{3,31}$/;
const NUMERIC_ID = /^-?\d+$/;

const CHAT_HINT = 'expected a chat id like -1001234567890 (a number) or a public channel username like @mychannel';

/** A chat id as Telegram takes it: an integer, or "@username" for a public channel. */
export const telegramChat = z.union([z.number(), z.string()]).transform((v, ctx): number | string => {
  if (typeof v === 'number') {
    if (Number.isSafeInteger(v) && v !== 0) return v;
    ctx.addIssue({ code: 'custom', message: `${CHAT_HINT}, got ${v}` });
    return z.NEVER;
  }
  const s = v.trim();
  if (NUMERIC_ID.test(s)) {
    const n = Number(s);
    if (Number.isSafeInteger(n) && n !== 0) return n;
  }
  if (USERNAME.test(s)) return s;
  const hint = /t\.me\//i.test(s) ? ` (for a link like t.me/name, write @name)` : /^[A-Za-z][A-Za-z0-9_]{3,31}$/.test(s) ? ` (did you mean @${s}?)` : '';
  ctx.addIssue({ code: 'custom', message: `${CHAT_HINT}, got "${v}"${hint}` });
  return z.NEVER;
});

export const telegramChannelSchema = z
  .object({
    type: z.literal('telegram'),
    ...channelBase,
    ...postLife,
    /** Bot token from @BotFather; empty = preview mode (writes to outbox/). */
    token: z
      .string()
      .default('')
      .superRefine((v, ctx) => {
        if (v === '' || TELEGRAM_TOKEN.test(v)) return;
        const hint = /^bot\d/i.test(v) ? ' without the "bot" prefix' : '';
        ctx.addIssue({ code: 'custom', message: `expected a bot token like 123456789:AAE… as given by @BotFather${hint} (value not shown)` });
      }),
    chat: telegramChat,
    /** Forum topic (message_thread_id) in a supergroup with topics. */
    thread: z.number().int().positive().optional(),
    /** Bot API server; a self-hosted one may have a path (https://host/tg/). */
    apiRoot: httpUrl.default('https://api.telegram.org'),
    /** Template name under templates/, without extension (.html.liquid is added). */
    template: z.string().default('telegram/post'),
    disableNotification: z.boolean().default(false),
    /** Show the article's link preview when a post has no image. */
    linkPreview: z.boolean().default(true),
    pace: z
      .object({
        /** Posts a minute to one chat (Telegram allows about 20 in a group). */
        perChat: z.number().positive().default(20),
        /** API calls a second for one bot token, across every channel using it (Telegram: about 30). */
        perToken: z.number().positive().default(30),
      })
      .strict()
      .default({ perChat: 20, perToken: 30 }),
  })
  .strict();

export type TelegramChannelConfig = z.infer<typeof telegramChannelSchema> & { id: string };

/** Values the redactor must know before anything is logged: the bot token (it is part of every request URL). */
export function telegramSecrets(config: Pick<TelegramChannelConfig, 'token'>): string[] {
  return config.token === '' ? [] : [config.token];
}

/** Channels without a token write to outbox/ instead of posting. */
export function isTelegramPreview(config: Pick<TelegramChannelConfig, 'token'>): boolean {
  return config.token === '';
}

/**
 * The t.me link of a post: public chats by username, supergroups and channels by their
 * internal id (-100XXXXXXXXXX → t.me/c/XXXXXXXXXX). Basic groups have no links.
 */
export function telegramPostLink(config: Pick<TelegramChannelConfig, 'chat' | 'thread'>, messageId: string): string | undefined {
  const chat = String(config.chat);
  if (!/^\d+$/.test(messageId)) return undefined;
  if (chat.startsWith('@')) return `https://t.me/${chat.slice(1)}/${messageId}`;
  const internal = /^-100(\d+)$/.exec(chat)?.[1];
  if (internal === undefined) return undefined;
  return `https://t.me/c/${internal}/${config.thread === undefined ? '' : `${config.thread}/`}${messageId}`;
}
