/**
 * An editor in a real browser looks at an address that bounced hard: its reports, and taking it
 * back, which the form refuses until the confirmation is ticked.
 */
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ADMIN_PASSWORD, ADMIN_USER, dashboardChannels, DASHBOARD_ARTICLES } from '../server/admin/helpers.ts';
import { startTelegramApi, type TestTelegramApi } from '../helpers/telegram-api.ts';
import { clickAndWait, hasChromium, launchBrowser, openTab, SKIP_NOTE, screenshot, type Tab } from './browser.ts';
import { startWebHerald, type WebHerald } from './herald-server.ts';

let browser: Browser;
let tg: TestTelegramApi;
let t: WebHerald;
let tab: Tab | undefined;
let id: number;

beforeAll(async () => {
  if (!hasChromium) return;
  tg = await startTelegramApi({ tokens: ['123456:ABC-secret-token'] });
  t = await startWebHerald({
    language: 'en',
    start: '2025-07-02T01:00:00Z',
    env: { HERALD_ADMIN_USER: ADMIN_USER, HERALD_ADMIN_PASSWORD: ADMIN_PASSWORD },
    channels: dashboardChannels('{smtp}', tg.apiRoot),
    articles: DASHBOARD_ARTICLES,
  });
  const { subscriber } = await t.h.store.upsertSubscriber({ email: 'gone@example.net', name: 'Gone', status: 'active' }, t.clock.now);
  id = subscriber.id;
  await t.h.store.recordBounce(
    { key: 'b1', source: 'imap', type: 'hard', code: '5.1.1', diagnostic: '550 5.1.1 <gone@example.net>: Recipient address rejected: User unknown', recipient: 'gone@example.net', subscriberId: id },
    t.h.config.bounces.policy,
    t.clock.now,
  );
  browser = await launchBrowser();
});
afterAll(async () => {
  await tab?.close();
  await browser?.close();
  await t?.close();
  await tg?.close();
});

const heading = (page: Page) => page.getByRole('heading', { level: 1 }).textContent();

describe.skipIf(!hasChromium)(`bounces in the dashboard, in Chromium${SKIP_NOTE}`, () => {
  it('shows why the address stopped; reactivating a hard bounce needs the box ticked', async () => {
    tab = await openTab(browser, { proxy: { publicUrl: t.publicUrl, origin: t.origin } });
    const { page } = tab;
    await page.goto(`${t.origin}/herald/admin/subscribers/${id}`);
    await page.getByLabel('User name').pressSequentially(ADMIN_USER);
    await page.getByLabel('Password').pressSequentially(ADMIN_PASSWORD);
    await clickAndWait(page, page.getByRole('button', { name: 'Log in' }));
    expect(await heading(page)).toBe('gone@example.net');

    const reports = page.getByRole('table', { name: '1 report' });
    expect(await reports.getByRole('cell').allTextContents()).toEqual([
      'hard bounce',
      'bounce mailbox',
      '5.1.1',
      '550 5.1.1 <gone@example.net>: Recipient address rejected: User unknown',
      '→ bounced',
    ]);
    await screenshot(page, 'admin-10-bounced-subscriber');

    // Without the tick the browser does not even send the form.
    const button = page.getByRole('button', { name: 'Reactivate this address' });
    await button.click();
    expect(await page.getByLabel('I know this address works again').evaluate((e) => (e as unknown as { validity: { valueMissing: boolean } }).validity.valueMissing)).toBe(true);
    expect((await t.h.store.getSubscriberById(id))?.status).toBe('bounced');

    await page.getByLabel('I know this address works again').check();
    await clickAndWait(page, button);
    expect(await page.getByRole('status').textContent()).toContain('gone@example.net is active again.');
    expect((await t.h.store.getSubscriberById(id))?.status).toBe('active');
    expect(await page.getByRole('table', { name: '3 changes' }).getByRole('cell').allTextContents()).toContain('bounced → active');
    expect(tab.problemsOn().filter((p) => !p.includes('/img/'))).toEqual([]);
  });
});
