/**
 * Dashboard articles: the list with per-channel delivery state, one article's previews
 * (Telegram, Discord, email frame), and "send now" with its refusals.
 */
import { readdirSync, readFileSync, rmSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { holdArticle } from '../../../src/pipeline/approval.ts';
import { runPass } from '../../../src/pipeline/dispatch.ts';
import { PREVIEW_CSP } from '../../../src/server/admin/email-previews.ts';
import { ADMIN_USER, type AdminHarness, dashboardPerTest, decodeHtml, flashOf, textOf } from './helpers.ts';

const admin = dashboardPerTest();
const loggedIn = admin.loggedIn;
let t: AdminHarness;

/** The list's table row of one article (by its dashboard link). */
function rowOf(html: string, href: string): string {
  const row = html.split('<tr>').find((r) => r.includes(`<a href="${href}">`));
  if (!row) throw new Error(`no row for ${href}`);
  return row.slice(0, row.indexOf('</tr>'));
}

/** One channel's `<li>` in a list row. */
function stateOf(row: string, channel: string): string {
  const li = /<li>[\s\S]*?<\/li>/g;
  for (const m of row.matchAll(li)) if (m[0].includes(`<span class="channel">${channel}</span>`)) return m[0];
  throw new Error(`no state for ${channel}`);
}

/** One channel's card on an article page. */
function cardOf(html: string, channel: string): string {
  const m = new RegExp(`<section class="channel-card" aria-labelledby="ch-\\d+">\\s*<h2 id="ch-\\d+">${channel} [\\s\\S]*?</section>`).exec(html);
  if (!m) throw new Error(`no card for ${channel}`);
  return m[0];
}

const TITLE_HTML = 'Europe’s AI &lt;gigafactory&gt; rush';

describe('GET /admin/articles', () => {
  it('lists both articles, newest first, with status and every channel not yet due', async () => {
    t = await loggedIn();
    const root = await t.get('/admin');
    expect(root.statusCode).toBe(303);
    expect(root.headers.location).toBe('/admin/articles');
    const r = await t.get('/admin/articles');
    expect(r.statusCode).toBe(200);
    expect(r.headers['content-type']).toBe('text/html; charset=utf-8');
    expect(r.body).toContain('<caption id="articles-caption">2 articles</caption>');
    expect(r.body.indexOf('posts/second.md')).toBeLessThan(r.body.indexOf('posts/europe-ai.md'));
    const europe = rowOf(r.body, '/admin/articles/posts%2Feurope-ai');
    expect(europe).toContain(`>${TITLE_HTML}</a>`);
    expect(europe).toContain('<span class="badge status-published">published</span>');
    expect(europe).toContain('<time datetime="2025-07-02T00:00:00.000Z">Jul 2, 2025, 8:00 AM</time>');
    const second = rowOf(r.body, '/admin/articles/posts%2Fsecond');
    expect(second).toContain('Second post');
    for (const row of [europe, second]) {
      for (const c of ['newsletter', 'tg-news', 'discord-news']) expect(stateOf(row, c)).toContain('state-not-due');
    }
    // The title's angle brackets are text, never markup.
    expect(r.body).not.toContain('<gigafactory>');
  });

  it('after a send, the channel shows sent with the time and the provider message id', async () => {
    t = await loggedIn();
    await t.post('/admin/articles/posts%2Feurope-ai/send', { channel: 'tg-news' });
    expect(t.tg.messages).toHaveLength(1);
    const id = t.tg.messages[0]!.messageId;
    const r = await t.get('/admin/articles');
    const tg = stateOf(rowOf(r.body, '/admin/articles/posts%2Feurope-ai'), 'tg-news');
    expect(tg).toContain('<span class="badge state-sent">sent</span>');
    expect(tg).toMatch(/<time datetime="2025-07-02T01:00:\d\d\.\d{3}Z">Jul 2, 2025, 9:00 AM<\/time>/);
    expect(tg).toContain(`message id <code>${id}</code>`);
    // The other channels and the other article are untouched.
    expect(stateOf(rowOf(r.body, '/admin/articles/posts%2Feurope-ai'), 'discord-news')).toContain('state-not-due');
    expect(stateOf(rowOf(r.body, '/admin/articles/posts%2Fsecond'), 'tg-news')).toContain('state-not-due');
  });

  it('a failed delivery shows as failed with its reason in the list', async () => {
    t = await loggedIn();
    t.tg.failNext('sendPhoto', { code: 400, description: "Bad Request: can't parse entities: unsupported start tag" });
    await t.post('/admin/articles/posts%2Feurope-ai/send', { channel: 'tg-news' });
    const tg = stateOf(rowOf((await t.get('/admin/articles')).body, '/admin/articles/posts%2Feurope-ai'), 'tg-news');
    expect(tg).toContain('state-failed');
    expect(textOf(tg)).toContain("Telegram could not parse the post's HTML (400: Bad Request: can't parse entities: unsupported start tag)");
  });

  it('lists files that cannot be used as problems, with file and reason, and not as articles', async () => {
    t = await loggedIn();
    t.site.write('posts/broken.md', '---\ntitle: [unclosed\n---\n\nbody\n');
    t.site.write('posts/bad-date.md', '---\ntitle: Bad date\ndate: 2025-13-45\n---\n\nbody\n');
    const r = await t.get('/admin/articles');
    expect(r.statusCode).toBe(200);
    expect(r.body).toContain('<caption id="articles-caption">2 articles</caption>');
    const problems = r.body.slice(r.body.indexOf('<h2>Files that cannot be used</h2>'));
    expect(problems).toContain('<caption id="problems-caption">Skipped files and why</caption>');
    const rows = [...problems.matchAll(/<tr><th scope="row"><code>([^<]+)<\/code><\/th><td>([^<]+)<\/td><\/tr>/g)].map((m) => [m[1], decodeHtml(m[2]!)]);
    expect(rows).toHaveLength(2);
    expect(rows).toContainEqual(['posts/bad-date.md', 'front matter: "date" is "2025-13-45", expected an ISO 8601 date like 2025-07-02T00:40:05+08:00']);
    const broken = rows.find((x) => x[0] === 'posts/broken.md');
    expect(broken?.[1]).toMatch(/^front matter: invalid YAML at line 2/);
  });

  it('an article whose file was removed after Herald saw it is listed as removed and cannot be sent', async () => {
    t = await loggedIn();
    await t.post('/admin/articles/posts%2Feurope-ai/send', { channel: 'tg-news' });
    rmSync(path.join(t.site.contentDir, 'posts/europe-ai.md'));
    const list = await t.get('/admin/articles');
    expect(rowOf(list.body, '/admin/articles/posts%2Feurope-ai')).toContain('<span class="badge status-removed">file removed</span>');
    const page = await t.get('/admin/articles/posts%2Feurope-ai');
    expect(page.statusCode).toBe(200);
    expect(page.body).toContain('no longer in the content folder');
    expect(page.body).not.toContain('action="/admin/articles/posts%2Feurope-ai/send"');
    const again = await t.post('/admin/articles/posts%2Feurope-ai/send', { channel: 'tg-news', force: '1', confirm: 'yes' });
    expect(again.headers.location).toBe('/admin/articles');
    expect(flashOf((await t.follow(again)).body)).toMatchObject({ kind: 'error', text: '"posts/europe-ai" is not in the content folder (any more); nothing was sent.' });
    expect(t.tg.calls).toHaveLength(1);
  });
});

describe('GET /admin/articles/:id', () => {
  it('shows the Telegram post as it will be sent, HTML-escaped, next to the exact request', async () => {
    t = await loggedIn();
    const r = await t.get('/admin/articles/posts%2Feurope-ai');
    expect(r.statusCode).toBe(200);
    expect(r.body).not.toContain('<gigafactory>');
    expect(r.body).toContain(`<h1>${TITLE_HTML}</h1>`);
    const card = cardOf(r.body, 'tg-news');
    expect(card).toContain('<img src="https://news.example.com/img/cover.jpg" alt="" referrerpolicy="no-referrer">');
    expect(card).toContain(
      `<div class="tg-text"><b><a href="https://news.example.com/posts/europe-ai/" rel="noopener noreferrer nofollow" target="_blank">${TITLE_HTML}</a></b><br><br>The Commission received 76 expressions of interest &amp; more.<br><br>`,
    );
    expect(card).toContain('<summary>Exact request: <code>sendPhoto</code></summary>');
    const fields = JSON.parse(decodeHtml(/<pre class="payload">([\s\S]*?)<\/pre>/.exec(card)![1]!)) as Record<string, unknown>;
    expect(fields).toMatchObject({ chat_id: '@news', parse_mode: 'HTML', photo: 'https://news.example.com/img/cover.jpg' });
    expect(card).toMatch(/<th scope="row"><code>caption<\/code><\/th><td>\d+<\/td><td>1024<\/td>/);

    // What the preview shows is what Telegram then receives, byte for byte.
    await t.post('/admin/articles/posts%2Feurope-ai/send', { channel: 'tg-news' });
    const sent = t.tg.calls.find((c) => c.method === 'sendPhoto')!;
    expect(sent.body.caption).toBe(fields.caption);
    expect(sent.body.caption).toContain('Europe’s AI &lt;gigafactory&gt; rush');
    expect(sent.body.chat_id).toBe(fields.chat_id);
  });

  it('shows the Discord embed preview (channel in preview mode) with the escaped title', async () => {
    t = await loggedIn();
    const card = cardOf((await t.get('/admin/articles/posts%2Feurope-ai')).body, 'discord-news');
    expect(card).toContain('discord · preview mode (writes to the outbox)');
    expect(card).toContain('<div class="dc-embed" style="border-left-color: #1a73e8">');
    // Discord shows `\<` as `<`: the preview drops markdown escapes, the template escapes the HTML.
    expect(card).toContain(`<p class="dc-title"><a href="https://news.example.com/posts/europe-ai/" rel="noopener noreferrer">${TITLE_HTML}</a></p>`);
    expect(card).toContain('<p class="dc-description">The Commission received 76 expressions of interest &amp; more.</p>');
    expect(card).toContain('<dt>Topics</dt><dd>AI, chips</dd>');
    expect(card).toContain('<img src="https://news.example.com/img/cover.jpg" alt="" referrerpolicy="no-referrer">');
    expect(card).toContain('<code>POST /webhooks/{webhook.id}/{token}?wait=true</code>');
  });

  it('shows the email in a sandboxed iframe; the frame is the email HTML with a restrictive CSP, frameable by self only', async () => {
    t = await loggedIn();
    const card = cardOf((await t.get('/admin/articles/posts%2Feurope-ai')).body, 'newsletter');
    expect(card).toContain(`<p>Subject: <strong>${TITLE_HTML}</strong></p>`);
    expect(card).toContain('This channel sends digests');
    const iframe = /<iframe [^>]*>/.exec(card)![0];
    expect(iframe).toContain('src="/admin/articles/posts%2Feurope-ai/email/newsletter"');
    expect(iframe).toContain('title="Email preview for newsletter"');
    expect(iframe).toMatch(/sandbox="[^"]*"/);
    expect(iframe).not.toContain('allow-scripts');
    expect(iframe).not.toContain('allow-same-origin');

    const frame = await t.get('/admin/articles/posts%2Feurope-ai/email/newsletter');
    expect(frame.statusCode).toBe(200);
    expect(frame.headers['content-type']).toBe('text/html; charset=utf-8');
    expect(frame.headers['content-security-policy']).toBe(PREVIEW_CSP);
    expect(PREVIEW_CSP).toContain("default-src 'none'");
    expect(PREVIEW_CSP).toContain("frame-ancestors 'self'");
    expect(PREVIEW_CSP).toContain("form-action 'none'");
    expect(PREVIEW_CSP).not.toMatch(/script-src/);
    expect(frame.headers['x-frame-options']).toBe('SAMEORIGIN');
    expect(frame.headers['cache-control']).toBe('no-store');
    expect(frame.body).toMatch(/^<!doctype html>/i);
    expect(frame.body).toContain(TITLE_HTML);
    expect(frame.body).not.toContain('<gigafactory>');
    // Personalised for a sample reader, never a real subscriber, with both footer links as a reader gets them.
    expect(frame.body).toContain('Preview Reader');
    expect(frame.body).not.toContain('alice@example.com');
    expect(frame.body).toMatch(/<a href="https:\/\/news\.example\.com\/unsubscribe\/[\w.-]+"[^>]*>Unsubscribe<\/a>/);
    expect(frame.body).toMatch(/<a href="https:\/\/news\.example\.com\/preferences\/[\w.-]+"[^>]*>Choose topics<\/a>/);
    expect(frame.body).not.toContain('%%HERALD_');
  });

  it('works for ids with a slash (the article path)', async () => {
    t = await loggedIn();
    const page = await t.get('/admin/articles/posts%2Fsecond');
    expect(page.statusCode).toBe(200);
    expect(page.body).toContain('<h1>Second post</h1>');
    expect(page.body).toContain('src="/admin/articles/posts%2Fsecond/email/newsletter"');
    const frame = await t.get('/admin/articles/posts%2Fsecond/email/newsletter');
    expect(frame.statusCode).toBe(200);
    expect(frame.body).toContain('Second post');
  });

  it('nothing an article contains becomes live markup on its page', async () => {
    t = await loggedIn();
    t.site.write(
      'posts/evil.md',
      '---\ntitle: "<script>alert(1)</script><img src=x onerror=alert(2)>"\ndate: 2025-07-02T08:10:00+08:00\nsummary: "<iframe src=javascript:alert(3)></iframe> [x](javascript:alert(4))"\ntags: ["<b>t</b>"]\n---\n\nbody\n',
    );
    const page = await t.get('/admin/articles/posts%2Fevil');
    expect(page.statusCode).toBe(200);
    for (const bad of ['<script>', '<img src=x', '<iframe src=javascript', 'href="javascript:', '<b>t</b>']) expect(page.body).not.toContain(bad);
    expect(page.body).toContain('&lt;script&gt;alert(1)&lt;/script&gt;');
    const list = await t.get('/admin/articles');
    expect(list.body).not.toContain('<script>');
  });

  it('unknown article → 404 page; unknown or non-email channel for the frame → 404', async () => {
    t = await loggedIn();
    const r = await t.get('/admin/articles/no-such-article');
    expect(r.statusCode).toBe(404);
    expect(r.headers['content-type']).toBe('text/html; charset=utf-8');
    expect(r.body).toContain('<h1>Not found</h1>');
    expect(r.body).toContain('No article &#34;no-such-article&#34;.');
    for (const url of ['/admin/articles/posts%2Feurope-ai/email/no-such-channel', '/admin/articles/posts%2Feurope-ai/email/tg-news', '/admin/articles/no-such-article/email/newsletter']) {
      const f = await t.get(url);
      expect(f.statusCode, url).toBe(404);
      expect(f.body, url).toBe('not found');
    }
  });

  it('needs a session, for the frame too', async () => {
    t = await admin.start();
    for (const url of ['/admin/articles/posts%2Feurope-ai', '/admin/articles/posts%2Feurope-ai/email/newsletter']) {
      const r = await t.get(url);
      expect(r.statusCode, url).toBe(303);
      expect(r.headers.location).toBe(`/admin/login?next=${encodeURIComponent(url)}`);
    }
  });
});

describe('POST /admin/articles/:id/send', () => {
  it('sends to the fake Telegram API once; again only with force and the confirmation tick', async () => {
    t = await loggedIn();
    const r = await t.post('/admin/articles/posts%2Feurope-ai/send', { channel: 'tg-news' });
    expect(r.statusCode).toBe(303);
    expect(r.headers.location).toBe('/admin/articles/posts%2Feurope-ai');
    expect(t.tg.calls).toHaveLength(1);
    const call = t.tg.calls[0]!;
    expect(call.method).toBe('sendPhoto');
    expect(call.chatId).toBe('@news');
    expect(call.body).toMatchObject({ parse_mode: 'HTML', photo: 'https://news.example.com/img/cover.jpg' });
    expect(String(call.body.caption)).toContain('<b><a href="https://news.example.com/posts/europe-ai/">Europe’s AI &lt;gigafactory&gt; rush</a></b>');
    const page = await t.follow(r);
    expect(flashOf(page.body)).toEqual({
      kind: 'ok',
      text: 'posts/europe-ai: sent to tg-news.',
      lines: ['tg-news: 1 sent, 0 failed, 0 left pending for a later attempt'],
    });
    // The flash is shown once.
    expect(flashOf((await t.get('/admin/articles/posts%2Feurope-ai')).body)).toBeUndefined();
    // The page now offers "send again" behind a required tick.
    const card = cardOf(page.body, 'tg-news');
    expect(card).toContain('<input type="hidden" name="force" value="1">');
    expect(card).toMatch(/<input type="checkbox" id="confirm-\d+" name="confirm" value="yes" required>/);
    expect(card).toContain('Yes, send it to tg-news again');

    const again = await t.post('/admin/articles/posts%2Feurope-ai/send', { channel: 'tg-news' });
    expect(flashOf((await t.follow(again)).body)).toEqual({
      kind: 'info',
      text: 'posts/europe-ai was already sent to tg-news (Jul 2, 2025, 9:00 AM); nothing was sent. Use “Send again” to send it once more.',
      lines: [],
    });
    expect(t.tg.calls).toHaveLength(1);

    for (const form of [{ force: '1' }, { force: '1', confirm: 'on' }, { force: '1', confirm: '' }] as Array<Record<string, string>>) {
      const noTick = await t.post('/admin/articles/posts%2Feurope-ai/send', { channel: 'tg-news', ...form });
      expect(flashOf((await t.follow(noTick)).body)).toEqual({ kind: 'error', text: 'Nothing was sent. To send again, tick the confirmation box.', lines: [] });
    }
    expect(t.tg.calls).toHaveLength(1);

    const forced = await t.post('/admin/articles/posts%2Feurope-ai/send', { channel: 'tg-news', force: '1', confirm: 'yes' });
    expect(flashOf((await t.follow(forced)).body)).toMatchObject({ kind: 'ok', text: 'posts/europe-ai: sent to tg-news.' });
    expect(t.tg.messages).toHaveLength(2);
    expect(t.tg.messages[1]!.body.caption).toBe(t.tg.messages[0]!.body.caption);
    const rows = await t.h.store.deliveriesForArticle('posts/europe-ai');
    expect(rows.map((d) => [d.channelId, d.status, d.manual])).toEqual([
      ['tg-news', 'sent', true],
      ['tg-news', 'sent', true],
    ]);
    expect(cardOf((await t.get('/admin/articles/posts%2Feurope-ai')).body, 'tg-news')).toContain('2 sent, 0 pending, 0 failed');
  });

  it('bad input: unknown or missing channel, unknown article, a broken file → error flash, nothing sent', async () => {
    t = await loggedIn();
    const unknown = await t.post('/admin/articles/posts%2Feurope-ai/send', { channel: 'no-such-channel' });
    expect(unknown.headers.location).toBe('/admin/articles/posts%2Feurope-ai');
    expect(flashOf((await t.follow(unknown)).body)).toEqual({ kind: 'error', text: 'Unknown channel "no-such-channel".', lines: [] });

    const missing = await t.post('/admin/articles/posts%2Feurope-ai/send', {});
    expect(flashOf((await t.follow(missing)).body)).toMatchObject({ kind: 'error', text: 'Unknown channel "".' });

    const noArticle = await t.post('/admin/articles/no-such-article/send', { channel: 'tg-news' });
    expect(noArticle.headers.location).toBe('/admin/articles');
    const list = await t.follow(noArticle);
    expect(list.statusCode).toBe(200);
    expect(flashOf(list.body)).toEqual({ kind: 'error', text: '"no-such-article" is not in the content folder (any more); nothing was sent.', lines: [] });

    t.site.write('posts/broken.md', '---\ntitle: [unclosed\n---\n\nbody\n');
    const broken = await t.post(`/admin/articles/${encodeURIComponent('posts/broken.md')}/send`, { channel: 'tg-news' });
    const flash = flashOf((await t.follow(broken)).body)!;
    expect(flash.kind).toBe('error');
    expect(flash.lines[0]).toMatch(/^front matter: invalid YAML/);

    expect(t.tg.calls).toHaveLength(0);
    expect(t.smtp.messages).toHaveLength(0);
    expect(await t.h.store.counts()).toEqual([]);
  });

  it('a draft or a scheduled article is "not published" unless forced with the tick', async () => {
    t = await loggedIn();
    t.site.write('posts/draft.md', '---\ntitle: A draft\ndate: 2025-07-01T08:00:00+08:00\ndraft: true\n---\n\nbody\n');
    t.site.write('posts/later.md', '---\ntitle: Later\ndate: 2025-08-01T08:00:00+08:00\n---\n\nbody\n');
    const draft = await t.post('/admin/articles/posts%2Fdraft/send', { channel: 'tg-news' });
    expect(draft.headers.location).toBe('/admin/articles/posts%2Fdraft');
    const page = await t.follow(draft);
    expect(flashOf(page.body)).toEqual({ kind: 'error', text: 'posts/draft is draft, not published; nothing was sent to tg-news.', lines: [] });
    expect(page.body).toContain('<span class="badge status-draft">draft</span>');
    expect(cardOf(page.body, 'tg-news')).toContain('Yes, send it to tg-news although it is not published');

    const later = await t.post('/admin/articles/posts%2Flater/send', { channel: 'discord-news' });
    expect(flashOf((await t.follow(later)).body)).toMatchObject({ kind: 'error', text: 'posts/later is scheduled, not published; nothing was sent to discord-news.' });
    expect(t.tg.calls).toHaveLength(0);

    // The editor may override: force with the tick sends the draft.
    const forced = await t.post('/admin/articles/posts%2Fdraft/send', { channel: 'tg-news', force: '1', confirm: 'yes' });
    expect(flashOf((await t.follow(forced)).body)).toMatchObject({ kind: 'ok', text: 'posts/draft: sent to tg-news.' });
    expect(t.tg.messages).toHaveLength(1);
    expect(String(t.tg.messages[0]!.body.text ?? t.tg.messages[0]!.body.caption)).toContain('A draft');
  });

  it('the email channel (digest mode) sends the article to the matching active subscribers over SMTP', async () => {
    t = await loggedIn();
    const now = t.h.now();
    await t.h.store.upsertSubscriber({ email: 'carol@example.com', name: 'Carol', topics: ['policy'], status: 'active' }, now);
    await t.h.store.upsertSubscriber({ email: 'dave@example.com', status: 'pending' }, now);
    await t.h.store.upsertSubscriber({ email: 'erin@example.com', status: 'unsubscribed' }, now);
    await t.h.store.upsertSubscriber({ email: 'frank@example.com', status: 'bounced' }, now);

    const r = await t.post('/admin/articles/posts%2Feurope-ai/send', { channel: 'newsletter' });
    expect(flashOf((await t.follow(r)).body)).toEqual({
      kind: 'ok',
      text: 'posts/europe-ai: sent to newsletter.',
      lines: ['newsletter: 2 sent, 0 failed, 0 left pending for a later attempt'],
    });
    await t.smtp.waitForMessages(2);
    expect(t.smtp.messages.flatMap((m) => m.envelope.to).sort()).toEqual(['alice@example.com', 'bob@example.com']);
    expect(t.smtp.rcptAttempts).toBe(2);
    const mails = await t.smtp.parsed();
    for (const mail of mails) {
      expect(mail.subject).toBe('Europe’s AI <gigafactory> rush');
      expect(mail.from?.value[0]?.address).toBe('news@example.com');
      expect(mail.html).toContain(TITLE_HTML);
      expect(mail.html).not.toContain('<gigafactory>');
      expect(mail.text).toContain('Europe’s AI <gigafactory> rush');
    }
    expect(cardOf((await t.get('/admin/articles/posts%2Feurope-ai')).body, 'newsletter')).toContain('2 sent, 0 pending, 0 failed');

    // An article without topics reaches only the readers who take every topic.
    await t.post('/admin/articles/posts%2Fsecond/send', { channel: 'newsletter' });
    await t.smtp.waitForMessages(3);
    expect(t.smtp.messages[2]!.envelope.to).toEqual(['alice@example.com']);
    expect((await t.smtp.parsed())[2]!.subject).toBe('Second post');
    expect(t.smtp.messages).toHaveLength(3);
  });

  it('no matching recipient: says so and sends nothing', async () => {
    t = await loggedIn();
    await t.h.store.setSubscriberStatus((await t.h.store.getSubscriber('alice@example.com'))!.id, 'unsubscribed', t.h.now());
    const r = await t.post('/admin/articles/posts%2Fsecond/send', { channel: 'newsletter' });
    expect(flashOf((await t.follow(r)).body)).toEqual({
      kind: 'info',
      text: "No recipient on newsletter matches this article's topics; nothing was sent.",
      lines: [],
    });
    expect(t.smtp.rcptAttempts).toBe(0);
  });

  it('the Discord channel in preview mode writes the post to the outbox instead of sending it', async () => {
    t = await loggedIn();
    const r = await t.post('/admin/articles/posts%2Feurope-ai/send', { channel: 'discord-news' });
    expect(flashOf((await t.follow(r)).body)).toMatchObject({ kind: 'ok', text: 'posts/europe-ai: sent to discord-news.' });
    const dir = path.join(t.h.config.outboxDir, 'discord-news');
    const files = readdirSync(dir);
    expect(files).toHaveLength(1);
    expect(files[0]).toMatch(/\.json$/);
    const payload = JSON.parse(readFileSync(path.join(dir, files[0]!), 'utf8')) as { kind: string; embeds: Array<{ title: string; url: string }>; allowed_mentions: unknown };
    expect(payload.kind).toBe('discord');
    expect(payload.embeds[0]).toMatchObject({ title: 'Europe’s AI \\<gigafactory\\> rush', url: 'https://news.example.com/posts/europe-ai/' });
    expect(payload.allowed_mentions).toEqual({ parse: [] });
    // The ledger records the outbox file as the message id.
    const card = cardOf((await t.get('/admin/articles/posts%2Feurope-ai')).body, 'discord-news');
    expect(card).toContain('<span class="badge state-sent">sent</span>');
    expect(card).toContain(`<code>preview:${files[0]}</code>`);
    expect(t.tg.calls).toHaveLength(0);
  });
});

describe('why, on the article page', () => {
  it('each channel card says why it was or was not sent, with the decisions taken, as `herald why` does', async () => {
    t = await loggedIn();
    const page = await t.get('/admin/articles/posts%2Feurope-ai');
    expect(cardOf(page.body, 'tg-news')).toContain('<p class="why"><strong>Why:</strong> Not planned yet: Herald has not seen the file yet; the next scan plans it</p>');
    await holdArticle(t.h, t.h.channel('tg-news')!, 'posts/europe-ai', { name: '@ann', id: '1001', via: 'telegram' });
    const held = cardOf((await t.get('/admin/articles/posts%2Feurope-ai')).body, 'tg-news');
    expect(held).toContain('<span class="badge state-held">held</span>');
    expect(held).toContain('<p class="why"><strong>Why:</strong> Held by @ann (telegram) at Jul 2, 2025, 9:00 AM</p>');
    expect(held).toMatch(/<details class="history"><summary>History<\/summary><ul><li><time datetime="2025-07-02T01:00:[\d.]+Z">Jul 2, 2025, 9:00 AM<\/time> held by @ann \(telegram\)<\/li><\/ul><\/details>/);
    // The editor in the dashboard sends it by hand: that settles the hold, and the page says so.
    await t.post('/admin/articles/posts%2Feurope-ai/send', { channel: 'tg-news' });
    const sent = cardOf((await t.get('/admin/articles/posts%2Feurope-ai')).body, 'tg-news');
    expect(sent).toMatch(/<p class="why"><strong>Why:<\/strong> Sent by hand at Jul 2, 2025, 9:00 AM · message \d+ · https:\/\/t\.me\/news\/\d+<\/p>/);
    expect(sent).toContain(`sent by hand by ${ADMIN_USER} (dashboard)`);
  });

  it("shows what happened to the post since: an edit with the fields that changed, then a retraction", async () => {
    t = await loggedIn();
    await t.post('/admin/articles/posts%2Fsecond/send', { channel: 'tg-news' });
    const file = path.join(t.site.contentDir, 'posts/second.md');
    const { writeFileSync } = await import('node:fs');
    writeFileSync(file, readFileSync(file, 'utf8').replace(/^title: .*$/m, 'title: A corrected title'));
    const start = Date.now();
    const now = t.h.now();
    t.h.now = () => new Date(now.getTime() + 10 * 60_000 + (Date.now() - start)); // past the settle time
    await runPass(t.h, { channels: ['tg-news'] });
    expect(t.tg.messages[0]!.edits).toBe(1);
    const edited = cardOf((await t.get('/admin/articles/posts%2Fsecond')).body, 'tg-news');
    expect(edited).toMatch(/<li><time [^>]+>[^<]+<\/time> post edited \(title, link\)<\/li>/);
    writeFileSync(file, readFileSync(file, 'utf8').replace(/^tags:/m, 'draft: true\ntags:'));
    await runPass(t.h, { channels: ['tg-news'] });
    const marked = cardOf((await t.get('/admin/articles/posts%2Fsecond')).body, 'tg-news');
    expect(marked).toMatch(/post edited \(title, link\)<\/li><li><time [^>]+>[^<]+<\/time> post marked Retracted<\/li>/);
  });

  it('in Chinese on a Chinese site', async () => {
    t = await loggedIn({ language: 'zh-CN' });
    await holdArticle(t.h, t.h.channel('tg-news')!, 'posts/europe-ai', { name: '@ann', id: '1001', via: 'telegram' });
    const card = cardOf((await t.get('/admin/articles/posts%2Feurope-ai')).body, 'tg-news');
    expect(card).toContain('<p class="why"><strong>原因:</strong> 已由 @ann (telegram) 于 2025年7月2日 09:00 暂缓</p>');
  });
});

describe('dashboard in Chinese', () => {
  it("with language zh-CN the articles page is in Chinese", async () => {
    t = await loggedIn({ language: 'zh-CN' });
    const r = await t.get('/admin/articles');
    expect(r.statusCode).toBe(200);
    expect(r.body).toMatch(/^<!doctype html>\s*<html lang="zh-CN">/);
    expect(r.body).toContain('<title>文章 · 测试新闻</title>');
    expect(r.body).toContain('<h1>文章</h1>');
    expect(r.body).toContain('<caption id="articles-caption">共 2 篇文章</caption>');
    expect(r.body).toContain('<span class="badge status-published">已发布</span>');
    expect(r.body).toContain('<time datetime="2025-07-02T00:00:00.000Z">2025年7月2日 08:00</time>');
    expect(r.body).toContain('<a href="/admin/articles" aria-current="page">文章</a>');
    // No English dashboard string left on the page.
    for (const en of ['Articles', 'Deliveries', 'Subscribers', 'Log out', 'published', 'not due']) expect(textOf(r.body)).not.toMatch(new RegExp(`\\b${en}\\b`));
    // Flash messages too.
    const sent = await t.post('/admin/articles/no-such-article/send', { channel: 'tg-news' });
    expect(flashOf((await t.follow(sent)).body)).toMatchObject({ kind: 'error', text: '“no-such-article”不在内容目录中；未发送任何内容。' });
  });
});
