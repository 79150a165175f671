/** --profile and HERALD_PROFILE=1: where a command spent its time, on stderr, leaving stdout as it is. */
import { afterEach, describe, expect, it } from 'vitest';
import { herald } from '../helpers/cli.ts';
import { makeSite, seedArticle } from '../helpers/site.ts';
import { startSmtpServer, type TestSmtpServer } from '../helpers/smtp-server.ts';

const T = '2025-07-02T09:00:00+08:00';
let smtp: TestSmtpServer | undefined;
afterEach(async () => {
  await smtp?.close();
  smtp = undefined;
});

const phases = (stderr: string) => {
  const line = stderr.split('\n').find((l) => l.startsWith('herald profile: '));
  expect(line, stderr).toBeDefined();
  return line as string;
};

describe('--profile', () => {
  it('prints the phases of a send (start-up, scan, plan, render, send) and the total; stdout is what it would be without', async () => {
    smtp = await startSmtpServer();
    const site = makeSite({ channels: `  alerts:\n    type: email\n    smtp: "${smtp.url}"\n    from: "Alerts <alerts@example.com>"\n    mode: each\n` });
    site.write('posts/chips.md', seedArticle({ title: '芯片新闻', date: '2025-07-02T08:00:00+08:00', slug: 'chips', topics: ['算力与芯片'] }));
    await herald(['subscribers', 'add', 'reader@example.com'], { cwd: site.dir, env: site.env(T) });

    const r = await herald(['--profile', 'dispatch'], { cwd: site.dir, env: site.env(T) });
    expect(r.code).toBe(0);
    const line = phases(r.stderr);
    for (const p of ['start-up', 'scan', 'plan', 'render', 'send']) expect(line).toMatch(new RegExp(`\\b${p} \\d+(\\.\\d+)? (ms|s)\\b`));
    expect(line).toMatch(/; total \d+(\.\d+)? (ms|s), peak RSS \d+ MB$/);
    expect(r.stdout).toContain('alerts: 1 sent');
    expect(r.stdout).not.toContain('profile');
  });

  it('records a digest for a list with no one on it without rendering it; renders once someone is on it', async () => {
    smtp = await startSmtpServer();
    const site = makeSite({ channels: `  news:\n    type: email\n    smtp: "${smtp.url}"\n    from: "News <news@example.com>"\n    schedule: "0 8 * * *"\n` });
    site.write('posts/chips.md', seedArticle({ title: '芯片新闻', date: '2025-07-02T08:00:00+08:00', slug: 'chips', topics: ['算力与芯片'] }));
    const empty = await herald(['--profile', 'digest', 'news'], { cwd: site.dir, env: site.env(T) });
    expect(empty.code, empty.stderr).toBe(0);
    expect(empty.stdout).toContain('made a digest of 1 article(s) for 0 subscriber(s)');
    expect(phases(empty.stderr)).not.toMatch(/\brender \d/);
    await herald(['subscribers', 'add', 'reader@example.com'], { cwd: site.dir, env: site.env(T) });
    site.write('posts/more.md', seedArticle({ title: '更多芯片新闻', date: '2025-07-02T08:30:00+08:00', slug: 'more', topics: ['算力与芯片'] }));
    const one = await herald(['--profile', 'digest', 'news'], { cwd: site.dir, env: site.env(T) });
    expect(one.code, one.stderr).toBe(0);
    expect(phases(one.stderr)).toMatch(/\brender \d/);
    expect(smtp.messages).toHaveLength(1);
  });

  it('is also turned on by HERALD_PROFILE=1, after the subcommand too, and is off by default', async () => {
    const site = makeSite({ channels: '  tg:\n    type: telegram\n    token: ""\n    chat: "@news"\n' });
    const byEnv = await herald(['status'], { cwd: site.dir, env: { ...site.env(T), HERALD_PROFILE: '1' } });
    expect(phases(byEnv.stderr)).toMatch(/^herald profile: start-up \d+/);
    const after = await herald(['articles', '--json', '--profile'], { cwd: site.dir, env: site.env(T) });
    expect(after.code).toBe(0);
    expect(phases(after.stderr)).toContain('scan');
    expect(JSON.parse(after.stdout)).toEqual([]);
    const plain = await herald(['status'], { cwd: site.dir, env: site.env(T) });
    expect(plain.stderr).not.toContain('herald profile');
  });
});
