import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type DeliveryError, isDeliveryError } from '../../../src/channels/errors.ts';
import { createTelegramAdapter } from '../../../src/channels/telegram/telegram-adapter.ts';
import { type TelegramChannelConfig, telegramChannelSchema } from '../../../src/channels/telegram/telegram-config.ts';
import type { TelegramPayload } from '../../../src/channels/telegram/telegram-payload.ts';
import { startTelegramApi, type TestTelegramApi } from '../../helpers/telegram-api.ts';

const TOKEN = '123456:ABC-secret-token';
// Pacing is shared per token and per chat across the process, so tests that measure
// it use tokens (or chats) of their own.
const PACE_TOKEN = '222222:pace-secret-token';
const SHARED_TOKEN = '333333:shared-secret-token';
const CLOSE_TOKEN = '444444:close-secret-token';
const ALL_TOKENS = [TOKEN, PACE_TOKEN, SHARED_TOKEN, CLOSE_TOKEN];
const FAST = { perChat: 60_000, perToken: 1000 };

let api: TestTelegramApi;
beforeAll(async () => {
  api = await startTelegramApi({ tokens: ALL_TOKENS });
});
afterAll(() => api.close());

function config(over: Record<string, unknown> = {}, id = 'tg-news'): TelegramChannelConfig {
  return { ...telegramChannelSchema.parse({ type: 'telegram', token: TOKEN, chat: -1001234567890, apiRoot: api.apiRoot, pace: FAST, ...over }), id };
}

function payload(over: Partial<TelegramPayload> = {}): TelegramPayload {
  return {
    kind: 'telegram',
    chatId: -1001234567890,
    disableNotification: false,
    text: '<b><a href="https://example.com/p/">Title &amp; more</a></b>\n\nSummary',
    linkPreviewUrl: 'https://example.com/p/',
    linkPreview: true,
    ...over,
  };
}

const withPhoto = (over: Partial<TelegramPayload> = {}) =>
  payload({ photo: { url: 'https://example.com/images/cover%20image.png', caption: '<b>Title</b>\n\nSummary' }, ...over });

async function failure(p: Promise<unknown>): Promise<DeliveryError> {
  try {
    await p;
  } catch (e) {
    if (isDeliveryError(e)) return e;
    throw new Error(`expected a DeliveryError, got ${String(e)}`);
  }
  throw new Error('expected the send to fail');
}

/** The token must not appear anywhere a person or a log could see it. */
function expectNoToken(e: DeliveryError, token = TOKEN): void {
  const places = [e.message, String(e), e.stack ?? '', JSON.stringify(e.cause ?? null), JSON.stringify(e)];
  for (const text of places) {
    expect(text).not.toContain(token);
    expect(text).not.toContain(token.split(':')[1]);
  }
}

function lastCall() {
  return api.calls[api.calls.length - 1];
}

