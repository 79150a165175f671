/**
 * What goes wrong: rejected recipients, temporary failures, a dead server, bad config,
 * bad articles. Each keeps the others going, loses nothing and says what happened.
 */
import { createServer } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { herald } from '../helpers/cli.ts';
import { makeSite, type TestSite } from '../helpers/site.ts';
import { startSmtpServer, type TestSmtpServer } from '../helpers/smtp-server.ts';

const T = '2025-07-02T09:00:00+08:00';
let smtp: TestSmtpServer | undefined;
afterEach(async () => {
  await smtp?.close();
  smtp = undefined;
});

function channel(url: string, extra = '') {
  return `  news:\n    type: email\n    smtp: "${url}"\n    from: "News <news@example.com>"\n    mode: each\n${extra}`;
}

async function siteWith(url: string, subscribers: string[]): Promise<TestSite> {
  const site = makeSite({ channels: channel(url) });
  site.write('a.md', '---\ntitle: Article A\ndate: 2025-07-02T08:00:00+08:00\n---\n\nBody.\n');
  for (const s of subscribers) expect((await herald(['subscribers', 'add', s], { cwd: site.dir, env: site.env(T) })).code).toBe(0);
  return site;
}

async function status(site: TestSite) {
  const r = await herald(['status', '--json'], { cwd: site.dir, env: site.env(T) });
  return JSON.parse(r.stdout) as { channels: Array<{ id: string; deliveries: Record<string, number>; nextAttemptAt?: string }>; recentFailures: Array<{ recipient: string; error: string }> };
}

describe('delivery failures', () => {
  it('a permanently rejected recipient fails with its reason; the others are sent; exit 1; retry sends it later', async () => {
    smtp = await startSmtpServer();
    // A refusal of the message (policy), not of the address (a 5.1.1 would stop the address: test/bounces/).
    smtp.rejectRecipient('gone@example.com', 554, '5.7.1 message refused by policy');
    const site = await siteWith(smtp.url, ['ok1@example.com', 'gone@example.com', 'ok2@example.com']);
    const r = await herald(['dispatch'], { cwd: site.dir, env: site.env(T) });
    expect(r.code).toBe(1);
    expect(r.stdout).toContain('news: 2 sent, 1 failed');
    expect(r.stdout).toMatch(/554.*refused by policy/);
    expect(smtp.messages.map((m) => m.envelope.to[0]).sort()).toEqual(['ok1@example.com', 'ok2@example.com']);
    const s = await status(site);
    expect(s.channels[0]!.deliveries).toMatchObject({ sent: 2, failed: 1, pending: 0 });
    expect(s.recentFailures[0]).toMatchObject({ recipient: 'gone@example.com' });
    expect(s.recentFailures[0]!.error).toContain('554');

    // `retry` puts it back and tries it once more now (still rejected here: exit 1 again).
    const before = smtp.rcptAttempts;
    const retry = await herald(['retry', '--channel', 'news'], { cwd: site.dir, env: site.env(T) });
    expect(retry.stdout).toContain('due now: 1 failed, 0 deferred');
    expect(smtp.rcptAttempts).toBe(before + 1);
    expect(retry.code).toBe(1);
    expect(smtp.messages).toHaveLength(2);
  });

  it('a temporary rejection stays pending with a next attempt time, and is sent by a later run', async () => {
    smtp = await startSmtpServer();
    smtp.rejectNext(1, 451, '4.3.0 try again later');
    const site = await siteWith(smtp.url, ['only@example.com']);
    const r = await herald(['dispatch'], { cwd: site.dir, env: site.env(T) });
    expect(r.stdout).toContain('news: 0 sent, 0 failed, 1 left pending');
    const s = await status(site);
    expect(s.channels[0]!.deliveries.pending).toBe(1);
    const next = Date.parse(s.channels[0]!.nextAttemptAt!);
    expect(next).toBeGreaterThan(Date.parse(T));
    // Before its time: nothing. After: sent, exactly once.
    await herald(['dispatch'], { cwd: site.dir, env: site.env(T) });
    expect(smtp.messages).toHaveLength(0);
    const later = await herald(['dispatch'], { cwd: site.dir, env: site.env(new Date(next + 1000).toISOString()) });
    expect(later.code).toBe(0);
    expect(smtp.messages).toHaveLength(1);
  });

  it('a dead server: gives up the channel within giveUpAfter, exit 1, deliveries pending, password never shown', async () => {
    // A port that is closed: bind, note it, close.
    const port = await new Promise<number>((resolve) => {
      const srv = createServer().listen(0, '127.0.0.1', () => {
        const p = (srv.address() as { port: number }).port;
        srv.close(() => resolve(p));
      });
    });
    const site = await siteWith(`smtp://herald:S3cretPassw0rd@127.0.0.1:${port}`, ['a@example.com', 'b@example.com']);
    const started = Date.now();
    const r = await herald(['dispatch'], { cwd: site.dir, env: site.env(T) });
    expect(Date.now() - started).toBeLessThan(30_000);
    expect(r.code).toBe(1);
    expect(r.stdout + r.stderr).toMatch(/gave up this channel for this run/);
    expect(r.stdout + r.stderr).not.toContain('S3cretPassw0rd');
    const s = await status(site);
    expect(s.channels[0]!.deliveries).toMatchObject({ pending: 2, sent: 0, failed: 0 });
  });
});

