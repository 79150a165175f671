/**
 * The web server as a whole: /healthz, security headers on every page, body size limits,
 * no secret in any page, and accessibility basics of the dashboard's pages.
 */
import { afterEach, describe, expect, it, vi } from 'vitest';
import { type AdminHarness, deferred, flashOf, HOOK_TOKEN, leaks, startAdmin } from './admin/helpers.ts';

let t: AdminHarness | undefined;
afterEach(async () => {
  vi.restoreAllMocks();
  if (t) await t.close();
  t = undefined;
});

describe('GET /healthz', () => {
  it('200 {ok:true} with a working store, without a session', async () => {
    t = await startAdmin();
    const r = await t.get('/healthz');
    expect(r.statusCode).toBe(200);
    expect(r.headers['content-type']).toMatch(/^application\/json/);
    expect(r.json()).toEqual({ ok: true });
    expect(r.headers['cache-control']).toBe('no-store');
  });

  it('503 {ok:false} when the store is closed', async () => {
    t = await startAdmin();
    await t.h.store.close();
    const r = await t.get('/healthz');
    expect(r.statusCode).toBe(503);
    expect(r.json()).toEqual({ ok: false });
  });

  it('503 {ok:false}, not a 500, when the store cannot be reached at all (ping throws)', async () => {
    t = await startAdmin();
    vi.spyOn(t.h.store, 'ping').mockRejectedValue(new Error('connect ECONNREFUSED 127.0.0.1:5432'));
    const r = await t.get('/healthz');
    expect(r.statusCode).toBe(503);
    expect(r.json()).toEqual({ ok: false });
    expect(r.body).not.toContain('ECONNREFUSED');
  });
});

describe('security headers', () => {
  it('every page carries a CSP with frame-ancestors self, nosniff and a referrer policy', async () => {
    t = await startAdmin();
    const pages = ['/admin/login', '/subscribe', '/healthz', '/assets/herald.css', '/admin/admin.css'];
    const anonymous = await Promise.all(pages.map((p) => t!.get(p)));
    await t.login();
    const admin = await Promise.all(
      ['/admin/articles', '/admin/articles/posts%2Feurope-ai', '/admin/articles/missing', '/admin/digests', '/admin/deliveries', '/admin/subscribers?q=a', '/admin/subscribers/export.csv', '/admin/subscribers/1', '/admin/subscribers/history.csv'].map((p) =>
        t!.get(p),
      ),
    );
    for (const r of [...anonymous, ...admin]) {
      const where = `${r.raw.req.url} (${r.statusCode})`;
      expect(r.statusCode, where).toBeLessThan(500);
      const csp = String(r.headers['content-security-policy']);
      expect(csp, where).toMatch(/(^|;)\s*frame-ancestors 'self'\s*(;|$)/);
      expect(csp, where).toMatch(/(^|;)\s*default-src 'self'/);
      expect(csp, where).toMatch(/(^|;)\s*object-src 'none'/);
      expect(csp, where).not.toContain("'unsafe-eval'");
      expect(csp, where).not.toMatch(/script-src[^;]*'unsafe-inline'/);
      expect(r.headers['x-content-type-options'], where).toBe('nosniff');
      expect(r.headers['referrer-policy'], where).toBe('no-referrer');
      expect(r.headers['x-frame-options'], where).toBe('SAMEORIGIN');
    }
    // Dashboard pages hold the CSRF token and subscriber data: never cached.
    for (const r of admin) expect(r.headers['cache-control'], r.raw.req.url).toBe('no-store');
  });

  it('upgrade-insecure-requests only when publicUrl is https (a plain-http install keeps working)', async () => {
    const secure = await startAdmin({ publicUrl: 'https://news.example.com/' });
    try {
      expect((await secure.get('/admin/login')).headers['content-security-policy']).toContain('upgrade-insecure-requests');
    } finally {
      await secure.close();
    }
    const plain = await startAdmin({ publicUrl: 'http://192.168.1.20:8080/' });
    try {
      const r = await plain.get('/admin/login');
      expect(r.statusCode).toBe(200);
      expect(r.headers['content-security-policy']).not.toContain('upgrade-insecure-requests');
    } finally {
      await plain.close();
    }
  });

  it('the preview frames swap in their own, stricter policy', async () => {
    t = await startAdmin();
    await t.login();
    for (const url of ['/admin/articles/posts%2Feurope-ai/email/newsletter', '/admin/digests/newsletter/preview']) {
      const r = await t.get(url);
      expect(r.statusCode, url).toBe(200);
      const csp = String(r.headers['content-security-policy']);
      expect(csp).toMatch(/^default-src 'none';/);
      expect(csp).toContain("frame-ancestors 'self'");
      expect(csp).not.toContain('script-src');
      expect(r.headers['x-content-type-options']).toBe('nosniff');
    }
  });
});

