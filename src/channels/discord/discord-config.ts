import * as z from 'zod';
import { channelBase, httpUrl, postLife } from '../../config/fields.ts';
import { DISCORD_API_ROOT, parseWebhookUrl } from './webhook-url.ts';

/**
 * A Discord channel posts each new article as one message with one embed, either
 * through a webhook (`webhookUrl`) or as a bot (`token` + `channelId`). With
 * neither credential set (e.g. `${DISCORD_WEBHOOK_URL:-}` unset) it is in
 * preview mode and writes to outbox/ instead.
 */
const snowflake = (what: string) => z.string().regex(/^\d{5,25}$/, `expected a Discord ${what} id (digits only, e.g. "1234567890123456789")`);
// YAML reads an unquoted 18-digit id as a float and silently changes its last digits.
export const discordIdValue = (what: string) =>
  z
    .union([z.string(), z.number()])
    .superRefine((v, ctx) => {
      if (typeof v === 'number') ctx.addIssue({ code: 'custom', message: `put the ${what} id in quotes ("${v}" loses digits as a YAML number)` });
    })
    .transform(String)
    .pipe(snowflake(what));

export const discordChannelSchema = z
  .object({
    type: z.literal('discord'),
    ...channelBase,
    ...postLife,
    /** https://discord.com/api/webhooks/<id>/<token>; empty = no webhook. */
    webhookUrl: z
      .string()
      .default('')
      .superRefine((v, ctx) => {
        if (v !== '' && parseWebhookUrl(v) === undefined) {
          ctx.addIssue({ code: 'custom', message: 'expected a Discord webhook URL like https://discord.com/api/webhooks/<id>/<token>' });
        }
      }),
    /** Bot token (posts through the REST API to `channelId`); empty = no bot. */
    token: z.string().default(''),
    channelId: discordIdValue('channel').optional(),
    /** Post into this thread (a webhook's channel's thread, or a thread the bot can post in). */
    threadId: discordIdValue('thread').optional(),
    /** Webhooks only: name and avatar shown for each post. */
    username: z
      .string()
      .min(1)
      .max(80, 'expected at most 80 characters (a Discord limit)')
      .refine((v) => !/discord|clyde/i.test(v), 'Discord refuses webhook names containing "discord" or "clyde"')
      .optional(),
    avatarUrl: httpUrl.optional(),
    /** Embed colour. */
    color: z
      .string()
      .regex(/^#[0-9a-fA-F]{6}$/, 'expected a colour like "#5865f2" (# and six hex digits)')
      .optional(),
    /** A role id to ping with each post. Off by default; nothing else in a post can ping. */
    mention: discordIdValue('role').optional(),
    /** REST base; default https://discord.com/api (or the host of a non-Discord webhook URL). */
    apiRoot: httpUrl.optional(),
    /** Template name under templates/, without extension. */
    template: z.string().default('discord/post'),
  })
  .strict()
  .superRefine((c, ctx) => {
    const token = c.token.trim();
    if (c.webhookUrl !== '' && token !== '') {
      ctx.addIssue({ code: 'custom', path: ['token'], message: 'give either webhookUrl or token + channelId, not both' });
    }
    if (token !== '' && c.channelId === undefined) {
      ctx.addIssue({ code: 'custom', path: ['channelId'], message: 'a bot token needs the id of the channel to post in (channelId)' });
    }
    if (token !== '') {
      for (const key of ['username', 'avatarUrl'] as const) {
        if (c[key] !== undefined) {
          ctx.addIssue({ code: 'custom', path: [key], message: `${key} only works with a webhookUrl; a bot always posts under its own name and avatar` });
        }
      }
    }
  });

export type DiscordChannelConfig = z.infer<typeof discordChannelSchema> & { id: string };

/** How a Discord channel reaches Discord, resolved from its config. */
export type DiscordTarget =
  | { mode: 'webhook'; webhookId: string; webhookToken: string; apiRoot: string }
  | { mode: 'bot'; token: string; channelId: string; apiRoot: string }
  | { mode: 'preview' };

export function discordTarget(config: DiscordChannelConfig): DiscordTarget {
  const token = config.token.trim();
  if (token !== '' && config.channelId !== undefined) {
    return { mode: 'bot', token, channelId: config.channelId, apiRoot: trimRoot(config.apiRoot ?? DISCORD_API_ROOT) };
  }
  const hook = config.webhookUrl === '' ? undefined : parseWebhookUrl(config.webhookUrl);
  if (hook !== undefined) {
    return { mode: 'webhook', webhookId: hook.id, webhookToken: hook.token, apiRoot: trimRoot(config.apiRoot ?? hook.apiRoot) };
  }
  return { mode: 'preview' };
}

/** True when the channel has no credentials: the lead's pipeline writes to outbox/ instead. */
export function isDiscordPreview(config: DiscordChannelConfig): boolean {
  return discordTarget(config).mode === 'preview';
}

/** Values to register with util/secrets.ts (the webhook token is part of every request URL). */
export function discordSecrets(config: DiscordChannelConfig): string[] {
  const t = discordTarget(config);
  if (t.mode === 'bot') return [t.token];
  if (t.mode === 'webhook') return [t.webhookToken];
  return [];
}

/**
 * Where posts go, for the ledger and for people: `webhook:<id>` or
 * `channel:<id>`, plus `/thread:<id>`. Never contains a token.
 */
export function discordDestination(config: DiscordChannelConfig): string {
  const t = discordTarget(config);
  const base = t.mode === 'bot' ? `channel:${t.channelId}` : t.mode === 'webhook' ? `webhook:${t.webhookId}` : 'preview';
  return config.threadId === undefined ? base : `${base}/thread:${config.threadId}`;
}

function trimRoot(root: string): string {
  return root.replace(/\/+$/, '');
}
