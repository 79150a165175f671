/**
 * End to end: the real CLI, a real SMTP server on loopback, every message read back
 * with mailparser. Time is set with HERALD_NOW so schedules are deterministic.
 */
import { writeFileSync } from 'node:fs';
import path from 'node:path';
import type { ParsedMail } from 'mailparser';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { verifyToken } from '../../src/util/tokens.ts';
import { herald } from '../helpers/cli.ts';
import { SECRET, makeSite, seedArticle, type TestSite } from '../helpers/site.ts';
import { startSmtpServer, type TestSmtpServer } from '../helpers/smtp-server.ts';

let smtp: TestSmtpServer;
let site: TestSite;

const T0 = '2025-07-02T01:00:00+08:00'; // first run
const DAY2 = '2025-07-03T08:01:00+08:00'; // after the 08:00 digest time

beforeEach(async () => {
  smtp = await startSmtpServer();
  site = makeSite({
    channels: `  news:
    type: email
    smtp: ${smtp.url}
    from: "测试新闻 <news@example.com>"
    schedule: "0 8 * * *"
    maxArticles: 10
`,
  });
  site.write(
    'posts/europe-ai.md',
    seedArticle({
      title: '欧洲的AI“千兆工厂”热潮',
      date: '2025-07-02T00:40:05+08:00',
      slug: 'europe-ai',
      image: '/newsimages/selected_image_YYYY-07-Jul 2, 2025_00-32-31-741.jpg',
      summary: '欧盟委员会的AI“千兆工厂”计划收到了76份意向书。',
      topics: ['算力与芯片'],
    }),
  );
  site.write('posts/hello.md', `---\ntitle: "Hello <World> & friends"\ndate: 2025-07-01T16:00:00Z\ntags: [herald]\n---\n\nFirst paragraph of **hello**.\n`);
  site.write('posts/old.md', `---\ntitle: Old news\ndate: 2025-06-01T00:00:00Z\ntags: [herald]\n---\n\nOld.\n`);
  site.write('posts/draft.md', `---\ntitle: Draft\ndate: 2025-07-01T00:00:00Z\ndraft: true\n---\n\nNo.\n`);
  site.write('posts/later.md', `---\ntitle: Later today\ndate: 2025-07-02T12:00:00+08:00\ntags: [herald]\n---\n\nScheduled.\n`);
  site.write('posts/broken.md', `---\ntitle: [unclosed\ndate: 2025-07-02\n---\nbody\n`);
  const csv = path.join(site.dir, 'subs.csv');
  writeFileSync(csv, 'email,name,topics\nada@example.com,Ada,\nlin@example.com,林小明,算力与芯片\nbob@example.com,Bob,体育\nnot-an-address,X,\n');
  const imp = await herald(['subscribers', 'import', csv], { cwd: site.dir, env: site.env(T0) });
  expect(imp.stderr).toContain('subs.csv:5: "not-an-address" is not a valid email address');
  expect(imp.code).toBe(1);
});

afterEach(async () => {
  await smtp.close();
});

const byRecipient = (mails: ParsedMail[]) =>
  new Map(mails.map((m) => [(Array.isArray(m.to) ? m.to[0] : m.to)!.value[0]!.address as string, m]));

