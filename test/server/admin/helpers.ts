/**
 * A dashboard under test: a temp site (two articles), a real SMTP server for the email
 * channel, a fake Telegram Bot API for the telegram channel, a Discord channel in
 * preview mode, and the Fastify server built in-process (requests via app.inject).
 *
 *   const t = await startAdmin();
 *   await t.login();                              // session cookie kept in t.cookies
 *   const page = await t.get('/admin/articles');  // every body is recorded in t.bodies
 *   await t.post('/admin/articles/posts%2Feurope-ai/send', { channel: 'tg-news' });  // _csrf added
 *   await t.close();
 */
import type { FastifyInstance, LightMyRequestResponse } from 'fastify';
import { afterEach, expect } from 'vitest';
import pino from 'pino';
import { loadConfig } from '../../../src/config/load.ts';
import { createHerald, type Herald } from '../../../src/pipeline/herald.ts';
import { buildServer } from '../../../src/server/app.ts';
import { makeSite, SECRET, seedArticle, type TestSite } from '../../helpers/site.ts';
import { startSmtpServer, type TestSmtpServer, type TestSmtpServerOptions } from '../../helpers/smtp-server.ts';
import { startTelegramApi, type TestTelegramApi } from '../../helpers/telegram-api.ts';

export const ADMIN_USER = 'editor';
export const ADMIN_PASSWORD = 'correct-horse-battery-staple-42';
export const HOOK_TOKEN = 'hook-token-5f0c2d9e-SECRET';
export const BOT_TOKEN = '123456:ABC-secret-token';
export const NOW = '2025-07-02T09:00:00+08:00';

export interface AdminOptions {
  /** Extra or replacing environment (set a key to undefined to drop it). */
  env?: Record<string, string | undefined>;
  language?: string;
  publicUrl?: string;
  triggerPass?: () => Promise<void>;
  /** Options for the test SMTP server (e.g. `auth`, which puts the credentials into the channel's smtp URL). */
  smtp?: TestSmtpServerOptions;
  /** Rewrite the channel's smtp URL (e.g. wrong credentials); gets the test server's URL. */
  smtpUrl?: (url: string) => string;
  /** Another store than the site's SQLite file (a PostgreSQL URL: several servers on one store). */
  storeUrl?: string;
  /** Build the app yourself (e.g. with other server settings); default buildServer(h, { triggerPass }). */
  build?: (h: Herald) => Promise<FastifyInstance>;
}

export interface AdminHarness {
  site: TestSite;
  smtp: TestSmtpServer;
  tg: TestTelegramApi;
  h: Herald;
  app: FastifyInstance;
  /** Every response body the test saw, to check that no secret was ever shown. */
  bodies: string[];
  logs: string[];
  cookies: Map<string, string>;
  csrf: string;
  get(url: string, headers?: Record<string, string>): Promise<LightMyRequestResponse>;
  /** Form post; the session's CSRF token is added unless `_csrf` is given (use null to leave it out). */
  post(url: string, form?: Record<string, string | null>, headers?: Record<string, string>): Promise<LightMyRequestResponse>;
  login(user?: string, password?: string): Promise<LightMyRequestResponse>;
  /** GET the page a post/redirect/get answer leads to (asserts it is a 303). */
  follow(res: LightMyRequestResponse): Promise<LightMyRequestResponse>;
  close(): Promise<void>;
}

export function setCookies(res: LightMyRequestResponse): string[] {
  const v = res.headers['set-cookie'];
  return v === undefined ? [] : Array.isArray(v) ? v : [v];
}

/** The value of a hidden `_csrf` field on a page. */
export function csrfOf(html: string): string {
  const m = /name="_csrf" value="([^"]+)"/.exec(html);
  if (!m) throw new Error('no _csrf field on the page');
  return m[1]!;
}

/** The dashboard's test site: an email digest channel, a Telegram channel and a Discord channel in preview mode. */
export function dashboardChannels(smtpUrl: string, tgApiRoot: string): string {
  return `  newsletter:
    type: email
    smtp: ${smtpUrl}
    from: Test News <news@example.com>
    mode: digest
    schedule: "0 8 * * 1"
  tg-news:
    type: telegram
    token: "${BOT_TOKEN}"
    chat: "@news"
    apiRoot: ${tgApiRoot}
    pace: { perChat: 6000, perToken: 100 }
  discord-news:
    type: discord
    webhookUrl: ""
    color: "#1a73e8"
`;
}

