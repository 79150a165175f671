/**
 * `editors:`: who may steer Herald from Telegram and Discord, and where approval cards go.
 * A platform whose token is empty (e.g. `${TELEGRAM_TOKEN:-}` unset) is off.
 */
import * as z from 'zod';
import { discordIdValue } from '../channels/discord/discord-config.ts';
import { TELEGRAM_TOKEN, telegramChat } from '../channels/telegram/telegram-config.ts';
import { httpUrl } from '../config/fields.ts';

const telegramUserId = z.union([z.number(), z.string()]).transform((v, ctx): number => {
  const n = typeof v === 'number' ? v : /^\d+$/.test(v.trim()) ? Number(v.trim()) : Number.NaN;
  if (Number.isSafeInteger(n) && n > 0) return n;
  ctx.addIssue({ code: 'custom', message: `expected a Telegram user id (a positive number like 123456789; @userinfobot tells you yours), got ${JSON.stringify(v)}` });
  return z.NEVER;
});

const telegramEditors = z
  .object({
    /** A bot from @BotFather; may be the bot a channel posts with. Empty = Telegram editing is off. */
    token: z
      .string()
      .default('')
      .superRefine((v, ctx) => {
        if (v === '' || TELEGRAM_TOKEN.test(v)) return;
        ctx.addIssue({ code: 'custom', message: 'expected a bot token like 123456789:AAE… as given by @BotFather (value not shown)' });
      }),
    /** Telegram user ids allowed to command Herald. */
    users: z.array(telegramUserId).min(1, 'list at least one Telegram user id allowed to command Herald'),
    /** The editors' group: approval cards and notices. Without it, cards go to each user in a private chat. */
    chat: telegramChat.optional(),
    apiRoot: httpUrl.default('https://api.telegram.org'),
    /** true: updates come to POST <publicUrl>/hooks/telegram (setWebhook; needs an https publicUrl); false: long polling. */
    webhook: z.boolean().default(false),
  })
  .strict();

const HEX_KEY = /^[0-9a-fA-F]{64}$/;

const discordEditors = z
  .object({
    applicationId: discordIdValue('application'),
    /** The application's public key (hex, from the developer portal): verifies interactions. */
    publicKey: z.string().regex(HEX_KEY, 'expected the application public key: 64 hex digits from the Discord developer portal'),
    /** Bot token: registers /herald and posts approval cards. Empty = Discord editing is off. */
    token: z.string().default(''),
    guildId: discordIdValue('guild (server)'),
    /** The editors' channel: approval cards go here. */
    channelId: discordIdValue('channel').optional(),
    roles: z.array(discordIdValue('role')).default([]),
    users: z.array(discordIdValue('user')).default([]),
    apiRoot: httpUrl.default('https://discord.com/api'),
  })
  .strict()
  .superRefine((d, ctx) => {
    if (d.roles.length === 0 && d.users.length === 0) {
      ctx.addIssue({ code: 'custom', path: ['roles'], message: 'list the role ids and/or user ids allowed to command Herald (roles: [...] or users: [...])' });
    }
  });

export const editorsSchema = z
  .object({
    telegram: telegramEditors.optional(),
    discord: discordEditors.optional(),
  })
  .strict();

export type TelegramEditorsConfig = z.infer<typeof telegramEditors>;
export type DiscordEditorsConfig = z.infer<typeof discordEditors>;

/** Only the platforms that have a token (the others are off). */
export interface EditorsConfig {
  telegram?: TelegramEditorsConfig;
  discord?: DiscordEditorsConfig;
}

export function activeEditors(raw: z.infer<typeof editorsSchema> | undefined): EditorsConfig | undefined {
  const telegram = raw?.telegram && raw.telegram.token.trim() !== '' ? raw.telegram : undefined;
  const discord = raw?.discord && raw.discord.token.trim() !== '' ? { ...raw.discord, token: raw.discord.token.trim() } : undefined;
  return telegram || discord ? { ...(telegram ? { telegram } : {}), ...(discord ? { discord } : {}) } : undefined;
}

export function editorSecrets(e: EditorsConfig | undefined): string[] {
  return [e?.telegram?.token, e?.discord?.token].filter((t): t is string => typeof t === 'string' && t !== '');
}
