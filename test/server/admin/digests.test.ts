/** Dashboard digests: the next digest per email digest channel, its preview, and "send now". */
import { describe, expect, it } from 'vitest';
import { PREVIEW_CSP } from '../../../src/server/admin/email-previews.ts';
import { type AdminHarness, dashboardPerTest, flashOf, textOf } from './helpers.ts';

const admin = dashboardPerTest();
const loggedIn = admin.loggedIn;
let t: AdminHarness;

const TITLE_HTML = 'Europe’s AI &lt;gigafactory&gt; rush';

/** The `<dd>` after a `<dt>` in the channel card. */
function meta(html: string, dt: string): string {
  const m = new RegExp(`<dt>${dt}</dt><dd>([\\s\\S]*?)</dd>`).exec(html);
  if (!m) throw new Error(`no ${dt}`);
  return textOf(m[1]!);
}

describe('GET /admin/digests', () => {
  it('shows the newsletter channel with the articles waiting for its next digest', async () => {
    t = await loggedIn();
    const r = await t.get('/admin/digests');
    expect(r.statusCode).toBe(200);
    expect(r.body).toContain('<h2 id="dg-1">newsletter</h2>');
    // Only email channels in digest mode are listed.
    expect(r.body).not.toContain('tg-news');
    expect(r.body).not.toContain('discord-news');
    expect(meta(r.body, 'Schedule')).toBe('0 8 * * 1');
    expect(meta(r.body, 'Last digest')).toBe('never');
    expect(meta(r.body, 'Next digest')).toBe("after the channel's first run");
    expect(meta(r.body, 'Articles waiting')).toBe('2');
    const list = /<ol class="digest-articles">([\s\S]*?)<\/ol>/.exec(r.body)![1]!;
    expect(list).toContain(`<li>${TITLE_HTML} <span class="muted small">Jul 2, 2025</span></li>`);
    expect(list).toContain('<li>Second post <span class="muted small">Jul 2, 2025</span></li>');
    expect(list.indexOf('Second post')).toBeLessThan(list.indexOf('gigafactory'));
    expect(r.body).not.toContain('<gigafactory>');
    expect(r.body).not.toContain('class="notice"');
    expect(r.body).toContain('<form method="post" action="/admin/digests/newsletter/send" class="send-form">');
    const iframe = /<iframe [^>]*>/.exec(r.body)![0];
    expect(iframe).toContain('src="/admin/digests/newsletter/preview"');
    expect(iframe).not.toContain('allow-scripts');
  });

  it('GET /admin/digests/:channel/preview is the digest HTML with the preview CSP', async () => {
    t = await loggedIn();
    const r = await t.get('/admin/digests/newsletter/preview');
    expect(r.statusCode).toBe(200);
    expect(r.headers['content-type']).toBe('text/html; charset=utf-8');
    expect(r.headers['content-security-policy']).toBe(PREVIEW_CSP);
    expect(r.headers['x-frame-options']).toBe('SAMEORIGIN');
    expect(r.headers['cache-control']).toBe('no-store');
    expect(r.body).toMatch(/^<!doctype html>/i);
    expect(r.body).toContain(TITLE_HTML);
    expect(r.body).toContain('Second post');
    expect(r.body).not.toContain('<gigafactory>');
    expect(r.body).toContain('Preview Reader');
  });

  it('unknown channel or a channel that is not an email digest → 404', async () => {
    t = await loggedIn();
    for (const url of ['/admin/digests/no-such-channel/preview', '/admin/digests/tg-news/preview', '/admin/digests/discord-news/preview']) {
      const r = await t.get(url);
      expect(r.statusCode, url).toBe(404);
      expect(r.body, url).toBe('not found');
    }
    for (const url of ['/admin/digests/no-such-channel/send', '/admin/digests/tg-news/send']) {
      const r = await t.post(url);
      expect(r.headers.location, url).toBe('/admin/digests');
      expect(flashOf((await t.follow(r)).body), url).toEqual({ kind: 'error', text: 'That is not an email digest channel.', lines: [] });
    }
    expect(t.tg.calls).toHaveLength(0);
    expect(t.smtp.rcptAttempts).toBe(0);
  });

  it('needs a session', async () => {
    t = await admin.start();
    expect((await t.get('/admin/digests/newsletter/preview')).statusCode).toBe(303);
    expect((await t.get('/admin/digests')).statusCode).toBe(303);
  });
});

