/**
 * A bilingual Hugo site read through content.site, end to end: the real CLI, a real SMTP
 * server and a Telegram API on loopback. Readers get each page once, in their language
 * when the site has it, with that language's interface strings; channels take only
 * the languages they name.
 */
import { mkdirSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import type { ParsedMail } from 'mailparser';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { herald } from '../helpers/cli.ts';
import { SECRET } from '../helpers/site.ts';
import { startSmtpServer, type TestSmtpServer } from '../helpers/smtp-server.ts';
import { startTelegramApi, type TestTelegramApi } from '../helpers/telegram-api.ts';

const TOKEN = '123456:language-test-token';
const T0 = '2025-07-02T07:00:00+08:00'; // first run: nothing old is sent
const T1 = '2025-07-03T08:01:00+08:00'; // after the first digest time
const T2 = '2025-07-04T08:01:00+08:00'; // after the second

let smtp: TestSmtpServer;
let tg: TestTelegramApi;
let dir: string;

const page = (fm: string, body = 'Body.\n') => `---\n${fm.trim()}\n---\n\n${body}`;

function write(rel: string, text: string): void {
  const file = path.join(dir, rel);
  mkdirSync(path.dirname(file), { recursive: true });
  writeFileSync(file, text);
}

const env = (now: string) => ({ HERALD_CONFIG: path.join(dir, 'herald.yaml'), HERALD_SECRET: SECRET, HERALD_NOW: now });
const run = (args: string[], now: string) => herald(args, { cwd: dir, env: env(now) });
const to = (m: ParsedMail) => (Array.isArray(m.to) ? m.to[0] : m.to)!.value[0]!.address as string;

beforeEach(async () => {
  smtp = await startSmtpServer();
  tg = await startTelegramApi({ tokens: [TOKEN] });
  dir = mkdtempSync(path.join(tmpdir(), 'herald-languages-'));
  write(
    'site/hugo.toml',
    [
      'baseURL = "https://example.com/"',
      'title = "Example"',
      'timeZone = "Asia/Shanghai"',
      'defaultContentLanguage = "en"',
      '[languages.en]',
      'weight = 1',
      '[languages.zh]',
      'weight = 2',
      'languageCode = "zh-CN"',
      'languageName = "中文"',
      'title = "示例"',
      '[languages.ja]',
      'weight = 3',
      '[permalinks]',
      'posts = "/:year/:month/:slug/"',
      '',
    ].join('\n'),
  );
  write('site/content/posts/old.md', page('title: Old\ndate: 2025-06-01T00:00:00+08:00'));
  write(
    'herald.yaml',
    `content:
  site: site
store:
  url: sqlite:data/herald.db
server:
  port: 0
  publicUrl: https://example.com/herald/
outbox: outbox
delivery:
  giveUpAfter: 2s
channels:
  news:
    type: email
    smtp: ${smtp.url}
    from: "Example <news@example.com>"
    schedule: "0 8 * * *"
  tg-zh:
    type: telegram
    token: "${TOKEN}"
    chat: "@zh_news"
    apiRoot: ${tg.apiRoot}
    languages: [zh]
    pace: { perChat: 6000, perToken: 100 }
`,
  );
  write('readers.csv', 'email,name,topics,language\nen@example.com,,,\nzh@example.com,,,zh\nja@example.com,,,ja\n');
  const imported = await run(['subscribers', 'import', path.join(dir, 'readers.csv')], T0);
  expect(imported.code, imported.stderr).toBe(0);
  expect((await run(['dispatch'], T0)).code).toBe(0);
});

afterEach(async () => {
  await smtp.close();
  await tg.close();
});

describe('a multilingual site', () => {
  it("gives every reader one version of each page, in their language when there is one, with their language's interface strings", async () => {
    write('site/content/posts/both.md', page('title: Both languages\ndate: 2025-07-02T09:00:00+08:00'));
    write('site/content/posts/both.zh.md', page('title: 两种语言\ndate: 2025-07-02T09:00:00+08:00'));
    write('site/content/posts/en-only.md', page('title: English only\ndate: 2025-07-02T10:00:00+08:00'));
    write('site/content/posts/trip/index.md', page('title: Trip\ndate: 2025-07-02T11:00:00+08:00'));
    write('site/content/posts/trip/index.ja.md', page('title: 旅行 (ja)\ndate: 2025-07-02T11:00:00+08:00'));
    const r = await run(['dispatch'], T1);
    expect(r.code, r.stderr).toBe(0);
    const mails = new Map((await smtp.parsed()).map((m) => [to(m), m]));
    expect([...mails.keys()].sort()).toEqual(['en@example.com', 'ja@example.com', 'zh@example.com']);

    const en = String(mails.get('en@example.com')!.html);
    expect(en).toContain('Both languages');
    expect(en).toContain('English only');
    expect(en).toContain('>Trip<');
    expect(en).not.toContain('两种语言');
    expect(en).toContain('Read more');

    // Chinese reader: the Chinese version, the English page that has no Chinese one, Chinese strings and the zh site title.
    const zh = mails.get('zh@example.com')!;
    expect(String(zh.html)).toContain('两种语言');
    expect(String(zh.html)).toContain('https://example.com/zh/2025/07/%E4%B8%A4%E7%A7%8D%E8%AF%AD%E8%A8%80/');
    expect(String(zh.html)).not.toContain('Both languages');
    expect(String(zh.html)).toContain('English only');
    expect(String(zh.html)).toContain('阅读全文');
    expect(zh.subject).toContain('示例');

    // Japanese has no bundled interface strings: English ones, but the Japanese page.
    const ja = String(mails.get('ja@example.com')!.html);
    expect(ja).toContain('旅行 (ja)');
    expect(ja).not.toContain('>Trip<');
    expect(ja).toContain('Both languages');
    expect(ja).toContain('Read more');

    // The Chinese Telegram channel got the Chinese page only, in Chinese.
    expect(tg.messages.map((m) => String(m.body.text ?? m.body.caption))).toEqual([expect.stringContaining('两种语言')]);
    expect(String(tg.messages[0]?.body.text)).toContain('阅读全文');
  });

  it('never sends a reader a second translation of a page they already got', async () => {
    write('site/content/posts/first.md', page('title: First in English\ndate: 2025-07-02T09:00:00+08:00'));
    expect((await run(['dispatch'], T1)).code).toBe(0);
    const day1 = new Map((await smtp.parsed()).map((m) => [to(m), String(m.html)]));
    expect(day1.get('zh@example.com')).toContain('First in English');

    // The translation comes a day later: only a reader who never had the page could get it; all three had it.
    write('site/content/posts/first.zh.md', page('title: 第一篇\ndate: 2025-07-03T09:00:00+08:00'));
    write('site/content/posts/second.md', page('title: Second\ndate: 2025-07-03T09:00:00+08:00'));
    const r = await run(['dispatch'], T2);
    expect(r.code, r.stderr).toBe(0);
    const day2 = (await smtp.parsed()).slice(3);
    expect(day2.map(to).sort()).toEqual(['en@example.com', 'ja@example.com', 'zh@example.com']);
    for (const m of day2) {
      expect(String(m.html)).toContain('Second');
      expect(String(m.html)).not.toContain('第一篇');
      expect(String(m.html)).not.toContain('First in English');
    }
    // The Chinese channel has no reader history: it posts the Chinese page when it is published.
    expect(tg.messages.map((m) => String(m.body.text ?? m.body.caption))).toEqual([expect.stringContaining('第一篇')]);
  });

  it('lists languages and translations in `herald articles --json`, and every other file with its reason', async () => {
    write('site/content/posts/both.md', page('title: Both\ndate: 2025-07-02T09:00:00+08:00'));
    write('site/content/posts/both.zh.md', page('title: 两者\ndate: 2025-07-02T09:00:00+08:00'));
    write('site/content/posts/_index.zh.md', page('title: 文章'));
    write('site/content/posts/undated.md', page('title: No date'));
    write('site/content/posts/bundle/index.md', page('title: Headless\ndate: 2025-07-02\nheadless: true'));
    const r = await run(['articles', '--json'], T1);
    expect(r.code, r.stderr).toBe(0);
    const rows = JSON.parse(r.stdout) as Array<Record<string, unknown>>;
    const of = (file: string, language?: string) => rows.find((x) => x.file === file && (language === undefined || x.language === language));
    expect(of('posts/both.md')).toMatchObject({ id: 'posts/both', language: 'en', translationKey: 'page/posts/both', url: 'https://example.com/2025/07/both/' });
    expect(of('posts/both.zh.md')).toMatchObject({ id: 'posts/both.zh', language: 'zh', translationKey: 'page/posts/both', url: 'https://example.com/zh/2025/07/%E4%B8%A4%E8%80%85/' });
    expect(of('posts/_index.zh.md')).toMatchObject({ status: 'list-page', language: 'zh' });
    expect(of('posts/undated.md')).toMatchObject({ status: 'undated' });
    expect(of('posts/bundle/index.md')).toMatchObject({ status: 'headless' });

    // The next digest as a Chinese reader gets it.
    const preview = await run(['preview', '--digest', 'news', '--language', 'zh'], T1);
    expect(preview.code, preview.stderr).toBe(0);
    const html = readFileSync(preview.stdout.trim().split('\n').pop() as string, 'utf8');
    expect(html).toContain('两者');
    expect(html).not.toContain('>Both<');
    expect(html).toContain('阅读全文');

    const check = await run(['check'], T1);
    expect(check.code).toBe(0);
    expect(check.stdout).toContain(`site: Hugo site at ${path.join(dir, 'site')} (read hugo.toml)`);
    expect(check.stdout).toContain('  site.url = https://example.com/  (hugo.toml baseurl)');
    expect(check.stdout).toContain('  languages = en (default), zh at /zh/, ja at /ja/  (hugo.toml languages)');
    expect(check.stdout).toMatch(/3 article\(s\) OK, 0 problem\(s\), 0 warning\(s\), 3 other file\(s\) not articles/);
  });

  it('rejects a subscriber language the site does not have, on the CLI and in a CSV', async () => {
    const bad = await run(['subscribers', 'add', 'fr@example.com', '--language', 'fr'], T1);
    expect(bad.code).toBe(2);
    expect(bad.stderr).toContain('"fr" is not a language of the site (it has en, zh, ja)');
    const ok = await run(['subscribers', 'add', 'ja2@example.com', '--language', 'JA'], T1);
    expect(ok.stdout).toContain('added ja2@example.com (all topics) [ja]');
    write('subs.csv', 'email,name,topics,language\na@example.com,A,,ZH\nb@example.com,B,,fr\nc@example.com,C,,\n');
    const imp = await run(['subscribers', 'import', path.join(dir, 'subs.csv')], T1);
    expect(imp.code).toBe(1);
    expect(imp.stderr).toContain('subs.csv:3: "fr" is not a language of the site (expected en, zh, ja); row skipped');
    // The site's spelling of the code is kept; an empty cell leaves the reader on the default language.
    const exp = await run(['subscribers', 'export'], T1);
    expect(exp.stdout.split('\n')[0]).toBe('email,name,topics,status,language');
    expect(exp.stdout).toContain('a@example.com,A,,active,zh\n');
    expect(exp.stdout).toContain('c@example.com,C,,active,\n');
    expect(exp.stdout).toContain('ja2@example.com,,,active,ja\n');
  });
});
