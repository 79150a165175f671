import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import {
  type DiscordChannelConfig,
  discordChannelSchema,
  discordDestination,
  discordSecrets,
  discordTarget,
  isDiscordPreview,
} from '../../../src/channels/discord/discord-config.ts';
import { parseWebhookUrl } from '../../../src/channels/discord/webhook-url.ts';
import { emailChannelSchema } from '../../../src/channels/email/email-config.ts';

const HOOK = 'https://discord.com/api/webhooks/123456789012345678/whtoken-SECRET-123';

function parse(input: Record<string, unknown>): DiscordChannelConfig {
  return { ...discordChannelSchema.parse({ type: 'discord', ...input }), id: 'news' };
}

function issues(input: Record<string, unknown>): string[] {
  const r = discordChannelSchema.safeParse({ type: 'discord', ...input });
  return r.success ? [] : r.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`);
}

describe('discordChannelSchema', () => {
  it('accepts a webhook channel with defaults', () => {
    const c = parse({ webhookUrl: HOOK });
    expect(c).toMatchObject({ template: 'discord/post', token: '', topics: [], exclude: [], enabled: true });
    expect(discordTarget(c)).toEqual({
      mode: 'webhook',
      webhookId: '123456789012345678',
      webhookToken: 'whtoken-SECRET-123',
      apiRoot: 'https://discord.com/api',
    });
  });

  it('accepts a bot channel', () => {
    const c = parse({ token: 'bot-token', channelId: '987654321098765432', color: '#5865F2', mention: '42424242424242' });
    expect(discordTarget(c)).toEqual({ mode: 'bot', token: 'bot-token', channelId: '987654321098765432', apiRoot: 'https://discord.com/api' });
  });

  it('is preview mode without credentials (empty env values), without an error', () => {
    expect(isDiscordPreview(parse({}))).toBe(true);
    expect(isDiscordPreview(parse({ webhookUrl: '', token: '', channelId: '987654321098765432' }))).toBe(true);
    expect(discordDestination(parse({}))).toBe('preview');
    expect(discordSecrets(parse({}))).toEqual([]);
  });

  it('works inside the config discriminated union', () => {
    const union = z.discriminatedUnion('type', [emailChannelSchema, discordChannelSchema] as never) as unknown as z.ZodType;
    expect(union.safeParse({ type: 'discord', webhookUrl: HOOK }).success).toBe(true);
    expect(union.safeParse({ type: 'discord', color: 'red' }).success).toBe(false);
  });

  it('explains each mistake', () => {
    expect(issues({ webhookUrl: 'https://example.com/hook' })).toEqual([
      'webhookUrl: expected a Discord webhook URL like https://discord.com/api/webhooks/<id>/<token>',
    ]);
    expect(issues({ webhookUrl: HOOK, token: 't', channelId: '987654321098765432' })).toContain('token: give either webhookUrl or token + channelId, not both');
    expect(issues({ token: 'bot-token' })).toEqual(['channelId: a bot token needs the id of the channel to post in (channelId)']);
    expect(issues({ webhookUrl: HOOK, color: '5865f2' })).toEqual(['color: expected a colour like "#5865f2" (# and six hex digits)']);
    expect(issues({ webhookUrl: HOOK, mention: '@everyone' })[0]).toMatch(/^mention: expected a Discord role id/);
    expect(issues({ token: 't', channelId: Number('987654321098765432') })[0]).toMatch(/^channelId: put the channel id in quotes/);
    expect(issues({ webhookUrl: HOOK, username: 'Discord News' })[0]).toMatch(/^username: Discord refuses/);
    expect(issues({ token: 't', channelId: '987654321098765432', username: 'Herald' })[0]).toMatch(/^username: username only works with a webhookUrl/);
    expect(issues({ webhookUrl: HOOK, extra: 1 })).toHaveLength(1);
  });
});

describe('parseWebhookUrl', () => {
  it('reads the Discord hosts and versioned paths', () => {
    for (const url of [
      HOOK,
      'https://discordapp.com/api/webhooks/123456789012345678/whtoken-SECRET-123',
      'https://ptb.discord.com/api/v10/webhooks/123456789012345678/whtoken-SECRET-123/',
    ]) {
      expect(parseWebhookUrl(url)).toEqual({ id: '123456789012345678', token: 'whtoken-SECRET-123', apiRoot: 'https://discord.com/api' });
    }
  });

  it('takes the API root of another host from the URL (self-hosted proxy, test server)', () => {
    expect(parseWebhookUrl('http://127.0.0.1:4000/api/v10/webhooks/123456789012345678/whtoken-SECRET-123')).toEqual({
      id: '123456789012345678',
      token: 'whtoken-SECRET-123',
      apiRoot: 'http://127.0.0.1:4000/api',
    });
  });

  it('refuses plain http to Discord and malformed paths', () => {
    expect(parseWebhookUrl('http://discord.com/api/webhooks/123456789012345678/whtoken-SECRET-123')).toBeUndefined();
    expect(parseWebhookUrl('https://discord.com/api/webhooks/123456789012345678')).toBeUndefined();
    expect(parseWebhookUrl('not a url')).toBeUndefined();
  });

  it('lets an explicit apiRoot win', () => {
    expect(discordTarget(parse({ webhookUrl: HOOK, apiRoot: 'http://localhost:9/api/' }))).toMatchObject({ apiRoot: 'http://localhost:9/api' });
  });
});

describe('discordSecrets and discordDestination', () => {
  it('lists the tokens and never puts one in the destination', () => {
    const hook = parse({ webhookUrl: HOOK, threadId: '555555555555555555' });
    expect(discordSecrets(hook)).toEqual(['whtoken-SECRET-123']);
    expect(discordDestination(hook)).toBe('webhook:123456789012345678/thread:555555555555555555');
    const bot = parse({ token: 'bot-token-SECRET', channelId: '987654321098765432' });
    expect(discordSecrets(bot)).toEqual(['bot-token-SECRET']);
    expect(discordDestination(bot)).toBe('channel:987654321098765432');
  });
});
