/**
 * The dashboard under a path of the site (server.publicUrl https://news.example.com/herald/):
 * behind a proxy that strips the prefix, or one that passes it on, every link, redirect
 * and cookie the browser gets carries the prefix, and every request is served.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { type AdminHarness, ADMIN_PASSWORD, ADMIN_USER, csrfOf, setCookies, startAdmin } from './helpers.ts';

let t: AdminHarness | undefined;
afterEach(async () => {
  await t?.close();
  t = undefined;
});

const PUBLIC = 'https://news.example.com/herald/';

/** Every absolute path in href/src/action attributes of a page. */
const paths = (html: string) => [...html.matchAll(/\s(?:href|src|action)="(\/[^"]*)"/g)].map((m) => m[1]!);

describe.each([
  ['a proxy that strips /herald', ''],
  ['a proxy that passes /herald on', '/herald'],
])('dashboard under /herald/, behind %s', (_name, prefix) => {
  it('redirects, cookies and every link carry the prefix; the pages are served', async () => {
    t = await startAdmin({ publicUrl: PUBLIC });
    const first = await t.get(`${prefix}/admin/subscribers?q=alice`);
    expect(first.statusCode).toBe(303);
    expect(first.headers.location).toBe('/herald/admin/login?next=%2Fadmin%2Fsubscribers%3Fq%3Dalice');

    const page = await t.get(`${prefix}/admin/login`);
    expect(page.statusCode).toBe(200);
    expect(paths(page.body).length).toBeGreaterThan(0);
    for (const p of paths(page.body)) expect(p, p).toMatch(/^\/herald\//);
    expect(setCookies(page).find((c) => c.startsWith('herald_login='))).toContain('Path=/herald/admin');

    const login = await t.post(`${prefix}/admin/login`, { _csrf: csrfOf(page.body), user: ADMIN_USER, password: ADMIN_PASSWORD, next: '/admin/subscribers?q=alice' });
    expect(login.statusCode).toBe(303);
    expect(login.headers.location).toBe('/herald/admin/subscribers?q=alice');
    const session = setCookies(login).find((c) => c.startsWith('herald_admin='));
    expect(session).toContain('Path=/herald/admin');
    expect(session).toContain('Secure');

    t.csrf = csrfOf((await t.get(`${prefix}/admin/articles`)).body);
    for (const url of ['/admin/articles', '/admin/articles/posts%2Feurope-ai', '/admin/digests', '/admin/deliveries', '/admin/subscribers?q=alice']) {
      const r = await t.get(prefix + url);
      expect(r.statusCode, url).toBe(200);
      for (const p of paths(r.body)) expect(p, `${url}: ${p}`).toMatch(/^\/herald\/(admin|assets)\//);
    }
    // The preview frame and the stylesheets are reachable where the pages point.
    const article = (await t.get(`${prefix}/admin/articles/posts%2Feurope-ai`)).body;
    const frame = paths(article).find((p) => p.includes('/email/'))!;
    expect((await t.get(prefix === '' ? frame.replace(/^\/herald/, '') : frame)).statusCode).toBe(200);

    // A form post redirects back under the prefix.
    const sent = await t.post(`${prefix}/admin/deliveries/retry`, { channel: '' });
    expect(sent.statusCode).toBe(303);
    expect(sent.headers.location).toBe('/herald/admin/deliveries');
  });
});

describe('dashboard at the root of its host', () => {
  it('links and cookies are plain /admin paths', async () => {
    t = await startAdmin({ publicUrl: 'https://news.example.com/' });
    const page = await t.get('/admin/login');
    for (const p of paths(page.body)) expect(p, p).toMatch(/^\/(admin|assets)\//);
    expect(setCookies(page).find((c) => c.startsWith('herald_login='))).toContain('Path=/admin');
    expect((await t.login()).headers.location).toBe('/admin/articles');
  });
});
