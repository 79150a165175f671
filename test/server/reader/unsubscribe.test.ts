import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { confirmToken, preferencesToken } from '../../../src/server/reader/links.ts';
import type { Subscriber } from '../../../src/store/types.ts';
import { unsubscribeUrl } from '../../../src/util/tokens.ts';
import { SECRET } from '../../helpers/site.ts';
import type { TestServer } from '../helpers.ts';
import { form } from '../helpers.ts';
import { clientIp, pathOf, rawHeader, startReader } from './fixtures.ts';

let t: TestServer;
let ada: Subscriber;
let bob: Subscriber;
beforeEach(async () => {
  t = await startReader();
  ada = (await t.h.store.upsertSubscriber({ email: 'ada@example.com', name: 'Ada', status: 'active' }, t.clock.now)).subscriber;
  bob = (await t.h.store.upsertSubscriber({ email: 'bob@example.com', status: 'active' }, t.clock.now)).subscriber;
});
afterEach(async () => {
  await t.close();
});

/** Exactly the link the digest emails carry (src/pipeline/payloads/email-kind.ts). */
const emailLink = (s: Subscriber) => pathOf(unsubscribeUrl(t.h.config.server.publicUrl, SECRET, s.publicId));
const statusOf = async (s: Subscriber) => (await t.h.store.getSubscriberById(s.id))!.status;

async function planDigestFor(...subs: Subscriber[]) {
  await t.h.store.applyPlan(
    {
      channelId: 'news',
      createChannelAt: t.clock.now.toISOString(),
      decisions: [],
      deliveries: subs.map((s, i) => ({ channelId: 'news', kind: 'digest' as const, subscriberId: s.id, recipient: s.email, dedupeKey: `d${i}` })),
      fanouts: [],
    },
    t.clock.now,
  );
}

describe('GET /unsubscribe/:token', () => {
  it('shows one button posting to the same URL, and unsubscribes no one', async () => {
    const res = await t.app.inject({ method: 'GET', url: emailLink(ada) });
    expect(res.statusCode).toBe(200);
    expect(res.body).toContain('<h1>退订 测试新闻</h1>');
    expect(res.body).toContain('ad…@example.com');
    expect(res.body).not.toContain('ada@example.com');
    // One form, no action (= this URL), one button.
    expect(res.body.match(/<form/g)).toHaveLength(1);
    expect(res.body).toContain('<form method="post">');
    expect(res.body.match(/<button/g)).toHaveLength(1);
    expect(res.headers['x-robots-tag']).toContain('noindex');
    expect(await statusOf(ada)).toBe('active');
  });

  it('opens only for the canonical token: the 15 other spellings of its last payload character are 404', async () => {
    const link = emailLink(ada);
    const [payload, macPart] = link.replace('/unsubscribe/', '').split('.') as [string, string];
    const alphabet = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_';
    const variants = [...alphabet]
      .map((c) => `${payload.slice(0, -1)}${c}`)
      .filter((p) => Buffer.from(p, 'base64url').equals(Buffer.from(payload, 'base64url')));
    expect(variants).toHaveLength(16);
    const opened: string[] = [];
    for (const p of variants) {
      for (const route of ['unsubscribe', 'preferences']) {
        const res = await t.app.inject({ method: 'GET', url: `/${route}/${p}.${macPart}` });
        if (res.statusCode === 200) opened.push(`${route}/${p}`);
        else expect(res.statusCode).toBe(404);
      }
    }
    expect(opened).toEqual([`unsubscribe/${payload}`, `preferences/${payload}`]);
    // Nor does a variant unsubscribe anyone.
    const other = variants.find((p) => p !== payload)!;
    expect((await t.app.inject({ method: 'POST', url: `/unsubscribe/${other}.${macPart}` })).statusCode).toBe(404);
    expect(await statusOf(ada)).toBe('active');
  });

  it('answers a forged token with 404', async () => {
    const link = emailLink(ada);
    const res = await t.app.inject({ method: 'GET', url: `${link.slice(0, -3)}xyz` });
    expect(res.statusCode).toBe(404);
  });
});