describe('createTelegramAdapter: sending', () => {
  it('sends a photo post with sendPhoto (JSON body, HTML caption) and returns the message id', async () => {
    const adapter = createTelegramAdapter(config());
    expect(adapter).toMatchObject({ channelId: 'tg-news', type: 'telegram', preview: false });
    const before = api.messages.length;
    const r = await adapter.send(withPhoto({ threadId: 42, disableNotification: true }));
    const m = api.messages[before];
    expect(r).toEqual({ providerMessageId: String(m?.message_id) });
    expect(lastCall()).toMatchObject({
      token: TOKEN,
      method: 'sendPhoto',
      encoding: 'json',
      body: {
        chat_id: -1001234567890,
        message_thread_id: 42,
        photo: 'https://example.com/images/cover%20image.png',
        caption: '<b>Title</b>\n\nSummary',
        parse_mode: 'HTML',
        disable_notification: true,
      },
    });
    await adapter.close();
  });

  it('sends a post without an image with sendMessage and the article as link preview', async () => {
    const adapter = createTelegramAdapter(config());
    const r = await adapter.send(payload({ chatId: '@herald_news' }));
    expect(r.providerMessageId).toMatch(/^\d+$/);
    expect(lastCall()).toMatchObject({
      method: 'sendMessage',
      body: {
        chat_id: '@herald_news',
        text: payload().text,
        parse_mode: 'HTML',
        disable_notification: false,
        link_preview_options: { url: 'https://example.com/p/', is_disabled: false },
      },
    });
    expect(lastCall()?.body).not.toHaveProperty('message_thread_id');
  });

  it('reaches a Bot API server under a path (apiRoot without the final slash)', async () => {
    const adapter = createTelegramAdapter(config({ apiRoot: `${api.apiRoot}/telegram/api` }));
    await adapter.send(payload());
    expect(lastCall()?.method).toBe('sendMessage');
  });

  it.each([
    'Bad Request: wrong type of the web page content',
    'Bad Request: failed to get HTTP URL content',
    'Bad Request: wrong file identifier/HTTP URL specified',
    'Bad Request: IMAGE_PROCESS_FAILED',
    'Bad Request: PHOTO_INVALID_DIMENSIONS',
  ])('falls back to text with link preview when the photo is rejected (%s)', async (description) => {
    const adapter = createTelegramAdapter(config());
    api.failNext('sendPhoto', { code: 400, description });
    const before = api.calls.length;
    const r = await adapter.send(withPhoto());
    const calls = api.calls.slice(before);
    expect(calls.map((c) => c.method)).toEqual(['sendPhoto', 'sendMessage']);
    expect(calls[1]?.body).toMatchObject({ text: payload().text, link_preview_options: { url: 'https://example.com/p/', is_disabled: false } });
    expect(r.providerMessageId).toBe(String(api.messages.at(-1)?.message_id));
    expect(r.note).toBe(`photo rejected (${description.replace('Bad Request: ', '')}), sent as text with link preview`);
  });

  it('follows a group upgraded to a supergroup at once, says so, and keeps the new id', async () => {
    const adapter = createTelegramAdapter(config({ chat: -4567 }));
    api.failNext(
      '*',
      { code: 400, description: 'Bad Request: group chat was upgraded to a supergroup chat', parameters: { migrate_to_chat_id: -1009876543210 } },
      { chat: -4567 },
    );
    const before = api.calls.length;
    const r = await adapter.send(payload({ chatId: -4567 }));
    expect(api.calls.slice(before).map((c) => [c.method, c.chatId])).toEqual([
      ['sendMessage', '-4567'],
      ['sendMessage', '-1009876543210'],
    ]);
    expect(r.note).toBe('tg-news: the group was upgraded to a supergroup; update chat to -1009876543210 in the config');
    expect(api.messages.at(-1)?.chatId).toBe('-1009876543210');

    const r2 = await adapter.send(withPhoto({ chatId: -4567 }));
    expect(lastCall()).toMatchObject({ method: 'sendPhoto', chatId: '-1009876543210' });
    expect(r2.note).toBeUndefined();
  });

  it('keeps sends in call order', async () => {
    const adapter = createTelegramAdapter(config({ chat: -555 }));
    const texts = Array.from({ length: 8 }, (_, i) => `post ${i}`);
    await Promise.all(texts.map((text) => adapter.send(payload({ chatId: -555, text }))));
    expect(api.messages.filter((m) => m.chatId === '-555').map((m) => m.body.text)).toEqual(texts);
  });
});

