import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { TestServer } from '../helpers.ts';
import { form } from '../helpers.ts';
import { clientIp, confirmLink, pathOf, rawHeader, startReader } from './fixtures.ts';

let t: TestServer;
beforeEach(async () => {
  t = await startReader();
});
afterEach(async () => {
  await t.close();
});

const subscribe = (fields: Record<string, string | string[]>, headers: Record<string, string> = clientIp()) => {
  const f = form(fields);
  return t.app.inject({ method: 'POST', url: '/subscribe', payload: f.payload, headers: { ...f.headers, ...headers } });
};

describe('GET /subscribe', () => {
  it('shows an accessible form in the site language with the published topics, most used first', async () => {
    const res = await t.app.inject({ method: 'GET', url: '/subscribe' });
    expect(res.statusCode).toBe(200);
    expect(res.headers['content-type']).toContain('text/html');
    expect(res.headers['content-security-policy']).toBeDefined();
    const html = res.body;
    expect(html).toContain('<html lang="zh-CN">');
    expect(html).toContain('<main');
    expect(html).toContain('<h1>订阅 测试新闻</h1>');
    expect(html).toContain('<label for="email">邮箱地址</label>');
    expect(html).toContain('<label for="name">称呼（可选）</label>');
    // AI is on 3 articles (the tag "ai" counts as the same topic), 算力与芯片 on 2, 体育 on 1.
    const topics = [...html.matchAll(/name="topics" value="([^"]+)"/g)].map((m) => m[1]);
    expect(topics).toEqual(['AI', '算力与芯片', '体育']);
    for (let i = 1; i <= 3; i++) expect(html).toContain(`<label for="topic-${i}">`);
    // Drafts and scheduled articles never leak their topics.
    expect(html).not.toContain('秘密');
    expect(html).not.toContain('未来');
    // The honeypot: hidden from people and from the keyboard.
    expect(html).toMatch(/<div class="hp" aria-hidden="true">/);
    expect(html).toMatch(/<input type="text" id="website" name="website" value="" tabindex="-1"/);
    expect(html).not.toContain('<script');
  });

  it('speaks English on an English site', async () => {
    await t.close();
    t = await startReader({ language: 'en' });
    const res = await t.app.inject({ method: 'GET', url: '/subscribe' });
    expect(res.body).toContain('<html lang="en">');
    expect(res.body).toContain('<label for="email">Email address</label>');
    expect(res.body).toContain('<button type="submit">Subscribe</button>');
  });
});

