import { TelegramError } from 'telegraf';
import { describe, expect, it } from 'vitest';
import { isPhotoRejection, readFailure, toDeliveryError } from '../../../src/channels/telegram/telegram-errors.ts';

const token = '123456:ABC-secret-token';
const scrub = (s: string) => s.split(token).join('***');
const ctx = { channelId: 'tg', chat: '@news', apiHost: 'api.telegram.org', timeoutMs: 30_000 };

describe('readFailure', () => {
  it('keeps only the scrubbed reason of a network error (node-fetch puts the URL with the token in it)', () => {
    const e = Object.assign(new Error(`request to https://api.telegram.org/bot${token}/sendMessage failed, reason: getaddrinfo ENOTFOUND api.telegram.org`), {
      type: 'system',
      code: 'ENOTFOUND',
    });
    const f = readFailure(e, 'sendMessage', scrub);
    expect(f).toEqual({ method: 'sendMessage', network: 'ENOTFOUND', description: 'getaddrinfo ENOTFOUND api.telegram.org' });
    const d = toDeliveryError(f, ctx);
    expect(d).toMatchObject({ kind: 'transient', connection: true });
    expect(d.message).toBe('tg: cannot reach the Telegram Bot API at api.telegram.org (getaddrinfo ENOTFOUND api.telegram.org)');
    expect(JSON.stringify(d.cause)).not.toContain(token);
  });

  it('reads retry_after and migrate_to_chat_id from a TelegramError', () => {
    const e = new TelegramError({ error_code: 400, description: 'Bad Request: group chat was upgraded', parameters: { migrate_to_chat_id: -100777 } });
    expect(readFailure(e, 'sendMessage', scrub)).toMatchObject({ status: 400, migrateToChatId: -100777 });
  });
});

describe('isPhotoRejection', () => {
  const f = (status: number, description: string) => ({ method: 'sendPhoto', status, description });
  it('is about the image, not about the chat or the rights to post', () => {
    expect(isPhotoRejection(f(400, 'Bad Request: wrong type of the web page content'))).toBe(true);
    expect(isPhotoRejection(f(400, 'Bad Request: failed to get HTTP URL content'))).toBe(true);
    expect(isPhotoRejection(f(400, 'Bad Request: chat not found'))).toBe(false);
    expect(isPhotoRejection(f(400, 'Bad Request: not enough rights to send text messages to the chat'))).toBe(false);
    expect(isPhotoRejection(f(403, 'Forbidden: photo'))).toBe(false);
  });
});

describe('toDeliveryError', () => {
  it('maps 400s that break every post to channel-wide codes', () => {
    const d = (description: string) => toDeliveryError({ method: 'sendMessage', status: 400, description }, { ...ctx, thread: 9 });
    expect(d('Bad Request: message thread not found')).toMatchObject({
      kind: 'permanent',
      code: 404,
      message: 'tg: forum topic 9 not found or closed in @news (400: Bad Request: message thread not found)',
    });
    expect(d('Bad Request: need administrator rights in the channel chat')).toMatchObject({ kind: 'permanent', code: 403 });
    expect(d('Bad Request: message is too long')).toMatchObject({
      kind: 'permanent',
      code: 400,
      message: 'tg: Telegram rejected the post (400: Bad Request: message is too long)',
    });
  });

  it('uses 30 s when a 429 has no retry_after', () => {
    expect(toDeliveryError({ method: 'sendMessage', status: 429, description: 'Too Many Requests' }, ctx)).toMatchObject({
      kind: 'rate-limited',
      retryAfterMs: 30_000,
    });
  });
});
