import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { createDiscordAdapter, type DiscordAdapterOptions } from '../../../src/channels/discord/discord-adapter.ts';
import { type DiscordChannelConfig, discordChannelSchema } from '../../../src/channels/discord/discord-config.ts';
import type { DiscordPayload } from '../../../src/channels/discord/discord-payload.ts';
import { DeliveryError } from '../../../src/channels/errors.ts';
import type { ChannelAdapter } from '../../../src/channels/types.ts';
import { renderDiscordPost } from '../../../src/render/discord/render-post.ts';
import { redact } from '../../../src/util/secrets.ts';
import { type DiscordApi, startDiscordApi } from '../../helpers/discord-api.ts';
import { engine, zhArticle, zhSite } from '../../render/fixtures.ts';

const WEBHOOK_ID = '111111111111111111';
const WEBHOOK_TOKEN = 'whtoken-SECRET-123';
const BOT_TOKEN = 'bot-SECRET-token-456';
const CHANNEL = '333333333333333333';
const THREAD = '444444444444444444';
const FORBIDDEN = '555555555555555555';

let api: DiscordApi;
let payload: DiscordPayload;
const adapters: ChannelAdapter<DiscordPayload>[] = [];

beforeAll(async () => {
  api = await startDiscordApi({
    webhooks: [{ id: WEBHOOK_ID, token: WEBHOOK_TOKEN, channelId: '222222222222222222' }],
    botToken: BOT_TOKEN,
    channels: [CHANNEL, THREAD, FORBIDDEN],
    forbidden: [FORBIDDEN],
  });
  payload = await renderDiscordPost(engine(), {
    site: zhSite,
    article: { ...zhArticle, title: '@everyone <@&123> 新文章' },
    channel: { color: '#5865f2', username: 'Herald', avatarUrl: 'https://example.com/a.png' },
  });
});

afterEach(async () => {
  await Promise.all(adapters.splice(0).map((a) => a.close()));
  api.requests.length = 0;
  api.messages.length = 0;
});

afterAll(() => api.close());

function config(over: Record<string, unknown>): DiscordChannelConfig {
  return { ...discordChannelSchema.parse({ type: 'discord', ...over }), id: 'discord-news' };
}

function webhookAdapter(over: Record<string, unknown> = {}, opts: DiscordAdapterOptions = {}) {
  const a = createDiscordAdapter(config({ webhookUrl: api.webhookUrl(WEBHOOK_ID), ...over }), { timeoutMs: 2000, ...opts });
  adapters.push(a);
  return a;
}

function botAdapter(over: Record<string, unknown> = {}, opts: DiscordAdapterOptions = {}) {
  const a = createDiscordAdapter(config({ token: BOT_TOKEN, channelId: CHANNEL, apiRoot: api.apiRoot, ...over }), { timeoutMs: 2000, ...opts });
  adapters.push(a);
  return a;
}

async function failure(p: Promise<unknown>): Promise<DeliveryError> {
  const e = await p.then(
    () => undefined,
    (err: unknown) => err,
  );
  expect(e).toBeInstanceOf(DeliveryError);
  return e as DeliveryError;
}

function expectNoSecrets(e: DeliveryError, ...extra: string[]) {
  const shown = [e.message, String(e), JSON.stringify(e.cause), JSON.stringify(e)];
  for (const text of shown) {
    for (const secret of [WEBHOOK_TOKEN, BOT_TOKEN, ...extra]) expect(text).not.toContain(secret);
  }
}

