/** Dashboard access: disabled without credentials, login, sessions, cookies, CSRF, rate limit, logout. */
import bcrypt from 'bcryptjs';
import { afterEach, describe, expect, it } from 'vitest';
import { type AdminHarness, ADMIN_PASSWORD, ADMIN_USER, BOT_TOKEN, csrfOf, HOOK_TOKEN, setCookies, startAdmin } from './helpers.ts';

let t: AdminHarness | undefined;
afterEach(async () => {
  if (t) {
    // Whatever a test did, no page ever showed a secret.
    for (const body of t.bodies) for (const secret of [ADMIN_PASSWORD, HOOK_TOKEN, BOT_TOKEN]) expect(body).not.toContain(secret);
    for (const line of t.logs) for (const secret of [ADMIN_PASSWORD, HOOK_TOKEN, BOT_TOKEN]) expect(line).not.toContain(secret);
    await t.close();
  }
  t = undefined;
});

describe('dashboard access', () => {
  it('without credentials the dashboard is disabled (503), never open', async () => {
    t = await startAdmin({ env: { HERALD_ADMIN_USER: undefined, HERALD_ADMIN_PASSWORD: undefined } });
    for (const url of ['/admin', '/admin/articles', '/admin/login', '/admin/subscribers/export.csv']) {
      const r = await t.get(url);
      expect(r.statusCode, url).toBe(503);
      expect(r.body).toContain('HERALD_ADMIN_USER');
      expect(r.body).not.toContain('alice@example.com');
    }
    const post = await t.post('/admin/login', { user: 'x', password: 'y' });
    expect(post.statusCode).toBe(503);
    // A user without any password is not enough either.
    await t.close();
    t = await startAdmin({ env: { HERALD_ADMIN_PASSWORD: undefined } });
    expect((await t.get('/admin/articles')).statusCode).toBe(503);
  });

  it('redirects to the login page and back to where the editor was going', async () => {
    t = await startAdmin();
    const r = await t.get('/admin/subscribers?q=alice');
    expect(r.statusCode).toBe(303);
    expect(r.headers.location).toBe('/admin/login?next=%2Fadmin%2Fsubscribers%3Fq%3Dalice');
    const page = await t.get(r.headers.location as string);
    expect(page.statusCode).toBe(200);
    expect(page.body).toContain('<label for="password">');
    expect(page.body).toContain('name="next" value="/admin/subscribers?q=alice"');
    const login = await t.post('/admin/login', { _csrf: csrfOf(page.body), user: ADMIN_USER, password: ADMIN_PASSWORD, next: '/admin/subscribers?q=alice' });
    expect(login.statusCode).toBe(303);
    expect(login.headers.location).toBe('/admin/subscribers?q=alice');
  });

  it('never redirects outside the dashboard after login', async () => {
    t = await startAdmin();
    const page = await t.get('/admin/login');
    const login = await t.post('/admin/login', { _csrf: csrfOf(page.body), user: ADMIN_USER, password: ADMIN_PASSWORD, next: '//evil.example/admin' });
    expect(login.headers.location).toBe('/admin');
  });

  it('a wrong password shows an error and creates no session', async () => {
    t = await startAdmin();
    const r = await t.login(ADMIN_USER, 'wrong-password');
    expect(r.statusCode).toBe(401);
    expect(r.body).toContain('Wrong user name or password');
    expect(setCookies(r).some((c) => c.startsWith('herald_admin='))).toBe(false);
    const wrongUser = await t.login('someone', ADMIN_PASSWORD);
    expect(wrongUser.statusCode).toBe(401);
    expect(t.cookies.has('herald_admin')).toBe(false);
    expect((await t.get('/admin/articles')).statusCode).toBe(303);
    expect(t.logs.join('\n')).toContain('failed login');
  });

  it('limits login attempts per address: the sixth within a minute gets 429', async () => {
    t = await startAdmin();
    const page = await t.get('/admin/login');
    const token = csrfOf(page.body);
    const codes: number[] = [];
    for (let i = 0; i < 6; i++) codes.push((await t.post('/admin/login', { _csrf: token, user: ADMIN_USER, password: `guess-${i}` })).statusCode);
    expect(codes).toEqual([401, 401, 401, 401, 401, 429]);
    const limited = await t.post('/admin/login', { _csrf: token, user: ADMIN_USER, password: ADMIN_PASSWORD });
    expect(limited.statusCode).toBe(429);
    expect(limited.body).toContain('Too many login attempts');
    expect(limited.headers['retry-after']).toBeDefined();
    expect(t.cookies.has('herald_admin')).toBe(false);
    // Another address is not affected.
    const other = await t.post('/admin/login', { _csrf: token, user: ADMIN_USER, password: ADMIN_PASSWORD }, { 'x-forwarded-for': '203.0.113.9' });
    expect(other.statusCode).toBe(303);
  });

  it('the limit is configurable', async () => {
    t = await startAdmin({ env: { HERALD_ADMIN_LOGIN_LIMIT: '2' } });
    const token = csrfOf((await t.get('/admin/login')).body);
    const codes = [];
    for (let i = 0; i < 3; i++) codes.push((await t.post('/admin/login', { _csrf: token, user: ADMIN_USER, password: 'nope' })).statusCode);
    expect(codes).toEqual([401, 401, 429]);
  });

  it('login sets an HttpOnly, SameSite, Secure session cookie scoped to /admin when publicUrl is https', async () => {
    t = await startAdmin();
    const r = await t.login();
    expect(r.statusCode).toBe(303);
    const cookie = setCookies(r).find((c) => c.startsWith('herald_admin='))!;
    expect(cookie).toMatch(/; HttpOnly/);
    expect(cookie).toMatch(/; SameSite=Lax/);
    expect(cookie).toMatch(/; Secure/);
    expect(cookie).toMatch(/; Path=\/admin/);
    const id = cookie.split(';')[0]!.split('=')[1]!;
    expect(id.length).toBeGreaterThanOrEqual(40);
    expect(cookie).not.toContain(ADMIN_USER);
    const page = await t.get('/admin/articles');
    expect(page.statusCode).toBe(200);
    expect(page.headers['cache-control']).toBe('no-store');
  });

  it('no Secure flag when publicUrl is plain http (a local install)', async () => {
    t = await startAdmin({ publicUrl: 'http://localhost:8080/' });
    const r = await t.login();
    const cookie = setCookies(r).find((c) => c.startsWith('herald_admin='))!;
    expect(cookie).toMatch(/HttpOnly/);
    expect(cookie).not.toMatch(/Secure/);
  });

  it('accepts a bcrypt hash instead of a plain password', async () => {
    const hash = bcrypt.hashSync('hashed-pass-77', 4);
    t = await startAdmin({ env: { HERALD_ADMIN_PASSWORD: undefined, HERALD_ADMIN_PASSWORD_HASH: hash } });
    expect((await t.login(ADMIN_USER, 'wrong')).statusCode).toBe(401);
    expect((await t.login(ADMIN_USER, 'hashed-pass-77')).statusCode).toBe(303);
    expect((await t.get('/admin/articles')).statusCode).toBe(200);
    for (const b of t.bodies) expect(b).not.toContain(hash);
  });

  it('a malformed hash disables the dashboard instead of letting anyone in', async () => {
    t = await startAdmin({ env: { HERALD_ADMIN_PASSWORD: undefined, HERALD_ADMIN_PASSWORD_HASH: 'not-a-hash' } });
    const r = await t.get('/admin/login');
    expect(r.statusCode).toBe(503);
    expect(r.body).toContain('not a bcrypt hash');
    expect(r.body).not.toContain('not-a-hash');
  });

  it('every form post needs the CSRF token: missing or wrong → 403 and nothing happens', async () => {
    t = await startAdmin();
    await t.login();
    for (const [url, form] of [
      ['/admin/articles/posts%2Feurope-ai/send', { channel: 'tg-news' }],
      ['/admin/digests/newsletter/send', {}],
      ['/admin/deliveries/retry', {}],
      ['/admin/subscribers/import', { csv: 'email\nmallory@example.com\n' }],
      ['/admin/logout', {}],
    ] as const) {
      const missing = await t.post(url, { ...form, _csrf: null });
      expect(missing.statusCode, url).toBe(403);
      expect(missing.body).toContain('security token');
      const wrong = await t.post(url, { ...form, _csrf: 'forged-token' });
      expect(wrong.statusCode, url).toBe(403);
    }
    expect(t.tg.messages).toHaveLength(0);
    expect(t.smtp.messages).toHaveLength(0);
    expect(await t.h.store.getSubscriber('mallory@example.com')).toBeUndefined();
    // Still logged in: the forged logout did nothing.
    expect((await t.get('/admin/articles')).statusCode).toBe(200);
  });

  it('a body or query that is not a handful of text fields → 400 page, nothing happens', async () => {
    t = await startAdmin();
    await t.login();
    const cookie = [...t.cookies].map(([k, v]) => `${k}=${v}`).join('; ');
    const json = await t.app.inject({
      method: 'POST',
      url: '/admin/subscribers/import',
      headers: { cookie, 'content-type': 'application/json' },
      payload: JSON.stringify({ _csrf: t.csrf, csv: { email: 'mallory@example.com' } }),
    });
    expect(json.statusCode).toBe(400);
    expect(json.body).toContain('could not be understood');
    expect(await t.h.store.getSubscriber('mallory@example.com')).toBeUndefined();
    const many = new URLSearchParams(Array.from({ length: 40 }, (_, i): [string, string] => [`f${i}`, 'x'])).toString();
    expect((await t.get(`/admin/subscribers?${many}`)).statusCode).toBe(400);
    // A well-formed request with the same session still works.
    expect((await t.get('/admin/subscribers?q=alice')).statusCode).toBe(200);
  });

  it('the login form is protected against login CSRF too', async () => {
    t = await startAdmin();
    await t.get('/admin/login');
    const r = await t.post('/admin/login', { _csrf: 'attacker-token', user: ADMIN_USER, password: ADMIN_PASSWORD });
    expect(r.statusCode).toBe(403);
    t.cookies.clear();
    const noCookie = await t.post('/admin/login', { _csrf: 'x', user: ADMIN_USER, password: ADMIN_PASSWORD });
    expect(noCookie.statusCode).toBe(403);
    expect(t.cookies.has('herald_admin')).toBe(false);
  });

  it('logout ends the session on the server', async () => {
    t = await startAdmin();
    await t.login();
    const sessionId = t.cookies.get('herald_admin')!;
    const r = await t.post('/admin/logout');
    expect(r.statusCode).toBe(303);
    expect(r.headers.location).toBe('/admin/login');
    expect(t.cookies.has('herald_admin')).toBe(false);
    // Replaying the old cookie does not work either.
    const replay = await t.app.inject({ method: 'GET', url: '/admin/articles', headers: { cookie: `herald_admin=${sessionId}` } });
    expect(replay.statusCode).toBe(303);
  });

  it('a made-up session cookie is not a session', async () => {
    t = await startAdmin();
    const r = await t.app.inject({ method: 'GET', url: '/admin/articles', headers: { cookie: 'herald_admin=abc' } });
    expect(r.statusCode).toBe(303);
  });
});