describe('POST /unsubscribe/:token (RFC 8058 one-click)', () => {
  it('unsubscribes at once with List-Unsubscribe=One-Click: 200, no redirect, no cookie, pending deliveries cancelled', async () => {
    await planDigestFor(ada, bob);
    const res = await t.app.inject({
      method: 'POST',
      url: emailLink(ada),
      payload: 'List-Unsubscribe=One-Click',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
    });
    expect(res.statusCode).toBe(200);
    expect(res.headers.location).toBeUndefined();
    expect(res.headers['set-cookie']).toBeUndefined();
    expect(res.body).toContain('<h1>您已退订</h1>');
    expect(res.body).toContain('href="../subscribe"');
    expect(await statusOf(ada)).toBe('unsubscribed');
    const byRecipient = new Map((await t.h.store.recentDeliveries({ limit: 10 })).map((d) => [d.recipient, d]));
    expect(byRecipient.get('ada@example.com')).toMatchObject({ status: 'failed', lastError: 'unsubscribed' });
    expect(byRecipient.get('bob@example.com')).toMatchObject({ status: 'pending' });
    expect(await statusOf(bob)).toBe('active');
  });

  it('accepts an empty body, multipart and text bodies too, and repeats with 200', async () => {
    const link = emailLink(ada);
    const empty = await t.app.inject({ method: 'POST', url: link });
    expect(empty.statusCode).toBe(200);
    expect(await statusOf(ada)).toBe('unsubscribed');
    const boundary = '----x';
    const multipart = await t.app.inject({
      method: 'POST',
      url: link,
      payload: `--${boundary}\r\nContent-Disposition: form-data; name="List-Unsubscribe"\r\n\r\nOne-Click\r\n--${boundary}--\r\n`,
      headers: { 'content-type': `multipart/form-data; boundary=${boundary}` },
    });
    expect(multipart.statusCode).toBe(200);
    const text = await t.app.inject({ method: 'POST', url: link, payload: 'List-Unsubscribe=One-Click', headers: { 'content-type': 'text/plain' } });
    expect(text.statusCode).toBe(200);
    const json = await t.app.inject({ method: 'POST', url: link, payload: '{not json', headers: { 'content-type': 'application/json' } });
    expect(json.statusCode).toBe(200);
    expect(json.body).toContain('<h1>您已退订</h1>');
  });

  it('answers forged and wrong-purpose tokens with 404 and changes nothing', async () => {
    const link = emailLink(ada);
    const forged = [
      `${link.slice(0, -3)}xyz`,
      `/unsubscribe/${preferencesToken(SECRET, ada.publicId)}`,
      `/unsubscribe/${confirmToken(SECRET, ada.publicId, t.clock.now)}`,
      pathOf(unsubscribeUrl(t.h.config.server.publicUrl, 'other-secret', ada.publicId)),
      '/unsubscribe/nonsense',
    ];
    for (const url of forged) {
      const res = await t.app.inject({ method: 'POST', url, payload: 'List-Unsubscribe=One-Click', headers: { 'content-type': 'application/x-www-form-urlencoded' } });
      expect(res.statusCode, url).toBe(404);
    }
    expect(await statusOf(ada)).toBe('active');
  });

  it('shows the unsubscribed page on a later GET, and a bounced address stays bounced', async () => {
    await t.app.inject({ method: 'POST', url: emailLink(ada) });
    const later = await t.app.inject({ method: 'GET', url: emailLink(ada) });
    expect(later.statusCode).toBe(200);
    expect(later.body).toContain('<h1>您已退订</h1>');
    await t.h.store.setSubscriberStatus(bob.id, 'bounced', t.clock.now);
    expect((await t.app.inject({ method: 'POST', url: emailLink(bob) })).statusCode).toBe(200);
    expect(await statusOf(bob)).toBe('bounced');
  });

  it('keeps the time and the source of the unsubscribe: one-click, the unsubscribe page, the preferences page', async () => {
    const carol = (await t.h.store.upsertSubscriber({ email: 'carol@example.com', status: 'active' }, t.clock.now)).subscriber;
    const post = (s: Subscriber, payload: string, type = 'application/x-www-form-urlencoded') =>
      t.app.inject({ method: 'POST', url: emailLink(s), payload, headers: { 'content-type': type, 'x-forwarded-for': '198.51.100.3' } });
    t.clock.advance(60_000);
    await post(ada, 'List-Unsubscribe=One-Click');
    // The form of the unsubscribe page and of the preferences page, as a browser posts them.
    const page = await t.app.inject({ method: 'GET', url: emailLink(bob) });
    const field = /<input type="hidden" name="from" value="([^"]+)">/.exec(page.body)?.[1];
    expect(field).toBe('page');
    await post(bob, `from=${field}`);
    const prefs = await t.app.inject({ method: 'GET', url: `/preferences/${preferencesToken(SECRET, carol.publicId)}` });
    const prefsField = /<form method="post" action="[^"]+" class="danger-zone">\s*<input type="hidden" name="from" value="([^"]+)">/.exec(prefs.body)?.[1];
    expect(prefsField).toBe('preferences');
    await post(carol, `from=${prefsField}`);
    const at = t.clock.now.toISOString();
    expect(await t.h.store.getSubscriberById(ada.id)).toMatchObject({ status: 'unsubscribed', unsubscribedAt: at, unsubscribeSource: 'one-click' });
    expect(await t.h.store.getSubscriberById(bob.id)).toMatchObject({ unsubscribeSource: 'link' });
    expect(await t.h.store.getSubscriberById(carol.id)).toMatchObject({ unsubscribeSource: 'preferences' });
    const [last] = (await t.h.store.consentHistory(ada.id)).slice(-1);
    expect(last).toMatchObject({ from: 'active', to: 'unsubscribed', source: 'one-click', ip: '198.51.100.3', at });
    // Multipart one-click (RFC 8058 allows it) is one-click too.
    const dan = (await t.h.store.upsertSubscriber({ email: 'dan@example.com', status: 'active' }, t.clock.now)).subscriber;
    await post(dan, '--b\r\nContent-Disposition: form-data; name="List-Unsubscribe"\r\n\r\nOne-Click\r\n--b--\r\n', 'multipart/form-data; boundary=b');
    expect(await t.h.store.getSubscriberById(dan.id)).toMatchObject({ status: 'unsubscribed', unsubscribeSource: 'one-click' });
  });

  it('reads at most 16 KiB of a body: a 30 MB post is refused with 413 before it is read, and unsubscribes no one', async () => {
    const big = Buffer.alloc(30 * 1024 * 1024, 'x');
    const res = await t.app.inject({ method: 'POST', url: emailLink(ada), payload: big, headers: { 'content-type': 'application/x-www-form-urlencoded' } });
    expect(res.statusCode).toBe(413);
    expect(res.headers['content-type']).toContain('text/html');
    expect(res.headers.connection).toBe('close');
    expect(res.body).toContain('<h1>内容过大</h1>');
    expect(await statusOf(ada)).toBe('active');
  });

  it('works from the List-Unsubscribe header of a real email', async () => {
    const f = form({ email: 'lin@example.com' });
    await t.app.inject({ method: 'POST', url: '/subscribe', payload: f.payload, headers: { ...f.headers, ...clientIp() } });
    await t.smtp.waitForMessages(1);
    const [mail] = await t.smtp.parsed();
    const header = rawHeader(mail!, 'list-unsubscribe') ?? '';
    const url = /<(https:[^>]+)>/.exec(header)?.[1];
    expect(url).toBeDefined();
    const res = await t.app.inject({ method: 'POST', url: pathOf(url!), payload: 'List-Unsubscribe=One-Click', headers: { 'content-type': 'application/x-www-form-urlencoded' } });
    expect(res.statusCode).toBe(200);
    expect((await t.h.store.getSubscriber('lin@example.com'))!.status).toBe('unsubscribed');
  });
});