describe('Discord webhook', () => {
  it('executes the webhook with wait=true and returns the message id', async () => {
    const r = await webhookAdapter().send(payload);
    expect(api.messages).toHaveLength(1);
    expect(r.providerMessageId).toBe(api.messages[0]?.id);
    expect(r.providerMessageId).toMatch(/^\d{17,20}$/);
    const [req] = api.requests;
    expect(req?.method).toBe('POST');
    expect(req?.path).toBe(`/api/v10/webhooks/${WEBHOOK_ID}/${WEBHOOK_TOKEN}`);
    expect(req?.query.wait).toBe('true');
    expect(req?.query.thread_id).toBeUndefined();
    expect(req?.headers.authorization).toBeUndefined();
  });

  it('sends the embed, the webhook name and avatar, and allowed_mentions that ping nobody', async () => {
    await webhookAdapter().send(payload);
    const body = api.requests[0]?.body as Record<string, unknown>;
    expect(body.embeds).toEqual(payload.embeds);
    expect(body.allowed_mentions).toEqual({ parse: [] });
    expect(body.username).toBe('Herald');
    expect(body.avatar_url).toBe('https://example.com/a.png');
    expect(body.content).toBeUndefined();
  });

  it('sends the role mention only with the configured role allowed', async () => {
    await webhookAdapter().send({ ...payload, content: '<@&42>', allowed_mentions: { parse: [], roles: ['42'] } });
    const body = api.requests[0]?.body as Record<string, unknown>;
    expect(body.content).toBe('<@&42>');
    expect(body.allowed_mentions).toEqual({ parse: [], roles: ['42'] });
  });

  it('posts into the thread (thread_id query), from the payload or the config', async () => {
    await webhookAdapter().send({ ...payload, threadId: THREAD });
    await webhookAdapter({ threadId: THREAD }).send(payload);
    expect(api.requests.map((r) => r.query.thread_id)).toEqual([THREAD, THREAD]);
    expect(api.messages.map((m) => m.channel_id)).toEqual([THREAD, THREAD]);
  });

  it('reuses one client across sends and paces them by the rate-limit headers', async () => {
    await api.close();
    api = await startDiscordApi({ webhooks: [{ id: WEBHOOK_ID, token: WEBHOOK_TOKEN }], bucketLimit: 2, bucketWindowMs: 300 });
    try {
      const a = webhookAdapter();
      for (let i = 0; i < 5; i++) await a.send(payload);
      // Over the bucket limit the server answers 429; discord.js waited for the reset instead.
      expect(api.requests).toHaveLength(5);
      expect(api.messages).toHaveLength(5);
    } finally {
      await api.close();
      api = await startDiscordApi({
        webhooks: [{ id: WEBHOOK_ID, token: WEBHOOK_TOKEN, channelId: '222222222222222222' }],
        botToken: BOT_TOKEN,
        channels: [CHANNEL, THREAD, FORBIDDEN],
        forbidden: [FORBIDDEN],
      });
    }
  });
});

describe('Discord bot', () => {
  it('creates a channel message with the bot token and returns its id', async () => {
    const r = await botAdapter().send({ ...payload, username: undefined, avatar_url: undefined });
    const [req] = api.requests;
    expect(req?.path).toBe(`/api/v10/channels/${CHANNEL}/messages`);
    expect(req?.headers.authorization).toBe(`Bot ${BOT_TOKEN}`);
    const body = req?.body as Record<string, unknown>;
    expect(body.embeds).toEqual(payload.embeds);
    expect(body.allowed_mentions).toEqual({ parse: [] });
    expect(body.enforce_nonce).toBe(true);
    expect(String(body.nonce).length).toBeLessThanOrEqual(25);
    expect(r.providerMessageId).toBe(api.messages[0]?.id);
  });

  it('posts into a thread as a channel', async () => {
    await botAdapter({ threadId: THREAD }).send(payload);
    expect(api.requests[0]?.path).toBe(`/api/v10/channels/${THREAD}/messages`);
  });
});

describe('Discord rate limits', () => {
  it('waits out a short 429 and posts exactly once', async () => {
    api.failNext({ status: 429, retryAfter: 0.2 });
    const r = await webhookAdapter().send(payload);
    expect(r.providerMessageId).toBeDefined();
    expect(api.requests).toHaveLength(2);
    expect(api.messages).toHaveLength(1);
  });

  it('surfaces a long 429 at once as rate-limited with the wait asked for', async () => {
    api.failNext({ status: 429, retryAfter: 3600 });
    const seen: number[] = [];
    const started = Date.now();
    const e = await failure(webhookAdapter({}, { onRateLimited: (d) => seen.push(d.retryAfterMs) }).send(payload));
    expect(Date.now() - started).toBeLessThan(3000);
    expect(e.kind).toBe('rate-limited');
    expect(e.retryAfterMs).toBeGreaterThanOrEqual(3_599_000);
    expect(e.retryAfterMs).toBeLessThanOrEqual(3_601_000);
    expect(e.message).toMatch(/^discord-news: Discord rate limit/);
    expect(api.messages).toHaveLength(0);
    expect(seen).toHaveLength(1);
    expect(seen[0]).toBeGreaterThanOrEqual(3_599_000);
    expectNoSecrets(e);
  });

  it('keeps the webhook token out of a rate limit on a webhook with a short id', async () => {
    const short = await startDiscordApi({ webhooks: [{ id: '123456', token: WEBHOOK_TOKEN }] });
    try {
      short.failNext({ status: 429, retryAfter: 3600 });
      const routes: string[] = [];
      const a = createDiscordAdapter(config({ webhookUrl: short.webhookUrl('123456') }), { onRateLimited: (d) => routes.push(d.route) });
      adapters.push(a);
      const e = await failure(a.send(payload));
      expect(e.kind).toBe('rate-limited');
      expectNoSecrets(e);
      expect(routes).toHaveLength(1);
      expect(routes.join()).not.toContain(WEBHOOK_TOKEN);
    } finally {
      await short.close();
    }
  });

  it('surfaces a global 429 even when short', async () => {
    api.failNext({ status: 429, retryAfter: 2, global: true });
    const e = await failure(botAdapter().send(payload));
    expect(e.kind).toBe('rate-limited');
    expect(e.message).toContain('global');
    expect(e.retryAfterMs).toBeGreaterThanOrEqual(1900);
  });
});