describe('createTelegramAdapter: errors', () => {
  it('surfaces 429 as rate-limited with retry_after', async () => {
    const adapter = createTelegramAdapter(config({ chat: -4291 }));
    api.failNext('sendMessage', { code: 429, description: 'Too Many Requests: retry after 1', parameters: { retry_after: 1 } });
    const e = await failure(adapter.send(payload({ chatId: -4291 })));
    expect(e).toMatchObject({ kind: 'rate-limited', retryAfterMs: 1000, code: 429, connection: false });
    expect(e.message).toBe('tg-news: Telegram asks to slow down (429: Too Many Requests: retry after 1); retry in 1 s');
    expectNoToken(e);
  });

  it('after a 429, refuses that chat at once for the rest of retry_after, then posts again', async () => {
    const adapter = createTelegramAdapter(config({ chat: -4292 }));
    api.failNext('sendMessage', { code: 429, description: 'Too Many Requests: retry after 1', parameters: { retry_after: 1 } });
    await failure(adapter.send(payload({ chatId: -4292 })));
    const failedAt = lastCall()?.at ?? 0;
    const calls = api.calls.length;
    const early = await failure(adapter.send(payload({ chatId: -4292 })));
    expect(early).toMatchObject({ kind: 'rate-limited', code: 429 });
    expect(early.message).toBe('tg-news: Telegram asked to wait before posting to -4292 again; 1 s left');
    expect(early.retryAfterMs).toBeGreaterThan(0);
    expect(early.retryAfterMs).toBeLessThanOrEqual(1000);
    expect(api.calls.length).toBe(calls); // Telegram was not asked again
    // Another chat of the same bot is not held.
    await adapter.send(payload({ chatId: -4293 }));
    await new Promise((r) => setTimeout(r, early.retryAfterMs));
    await adapter.send(payload({ chatId: -4292 }));
    expect((lastCall()?.at ?? 0) - failedAt).toBeGreaterThanOrEqual(950);
  });

  it('401: the token was rejected, permanent, and the token appears nowhere', async () => {
    const token = '987654:ABC-wrong-secret-token';
    const adapter = createTelegramAdapter(config({ token }));
    const e = await failure(adapter.send(payload()));
    expect(e).toMatchObject({ kind: 'permanent', code: 401, connection: false });
    expect(e.message).toBe('tg-news: the bot token was rejected (401 Unauthorized)');
    expectNoToken(e, token);
  });

  it('403: the bot is not a member, permanent', async () => {
    const adapter = createTelegramAdapter(config({ chat: '@herald_news' }));
    api.failNext('sendMessage', { code: 403, description: 'Forbidden: bot is not a member of the channel chat' });
    const e = await failure(adapter.send(payload({ chatId: '@herald_news' })));
    expect(e).toMatchObject({ kind: 'permanent', code: 403 });
    expect(e.message).toBe('tg-news: the bot is not a member/admin of @herald_news (403: Forbidden: bot is not a member of the channel chat)');
    expectNoToken(e);
  });

  it('400 "chat not found" and 404: chat not found, permanent and channel-wide (code 404)', async () => {
    const adapter = createTelegramAdapter(config());
    api.failNext('sendMessage', { code: 400, description: 'Bad Request: chat not found' });
    const e = await failure(adapter.send(payload()));
    expect(e).toMatchObject({ kind: 'permanent', code: 404 });
    expect(e.message).toMatch(/^tg-news: chat -1001234567890 not found \(400: Bad Request: chat not found\)/);
    api.failNext('sendMessage', { code: 404, description: 'Not Found' });
    const e404 = await failure(adapter.send(payload()));
    expect(e404).toMatchObject({ kind: 'permanent', code: 404 });
    expect(e404.message).toMatch(/^tg-news: chat -1001234567890 not found \(404\)/);
    expectNoToken(e404);
  });

  it('a rejected photo that is not about the image is not retried as text', async () => {
    const adapter = createTelegramAdapter(config());
    api.failNext('sendPhoto', { code: 400, description: 'Bad Request: chat not found' });
    const before = api.calls.length;
    const e = await failure(adapter.send(withPhoto()));
    expect(e.kind).toBe('permanent');
    expect(api.calls.slice(before).map((c) => c.method)).toEqual(['sendPhoto']);
  });

  it('other 400s are permanent with Telegram’s reason', async () => {
    const adapter = createTelegramAdapter(config());
    api.failNext('sendMessage', { code: 400, description: 'Bad Request: can\'t parse entities: Unsupported start tag "p" at byte offset 0' });
    const e = await failure(adapter.send(payload()));
    expect(e).toMatchObject({ kind: 'permanent', code: 400 });
    expect(e.message).toContain("tg-news: Telegram could not parse the post's HTML (400: Bad Request: can't parse entities");
  });

  it('5xx is transient (not a connection problem)', async () => {
    const adapter = createTelegramAdapter(config());
    api.failNext('sendMessage', { code: 502, description: 'Bad Gateway' });
    const e = await failure(adapter.send(payload()));
    expect(e).toMatchObject({ kind: 'transient', code: 502, connection: false });
    expect(e.message).toBe('tg-news: Telegram server error (502: Bad Gateway); will retry');
    expectNoToken(e);
  });

  it('a dead apiRoot fails fast as a transient connection error, without the token', async () => {
    const dead = await startTelegramApi();
    const root = dead.apiRoot;
    await dead.close();
    const adapter = createTelegramAdapter(config({ apiRoot: root }));
    const started = performance.now();
    const e = await failure(adapter.send(payload()));
    expect(performance.now() - started).toBeLessThan(2000);
    expect(e).toMatchObject({ kind: 'transient', connection: true });
    expect(e.message).toMatch(/^tg-news: cannot reach the Telegram Bot API at 127\.0\.0\.1:\d+ \(connect ECONNREFUSED 127\.0\.0\.1:\d+\)$/);
    expectNoToken(e);
  });

  it('a server that does not answer times out as a transient connection error', async () => {
    const slow = await startTelegramApi({ tokens: [TOKEN], delayMs: 3000 });
    try {
      const adapter = createTelegramAdapter(config({ apiRoot: slow.apiRoot }), { requestTimeoutMs: 200 });
      const started = performance.now();
      const e = await failure(adapter.send(payload()));
      expect(performance.now() - started).toBeLessThan(1500);
      expect(e).toMatchObject({ kind: 'transient', connection: true });
      expect(e.message).toMatch(/^tg-news: no answer from the Telegram Bot API at 127\.0\.0\.1:\d+ within 200 ms$/);
      expectNoToken(e);
    } finally {
      slow.delayMs = 0;
      await slow.close();
    }
  });

  it('refuses to start without a token (that is preview mode)', () => {
    expect(() => createTelegramAdapter(config({ token: '' }))).toThrow(/tg-news: no bot token/);
  });
});