export const ARTICLE_TITLE = 'Europe’s AI <gigafactory> rush';
export const SECOND_TITLE = 'Second post';

/** Two published articles, the first shaped like the seed (image, summary with `&`, a tag and a topic). */
export const DASHBOARD_ARTICLES: Record<string, string> = {
  'posts/europe-ai.md': seedArticle({
    title: ARTICLE_TITLE,
    date: '2025-07-02T08:00:00+08:00',
    slug: 'europe-ai',
    image: '/img/cover.jpg',
    summary: 'The Commission received 76 expressions of interest & more.',
    tags: ['AI'],
    topics: ['chips'],
  }),
  'posts/second.md': `---\ntitle: ${SECOND_TITLE}\ndate: 2025-07-02T08:30:00+08:00\ntags: [notes]\n---\n\nA short second post.\n`,
};

export async function startAdmin(opts: AdminOptions = {}): Promise<AdminHarness> {
  const smtp = await startSmtpServer(opts.smtp);
  const tg = await startTelegramApi({ tokens: [BOT_TOKEN] });
  const site = makeSite({
    language: opts.language ?? 'en',
    channels: dashboardChannels(opts.smtpUrl ? opts.smtpUrl(smtp.url) : smtp.url, tg.apiRoot),
  });
  for (const [file, text] of Object.entries(DASHBOARD_ARTICLES)) site.write(file, text);
  const env: Record<string, string | undefined> = {
    HERALD_SECRET: SECRET,
    HERALD_NOW: NOW,
    HERALD_ADMIN_USER: ADMIN_USER,
    HERALD_ADMIN_PASSWORD: ADMIN_PASSWORD,
    HERALD_HOOK_TOKEN: HOOK_TOKEN,
    ...opts.env,
  };
  const config = loadConfig({ file: site.configFile, cwd: site.dir, env });
  // At the root of its host unless a test says otherwise (test/server/admin/base-path.test.ts covers a path prefix).
  config.server.publicUrl = opts.publicUrl ?? 'https://news.example.com/';
  if (opts.storeUrl) config.store = { ...config.store, url: opts.storeUrl };
  const logs: string[] = [];
  const log = pino({ level: 'info' }, { write: (s: string) => void logs.push(s) });
  const h = await createHerald(config, { log });
  await h.store.upsertSubscriber({ email: 'alice@example.com', name: 'Alice', status: 'active' }, h.now());
  await h.store.upsertSubscriber({ email: 'bob@example.com', name: 'Bob', topics: ['chips'], status: 'active' }, h.now());
  const app = opts.build ? await opts.build(h) : await buildServer(h, { triggerPass: opts.triggerPass });
  const cookies = new Map<string, string>();
  const bodies: string[] = [];

  const remember = (res: LightMyRequestResponse) => {
    bodies.push(res.body);
    for (const c of setCookies(res)) {
      const [pair] = c.split(';');
      const eq = pair!.indexOf('=');
      const name = pair!.slice(0, eq);
      const value = pair!.slice(eq + 1);
      if (value === '' || /Max-Age=0|Expires=Thu, 01 Jan 1970/i.test(c)) cookies.delete(name);
      else cookies.set(name, value);
    }
    return res;
  };
  const cookieHeader = () => [...cookies].map(([k, v]) => `${k}=${v}`).join('; ');

  const t: AdminHarness = {
    site,
    smtp,
    tg,
    h,
    app,
    bodies,
    logs,
    cookies,
    csrf: '',
    async get(url, headers = {}) {
      return remember(await app.inject({ method: 'GET', url, headers: { cookie: cookieHeader(), ...headers } }));
    },
    async post(url, form = {}, headers = {}) {
      const fields: Record<string, string> = {};
      if (!('_csrf' in form)) fields._csrf = t.csrf;
      for (const [k, v] of Object.entries(form)) if (v !== null) fields[k] = v;
      return remember(
        await app.inject({
          method: 'POST',
          url,
          headers: { cookie: cookieHeader(), 'content-type': 'application/x-www-form-urlencoded', ...headers },
          payload: new URLSearchParams(fields).toString(),
        }),
      );
    },
    async login(user = ADMIN_USER, password = ADMIN_PASSWORD) {
      const page = await t.get('/admin/login');
      const res = await t.post('/admin/login', { _csrf: csrfOf(page.body), user, password, next: '/admin/articles' });
      if (res.statusCode === 303 && cookies.has('herald_admin')) t.csrf = csrfOf((await t.get('/admin/articles')).body);
      return res;
    },
    async follow(res) {
      if (res.statusCode !== 303 || typeof res.headers.location !== 'string') {
        throw new Error(`expected a 303 redirect, got ${res.statusCode}: ${res.body.slice(0, 300)}`);
      }
      return t.get(res.headers.location);
    },
    async close() {
      await app.close();
      await h.close();
      await smtp.close();
      await tg.close();
    },
  };
  return t;
}