describe('Discord errors', () => {
  it('401 on a webhook: permanent, names the channel, no token anywhere', async () => {
    const wrong = 'whtoken-WRONG-999';
    const e = await failure(webhookAdapter({ webhookUrl: `${api.apiRoot}/webhooks/${WEBHOOK_ID}/${wrong}` }).send(payload));
    expect(e.kind).toBe('permanent');
    expect(e.code).toBe(401);
    expect(e.message).toBe('discord-news: the Discord webhook token was rejected (401: Invalid Webhook Token)');
    expectNoSecrets(e, wrong);
  });

  it('401 for a bot: permanent, and the next send asks Discord again', async () => {
    api.failNext('unauthorized', 'unauthorized');
    const a = botAdapter();
    const e = await failure(a.send(payload));
    expect(e.kind).toBe('permanent');
    expect(e.message).toBe('discord-news: the Discord token was rejected (401)');
    expectNoSecrets(e);
    expect((await failure(a.send(payload))).message).toBe(e.message);
    expect(api.requests).toHaveLength(2);
  });

  it('403: missing permission, with the channel id', async () => {
    const e = await failure(botAdapter({ channelId: FORBIDDEN }).send(payload));
    expect(e.kind).toBe('permanent');
    expect(e.code).toBe(403);
    expect(e.message).toBe(`discord-news: missing permission to post in channel ${FORBIDDEN} (403: Missing Permissions)`);
    expectNoSecrets(e);
  });

  it('404: the webhook no longer exists', async () => {
    const e = await failure(webhookAdapter({ webhookUrl: `${api.apiRoot}/webhooks/999999999999999999/${WEBHOOK_TOKEN}` }).send(payload));
    expect(e.kind).toBe('permanent');
    expect(e.code).toBe(404);
    expect(e.message).toBe('discord-news: the webhook or channel no longer exists (404: Unknown Webhook)');
    expectNoSecrets(e);
  });

  it("400: permanent with Discord's explanation", async () => {
    api.failNext('bad-request');
    const e = await failure(webhookAdapter().send(payload));
    expect(e.kind).toBe('permanent');
    expect(e.message).toContain('discord-news: Discord rejected the message (400: ');
    expect(e.message).toContain('Must be 256 or fewer in length.');
    expect(e.message).not.toContain('\n');
    expectNoSecrets(e);
  });

  it('500 once: retried by discord.js, posted once', async () => {
    api.failNext('server-error');
    const r = await webhookAdapter().send(payload);
    expect(r.providerMessageId).toBeDefined();
    expect(api.messages).toHaveLength(1);
  });

  it('500 twice: transient, not a connection failure', async () => {
    api.failNext('server-error', 'server-error');
    const e = await failure(webhookAdapter().send(payload));
    expect(e.kind).toBe('transient');
    expect(e.connection).toBe(false);
    expect(e.code).toBe(500);
    expect(api.requests).toHaveLength(2);
    expectNoSecrets(e);
  });

  it('a server that does not answer: transient connection failure after the timeout', async () => {
    api.failNext({ hang: true });
    const started = Date.now();
    const e = await failure(webhookAdapter({}, { timeoutMs: 300, retries: 0 }).send(payload));
    expect(Date.now() - started).toBeLessThan(3000);
    expect(e.kind).toBe('transient');
    expect(e.connection).toBe(true);
    expect(e.message).toContain('discord-news: no answer from Discord');
  });

  it('nobody listening: transient connection failure, fast', async () => {
    const dead = createServer();
    await new Promise<void>((r) => dead.listen(0, '127.0.0.1', () => r()));
    const port = (dead.address() as AddressInfo).port;
    await new Promise<void>((r) => dead.close(() => r()));
    const started = Date.now();
    const e = await failure(webhookAdapter({ webhookUrl: `http://127.0.0.1:${port}/api/webhooks/${WEBHOOK_ID}/${WEBHOOK_TOKEN}` }).send(payload));
    expect(Date.now() - started).toBeLessThan(2000);
    expect(e.kind).toBe('transient');
    expect(e.connection).toBe(true);
    expect(e.message).toContain('ECONNREFUSED');
    expectNoSecrets(e);
  });
});

describe('Discord adapter lifecycle', () => {
  it('registers its tokens as secrets', () => {
    webhookAdapter();
    botAdapter();
    expect(redact(`x ${WEBHOOK_TOKEN} ${BOT_TOKEN}`)).toBe('x *** ***');
  });

  it('refuses a config without credentials (preview mode is the outbox adapter)', () => {
    expect(() => createDiscordAdapter(config({ webhookUrl: '' }))).toThrow(/preview/);
  });

  it('close() lets a send in flight finish, then refuses new ones', async () => {
    const a = webhookAdapter();
    const sending = a.send(payload);
    await a.close();
    expect((await sending).providerMessageId).toBeDefined();
    const e = await failure(a.send(payload));
    expect(e.message).toContain('closed');
  });
});
