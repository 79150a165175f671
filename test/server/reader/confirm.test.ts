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
const status = async () => (await t.h.store.getSubscriberById(ada.id))!.status;

describe('GET /confirm/:token', () => {
  it('activates a pending subscriber and welcomes them with a link to their preferences', async () => {
    const res = await get(`/confirm/${confirmToken(t.h.secret, ada.publicId, t.clock.now)}`);
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
  });

  it('is idempotent: a second click shows the welcome page again', async () => {
    const url = `/confirm/${confirmToken(t.h.secret, ada.publicId, t.clock.now)}`;
    await get(url);
    const firstConfirmed = (await t.h.store.getSubscriberById(ada.id))!.confirmedAt;
    t.clock.advance(60_000);
    const again = await get(url);
    expect(again.statusCode).toBe(200);
    expect((await t.h.store.getSubscriberById(ada.id))!.confirmedAt).toBe(firstConfirmed);
  });

  it('answers an expired link with 410 and a way to sign up again, changing nothing', async () => {
    const url = `/confirm/${confirmToken(t.h.secret, ada.publicId, t.clock.now)}`;
    t.clock.advance(CONFIRM_TTL_MS + 1000);
    const res = await get(url);
    expect(res.statusCode).toBe(410);
    expect(res.body).toContain('<h1>链接已过期</h1>');
    expect(res.body).toContain('href="../subscribe"');
    expect(await status()).toBe('pending');
  });

  it('answers forged, garbled and wrong-purpose tokens with 404, changing nothing', async () => {
    const good = confirmToken(t.h.secret, ada.publicId, t.clock.now);
    const tampered = `${good.slice(0, -2)}${good.endsWith('AA') ? 'BB' : 'AA'}`;
    const otherSecret = confirmToken('another-secret', ada.publicId, t.clock.now);
    const expires = Math.floor(t.clock.now.getTime() / 1000) + 3600;
    const wrongPurpose = signToken(t.h.secret, 'unsubscribe', `${ada.publicId}.${expires}`);
    const unknownId = confirmToken(t.h.secret, 'AAAAAAAAAAAAAAAA', t.clock.now);
    for (const token of [tampered, otherSecret, wrongPurpose, unknownId, 'garbage', 'a.b', `${'x'.repeat(500)}.${'y'.repeat(24)}`, '%E0%A4%A']) {
      const res = await get(`/confirm/${token}`);
      // Fastify itself refuses path parameters over 100 characters (414) and broken %-escapes (400).
      expect(res.statusCode, token).toBe(token.length > 100 ? 414 : token.startsWith('%') ? 400 : 404);
      if (res.statusCode === 404) expect(res.body).toContain('<h1>链接无效</h1>');
    }
    expect(await status()).toBe('pending');
  });

  it('does not re-subscribe a reader who unsubscribed after the link was sent', async () => {
    const url = `/confirm/${confirmToken(t.h.secret, ada.publicId, t.clock.now)}`;
    expect((await get(url)).statusCode).toBe(200);
    t.clock.advance(60_000);
    await t.h.store.unsubscribe(ada.id, t.clock.now);
    t.clock.advance(60_000);
    const res = await get(url);
    expect(res.statusCode).toBe(410);
    expect(res.body).toContain('<h1>链接已失效</h1>');
    expect(await status()).toBe('unsubscribed');
  });

  it('leaves a bounced address bounced', async () => {
    await t.h.store.setSubscriberStatus(ada.id, 'bounced', t.clock.now);
    t.clock.advance(1000);
    const res = await get(`/confirm/${confirmToken(t.h.secret, ada.publicId, t.clock.now)}`);
    expect(res.statusCode).toBe(410);
    expect(await status()).toBe('bounced');
  });
});
