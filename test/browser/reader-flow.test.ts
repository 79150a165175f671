/**
 * A reader in a real browser: signs up on /subscribe, confirms from the email, gets a digest,
 * unsubscribes from the link in it, and gets no more digests. Emails are read back from a
 * real SMTP server on loopback; their links (under https://news.example.com/herald/, the
 * public URL) are opened in the browser, which reaches the test server through the
 * proxy emulation of browser.ts.
 */
import { type ParsedMail, simpleParser } from 'mailparser';
import type { Browser, Page } from 'playwright-core';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { runPass } from '../../src/pipeline/dispatch.ts';
import { seedArticle } from '../helpers/site.ts';
import type { ReceivedMessage } from '../helpers/smtp-server.ts';
import {
  clickAndWait,
  controlLabels,
  followLink,
  hasChromium,
  horizontalOverflow,
  launchBrowser,
  openTab,
  SKIP_NOTE,
  screenshot,
  stylesheetApplied,
  type Tab,
} from './browser.ts';
import { DAY, startWebHerald, type WebHerald } from './herald-server.ts';

const SITE = '测试新闻';
const READER = 'reader@example.com';
const CONTROL = 'carol@example.com';

/** Published well before the first run: baseline, never mailed, but their topics are on offer. */
const ARTICLES = {
  'posts/chips-old.md': seedArticle({ title: 'Older chip news', date: '2025-06-20T08:00:00+08:00', slug: 'chips-old', topics: ['Chips'] }),
  'posts/match.md': seedArticle({ title: 'Match report', date: '2025-06-21T08:00:00+08:00', slug: 'match', topics: ['Sport'] }),
};

let browser: Browser;
let tab: Tab | undefined;

beforeAll(async () => {
  if (hasChromium) browser = await launchBrowser();
});
afterAll(async () => {
  await browser?.close();
});
afterEach(async () => {
  await tab?.close();
  tab = undefined;
});

const htmlLang = (page: Page) => page.locator('html').getAttribute('lang');
const heading = (page: Page) => page.getByRole('heading', { level: 1 }).textContent();

/** The mails one address received among `messages`, parsed. */
async function mailsTo(messages: ReceivedMessage[], address: string): Promise<ParsedMail[]> {
  return Promise.all(messages.filter((m) => m.envelope.to.includes(address)).map((m) => simpleParser(m.raw)));
}

/** A header as written (mailparser turns List-* headers into objects). */
function rawHeader(mail: ParsedMail, key: string): string | undefined {
  return mail.headerLines
    .find((h) => h.key === key)
    ?.line.replace(/^[^:]+:\s*/, '')
    .replace(/\r\n\s+/g, ' ');
}

/** Shows an email's HTML in the tab, as a webmail would, so the test can click its links. */
async function openEmail(t: Tab, mail: ParsedMail): Promise<void> {
  expect(typeof mail.html).toBe('string');
  await t.page.setContent(mail.html as string, { waitUntil: 'load' });
  // Whatever the email itself loads from other hosts (blocked) is not the reader pages' concern.
  t.problems.length = 0;
}

/** Asserts the page in the tab is a healthy reader page: the site's language, its stylesheet, no console or network errors. */
async function expectReaderPage(t: Tab, lang: string): Promise<void> {
  expect(await htmlLang(t.page)).toBe(lang);
  expect(t.problemsOn(), 'console and network problems').toEqual([]);
  expect(await stylesheetApplied(t.page), 'the reader page stylesheet applies').toBe(true);
}

