/**
 * Breaking news and editorial front matter end to end, on a bilingual Hugo site: the real
 * CLI, a real SMTP server and the local Bot API. A breaking article skips the approval queue
 * in chat, goes at once by email to the readers who opted into alerts (each in their
 * language), and their next digest leaves it out; the others get it in the digest.
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

const TOKEN = '123456:breaking-test-token';
const EDITOR_TOKEN = '654321:editor-test-token';
const T0 = '2025-07-02T07:00:00+08:00'; // first run
const T1 = '2025-07-02T09:30:00+08:00'; // the breaking story is out
const T2 = '2025-07-03T08:01:00+08:00'; // after the digest time

let smtp: TestSmtpServer;
let tg: TestTelegramApi;
let dir: string;

const page = (fm: string, body = 'Body.\n') => `---\n${fm.trim()}\n---\n\n${body}`;
const to = (m: ParsedMail) => (Array.isArray(m.to) ? m.to[0] : m.to)!.value[0]!.address as string;

function write(rel: string, text: string): void {
  const file = path.join(dir, rel);
  mkdirSync(path.dirname(file), { recursive: true });
  writeFileSync(file, text);
}

const env = (now: string) => ({ HERALD_CONFIG: path.join(dir, 'herald.yaml'), HERALD_SECRET: SECRET, HERALD_NOW: now });
const run = async (args: string[], now: string) => {
  const r = await herald(args, { cwd: dir, env: env(now) });
  expect(r.code, r.stdout + r.stderr).toBe(0);
  return r;
};

beforeEach(async () => {
  smtp = await startSmtpServer();
  tg = await startTelegramApi({ tokens: [TOKEN, EDITOR_TOKEN] });
  dir = mkdtempSync(path.join(tmpdir(), 'herald-breaking-'));
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
      'title = "示例"',
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
breaking:
  topics: [earthquake]
editors:
  telegram:
    token: "${EDITOR_TOKEN}"
    users: [1001]
    chat: "-100999"
    apiRoot: ${tg.apiRoot}
channels:
  news:
    type: email
    smtp: ${smtp.url}
    from: "Example <news@example.com>"
    schedule: "0 8 * * *"
    breaking: email
    approval: { window: 30m }
  tg:
    type: telegram
    token: "${TOKEN}"
    chat: "-1001234567890"
    apiRoot: ${tg.apiRoot}
    languages: [en]
    approval: { window: 30m }
    pace: { perChat: 6000, perToken: 100 }
`,
  );
  write('readers.csv', 'email,name,topics,language,alerts\nalert-en@example.com,,,,yes\nalert-zh@example.com,,,zh,yes\nplain@example.com,,,,no\nplain-zh@example.com,,,zh,\n');
  await run(['subscribers', 'import', path.join(dir, 'readers.csv')], T0);
  await run(['dispatch'], T0);
});

afterEach(async () => {
  await smtp.close();
  await tg.close();
});

describe('breaking news', () => {
  it('alerts the readers who asked, each in their language, at once; posts in chat past the approval queue; the digest leaves it out for them only', async () => {
    write('site/content/posts/quake.md', page('title: Earthquake in the north\ndate: 2025-07-02T09:10:00+08:00\nbreaking: true'));
    write('site/content/posts/quake.zh.md', page('title: 北部地震\ndate: 2025-07-02T09:10:00+08:00\nbreaking: true'));
    write('site/content/posts/weather.md', page('title: Sunny weekend\ndate: 2025-07-02T09:00:00+08:00'));
    write('site/content/posts/aftershock.md', page('title: Aftershocks expected\ndate: 2025-07-02T09:20:00+08:00\ntags: [earthquake]'));
    await run(['dispatch'], T1);

    // Alerts: one email per opted-in reader per page, in their language; nobody else.
    const alerts = await smtp.parsed();
    const byReader = new Map<string, string[]>();
    for (const m of alerts) byReader.set(to(m), [...(byReader.get(to(m)) ?? []), String(m.subject)]);
    expect([...byReader.keys()].sort()).toEqual(['alert-en@example.com', 'alert-zh@example.com']);
    expect(byReader.get('alert-en@example.com')!.sort()).toEqual([expect.stringContaining('Aftershocks expected'), expect.stringContaining('Earthquake in the north')]);
    // The Chinese reader gets the Chinese version of the page that has one, and the English-only one.
    expect(byReader.get('alert-zh@example.com')!.sort()).toEqual([expect.stringContaining('Aftershocks expected'), expect.stringContaining('北部地震')]);

    // Chat: the breaking stories are posted now; the ordinary one waits for its approval window.
    const posts = tg.messages.filter((m) => m.chatId === '-1001234567890');
    expect(posts.map((m) => String(m.body.text).match(/>([^<]+)<\/a>/)?.[1])).toEqual(['Earthquake in the north', 'Aftershocks expected']);

    // Again: nobody is alerted twice.
    await run(['dispatch'], '2025-07-02T09:40:00+08:00');
    expect(smtp.messages).toHaveLength(4);

    // The digest (its approval window does not hold alerts): the alerted readers do not get the breaking stories again.
    await run(['dispatch'], '2025-07-03T07:40:00+08:00'); // the digest's window opens
    await run(['dispatch'], T2);
    const digests = (await smtp.parsed()).slice(4);
    const html = new Map(digests.map((m) => [to(m), String(m.html)]));
    expect([...html.keys()].sort()).toEqual(['alert-en@example.com', 'alert-zh@example.com', 'plain-zh@example.com', 'plain@example.com']);
    expect(html.get('plain@example.com')).toContain('Earthquake in the north');
    expect(html.get('plain@example.com')).toContain('Aftershocks expected');
    expect(html.get('plain-zh@example.com')).toContain('北部地震');
    for (const reader of ['alert-en@example.com', 'alert-zh@example.com']) {
      expect(html.get(reader)).toContain('Sunny weekend');
      expect(html.get(reader)).not.toContain('Earthquake in the north');
      expect(html.get(reader)).not.toContain('北部地震');
      expect(html.get(reader)).not.toContain('Aftershocks expected');
    }

    const exported = await run(['subscribers', 'export'], T2);
    expect(exported.stdout.split('\n')[0]).toBe('email,name,topics,status,language,alerts');
    expect(exported.stdout).toContain('alert-zh@example.com,,,active,zh,yes');
    expect(exported.stdout).toContain('plain@example.com,,,active,,no');
  });

  it('herald: skip and only route an article; an embargo holds every channel until it ends; pin leads the digest', async () => {
    write('site/content/posts/skip.md', page('title: Not in chat\ndate: 2025-07-02T09:00:00+08:00\nherald:\n  skip: [tg]'));
    write('site/content/posts/only.md', page('title: Chat only\ndate: 2025-07-02T09:01:00+08:00\nherald: { only: [tg] }\nbreaking: true'));
    write('site/content/posts/embargo.md', page('title: Under embargo\ndate: 2025-07-02T09:02:00+08:00\nbreaking: true\nherald: { embargo: 2025-07-02T10:00:00+08:00 }'));
    write('site/content/posts/pinned.md', page('title: Pinned one\ndate: 2025-07-02T08:00:00+08:00\nherald: { pin: true, colour: red }'));
    await run(['dispatch'], T1);
    const posts = () => tg.messages.filter((m) => m.chatId === '-1001234567890').map((m) => String(m.body.text).match(/>([^<]+)<\/a>/)?.[1]);
    expect(posts()).toEqual(['Chat only']);
    expect(smtp.messages).toHaveLength(0); // "Chat only" is breaking but not for the email channel
    const why = await run(['why', 'posts/embargo'], T1);
    expect(why.stdout).toContain('under embargo until 2025-07-02 10:00');
    const check = await herald(['check'], { cwd: dir, env: env(T1) });
    expect(check.stdout + check.stderr).toMatch(/posts\/pinned\.md.*unknown key\(s\) under "herald": colour/);

    // After the embargo the breaking story goes out at once; "Pinned one" because its approval window ended too.
    await run(['dispatch'], '2025-07-02T10:01:00+08:00');
    expect(posts()).toEqual(['Chat only', 'Pinned one', 'Under embargo']);
    // The day's digest was waiting for its approval window (it ended at 10:00) and went out in the same pass.
    const mails = await smtp.parsed();
    const alerts = mails.filter((m) => String(m.subject).includes('Under embargo'));
    expect(alerts.map(to).sort()).toEqual(['alert-en@example.com', 'alert-zh@example.com']);
    const digest = mails.find((m) => to(m) === 'plain@example.com' && !String(m.subject).includes('Under embargo'))!;
    const text = String(digest.text);
    expect(text.indexOf('Pinned one')).toBeGreaterThanOrEqual(0);
    expect(text.indexOf('Pinned one')).toBeLessThan(text.indexOf('Not in chat'));
    expect(text).not.toContain('Chat only');
  });

  it('alreadySent: mention names the alerted stories in one line of the reader\'s digest, in their language', async () => {
    const config = path.join(dir, 'herald.yaml');
    writeFileSync(config, readFileSync(config, 'utf8').replace('    breaking: email\n', '    breaking: email\n    alreadySent: mention\n'));
    write('site/content/posts/quake.md', page('title: Earthquake in the north\ndate: 2025-07-02T09:10:00+08:00\nbreaking: true'));
    write('site/content/posts/quake.zh.md', page('title: 北部地震\ndate: 2025-07-02T09:10:00+08:00\nbreaking: true'));
    write('site/content/posts/weather.md', page('title: Sunny weekend\ndate: 2025-07-02T09:00:00+08:00'));
    await run(['dispatch'], T1);
    expect(smtp.messages).toHaveLength(2);
    await run(['dispatch'], '2025-07-03T07:40:00+08:00');
    await run(['dispatch'], T2);
    const digests = new Map((await smtp.parsed()).slice(2).map((m) => [to(m), m]));
    expect(String(digests.get('alert-en@example.com')!.text)).toContain('Already sent to you as breaking news: Earthquake in the north (https://example.com/2025/07/earthquake-in-the-north/)');
    expect(String(digests.get('alert-en@example.com')!.text).split('Earthquake in the north')).toHaveLength(2); // named once, not as an article
    expect(String(digests.get('alert-en@example.com')!.text)).toContain('Sunny weekend');
    expect(String(digests.get('alert-zh@example.com')!.text)).toContain('已作为突发新闻发送给您： 北部地震');
    expect(String(digests.get('plain@example.com')!.text)).not.toContain('Already sent');
    expect(String(digests.get('plain@example.com')!.text)).toContain('Earthquake in the north');
  });

  it('corrections: true lists the previous digest\'s corrected and retracted articles in the next digest', async () => {
    const config = path.join(dir, 'herald.yaml');
    writeFileSync(config, readFileSync(config, 'utf8').replace('    breaking: email\n', '    corrections: true\n'));
    write('site/content/posts/budget.md', page('title: Budget pased\ndate: 2025-07-02T09:00:00+08:00'));
    write('site/content/posts/rumour.md', page('title: A rumour\ndate: 2025-07-02T09:05:00+08:00'));
    write('site/content/posts/stays.md', page('title: Stays as it was\ndate: 2025-07-02T09:06:00+08:00\nsummary: The same summary.', 'Body.\n'));
    await run(['dispatch'], T1);
    await run(['dispatch'], '2025-07-03T07:40:00+08:00');
    await run(['dispatch'], T2);
    const first = (await smtp.parsed()).filter((m) => to(m) === 'plain@example.com');
    expect(first).toHaveLength(1);
    expect(String(first[0]!.text)).not.toContain('Since the last digest');

    write('site/content/posts/budget.md', page('title: Budget passed\ndate: 2025-07-02T09:00:00+08:00'));
    write('site/content/posts/rumour.md', page('title: A rumour\ndate: 2025-07-02T09:05:00+08:00\ndraft: true'));
    write('site/content/posts/stays.md', page('title: Stays as it was\ndate: 2025-07-02T09:06:00+08:00\nsummary: The same summary.', 'A new body.\n'));
    write('site/content/posts/next.md', page('title: Next day\ndate: 2025-07-03T09:00:00+08:00'));
    await run(['dispatch'], '2025-07-03T10:00:00+08:00');
    await run(['dispatch'], '2025-07-04T07:40:00+08:00');
    await run(['dispatch'], '2025-07-04T08:01:00+08:00');
    const second = (await smtp.parsed()).filter((m) => to(m) === 'plain@example.com');
    expect(second).toHaveLength(2);
    const text = String(second[1]!.text);
    expect(text).toContain('Next day');
    expect(text).toContain('Since the last digest:');
    expect(text).toContain('- Budget passed: corrected (title, link) (https://example.com/2025/07/budget-passed/)');
    expect(text).toContain('- A rumour: retracted');
    expect(text).not.toMatch(/Stays as it was: corrected/);
    expect(String(second[1]!.html)).toContain('<s>A rumour</s>');
    // A reader of another language gets the corrections of their language's pages (none here).
    const zh = (await smtp.parsed()).filter((m) => to(m) === 'plain-zh@example.com');
    expect(String(zh[zh.length - 1]!.text)).not.toContain('Budget passed: corrected');
  });
});
