/**
 * Browser tests drive Debian's Chromium through playwright-core (no downloaded browsers).
 *
 *   describe.skipIf(!hasChromium)(`reader pages${SKIP_NOTE}`, () => {
 *     beforeAll(async () => { browser = await launchBrowser(); });
 *     const tab = await openTab(browser, { proxy: { publicUrl: t.publicUrl, origin: t.origin } });
 *     await clickAndWait(tab.page, tab.page.getByRole('button', { name: 'Subscribe' }));
 *     await screenshot(tab.page, 'subscribe');
 *
 * The browser never leaves loopback: every request to another host is aborted (and listed
 * in `tab.problems`). With `proxy`, URLs under Herald's public URL (https://news.example.com/herald/,
 * as in the emails) are answered by the test server, like the reverse proxy in front of
 * Herald would: the test can open the exact links from the emails.
 */
import { existsSync, mkdirSync } from 'node:fs';
import path from 'node:path';
import { type Browser, type BrowserContext, chromium, type Locator, type Page, type Request, type Response } from 'playwright-core';
import { PROJECT_ROOT } from '../../src/util/project-root.ts';

export const CHROMIUM = '/usr/bin/chromium';
export const hasChromium = existsSync(CHROMIUM);
/** Appended to the describe titles, so a skipped run says why. */
export const SKIP_NOTE = hasChromium ? '' : ` (SKIPPED: ${CHROMIUM} not found; install Debian's chromium package to run the browser tests)`;
if (!hasChromium) console.warn(`browser tests skipped: ${CHROMIUM} not found (apt-get install chromium fonts-noto-cjk)`);

export const SCREENSHOT_DIR = path.join(PROJECT_ROOT, 'test-artifacts', 'screenshots');

export function launchBrowser(): Promise<Browser> {
  return chromium.launch({
    executablePath: CHROMIUM,
    args: [
      '--no-sandbox',
      '--disable-gpu',
      '--disable-background-networking',
      '--disable-component-update',
      '--disable-sync',
      '--no-first-run',
      // Belt and braces for the request routing below (a redirect's next hop is not routed): no DNS lookups at all.
      '--host-resolver-rules=MAP * ~NOTFOUND, EXCLUDE 127.0.0.1',
    ],
  });
}

export interface Tab {
  context: BrowserContext;
  /** The tab's page; a link that opens a new tab (target=_blank) replaces it (see followLink). */
  page: Page;
  /**
   * What went wrong, page by page: requests aborted because they would have left loopback,
   * console errors, page errors, failed requests and 4xx/5xx subresources.
   */
  problems: Array<{ page: Page | undefined; text: string }>;
  /** The problems seen on one page (default: the current one). */
  problemsOn(page?: Page): string[];
  close(): Promise<void>;
}

export interface TabOptions {
  /** Answer URLs under `publicUrl` from `origin` + the rest of the path (a reverse proxy in front of Herald). */
  proxy?: { publicUrl: string; origin: string };
  viewport?: { width: number; height: number };
}

const LOOPBACK = /^http:\/\/127\.0\.0\.1:\d+\//;

function pageOf(r: Request): Page | undefined {
  try {
    return r.frame().page();
  } catch {
    return undefined; // a service worker's request
  }
}