/** Text of a piece of HTML: tags dropped, the entities Liquid and the templates write decoded, spaces collapsed. */
export function textOf(html: string): string {
  return decodeHtml(html.replace(/<[^>]*>/g, ' ')).replace(/\s+/g, ' ').trim();
}

export function decodeHtml(s: string): string {
  return s
    .replace(/&lt;/g, '<')
    .replace(/&gt;/g, '>')
    .replace(/&quot;/g, '"')
    .replace(/&#(\d+);/g, (_, n: string) => String.fromCodePoint(Number(n)))
    .replace(/&#x([0-9a-f]+);/gi, (_, n: string) => String.fromCodePoint(Number.parseInt(n, 16)))
    .replace(/&amp;/g, '&');
}

export interface FlashMessage {
  kind: 'ok' | 'error' | 'info';
  text: string;
  lines: string[];
}

/** The flash message shown at the top of a dashboard page, if any. */
export function flashOf(html: string): FlashMessage | undefined {
  const m = /<div class="flash flash-(ok|error|info)" role="(?:alert|status)">\s*<p>([\s\S]*?)<\/p>([\s\S]*?)<\/div>/.exec(html);
  if (!m) return undefined;
  const lines = [...(m[3] ?? '').matchAll(/<li>([\s\S]*?)<\/li>/g)].map((l) => textOf(l[1] ?? ''));
  return { kind: m[1] as FlashMessage['kind'], text: textOf(m[2] ?? ''), lines };
}

/** Every secret a test harness configures: none may ever be in a response body or a log line. */
export const SECRETS = [ADMIN_PASSWORD, HOOK_TOKEN, BOT_TOKEN, SECRET];

/** Where a secret showed up: `body #n` or `log #n`, with the secret's first characters. Empty when none did. */
export function leaks(t: AdminHarness, extra: string[] = []): string[] {
  const found: string[] = [];
  const secrets = [...SECRETS, ...extra];
  t.bodies.forEach((b, i) => {
    for (const s of secrets) if (b.includes(s)) found.push(`body #${i} shows ${s.slice(0, 6)}…`);
  });
  t.logs.forEach((l, i) => {
    for (const s of secrets) if (l.includes(s)) found.push(`log #${i} shows ${s.slice(0, 6)}…`);
  });
  return found;
}

/** A promise with its resolve function, for awaiting an event instead of sleeping. */
export interface Deferred<T = void> {
  promise: Promise<T>;
  resolve: (v: T) => void;
  reject: (e: unknown) => void;
}

export function deferred<T = void>(): Deferred<T> {
  let resolve!: (v: T) => void;
  let reject!: (e: unknown) => void;
  const promise = new Promise<T>((res, rej) => {
    resolve = res;
    reject = rej;
  });
  return { promise, resolve, reject };
}

/**
 * One dashboard per test, closed after it; closing fails the test if any page or log line
 * showed a secret.
 *   const admin = dashboardPerTest();
 *   it('…', async () => { const t = await admin.loggedIn(); … });
 */
export function dashboardPerTest(): { start(opts?: AdminOptions): Promise<AdminHarness>; loggedIn(opts?: AdminOptions): Promise<AdminHarness> } {
  let current: AdminHarness | undefined;
  afterEach(async () => {
    const t = current;
    current = undefined;
    if (!t) return;
    try {
      expect(leaks(t)).toEqual([]);
    } finally {
      await t.close();
    }
  });
  const start = async (opts: AdminOptions = {}) => {
    current = await startAdmin(opts);
    return current;
  };
  return {
    start,
    async loggedIn(opts: AdminOptions = {}) {
      const t = await start(opts);
      expect((await t.login()).statusCode).toBe(303);
      return t;
    },
  };
}