describe('createTelegramAdapter: pacing', () => {
  it('posts at most pace.perChat a minute to a chat, evenly, in order (600/min: 12 posts take ≥ 1.1 s)', async () => {
    const adapter = createTelegramAdapter(config({ token: PACE_TOKEN, chat: -600, pace: { perChat: 600, perToken: 1000 } }));
    const texts = Array.from({ length: 12 }, (_, i) => `paced ${i}`);
    await Promise.all(texts.map((text) => adapter.send(payload({ chatId: -600, text }))));
    const got = api.messages.filter((m) => m.chatId === '-600');
    expect(got.map((m) => m.body.text)).toEqual(texts);
    const at = got.map((m) => m.at);
    expect((at.at(-1) ?? 0) - (at[0] ?? 0)).toBeGreaterThanOrEqual(1000);
    // Evenly spaced, not a burst followed by a wait.
    for (let i = 1; i < at.length; i++) expect((at[i] ?? 0) - (at[i - 1] ?? 0)).toBeGreaterThanOrEqual(50);
  });

  it('shares the per-token limit between adapters with the same token', async () => {
    const pace = { perChat: 60_000, perToken: 4 };
    const a = createTelegramAdapter(config({ token: SHARED_TOKEN, chat: -701, pace }, 'tg-a'));
    const b = createTelegramAdapter(config({ token: SHARED_TOKEN, chat: -702, pace }, 'tg-b'));
    const before = api.calls.length;
    await Promise.all([
      ...Array.from({ length: 6 }, (_, i) => a.send(payload({ chatId: -701, text: `a${i}` }))),
      ...Array.from({ length: 6 }, (_, i) => b.send(payload({ chatId: -702, text: `b${i}` }))),
    ]);
    const at = api.calls
      .slice(before)
      .filter((c) => c.token === SHARED_TOKEN)
      .map((c) => c.at)
      .sort((x, y) => x - y);
    expect(at).toHaveLength(12);
    // 4 a second for both together: 12 calls span at least two full windows.
    expect((at[11] ?? 0) - (at[0] ?? 0)).toBeGreaterThanOrEqual(1800);
    expect((at[4] ?? 0) - (at[0] ?? 0)).toBeGreaterThanOrEqual(900);
  });

  it('close() gives back posts still waiting for a slot and lets the one in flight finish', async () => {
    const adapter = createTelegramAdapter(config({ token: CLOSE_TOKEN, chat: -800, pace: { perChat: 6, perToken: 1000 } }));
    const already = api.messages.length;
    const sends = [1, 2, 3].map((i) =>
      adapter.send(payload({ chatId: -800, text: `c${i}` })).then(
        (r) => ({ ok: true as const, r }),
        (e: unknown) => ({ ok: false as const, e }),
      ),
    );
    await api.waitForMessages(already + 1); // the first is sent at once; the others wait 10 s each
    const started = performance.now();
    await adapter.close();
    expect(performance.now() - started).toBeLessThan(500);
    const results = await Promise.all(sends);
    expect(results[0]?.ok).toBe(true);
    for (const r of results.slice(1)) {
      expect(r.ok).toBe(false);
      if (!r.ok) expect(r.e).toMatchObject({ kind: 'transient', connection: false, message: 'tg-news: the channel was closed before the post was sent' });
    }
    expect(api.messages.filter((m) => m.chatId === '-800')).toHaveLength(1);
    await expect(adapter.send(payload())).rejects.toMatchObject({ kind: 'transient' });
  });
});