describe('unknown addresses', () => {
  it('get a 404 page in the site language, for readers and in the dashboard alike', async () => {
    t = await startAdmin({ language: 'zh-CN' });
    for (const url of ['/nope', '/admin/nope', '/subscribe/extra/parts']) {
      const r = await t.get(url);
      expect(r.statusCode, url).toBe(404);
      expect(r.headers['content-type'], url).toContain('text/html');
      expect(r.body, url).toContain('<html lang="zh-CN">');
      expect(r.body, url).toContain('<h1>页面不存在</h1>');
    }
  });
});

describe('body size limits', () => {
  it('a dashboard form post over 64 KiB → 413 page, and nothing is done', async () => {
    t = await startAdmin();
    await t.login();
    const r = await t.post('/admin/articles/posts%2Feurope-ai/send', { channel: 'tg-news', padding: 'x'.repeat(65 * 1024) });
    expect(r.statusCode).toBe(413);
    expect(r.headers['content-type']).toBe('text/html; charset=utf-8');
    expect(r.body).toContain('<h1>Too large</h1>');
    expect(r.headers['content-security-policy']).toContain("frame-ancestors 'self'");
    expect(t.tg.calls).toHaveLength(0);
    // Just under the limit is fine.
    const ok = await t.post('/admin/articles/posts%2Feurope-ai/send', { channel: 'tg-news', padding: 'x'.repeat(60 * 1024) });
    expect(ok.statusCode).toBe(303);
    expect(t.tg.calls).toHaveLength(1);
  });

  it('a reader form post over the limit → 413, nobody signed up', async () => {
    t = await startAdmin();
    const r = await t.app.inject({
      method: 'POST',
      url: '/subscribe',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      payload: `email=carol%40example.com&name=${'x'.repeat(70 * 1024)}`,
    });
    expect(r.statusCode).toBe(413);
    expect(r.headers['content-type']).toBe('text/html; charset=utf-8');
    expect(await t.h.store.getSubscriber('carol@example.com')).toBeUndefined();
  });
});

