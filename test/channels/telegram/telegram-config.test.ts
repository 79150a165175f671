import { describe, expect, it } from 'vitest';
import { isTelegramPreview, telegramChannelSchema, telegramSecrets } from '../../../src/channels/telegram/telegram-config.ts';

const parse = (over: Record<string, unknown>) => telegramChannelSchema.safeParse({ type: 'telegram', chat: '@herald_news', ...over });
const messages = (over: Record<string, unknown>) => {
  const r = parse(over);
  return r.success ? [] : r.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`);
};

describe('telegramChannelSchema', () => {
  it('fills the defaults', () => {
    const r = parse({});
    expect(r.success && r.data).toEqual({
      type: 'telegram',
      topics: [],
      exclude: [],
      enabled: true,
      token: '',
      chat: '@herald_news',
      apiRoot: 'https://api.telegram.org',
      template: 'telegram/post',
      disableNotification: false,
      linkPreview: true,
      pace: { perChat: 20, perToken: 30 },
      onEdit: 'update',
      editNote: true,
      settle: 120_000,
      onRetract: 'mark',
      retractOnExpiry: false,
    });
  });

  it.each([
    [-1001234567890, -1001234567890],
    ['-1001234567890', -1001234567890],
    [' 12345 ', 12345],
    ['@Herald_News', '@Herald_News'],
  ])('accepts chat %j as %j', (chat, expected) => {
    const r = parse({ chat });
    expect(r.success && r.data.chat).toBe(expected);
  });

  it.each([
    ['herald_news', /did you mean @herald_news\?/],
    ['https://t.me/herald_news', /for a link like t\.me\/name, write @name/],
    ['@ab', /expected a chat id like -1001234567890/],
    [0, /expected a chat id/],
    [1.5, /expected a chat id/],
    ['-100abc', /expected a chat id/],
  ])('rejects chat %j with a clear message', (chat, message) => {
    expect(messages({ chat }).join('\n')).toMatch(message);
  });

  it('accepts a BotFather token and rejects a malformed one without echoing it', () => {
    expect(parse({ token: '123456789:AAEhBOweik6ad9r_QXMENQjcrGbqCr4K-ck' }).success).toBe(true);
    const bad = messages({ token: 'bot123456:secret-value' }).join('\n');
    expect(bad).toMatch(/^token: expected a bot token like 123456789:AAE… as given by @BotFather without the "bot" prefix/);
    expect(bad).not.toContain('secret-value');
  });

  it('validates thread, apiRoot, pace and unknown keys', () => {
    expect(parse({ thread: 12, apiRoot: 'http://localhost:8081/tg/', pace: { perChat: 600 } }).success).toBe(true);
    expect(messages({ thread: -1 })[0]).toMatch(/^thread:/);
    expect(messages({ apiRoot: 'ftp://x' })[0]).toMatch(/^apiRoot: expected an absolute http\(s\) URL/);
    expect(messages({ pace: { perChat: 0 } })[0]).toMatch(/^pace.perChat:/);
    expect(messages({ pace: { perMinute: 5 } })[0]).toMatch(/^pace:.*perMinute/);
    expect(messages({ chatId: 1 })[0]).toMatch(/chatId/);
  });

  it('exposes the token as a secret, and an empty one means preview mode', () => {
    expect(telegramSecrets({ token: '1:abc' })).toEqual(['1:abc']);
    expect(telegramSecrets({ token: '' })).toEqual([]);
    expect(isTelegramPreview({ token: '' })).toBe(true);
    expect(isTelegramPreview({ token: '1:abc' })).toBe(false);
  });
});
