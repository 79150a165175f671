/**
 * Two dashboards on one PostgreSQL store, as two `herald serve` behind a load balancer: a
 * session made by one is known to the other and survives a restart; logging out ends it
 * everywhere; failed logins count against one budget whichever server answers.
 */
import { afterAll, afterEach, describe, expect, it } from 'vitest';
import { dropSchemas, freshSchema } from '../../helpers/pg.ts';
import { type AdminHarness, startAdmin } from './helpers.ts';

let open: AdminHarness[] = [];
afterEach(async () => {
  for (const t of open) await t.close();
  open = [];
});
afterAll(() => dropSchemas());

async function server(storeUrl: string, env: Record<string, string> = {}): Promise<AdminHarness> {
  const t = await startAdmin({ storeUrl, env });
  open.push(t);
  return t;
}

describe('dashboards sharing a PostgreSQL store', () => {
  it('a session made on one server works on the other and after a restart; logging out ends it on both', async () => {
    const { url } = await freshSchema('sessions');
    const a = await server(url);
    const b = await server(url);
    expect(a.h.store.constructor.name).toBe('PostgresStore');
    expect((await a.login()).statusCode).toBe(303);
    const cookie = a.cookies.get('herald_admin') as string;
    expect(cookie).toBeTruthy();

    b.cookies.set('herald_admin', cookie);
    const page = await b.get('/admin/articles');
    expect(page.statusCode).toBe(200);
    expect(page.body).toContain('name="_csrf"');

    // A flash set by one server is shown by the other on the next page (post/redirect/get across servers).
    b.csrf = (/name="_csrf" value="([^"]+)"/.exec(page.body) as RegExpExecArray)[1] as string;
    const retry = await b.post('/admin/deliveries/retry', {});
    expect(retry.statusCode).toBe(303);
    const shown = await a.get(retry.headers.location as string);
    expect(shown.statusCode).toBe(200);
    expect(shown.body).toMatch(/class="flash/);

    // A restart: a new server, the same store, the same cookie.
    await a.close();
    open = open.filter((t) => t !== a);
    const c = await server(url);
    c.cookies.set('herald_admin', cookie);
    expect((await c.get('/admin/articles')).statusCode).toBe(200);

    const bye = await b.post('/admin/logout', {});
    expect(bye.statusCode).toBe(303);
    const after = await c.get('/admin/articles');
    expect(after.statusCode).toBe(303);
    expect(after.headers.location).toMatch(/^\/admin\/login/);
  });

  it('failed logins count against one budget on both servers', async () => {
    const { url } = await freshSchema('limits');
    const a = await server(url, { HERALD_ADMIN_LOGIN_LIMIT: '3' });
    const b = await server(url, { HERALD_ADMIN_LOGIN_LIMIT: '3' });
    const statuses: number[] = [];
    for (const t of [a, b, a, b]) statuses.push((await t.login('editor', 'wrong password')).statusCode);
    expect(statuses).toEqual([401, 401, 401, 429]);
    expect((await a.login()).statusCode).toBe(429); // even with the right password, until the minute is over
  });
});