export async function openTab(browser: Browser, opts: TabOptions = {}): Promise<Tab> {
  const context = await browser.newContext({ viewport: opts.viewport ?? { width: 1280, height: 900 }, serviceWorkers: 'block' });
  const problems: Tab['problems'] = [];
  await context.route('**/*', async (route) => {
    const request = route.request();
    const url = request.url();
    const proxy = opts.proxy;
    if (proxy && url.startsWith(proxy.publicUrl)) {
      // What the proxy does: same method, headers and body, path prefix stripped, redirects passed on.
      try {
        const response = await route.fetch({ url: `${proxy.origin}/${url.slice(proxy.publicUrl.length)}`, maxRedirects: 0 });
        return await route.fulfill({ response });
      } catch (e) {
        // The server is unreachable, or the page went away meanwhile (then the abort fails too: nothing waits for it).
        problems.push({ page: pageOf(request), text: `proxy: ${url}: ${(e as Error).message}` });
        return route.abort('failed').catch(() => {});
      }
    }
    if (LOOPBACK.test(url)) return route.continue();
    problems.push({ page: pageOf(request), text: `blocked (not loopback): ${url}` });
    return route.abort('blockedbyclient');
  });
  context.on('console', (m) => {
    // Chromium reports each blocked request on the console too; it is already listed above.
    if (m.type() === 'error' && !m.text().includes('net::ERR_BLOCKED_BY_CLIENT')) problems.push({ page: m.page() ?? undefined, text: `console: ${m.text()}` });
  });
  context.on('weberror', (e) => problems.push({ page: e.page() ?? undefined, text: `page error: ${e.error().message}` }));
  context.on('requestfailed', (r) => {
    const text = r.failure()?.errorText ?? '';
    if (!text.startsWith('net::ERR_BLOCKED_BY_CLIENT')) problems.push({ page: pageOf(r), text: `request failed: ${r.method()} ${r.url()} ${text}` });
  });
  context.on('response', (r) => {
    const request = r.request();
    if (r.status() >= 400 && !request.isNavigationRequest())
      problems.push({ page: pageOf(request), text: `HTTP ${r.status()}: ${request.method()} ${r.url()}` });
  });
  // Well inside vitest's 60 s per test, so a stuck wait fails with Playwright's own explanation.
  context.setDefaultTimeout(20_000);
  const tab: Tab = {
    context,
    page: await context.newPage(),
    problems,
    problemsOn: (page = tab.page) => problems.filter((p) => p.page === page).map((p) => p.text),
    close: () => context.close(),
  };
  return tab;
}

/** Click something that loads a new page in this tab (a link, a form's submit button) and wait for that page to load. */
export async function clickAndWait(page: Page, target: Locator): Promise<Response> {
  const [response] = await Promise.all([page.waitForNavigation({ waitUntil: 'load' }), target.click()]);
  if (!response) throw new Error('the click did not load a new page');
  return response;
}

/**
 * Click a link as a reader would, in the tab or, for target=_blank (the buttons in emails),
 * in the new tab it opens, which then becomes `tab.page`. Resolves once that page has loaded.
 */
export async function followLink(tab: Tab, link: Locator): Promise<Response> {
  if ((await link.getAttribute('target')) !== '_blank') return clickAndWait(tab.page, link);
  const href = await link.evaluate((a: { href: string }) => a.href);
  const [popup, response] = await Promise.all([
    tab.context.waitForEvent('page'),
    tab.context.waitForEvent('response', (r) => r.url() === href && r.request().isNavigationRequest()),
    link.click(),
  ]);
  await popup.waitForLoadState('load');
  await tab.page.close();
  tab.page = popup;
  return response;
}

/** A full-page PNG under test-artifacts/screenshots/. */
export async function screenshot(page: Page, name: string): Promise<string> {
  mkdirSync(SCREENSHOT_DIR, { recursive: true });
  const file = path.join(SCREENSHOT_DIR, `${name}.png`);
  await page.screenshot({ path: file, fullPage: true, animations: 'disabled' });
  return file;
}

/** Whether the page's own stylesheet loaded and applies (an unstyled page shows the honeypot field and wide forms). */
export function stylesheetApplied(page: Page): Promise<boolean> {
  return page.evaluate<boolean>(`(() => {
    const sheets = [...document.styleSheets].filter((s) => s.href && s.href.endsWith('/assets/herald.css'));
    try {
      return sheets.length === 1 && sheets[0].cssRules.length > 0 && getComputedStyle(document.querySelector('main')).maxWidth !== 'none';
    } catch {
      return false; // a sheet that failed to load has no readable rules
    }
  })()`);
}

/** No horizontal scrolling: the page fits the viewport's width. */
export function horizontalOverflow(page: Page): Promise<{ scrollWidth: number; clientWidth: number }> {
  return page.evaluate<{ scrollWidth: number; clientWidth: number }>(
    '({ scrollWidth: document.documentElement.scrollWidth, clientWidth: document.documentElement.clientWidth })',
  );
}

/** Every visible form control (not type=hidden) and how many <label>s point at it. */
export function controlLabels(page: Page): Promise<Array<{ id: string; name: string; labels: string[] }>> {
  return page.evaluate<Array<{ id: string; name: string; labels: string[] }>>(`[...document.querySelectorAll('input, select, textarea')]
    .filter((e) => e.type !== 'hidden')
    .map((e) => ({ id: e.id, name: e.name, labels: [...e.labels].map((l) => l.textContent.trim()) }))`);
}