describe('bad input', () => {
  it('bad config: exit 2 and the key path', async () => {
    const site = makeSite({ channels: '  news:\n    type: email\n    from: "a <a@example.com>"\n    schedule: "every morning"\n    maxArticles: -3\n' });
    const r = await herald(['dispatch'], { cwd: site.dir, env: site.env(T) });
    expect(r.code).toBe(2);
    expect(r.stderr).toContain('channels.news.schedule: expected a cron expression');
    expect(r.stderr).toContain('channels.news.maxArticles:');
    const check = await herald(['check'], { cwd: site.dir, env: site.env(T) });
    expect(check.code).toBe(2);
  });

  it('bad usage: exit 2', async () => {
    const site = makeSite({ channels: '  news: { type: email, from: "a <a@example.com>" }\n' });
    expect((await herald(['frobnicate'], { cwd: site.dir, env: site.env(T) })).code).toBe(2);
    const r = await herald(['send', 'x', '--channel', 'nope'], { cwd: site.dir, env: site.env(T) });
    expect(r.code).toBe(2);
    expect(r.stderr).toContain('unknown channel "nope" (configured: news)');
  });

  it('check lists every broken article by file and reason, exit 1; the good ones still go out', async () => {
    smtp = await startSmtpServer();
    const site = await siteWith(smtp.url, ['r@example.com']);
    site.write('bad-start.md', '-- not a front matter delimiter\nx\n');
    site.write('bad-date.md', '---\ntitle: Bad date\ndate: 2025-13-45\n---\nx\n');
    site.write('bad-toml.md', '+++\ntitle = "unterminated\n+++\nx\n');
    site.write('binary.md', Buffer.from([0x2d, 0x2d, 0x2d, 0x0a, 0x00, 0x01, 0x02]));
    site.write('latin1.md', Buffer.from('---\ntitle: caf\xe9\ndate: 2025-07-02\n---\n', 'latin1'));
    const check = await herald(['check'], { cwd: site.dir, env: site.env(T) });
    expect(check.code).toBe(1);
    for (const f of ['bad-start.md', 'bad-date.md', 'bad-toml.md', 'binary.md', 'latin1.md']) expect(check.stdout).toContain(`${f}: `);
    expect(check.stdout).toMatch(/bad-date\.md: .*date.*2025-13-45/);
    const r = await herald(['dispatch'], { cwd: site.dir, env: site.env(T) });
    expect(r.code).toBe(0);
    expect(smtp.messages).toHaveLength(1);
  });
});