describe('POST /admin/digests/:channel/send', () => {
  it('sends the digest over SMTP, each subscriber only their topics; a second send finds nothing new', async () => {
    t = await loggedIn();
    await t.h.store.upsertSubscriber({ email: 'paused@example.com', status: 'pending' }, t.h.now());
    const r = await t.post('/admin/digests/newsletter/send');
    expect(r.statusCode).toBe(303);
    expect(r.headers.location).toBe('/admin/digests');
    const page = await t.follow(r);
    expect(flashOf(page.body)).toEqual({
      kind: 'ok',
      text: 'newsletter: digest sent.',
      lines: ['newsletter: made a digest of 2 articles for 2 subscriber(s)', 'newsletter: 2 sent, 0 failed, 0 left pending for a later attempt'],
    });
    await t.smtp.waitForMessages(2);
    expect(t.smtp.messages).toHaveLength(2);
    const mails = await t.smtp.parsed();
    const byRecipient = new Map(t.smtp.messages.map((m, i) => [m.envelope.to.join(','), mails[i]!]));
    expect([...byRecipient.keys()].sort()).toEqual(['alice@example.com', 'bob@example.com']);
    const alice = byRecipient.get('alice@example.com')!;
    const bob = byRecipient.get('bob@example.com')!;
    // Alice takes every topic: both articles. Bob only takes chips: only the chips article.
    expect(alice.html).toContain(TITLE_HTML);
    expect(alice.html).toContain('Second post');
    expect(bob.html).toContain(TITLE_HTML);
    expect(bob.html).not.toContain('Second post');
    expect(bob.text).not.toContain('Second post');
    for (const m of [alice, bob]) {
      expect(m.subject).toMatch(/^测试新闻 digest — /);
      expect(m.html).not.toContain('<gigafactory>');
    }
    // The page now shows the last digest and nothing waiting.
    expect(meta(page.body, 'Last digest')).toBe('Jul 2, 2025, 9:00 AM');
    expect(meta(page.body, 'Next digest')).toBe('Jul 7, 2025, 8:00 AM');
    expect(meta(page.body, 'Articles waiting')).toBe('0');
    expect(page.body).toContain('No articles are waiting for the next digest');

    const again = await t.post('/admin/digests/newsletter/send');
    expect(flashOf((await t.follow(again)).body)).toEqual({
      kind: 'info',
      text: 'newsletter: no digest was sent.',
      lines: ['newsletter: no new articles for a digest: no email'],
    });
    expect(t.smtp.messages).toHaveLength(2);
    expect(t.smtp.rcptAttempts).toBe(2);
    // Only the digest channel was run.
    expect(t.tg.calls).toHaveLength(0);
  });

  it('a new article after a digest goes into the next one; the articles page shows the digest delivery', async () => {
    t = await loggedIn();
    await t.post('/admin/digests/newsletter/send');
    await t.smtp.waitForMessages(2);
    t.site.write('posts/third.md', '---\ntitle: Third chips post\ndate: 2025-07-02T08:45:00+08:00\nmain_topics: [chips]\n---\n\nMore.\n');
    const digests = await t.get('/admin/digests');
    expect(meta(digests.body, 'Articles waiting')).toBe('1');
    expect(/<ol class="digest-articles">([\s\S]*?)<\/ol>/.exec(digests.body)![1]).toContain('Third chips post');
    const r = await t.post('/admin/digests/newsletter/send');
    expect(flashOf((await t.follow(r)).body)).toMatchObject({ kind: 'ok', lines: ['newsletter: made a digest of 1 article for 2 subscriber(s)', expect.any(String)] });
    await t.smtp.waitForMessages(4);
    const mails = (await t.smtp.parsed()).slice(2);
    for (const m of mails) {
      expect(m.html).toContain('Third chips post');
      expect(m.html).not.toContain('Second post');
    }
    const list = await t.get('/admin/articles');
    const row = list.body.split('<tr>').find((x) => x.includes('posts/third.md'))!;
    expect(row).toContain('<span class="channel">newsletter</span>: <span class="badge state-sent">sent</span>');
  });

  it('a recipient the SMTP server refuses is reported; the others get the digest', async () => {
    t = await loggedIn();
    t.smtp.rejectRecipient('bob@example.com', 550, '5.1.1 mailbox unavailable');
    const r = await t.post('/admin/digests/newsletter/send');
    const flash = flashOf((await t.follow(r)).body)!;
    expect(flash.kind).toBe('error');
    expect(flash.text).toBe('newsletter: the digest did not fully go out.');
    expect(flash.lines).toContain('newsletter: 1 sent, 1 failed, 0 left pending for a later attempt');
    expect(flash.lines.some((l) => l.includes('550 5.1.1 mailbox unavailable') && l.includes('bob@example.com'))).toBe(true);
    expect(t.smtp.messages.map((m) => m.envelope.to)).toEqual([['alice@example.com']]);
  });
});
