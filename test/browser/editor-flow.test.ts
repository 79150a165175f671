/**
 * An editor in a real browser: logs in to /admin, opens an article, checks its Telegram,
 * Discord and email previews, sends it to Telegram now, and follows the delivery through
 * the dashboard. Telegram is a fake Bot API on loopback; email a real SMTP server on loopback.
 */
import type { Browser, Page } from 'playwright-core';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { runPass } from '../../src/pipeline/dispatch.ts';
import { startTelegramApi, type TestTelegramApi } from '../helpers/telegram-api.ts';
import { ADMIN_PASSWORD, ADMIN_USER, ARTICLE_TITLE, BOT_TOKEN, DASHBOARD_ARTICLES, dashboardChannels, SECOND_TITLE } from '../server/admin/helpers.ts';
import { clickAndWait, hasChromium, launchBrowser, openTab, SKIP_NOTE, screenshot, type Tab } from './browser.ts';
import { startWebHerald, type WebHerald } from './herald-server.ts';

const TITLE = ARTICLE_TITLE;
const SECOND = SECOND_TITLE;

let browser: Browser;
let tg: TestTelegramApi;
let t: WebHerald;
let tab: Tab | undefined;

beforeAll(async () => {
  if (!hasChromium) return;
  tg = await startTelegramApi({ tokens: [BOT_TOKEN] });
  t = await startWebHerald({
    language: 'en',
    start: '2025-07-02T01:00:00Z', // 09:00 in Asia/Shanghai
    env: { HERALD_ADMIN_USER: ADMIN_USER, HERALD_ADMIN_PASSWORD: ADMIN_PASSWORD },
    channels: dashboardChannels('{smtp}', tg.apiRoot),
    articles: DASHBOARD_ARTICLES,
  });
  await t.h.store.upsertSubscriber({ email: 'alice@example.com', name: 'Alice', status: 'active' }, t.clock.now);
  await t.h.store.upsertSubscriber({ email: 'bob@example.com', name: 'Bob', topics: ['chips'], status: 'active' }, t.clock.now);
  // The newsletter's first run: both articles wait for Monday's digest. Telegram is left to the editor.
  await runPass(t.h, { channels: ['newsletter'] });
  browser = await launchBrowser();
});
afterAll(async () => {
  await browser?.close();
  await t?.close();
  await tg?.close();
});
afterEach(async () => {
  await tab?.close();
  tab = undefined;
});

const heading = (page: Page) => page.getByRole('heading', { level: 1 }).textContent();
const path = (page: Page) => {
  const u = new URL(page.url());
  return u.pathname + u.search;
};
/** Problems other than the article images on the site's own host (blocked: the browser stays on loopback). */
const unexpectedProblems = (tb: Tab) => tb.problemsOn().filter((p) => !p.startsWith('blocked (not loopback): https://news.example.com/img/'));

/** Waits until the iframe with this title shows `text`, and returns its whole text. */
async function frameText(page: Page, title: string, text: string): Promise<string> {
  const element = page.getByTitle(title, { exact: true });
  // loading="lazy": the frame loads once it is near the viewport, as it would for an editor scrolling down.
  await element.scrollIntoViewIfNeeded();
  const frame = element.contentFrame();
  const body = frame.locator('body').filter({ hasText: text });
  await body.waitFor();
  return (await body.textContent()) ?? '';
}