describe('secrets', () => {
  const SMTP_PASS = 'smtp-pa55:w/rd-Q7';

  /** Visits every page and action of the dashboard, the reader pages and the hook. */
  async function everyPage(h: AdminHarness): Promise<void> {
    await h.get('/admin/login');
    await h.login('editor', 'wrong-password');
    await h.login();
    h.tg.failNext('sendPhoto', { code: 401, description: 'Unauthorized' });
    for (const channel of ['tg-news', 'newsletter', 'discord-news']) h.bodies.push((await h.follow(await h.post('/admin/articles/posts%2Feurope-ai/send', { channel }))).body);
    h.bodies.push((await h.follow(await h.post('/admin/digests/newsletter/send'))).body);
    h.bodies.push((await h.follow(await h.post('/admin/deliveries/retry', {}))).body);
    h.bodies.push((await h.follow(await h.post('/admin/subscribers/import', { csv: 'email\nnew@example.com\nbad\n' }))).body);
    for (const url of [
      '/admin/articles',
      '/admin/articles/posts%2Feurope-ai',
      '/admin/articles/posts%2Feurope-ai/email/newsletter',
      '/admin/digests',
      '/admin/digests/newsletter/preview',
      '/admin/deliveries',
      '/admin/subscribers?q=example',
      '/admin/subscribers/export.csv',
      '/admin/articles/nope',
      '/subscribe',
      '/healthz',
    ]) {
      await h.get(url);
    }
    for (const authorization of ['Bearer wrong', `Bearer ${HOOK_TOKEN}`]) {
      h.bodies.push((await h.app.inject({ method: 'POST', url: '/hooks/publish', headers: { authorization } })).body);
    }
    await h.app.close();
  }

  it('no page, flash or log line shows HERALD_SECRET, the admin password, the hook token, the bot token or the SMTP password', async () => {
    t = await startAdmin({ smtp: { auth: { user: 'mailer', pass: SMTP_PASS } } });
    await everyPage(t);
    // The SMTP login worked (the password was used), and the pages were really rendered.
    expect(t.smtp.messages.length).toBeGreaterThan(0);
    expect(t.bodies.some((b) => b.includes('Bot token rejected') || b.includes('bot token was rejected'))).toBe(true);
    expect(t.bodies.length).toBeGreaterThan(20);
    expect(leaks(t, [SMTP_PASS, encodeURIComponent(SMTP_PASS)])).toEqual([]);
  });

  it('nor when the SMTP login fails (the configured password is wrong)', async () => {
    const wrong = 'wrong-smtp-pass-Kx3';
    t = await startAdmin({ smtp: { auth: { user: 'mailer', pass: SMTP_PASS } }, smtpUrl: (url) => url.replace(encodeURIComponent(SMTP_PASS), wrong) });
    await t.login();
    const page = await t.follow(await t.post('/admin/articles/posts%2Feurope-ai/send', { channel: 'newsletter' }));
    const flash = flashOf(page.body)!;
    expect(flash.kind).toBe('error');
    expect(flash.lines.join('\n')).toContain('rejected the login (535 5.7.8 Authentication credentials invalid)');
    const deliveries = await t.get('/admin/deliveries');
    expect(deliveries.statusCode).toBe(200);
    expect(t.smtp.messages).toHaveLength(0);
    expect(leaks(t, [wrong, SMTP_PASS])).toEqual([]);
  });

  it('nor when the Telegram API cannot be reached (the token is part of its URL)', async () => {
    t = await startAdmin();
    await t.login();
    await t.tg.close();
    const page = await t.follow(await t.post('/admin/articles/posts%2Feurope-ai/send', { channel: 'tg-news' }));
    expect(flashOf(page.body)!.lines.join('\n')).toMatch(/cannot reach the Telegram Bot API at 127\.0\.0\.1:\d+ \(connect ECONNREFUSED/);
    await t.get('/admin/deliveries');
    await t.get('/admin/articles');
    expect(leaks(t)).toEqual([]);
    expect(t.bodies.join('\n')).not.toContain('ABC-secret');
  });
});

describe('accessibility basics of the dashboard', () => {
  /** Problems found on one page; empty when it passes. */
  function audit(html: string): string[] {
    const problems: string[] = [];
    if (!/^<!doctype html>\s*<html lang="[a-zA-Z-]+">/.test(html)) problems.push('no lang on <html>');
    if (!/<title>[^<]+<\/title>/.test(html)) problems.push('no <title>');
    const h1 = html.match(/<h1[\s>]/g) ?? [];
    if (h1.length !== 1) problems.push(`${h1.length} <h1>`);
    const ids = new Set([...html.matchAll(/\sid="([^"]+)"/g)].map((m) => m[1]));
    const labelled = new Set([...html.matchAll(/<label for="([^"]+)"/g)].map((m) => m[1]));
    for (const m of html.matchAll(/<(input|textarea|select)\b([^>]*)>/g)) {
      const attrs = m[2]!;
      const type = /\stype="([^"]+)"/.exec(attrs)?.[1] ?? 'text';
      if (m[1] === 'input' && ['hidden', 'submit', 'button'].includes(type)) continue;
      const id = /\sid="([^"]+)"/.exec(attrs)?.[1];
      if (/\saria-label(ledby)?="[^"]+"/.test(attrs)) continue;
      if (!id || !labelled.has(id)) problems.push(`unlabelled <${m[1]}${attrs}>`);
    }
    for (const m of html.matchAll(/aria-(?:labelledby|describedby)="([^"]+)"/g)) {
      for (const ref of m[1]!.split(/\s+/)) if (!ids.has(ref)) problems.push(`aria reference to missing id ${ref}`);
    }
    for (const m of html.matchAll(/<table\b[^>]*>([\s\S]*?)<\/table>/g)) {
      if (!/<th scope="(col|row)"/.test(m[1]!)) problems.push('table without header cells');
      if (!/<caption[\s>]/.test(m[1]!)) problems.push('table without caption');
    }
    for (const m of html.matchAll(/<iframe\b([^>]*)>/g)) if (!/\stitle="[^"]+"/.test(m[1]!)) problems.push('iframe without title');
    for (const m of html.matchAll(/<img\b([^>]*)>/g)) if (!/\salt="/.test(m[1]!)) problems.push('img without alt');
    for (const m of html.matchAll(/<button\b[^>]*>([\s\S]*?)<\/button>/g)) if (m[1]!.replace(/<[^>]*>/g, '').trim() === '') problems.push('empty button');
    for (const m of html.matchAll(/<a\b[^>]*>([\s\S]*?)<\/a>/g)) if (m[1]!.replace(/<[^>]*>/g, '').trim() === '') problems.push('empty link');
    const dupes = [...html.matchAll(/\sid="([^"]+)"/g)].map((m) => m[1]).filter((id, i, all) => all.indexOf(id) !== i);
    if (dupes.length) problems.push(`duplicate ids ${dupes.join(', ')}`);
    return problems;
  }

  for (const language of ['en', 'zh-CN']) {
    it(`every dashboard page passes (${language})`, async () => {
      t = await startAdmin({ language });
      const login = await t.get('/admin/login');
      const failedLogin = await t.login('editor', 'wrong');
      await t.login();
      // Some state on every page: a sent, a failed and a digest delivery, a search with results.
      await t.post('/admin/articles/posts%2Feurope-ai/send', { channel: 'tg-news' });
      t.smtp.rejectRecipient('bob@example.com', 550);
      await t.post('/admin/digests/newsletter/send');
      const pages = {
        login,
        failedLogin,
        articles: await t.get('/admin/articles'),
        article: await t.get('/admin/articles/posts%2Feurope-ai'),
        second: await t.get('/admin/articles/posts%2Fsecond'),
        digests: await t.get('/admin/digests'),
        deliveries: await t.get('/admin/deliveries'),
        subscribers: await t.get('/admin/subscribers?q=example'),
        noResults: await t.get('/admin/subscribers?q=zzz'),
        subscriber: await t.get('/admin/subscribers/1'),
        unknownSubscriber: await t.get('/admin/subscribers/999'),
        notFound: await t.get('/admin/articles/missing'),
        flash: await t.follow(await t.post('/admin/subscribers/import', { csv: '' })),
      };
      const expectedLang = language === 'en' ? 'en' : 'zh-CN';
      for (const [name, r] of Object.entries(pages)) {
        expect(r.body, name).toMatch(new RegExp(`<html lang="${expectedLang}">`));
        expect(audit(r.body), name).toEqual([]);
      }
      expect(pages.article.body).toMatch(/<input type="checkbox" id="confirm-\d+" name="confirm" value="yes" required>\s*<label for="confirm-\d+">/);
    });
  }
});

describe('one pass at a time through the hook while pages are served', () => {
  it('pages answer while a hook pass is still running', async () => {
    const gate = deferred();
    const started = deferred();
    t = await startAdmin({
      triggerPass: () => {
        started.resolve();
        return gate.promise;
      },
    });
    await t.app.inject({ method: 'POST', url: '/hooks/publish', headers: { authorization: `Bearer ${HOOK_TOKEN}` } });
    await started.promise;
    await t.login();
    expect((await t.get('/admin/articles')).statusCode).toBe(200);
    expect((await t.get('/healthz')).statusCode).toBe(200);
    gate.resolve();
  });
});