describe('POST /subscribe', () => {
  it('rejects an invalid address with 400, a message and the input kept', async () => {
    const res = await subscribe({ email: 'not-an-address', name: 'Ada <b>', topics: ['体育'] });
    expect(res.statusCode).toBe(400);
    expect(res.body).toContain('请输入有效的邮箱地址');
    expect(res.body).toContain('aria-invalid="true" aria-describedby="email-error"');
    expect(res.body).toContain('value="not-an-address"');
    expect(res.body).toContain('value="Ada &lt;b&gt;"');
    expect(res.body).toMatch(/value="体育" checked/);
    expect(await t.h.store.subscriberCounts()).toEqual({ pending: 0, active: 0, unsubscribed: 0, bounced: 0, complained: 0 });
  });

  it('rejects a name with a line break, and an empty body', async () => {
    const bad = await subscribe({ email: 'a@example.com', name: 'A\r\nBcc: x@example.com' });
    expect(bad.statusCode).toBe(400);
    expect(bad.body).toContain('称呼最多 100 个字符');
    const empty = await t.app.inject({ method: 'POST', url: '/subscribe', headers: clientIp() });
    expect(empty.statusCode).toBe(400);
    expect(empty.body).toContain('请输入有效的邮箱地址');
    expect(await t.h.store.subscribers()).toEqual([]);
  });

  it('rejects every control character in a name the way import and the CLI do (tab, NUL, ESC, U+2028, bidi override), and over 100 characters', async () => {
    for (const name of ['Tab\there', 'A\u0000B', '\u001b[31mred', 'A\u2028B', 'evil\u202Etxt', 'n'.repeat(101)]) {
      const res = await subscribe({ email: 'a@example.com', name });
      expect(res.statusCode, JSON.stringify(name)).toBe(400);
      expect(res.body).toContain('aria-invalid="true" aria-describedby="name-error"');
    }
    expect(await t.h.store.subscribers()).toEqual([]);
    // 100 characters of a non-Latin script are fine.
    expect((await subscribe({ email: 'a@example.com', name: '林'.repeat(100) })).statusCode).toBe(200);
  });

  it('makes a pending subscriber and sends a confirmation email whose link works', async () => {
    const res = await subscribe({ email: '  Ada@Example.com ', name: '林小明', topics: ['体育', 'AI', 'not-a-topic'] });
    expect(res.statusCode).toBe(200);
    expect(res.body).toContain('<h1>请查收邮件</h1>');
    expect(res.body).toContain('Ada@Example.com');
    const s = await t.h.store.getSubscriber('ada@example.com');
    expect(s).toMatchObject({ email: 'Ada@Example.com', name: '林小明', status: 'pending', paused: false });
    expect(s!.topics.sort()).toEqual(['AI', '体育'].sort());

    await t.smtp.waitForMessages(1);
    const [mail] = await t.smtp.parsed();
    expect(t.smtp.messages[0]!.envelope.to.map((a) => a.toLowerCase())).toEqual(['ada@example.com']);
    expect(mail!.subject).toBe('请确认订阅 测试新闻');
    expect(mail!.from?.value[0]).toEqual({ address: 'news@example.com', name: '测试新闻' });
    // The name typed at the form is not put in the email: anyone can type anyone's address.
    expect(mail!.text).toContain('您好！');
    expect(t.smtp.messages[0]!.raw.toString()).not.toMatch(/林小明|5p6X5bCP5piO|=E6=9E=97=E5=B0=8F/i);
    expect(String(mail!.html)).not.toContain('林小明');
    expect(mail!.text).toContain('48 小时');
    expect(mail!.html).toContain('确认订阅');
    const link = confirmLink(mail!);
    expect(mail!.html).toContain(link);
    // A "not me" click in the mail client stops it: the reader's own one-click unsubscribe.
    expect(rawHeader(mail!, 'list-unsubscribe-post')).toBe('List-Unsubscribe=One-Click');

    // The link opens a page with a button; the button confirms.
    const page = await t.app.inject({ method: 'GET', url: pathOf(link) });
    expect(page.statusCode).toBe(200);
    expect(page.body).toContain('<h1>确认订阅 测试新闻</h1>');
    expect((await t.h.store.getSubscriber('ada@example.com'))!.status).toBe('pending');
    const confirmed = await t.app.inject({ method: 'POST', url: pathOf(link) });
    expect(confirmed.statusCode).toBe(200);
    expect(confirmed.body).toContain('欢迎订阅 测试新闻！');
    expect((await t.h.store.getSubscriber('ada@example.com'))!.status).toBe('active');
  });

  it('answers a known address exactly like a new one, and never makes a second row', async () => {
    const first = await subscribe({ email: 'lin@example.com' });
    await t.smtp.waitForMessages(1);
    const again = await subscribe({ email: 'LIN@example.com' });
    const other = await subscribe({ email: 'new@example.com' });
    const normalise = (body: string) => body.replace(/\S+@example\.com/gi, 'X');
    expect(again.statusCode).toBe(first.statusCode);
    expect(normalise(again.body)).toBe(normalise(first.body));
    expect(normalise(other.body)).toBe(normalise(first.body));
    await t.smtp.waitForMessages(2);
    expect((await t.h.store.subscribers()).map((s) => s.email)).toEqual(['lin@example.com', 'new@example.com']);

    // Active readers get the same page, and no email.
    const lin = (await t.h.store.getSubscriber('lin@example.com'))!;
    await t.h.store.setSubscriberStatus(lin.id, 'active', t.clock.now);
    t.clock.advance(10 * 60_000);
    const active = await subscribe({ email: 'lin@example.com', topics: ['体育'] });
    expect(normalise(active.body)).toBe(normalise(first.body));
    await t.app.close(); // waits for any email still being sent
    expect(t.smtp.messages.map((m) => m.envelope.to[0])).toEqual(['lin@example.com', 'new@example.com']);
    // A stranger cannot change a confirmed reader's choices.
    expect((await t.h.store.getSubscriber('lin@example.com'))!.topics).toEqual([]);
  });

  it('re-sends a pending confirmation at most once per 5 minutes', async () => {
    await subscribe({ email: 'ada@example.com' });
    await t.smtp.waitForMessages(1);
    t.clock.advance(4 * 60_000);
    const again = await subscribe({ email: 'ada@example.com', name: 'Ada' });
    expect(again.statusCode).toBe(200);
    await t.app.close();
    expect(t.smtp.messages).toHaveLength(1);
    expect(await t.h.store.subscribers()).toHaveLength(1);
    // A later sign-up (anyone's) never replaces the pending request's choices.
    expect((await t.h.store.getSubscriber('ada@example.com'))!.name).toBeUndefined();
  });

  it('re-sends after 5 minutes; both links confirm', async () => {
    await subscribe({ email: 'ada@example.com' });
    await t.smtp.waitForMessages(1);
    t.clock.advance(5 * 60_000 + 1000);
    await subscribe({ email: 'ada@example.com' });
    await t.smtp.waitForMessages(2);
    const [a, b] = await t.smtp.parsed();
    expect(confirmLink(a!)).not.toBe(confirmLink(b!));
    expect((await t.app.inject({ method: 'POST', url: pathOf(confirmLink(a!)) })).statusCode).toBe(200);
    expect((await t.app.inject({ method: 'POST', url: pathOf(confirmLink(b!)) })).statusCode).toBe(200);
  });

  it('pretends success when the honeypot is filled, and does nothing', async () => {
    const res = await subscribe({ email: 'bot@example.com', website: 'https://spam.example' });
    expect(res.statusCode).toBe(200);
    expect(res.body).toContain('<h1>请查收邮件</h1>');
    await t.app.close();
    expect(t.smtp.messages).toHaveLength(0);
    expect(await t.h.store.getSubscriber('bot@example.com')).toBeUndefined();
  });

  it('limits sign-ups per client address with a readable 429 page', async () => {
    const me = { 'x-forwarded-for': '198.51.100.7' };
    for (let i = 0; i < 10; i++) expect((await subscribe({ email: `r${i}@example.com` }, me)).statusCode).toBe(200);
    const limited = await subscribe({ email: 'r10@example.com' }, me);
    expect(limited.statusCode).toBe(429);
    expect(limited.headers['content-type']).toContain('text/html');
    expect(limited.headers['retry-after']).toBeDefined();
    expect(limited.body).toContain('<h1>请求过于频繁</h1>');
    expect(await t.h.store.getSubscriber('r10@example.com')).toBeUndefined();
    // Someone else is not affected.
    expect((await subscribe({ email: 'other@example.com' }, { 'x-forwarded-for': '198.51.100.8' })).statusCode).toBe(200);
  });

  it('believes X-Forwarded-For only from a local proxy: a direct client cannot dodge the limit by inventing addresses', async () => {
    const direct = (i: number) => {
      const f = form({ email: `d${i}@example.com` });
      return t.app.inject({ method: 'POST', url: '/subscribe', payload: f.payload, remoteAddress: '198.51.100.20', headers: { ...f.headers, 'x-forwarded-for': `203.0.113.${i}` } });
    };
    for (let i = 0; i < 10; i++) expect((await direct(i)).statusCode).toBe(200);
    expect((await direct(10)).statusCode).toBe(429);
    expect(await t.h.store.getSubscriber('d10@example.com')).toBeUndefined();
  });

  it('keeps the sign-up working when the confirmation cannot be sent, and lets the reader ask again at once', async () => {
    await t.smtp.close();
    const res = await subscribe({ email: 'ada@example.com' });
    expect(res.statusCode).toBe(200);
    await t.app.close();
    const s = (await t.h.store.getSubscriber('ada@example.com'))!;
    expect(s.status).toBe('pending');
    expect(s.confirmSentAt).toBeUndefined();
  });
});