describe.skipIf(!hasChromium)(`dashboard in Chromium${SKIP_NOTE}`, () => {
  it('logs in, previews an article on every channel, sends it to Telegram now, and sees it delivered', async () => {
    tab = await openTab(browser, { proxy: { publicUrl: t.publicUrl, origin: t.origin } });
    const { page } = tab;

    // 1. /admin asks for a login first. Herald is served under publicUrl's path (/herald/), as behind a proxy.
    const login = await page.goto(`${t.origin}/herald/admin`);
    expect(login?.status()).toBe(200);
    expect(login?.request().redirectedFrom()?.url()).toBe(`${t.origin}/herald/admin`);
    expect(path(page)).toBe('/herald/admin/login?next=%2Fadmin');
    expect(await heading(page)).toBe('Log in to the dashboard');
    expect(await page.locator('html').getAttribute('lang')).toBe('en');
    await screenshot(page, 'admin-01-login');

    await page.getByLabel('User name').pressSequentially(ADMIN_USER);
    await page.getByLabel('Password').pressSequentially(ADMIN_PASSWORD);
    const articles = await clickAndWait(page, page.getByRole('button', { name: 'Log in' }));
    expect(articles.status()).toBe(200);

    // 2. The articles list.
    expect(path(page)).toBe('/herald/admin/articles');
    expect(await heading(page)).toBe('Articles');
    const row = page.getByRole('row', { name: new RegExp(`^${TITLE}`) });
    expect(await row.count()).toBe(1);
    expect(await row.textContent()).toContain('newsletter: waiting for the digest');
    expect(await row.textContent()).toContain('tg-news: not due');
    expect(await page.getByRole('row', { name: new RegExp(`^${SECOND}`) }).count()).toBe(1);
    expect(unexpectedProblems(tab)).toEqual([]);
    await screenshot(page, 'admin-02-articles');

    // 3. One article: the three previews.
    expect((await clickAndWait(page, page.getByRole('link', { name: TITLE }))).status()).toBe(200);
    expect(path(page)).toBe('/herald/admin/articles/posts%2Feurope-ai');
    expect(await heading(page)).toBe(TITLE);
    const telegram = page.getByRole('figure', { name: 'Telegram post (approximation)' });
    expect(await telegram.textContent()).toContain(TITLE);
    const discord = page.getByRole('figure', { name: 'Discord message (approximation)' });
    expect(await discord.locator('.dc-title').textContent()).toBe(TITLE);
    expect(await discord.textContent()).toContain('The Commission received 76 expressions of interest & more.');
    const email = await frameText(page, 'Email preview for newsletter', TITLE);
    expect(email).toContain('The Commission received 76 expressions of interest & more.');
    expect(unexpectedProblems(tab)).toEqual([]);
    await screenshot(page, 'admin-03-article-preview');

    // 4. "Send now" for Telegram: the page comes back with the result.
    const tgCard = page.getByRole('region', { name: /^tg-news/ });
    expect(await tgCard.textContent()).toContain('Delivery: not due');
    const sent = await clickAndWait(page, page.getByRole('button', { name: 'Send now to tg-news' }));
    expect(sent.status()).toBe(200);
    expect(sent.request().redirectedFrom()?.method()).toBe('POST');
    expect(path(page)).toBe('/herald/admin/articles/posts%2Feurope-ai');
    const flash = page.getByRole('status');
    expect(await flash.textContent()).toContain('posts/europe-ai: sent to tg-news.');
    expect(await flash.textContent()).toContain('tg-news: 1 sent, 0 failed, 0 left pending for a later attempt');

    await tg.waitForMessages(1);
    expect(tg.messages).toHaveLength(1);
    const [message] = tg.messages;
    expect(message!.chatId).toBe('@news');
    expect(JSON.stringify(message!.body)).toContain('gigafactory');
    const messageId = String(message!.message_id);
    expect(await tgCard.textContent()).toMatch(new RegExp(`Delivery: sent · .+ · message id ${messageId}\\b`));
    expect(await tgCard.locator('code').first().textContent()).toBe(messageId);
    // Sending again now needs a deliberate tick.
    expect(await tgCard.getByRole('button', { name: 'Send again' }).count()).toBe(1);
    // The page that came back shows the email preview again (a frame still loading when the editor
    // moves on is cancelled by the browser, which is no fault of the page).
    expect(await frameText(page, 'Email preview for newsletter', TITLE)).toContain(TITLE);
    expect(unexpectedProblems(tab)).toEqual([]);
    await screenshot(page, 'admin-04-article-sent');

    // 5. The list shows the delivery too.
    await clickAndWait(page, page.getByRole('link', { name: '← Articles' }));
    expect(path(page)).toBe('/herald/admin/articles');
    expect(await row.textContent()).toMatch(new RegExp(`tg-news: sent .+ message id ${messageId}\\b`));
    expect(await page.getByRole('row', { name: new RegExp(`^${SECOND}`) }).textContent()).toContain('tg-news: not due');
    await screenshot(page, 'admin-05-articles-after-send');

    // 6. Digests: Monday's digest as readers will get it.
    await clickAndWait(page, page.getByRole('navigation', { name: 'Dashboard' }).getByRole('link', { name: 'Digests' }));
    expect(path(page)).toBe('/herald/admin/digests');
    expect(await heading(page)).toBe('Digests');
    const digest = page.getByRole('region', { name: /^newsletter/ });
    expect(await digest.getByRole('listitem').allTextContents()).toEqual([expect.stringContaining(SECOND), expect.stringContaining(TITLE)]);
    const digestHtml = await frameText(page, "Preview of newsletter's next digest", SECOND);
    expect(digestHtml).toContain(TITLE);
    expect(unexpectedProblems(tab)).toEqual([]);
    await screenshot(page, 'admin-06-digests');

    // 7. Deliveries: the Telegram post, sent, with its message id.
    await clickAndWait(page, page.getByRole('navigation', { name: 'Dashboard' }).getByRole('link', { name: 'Deliveries' }));
    expect(path(page)).toBe('/herald/admin/deliveries');
    expect(await heading(page)).toBe('Deliveries');
    const delivery = page.getByRole('region', { name: /^Latest/ }).getByRole('row', { name: /tg-news/ });
    expect(await delivery.count()).toBe(1);
    expect(await delivery.getByRole('cell').allTextContents()).toEqual(['tg-news', 'posts/europe-ai', 'chat:@news', 'sent', expect.any(String), messageId]);
    expect(await delivery.getByRole('link', { name: 'europe-ai' }).getAttribute('href')).toBe('/herald/admin/articles/posts%2Feurope-ai');
    expect(unexpectedProblems(tab)).toEqual([]);
    await screenshot(page, 'admin-07-deliveries');

    // 8. Subscribers: counts, and a search typed in the box.
    await clickAndWait(page, page.getByRole('navigation', { name: 'Dashboard' }).getByRole('link', { name: 'Subscribers' }));
    expect(path(page)).toBe('/herald/admin/subscribers');
    expect(await heading(page)).toBe('Subscribers');
    expect(await page.getByRole('table', { name: 'Subscribers by status' }).getByRole('cell').allTextContents()).toEqual(['2', '0', '0', '0', '0']);
    await page.getByLabel('Email address or name contains').pressSequentially('alice');
    await clickAndWait(page, page.getByRole('button', { name: 'Search' }));
    expect(path(page)).toBe('/herald/admin/subscribers?q=alice');
    const results = page.getByRole('table', { name: '1 subscriber matches "alice"' });
    expect(await results.getByRole('rowheader').allTextContents()).toEqual(['alice@example.com']);
    expect(unexpectedProblems(tab)).toEqual([]);
    await screenshot(page, 'admin-08-subscribers');

    // 9. One subscriber: their consent history, and unsubscribing them for the reader.
    await clickAndWait(page, results.getByRole('link', { name: 'alice@example.com' }));
    expect(path(page)).toMatch(/^\/herald\/admin\/subscribers\/\d+$/);
    expect(await heading(page)).toBe('alice@example.com');
    expect(await page.getByRole('table', { name: '1 change' }).getByRole('cell').allTextContents()).toEqual(['→ active', 'editor', '', '']);
    await clickAndWait(page, page.getByRole('button', { name: 'Unsubscribe this address' }));
    expect(await page.getByRole('status').textContent()).toContain('alice@example.com is unsubscribed.');
    expect(await page.getByRole('table', { name: '2 changes' }).getByRole('cell').allTextContents()).toEqual(['→ active', 'editor', '', '', 'active → unsubscribed', 'editor', '', 'dashboard (editor)']);
    expect(unexpectedProblems(tab)).toEqual([]);
    await screenshot(page, 'admin-09-subscriber');
  });
});
