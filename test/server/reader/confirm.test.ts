import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { CONFIRM_TTL_MS, confirmToken } from '../../../src/server/reader/links.ts';
import type { Subscriber } from '../../../src/store/types.ts';
import { signToken } from '../../../src/util/tokens.ts';
import type { TestServer } from '../helpers.ts';
import { startReader } from './fixtures.ts';

let t: TestServer;
let ada: Subscriber;
beforeEach(async () => {
  t = await startReader();
  ada = (await t.h.store.signUp({ email: 'ada@example.com', name: 'Ada', topics: ['AI'] }, t.clock.now)).subscriber;
});
afterEach(async () => {
  await t.close();
});

const get = (url: string) => t.app.inject({ method: 'GET', url });
/** The button of the confirmation page: a form posting to the same URL, no fields. */
const press = (url: string) => t.app.inject({ method: 'POST', url, headers: { 'content-type': 'application/x-www-form-urlencoded' }, payload: '' });
const status = async () => (await t.h.store.getSubscriberById(ada.id))!.status;

describe('GET /confirm/:token', () => {
  it('shows what confirming does and one button posting to the same URL; opening it (as a mail scanner does) confirms nothing', async () => {
    const res = await get(`/confirm/${confirmToken(t.h.secret, ada.publicId, t.clock.now)}`);
    expect(res.statusCode).toBe(200);
    expect(res.headers['cache-control']).toBe('no-store');
    expect(res.headers['x-robots-tag']).toContain('noindex');
    expect(res.body).toContain('<h1>确认订阅 测试新闻</h1>');
    expect(res.body).toContain('ad…@example.com');
    expect(res.body).toContain('主题：AI');
    expect(res.body.match(/<form/g)).toHaveLength(1);
    expect(res.body).toContain('<form method="post">');
    expect(res.body.match(/<button/g)).toHaveLength(1);
    // However often it is opened.
    for (let i = 0; i < 3; i++) await get(`/confirm/${confirmToken(t.h.secret, ada.publicId, t.clock.now)}`);
    expect(await status()).toBe('pending');
    expect((await t.h.store.getSubscriberById(ada.id))!.confirmedAt).toBeUndefined();
  });
});

describe('POST /confirm/:token', () => {
  it('activates a pending subscriber and welcomes them with a link to their preferences', async () => {
    const res = await press(`/confirm/${confirmToken(t.h.secret, ada.publicId, t.clock.now)}`);
    expect(res.statusCode).toBe(200);
    expect(res.headers['cache-control']).toBe('no-store');
    expect(res.body).toContain('<h1>欢迎订阅 测试新闻！</h1>');
    expect(res.body).toContain('ad…@example.com');
    const s = (await t.h.store.getSubscriberById(ada.id))!;
    expect(s.status).toBe('active');
    expect(s.confirmedAt).toBe(t.clock.now.toISOString());
    const href = /href="\.\.\/(preferences\/[^"]+)"/.exec(res.body)?.[1];
    expect(href).toBeDefined();
    const prefs = await get(`/${href}`);
    expect(prefs.statusCode).toBe(200);
    expect(prefs.body).toContain('value="Ada"');
    // The consent record: sign-up and confirmation, each with the client address.
    expect((await t.h.store.consentHistory(ada.id)).map((e) => [e.from ?? null, e.to, e.source, e.ip])).toEqual([
      [null, 'pending', 'signup', undefined],
      ['pending', 'active', 'confirm', '127.0.0.1'],
    ]);
  });

  it('is idempotent: a second click shows the welcome page again, and so does opening the link later', async () => {
    const url = `/confirm/${confirmToken(t.h.secret, ada.publicId, t.clock.now)}`;
    await press(url);
    const firstConfirmed = (await t.h.store.getSubscriberById(ada.id))!.confirmedAt;
    t.clock.advance(60_000);
    const again = await press(url);
    expect(again.statusCode).toBe(200);
    expect((await get(url)).body).toContain('<h1>欢迎订阅 测试新闻！</h1>');
    expect((await t.h.store.getSubscriberById(ada.id))!.confirmedAt).toBe(firstConfirmed);
    expect(await t.h.store.consentHistory(ada.id)).toHaveLength(2);
  });

  it('answers an expired link with 410 and a way to sign up again, changing nothing', async () => {
    const url = `/confirm/${confirmToken(t.h.secret, ada.publicId, t.clock.now)}`;
    t.clock.advance(CONFIRM_TTL_MS + 1000);
    for (const res of [await get(url), await press(url)]) {
      expect(res.statusCode).toBe(410);
      expect(res.body).toContain('<h1>链接已过期</h1>');
      expect(res.body).toContain('href="../subscribe"');
    }
    expect(await status()).toBe('pending');
  });

  it('answers forged, garbled and wrong-purpose tokens with 404, changing nothing', async () => {
    const good = confirmToken(t.h.secret, ada.publicId, t.clock.now);
    const tampered = `${good.slice(0, -2)}${good.endsWith('AA') ? 'BB' : 'AA'}`;
    const otherSecret = confirmToken('another-secret', ada.publicId, t.clock.now);
    const expires = Math.floor(t.clock.now.getTime() / 1000) + 3600;
    const wrongPurpose = signToken(t.h.secret, 'unsubscribe', `${ada.publicId}.${expires}`);
    const unknownId = confirmToken(t.h.secret, 'AAAAAAAAAAAAAAAA', t.clock.now);
    // Longer than any token Herald makes, but within the path limit: still just an unknown link.
    const long = `${'x'.repeat(450)}.${'y'.repeat(24)}`;
    for (const token of [tampered, otherSecret, wrongPurpose, unknownId, 'garbage', 'a.b', long]) {
      for (const res of [await get(`/confirm/${token}`), await press(`/confirm/${token}`)]) {
        expect(res.statusCode, token).toBe(404);
        expect(res.body).toContain('<h1>链接无效</h1>');
      }
    }
    expect(await status()).toBe('pending');
  });

  it('does not re-subscribe a reader who unsubscribed after the link was sent', async () => {
    const url = `/confirm/${confirmToken(t.h.secret, ada.publicId, t.clock.now)}`;
    expect((await press(url)).statusCode).toBe(200);
    t.clock.advance(60_000);
    await t.h.store.unsubscribe(ada.id, t.clock.now, { source: 'link' });
    t.clock.advance(60_000);
    for (const res of [await get(url), await press(url)]) {
      expect(res.statusCode).toBe(410);
      expect(res.body).toContain('<h1>链接已失效</h1>');
    }
    expect(await status()).toBe('unsubscribed');
  });

  it('leaves a bounced address bounced', async () => {
    await t.h.store.setSubscriberStatus(ada.id, 'bounced', t.clock.now, { source: 'bounce' });
    t.clock.advance(1000);
    const url = `/confirm/${confirmToken(t.h.secret, ada.publicId, t.clock.now)}`;
    expect((await get(url)).statusCode).toBe(410);
    expect((await press(url)).statusCode).toBe(410);
    expect(await status()).toBe('bounced');
  });

  it('reads at most 16 KiB of the button’s body: more is a 413 page and nothing is confirmed', async () => {
    const url = `/confirm/${confirmToken(t.h.secret, ada.publicId, t.clock.now)}`;
    const res = await t.app.inject({ method: 'POST', url, headers: { 'content-type': 'text/plain' }, payload: 'x'.repeat(17 * 1024) });
    expect(res.statusCode).toBe(413);
    expect(res.headers['content-type']).toContain('text/html');
    expect(await status()).toBe('pending');
  });
});