describe('email digest, end to end', () => {
  it('sends nothing old, waits for the schedule, then one digest per subscriber with their topics', async () => {
    const first = await herald(['dispatch'], { cwd: site.dir, env: site.env(T0) });
    expect(first.code).toBe(0);
    expect(first.stderr).toContain('skipped posts/broken.md');
    expect(smtp.messages).toHaveLength(0); // a new channel waits for its first scheduled time

    const second = await herald(['dispatch'], { cwd: site.dir, env: site.env(DAY2) });
    expect(second.code).toBe(0);
    expect(second.stdout).toContain('news: made a digest of 3 article(s) for 2 subscriber(s)');
    const mails = byRecipient(await smtp.parsed());
    expect([...mails.keys()].sort()).toEqual(['ada@example.com', 'lin@example.com']);

    const ada = mails.get('ada@example.com')!;
    expect(ada.subject).toContain('测试新闻');
    expect(ada.from?.value[0]).toEqual({ address: 'news@example.com', name: '测试新闻' });
    expect(ada.date).toBeInstanceOf(Date);
    expect(ada.messageId).toMatch(/^<herald\.news\.d\d+\.[A-Za-z0-9_-]+@news\.example\.com>$/);
    const html = ada.html as string;
    // Newest first; the old article (baseline), the draft and the broken file are absent.
    expect(html.indexOf('Later today')).toBeLessThan(html.indexOf('欧洲的AI'));
    expect(html.indexOf('欧洲的AI')).toBeLessThan(html.indexOf('Hello &lt;World&gt; &amp; friends'));
    expect(html).not.toContain('Old news');
    expect(html).not.toContain('Draft');
    expect(html).toContain('https://news.example.com/posts/europe-ai/');
    expect(html).toContain('https://news.example.com/newsimages/selected_image_YYYY-07-Jul%202,%202025_00-32-31-741.jpg');
    expect(ada.text).toContain('欧洲的AI“千兆工厂”热潮');
    expect(ada.text).toContain('https://news.example.com/posts/europe-ai/');

    // One-click unsubscribe: signed token for this subscriber, not revealing the address.
    const header = (m: ParsedMail, key: string) => m.headerLines.find((h) => h.key === key)?.line.replace(/^[^:]+:\s*/, '').replace(/\r\n\s+/g, ' ');
    const listUnsub = header(ada, 'list-unsubscribe') ?? '';
    const url = /<(https:\/\/news\.example\.com\/herald\/unsubscribe\/([^>]+))>/.exec(listUnsub);
    expect(url).not.toBeNull();
    expect(url![1]).not.toContain('ada');
    expect(verifyToken(SECRET, 'unsubscribe', url![2]!)).toBeTruthy();
    expect(header(ada, 'list-unsubscribe-post')).toBe('List-Unsubscribe=One-Click');
    expect(html).toContain(url![1]);

    // Lin chose one topic: only the matching article.
    const lin = mails.get('lin@example.com')!;
    expect(lin.html).toContain('欧洲的AI');
    expect(lin.html).not.toContain('Hello &lt;World&gt;');
    expect(lin.html).toContain('林小明');

    // Idempotent: the same pass again sends nothing.
    const again = await herald(['dispatch'], { cwd: site.dir, env: site.env(DAY2) });
    expect(again.code).toBe(0);
    expect(smtp.messages).toHaveLength(2);
    // Next day, nothing new: no email at all.
    const day3 = await herald(['dispatch'], { cwd: site.dir, env: site.env('2025-07-04T08:05:00+08:00') });
    expect(day3.stdout).toContain('no new articles: no email');
    expect(smtp.messages).toHaveLength(2);
  });

  it('`herald digest` sends now; an article edited after it was sent is not sent again', async () => {
    expect((await herald(['dispatch'], { cwd: site.dir, env: site.env(T0) })).code).toBe(0);
    const r = await herald(['digest', 'news'], { cwd: site.dir, env: site.env(T0) });
    expect(r.code).toBe(0);
    expect(smtp.messages).toHaveLength(2);
    site.write('posts/hello.md', `---\ntitle: "Hello, edited"\ndate: 2025-07-01T16:00:00Z\ntags: [herald]\n---\n\nEdited.\n`);
    await herald(['dispatch'], { cwd: site.dir, env: site.env(DAY2) });
    const all = await smtp.parsed();
    // Day 2 brings only the scheduled article; the edited one is not repeated.
    expect(all.slice(2).every((m) => !String(m.html).includes('Hello, edited'))).toBe(true);
    expect(all.slice(2).some((m) => String(m.html).includes('Later today'))).toBe(true);
  });

  it('articles --json reports status, url, topics and per-channel delivery state', async () => {
    await herald(['dispatch'], { cwd: site.dir, env: site.env(T0) });
    await herald(['dispatch'], { cwd: site.dir, env: site.env(DAY2) });
    const r = await herald(['articles', '--json'], { cwd: site.dir, env: site.env(DAY2) });
    expect(r.code).toBe(0);
    const rows = JSON.parse(r.stdout) as Array<Record<string, unknown> & { channels?: Record<string, { state: string; sent?: number; time?: string }> }>;
    const get = (file: string) => rows.find((x) => x.file === file)!;
    expect(get('posts/europe-ai.md')).toMatchObject({
      id: 'posts/europe-ai',
      status: 'published',
      date: '2025-07-01T16:40:05.000Z',
      url: 'https://news.example.com/posts/europe-ai/',
      topics: ['AI', '算力与芯片'],
    });
    expect(get('posts/europe-ai.md').channels!.news).toMatchObject({ state: 'sent', sent: 2 });
    expect(get('posts/old.md').channels!.news!.state).toBe('baseline');
    expect(get('posts/draft.md').status).toBe('draft');
    expect(get('posts/broken.md')).toMatchObject({ status: 'invalid' });
    expect(String(get('posts/broken.md').error)).toMatch(/YAML|front matter/i);
  });
});