describe.skipIf(!hasChromium)(`reader pages in Chromium${SKIP_NOTE}`, () => {
  describe('an English site', () => {
    let t: WebHerald;
    beforeAll(async () => {
      t = await startWebHerald({ language: 'en', articles: ARTICLES });
      await t.h.store.upsertSubscriber({ email: CONTROL, name: 'Carol', status: 'active' }, t.clock.now);
      // The channel's first run: old articles become baseline, nothing is sent.
      const first = await runPass(t.h, { channels: ['news'] });
      expect(first.plans[0]).toMatchObject({ firstContact: true, baseline: ['posts/chips-old', 'posts/match'] });
      expect(t.smtp.messages).toHaveLength(0);
    });
    afterAll(async () => {
      await t?.close();
    });

    it('signs up, confirms, gets a digest, unsubscribes from it, and gets no more digests', async () => {
      tab = await openTab(browser, { proxy: { publicUrl: t.publicUrl, origin: t.origin } });
      let { page } = tab;
      const statusOf = async () => (await t.h.store.getSubscriber(READER))?.status;

      // 1. The sign-up form, at its public address.
      const form = await page.goto(`${t.publicUrl}subscribe`);
      expect(form?.status()).toBe(200);
      expect(await heading(page)).toBe(`Subscribe to ${SITE}`);
      await expectReaderPage(tab, 'en');
      await page.getByLabel('Email address').fill(READER);
      await page.getByLabel('Name (optional)').fill('Ada Reader');
      await page.getByRole('checkbox', { name: 'Chips' }).check();
      expect(await page.getByRole('checkbox', { name: 'Sport' }).isChecked()).toBe(false);
      await screenshot(page, 'reader-01-subscribe');

      const sent = await clickAndWait(page, page.getByRole('button', { name: 'Subscribe' }));
      expect(sent.request().method()).toBe('POST');
      expect(sent.status()).toBe(200);
      expect(await heading(page)).toBe('Check your inbox');
      expect(await page.locator('main').textContent()).toContain(READER);
      await expectReaderPage(tab, 'en');
      await screenshot(page, 'reader-02-check-inbox');
      expect(await t.h.store.getSubscriber(READER)).toMatchObject({ status: 'pending', name: 'Ada Reader', topics: ['Chips'] });

      // 2. The confirmation email: its button and its plain-text link are the same signed URL.
      await t.smtp.waitForMessages(1);
      expect(t.smtp.messages[0]!.envelope.to).toEqual([READER]);
      const [confirmMail] = await mailsTo(t.smtp.messages, READER);
      expect(confirmMail!.subject).toBe(`Confirm your subscription to ${SITE}`);
      const confirmUrl = new RegExp(`${t.publicUrl.replace(/[.?/]/g, '\\$&')}confirm/[A-Za-z0-9_-]+\\.[A-Za-z0-9_-]+`).exec(confirmMail!.text ?? '')?.[0];
      expect(confirmUrl, confirmMail!.text).toBeDefined();
      await openEmail(tab, confirmMail!);
      const button = page.getByRole('link', { name: 'Confirm my subscription' });
      expect(await button.getAttribute('href')).toBe(confirmUrl);

      // The link opens a page with one button (mail scanners open links too: opening confirms nothing).
      const opened = await followLink(tab, button);
      ({ page } = tab);
      expect(opened.request().method()).toBe('GET');
      expect(opened.status()).toBe(200);
      expect(page.url()).toBe(confirmUrl);
      expect(await heading(page)).toBe(`Confirm your subscription to ${SITE}`);
      expect(await page.locator('main').textContent()).toContain('Topics: Chips');
      expect(await page.getByRole('button').count()).toBe(1);
      await expectReaderPage(tab, 'en');
      await screenshot(page, 'reader-03-confirm');
      expect(await statusOf(), 'opening the confirmation link (GET) must not confirm').toBe('pending');

      const welcome = await clickAndWait(page, page.getByRole('button', { name: 'Confirm my subscription' }));
      expect(welcome.request().method()).toBe('POST');
      expect(welcome.status()).toBe(200);
      expect(page.url()).toBe(confirmUrl);
      expect(await heading(page)).toBe(`Welcome to ${SITE}!`);
      expect(await page.locator('main').textContent()).toContain('re…@example.com');
      await expectReaderPage(tab, 'en');
      await screenshot(page, 'reader-03-welcome');
      expect(await statusOf()).toBe('active');

      // 3. The preferences page linked from the welcome page shows what was chosen at sign-up.
      const prefs = await clickAndWait(page, page.getByRole('link', { name: 'Choose topics or pause emails' }));
      expect(prefs.status()).toBe(200);
      expect(new URL(page.url()).pathname).toMatch(/^\/herald\/preferences\//);
      expect(await heading(page)).toBe('Your subscription');
      expect(await page.getByLabel('Name (optional)').inputValue()).toBe('Ada Reader');
      expect(await page.getByRole('checkbox', { name: 'Chips' }).isChecked()).toBe(true);
      expect(await page.getByRole('checkbox', { name: 'Sport' }).isChecked()).toBe(false);
      expect(await page.getByRole('checkbox', { name: 'Pause all emails (your choices are kept)' }).isChecked()).toBe(false);
      await expectReaderPage(tab, 'en');
      await screenshot(page, 'reader-04-preferences');

      // 4. An article is published; the next morning's digest goes out on schedule.
      t.site.write('posts/fab.md', seedArticle({ title: 'New chip fab announced', date: '2025-07-03T10:00:00+08:00', slug: 'fab', topics: ['Chips'] }));
      t.clock.advance(DAY + 60_000);
      const before = t.smtp.messages.length;
      const pass = await runPass(t.h, { channels: ['news'] });
      expect(pass.errors).toEqual([]);
      expect(pass.digests[0]).toMatchObject({ articles: ['posts/fab'], recipients: 2 });
      await t.smtp.waitForMessages(before + 2);
      const [digest] = await mailsTo(t.smtp.messages.slice(before), READER);
      expect(digest).toBeDefined();
      expect(digest!.html).toContain('New chip fab announced');
      const headerUrl = /<(https:[^>]+)>/.exec(rawHeader(digest!, 'list-unsubscribe') ?? '')?.[1];
      expect(headerUrl).toMatch(new RegExp(`^${t.publicUrl.replace(/[.?/]/g, '\\$&')}unsubscribe/`));
      expect(rawHeader(digest!, 'list-unsubscribe-post')).toBe('List-Unsubscribe=One-Click');

      // 5. The reader clicks "Unsubscribe" in the email: a page with one button, and nothing changed yet.
      await openEmail(tab, digest!);
      const unsubscribeLink = page.getByRole('link', { name: 'Unsubscribe', exact: true });
      expect(await unsubscribeLink.getAttribute('href')).toBe(headerUrl);
      const confirmPage = await followLink(tab, unsubscribeLink);
      ({ page } = tab);
      expect(confirmPage.request().method()).toBe('GET');
      expect(confirmPage.status()).toBe(200);
      expect(page.url()).toBe(headerUrl);
      expect(await heading(page)).toBe(`Unsubscribe from ${SITE}`);
      expect(await page.locator('main').textContent()).toContain('re…@example.com');
      expect(await page.getByRole('button').count()).toBe(1);
      await expectReaderPage(tab, 'en');
      await screenshot(page, 'reader-05-unsubscribe');
      expect(await statusOf(), 'opening the unsubscribe link (GET) must not unsubscribe').toBe('active');

      const done = await clickAndWait(page, page.getByRole('button', { name: 'Unsubscribe' }));
      expect(done.request().method()).toBe('POST');
      expect(done.status()).toBe(200);
      expect(await heading(page)).toBe('You are unsubscribed');
      expect(await page.locator('main').textContent()).toContain('re…@example.com will get no more emails');
      await expectReaderPage(tab, 'en');
      await screenshot(page, 'reader-06-unsubscribed');
      expect(await statusOf()).toBe('unsubscribed');
      // Its link back to the form stays under the public URL (relative links behind the proxy's path prefix).
      await clickAndWait(page, page.getByRole('link', { name: 'Changed your mind? Subscribe again' }));
      expect(page.url()).toBe(`${t.publicUrl}subscribe`);
      expect(await heading(page)).toBe(`Subscribe to ${SITE}`);
      await expectReaderPage(tab, 'en');

      // 6. The next digest reaches the other subscriber, not the reader.
      t.site.write('posts/fab2.md', seedArticle({ title: 'Second chip story', date: '2025-07-04T10:00:00+08:00', slug: 'fab2', topics: ['Chips'] }));
      t.clock.advance(DAY);
      const before2 = t.smtp.messages.length;
      const pass2 = await runPass(t.h, { channels: ['news'] });
      expect(pass2.errors).toEqual([]);
      expect(pass2.digests[0]).toMatchObject({ articles: ['posts/fab2'], recipients: 1 });
      await t.smtp.waitForMessages(before2 + 1);
      const later = t.smtp.messages.slice(before2);
      expect(later.flatMap((m) => m.envelope.to)).toEqual([CONTROL]);
      const [controlMail] = await mailsTo(later, CONTROL);
      expect(controlMail!.html).toContain('Second chip story');
      expect(await mailsTo(later, READER)).toEqual([]);
    });

    it('labels every field of the sign-up form and fits a 375 px wide phone screen', async () => {
      tab = await openTab(browser, { proxy: { publicUrl: t.publicUrl, origin: t.origin }, viewport: { width: 375, height: 812 } });
      const { page } = tab;
      expect((await page.goto(`${t.publicUrl}subscribe`))?.status()).toBe(200);
      await expectReaderPage(tab, 'en');

      const controls = await controlLabels(page);
      expect(controls.map((c) => c.name)).toEqual(['email', 'name', 'topics', 'topics', 'topics', 'website']);
      for (const c of controls) expect(c.labels, `input #${c.id} has a label`).toHaveLength(1);
      // Found by their labels, as a screen reader announces them.
      for (const name of ['Email address', 'Name (optional)', 'AI', 'Chips', 'Sport'])
        expect(await page.getByLabel(name, { exact: true }).count(), name).toBe(1);
      expect(await page.getByRole('group', { name: 'Topics (optional)' }).count()).toBe(1);

      const { scrollWidth, clientWidth } = await horizontalOverflow(page);
      expect(clientWidth).toBe(375);
      expect(scrollWidth, 'no horizontal scrolling at 375 px').toBeLessThanOrEqual(clientWidth);
      // The email field uses the width there is.
      const box = await page.getByLabel('Email address').boundingBox();
      expect(box!.x).toBeGreaterThanOrEqual(0);
      expect(box!.x + box!.width).toBeLessThanOrEqual(375);
      expect(box!.width).toBeGreaterThan(250);
      await screenshot(page, 'reader-subscribe-375px');
    });
  });

  describe('a Chinese site (language: zh-CN)', () => {
    let t: WebHerald;
    beforeAll(async () => {
      t = await startWebHerald({
        language: 'zh-CN',
        articles: { 'posts/chips.md': seedArticle({ title: '芯片', date: '2025-07-01T08:00:00+08:00', slug: 'chips', topics: ['算力与芯片'] }) },
      });
    });
    afterAll(async () => {
      await t?.close();
    });

    it('renders the sign-up form in Chinese', async () => {
      tab = await openTab(browser, { proxy: { publicUrl: t.publicUrl, origin: t.origin } });
      const { page } = tab;
      expect((await page.goto(`${t.publicUrl}subscribe`))?.status()).toBe(200);
      await expectReaderPage(tab, 'zh-CN');
      expect(await heading(page)).toBe(`订阅 ${SITE}`);
      expect(await page.title()).toContain(SITE);
      expect(await page.getByLabel('邮箱地址').count()).toBe(1);
      expect(await page.getByLabel('称呼（可选）').count()).toBe(1);
      expect(await page.getByRole('checkbox', { name: '算力与芯片' }).count()).toBe(1);
      expect(await page.getByRole('button', { name: '订阅' }).count()).toBe(1);
      expect(await page.locator('main').textContent()).not.toMatch(/Subscribe|Email address/);
      await screenshot(page, 'reader-subscribe-zh-CN');
    });
  });
});
