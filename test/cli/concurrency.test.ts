/**
 * Crash safety and concurrency: two processes at once never send a delivery twice, and a
 * process killed mid-digest loses nothing; a repeat is only possible for a message caught
 * in flight, and it keeps its Message-ID.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { herald, startHerald } from '../helpers/cli.ts';
import { makeSite, type TestSite } from '../helpers/site.ts';
import { startSmtpServer, type TestSmtpServer } from '../helpers/smtp-server.ts';

const T0 = '2025-07-02T01:00:00+08:00';
const DUE = '2025-07-03T08:01:00+08:00';
/**
 * The next run, a minute later. Every process's clock starts at its HERALD_NOW, so a run
 * started again at DUE could be "earlier" than the moment the killed one planned at.
 */
const NEXT_RUN = '2025-07-03T08:02:00+08:00';
let smtp: TestSmtpServer | undefined;
afterEach(async () => {
  await smtp?.close();
  smtp = undefined;
});

async function digestSite(url: string, subscribers: number, pool = 'maxConnections: 2'): Promise<TestSite> {
  const site = makeSite({
    channels: `  news:\n    type: email\n    smtp: "${url}"\n    from: "News <news@example.com>"\n    schedule: "0 8 * * *"\n    pool: { ${pool} }\n`,
  });
  site.write('a.md', '---\ntitle: Article A\ndate: 2025-07-02T00:30:00+08:00\n---\n\nBody A.\n');
  site.write('b.md', '---\ntitle: Article B\ndate: 2025-07-02T00:50:00+08:00\n---\n\nBody B.\n');
  const csv = ['email,name,topics', ...Array.from({ length: subscribers }, (_, i) => `reader${i}@example.com,Reader ${i},`)].join('\n');
  site.write('../subs.csv', csv);
  expect((await herald(['subscribers', 'import', `${site.dir}/subs.csv`], { cwd: site.dir, env: site.env(T0) })).code).toBe(0);
  expect((await herald(['dispatch'], { cwd: site.dir, env: site.env(T0) })).code).toBe(0); // first contact
  return site;
}

describe('concurrency and crashes', () => {
  it('two dispatch processes at once send each digest email exactly once', async () => {
    smtp = await startSmtpServer();
    const site = await digestSite(smtp.url, 60);
    const [a, b] = await Promise.all([
      herald(['dispatch'], { cwd: site.dir, env: site.env(DUE) }),
      herald(['dispatch'], { cwd: site.dir, env: site.env(DUE) }),
    ]);
    expect([a.code, b.code]).toEqual([0, 0]);
    const to = smtp.messages.map((m) => m.envelope.to[0]);
    expect(to).toHaveLength(60);
    expect(new Set(to).size).toBe(60);
    // And a third run finds nothing left to do.
    await herald(['dispatch'], { cwd: site.dir, env: site.env(DUE) });
    expect(smtp.messages).toHaveLength(60);
  });

  it('a process killed mid-digest is resumed by the next run; repeats keep their Message-ID', async () => {
    smtp = await startSmtpServer({ delayMs: 40 });
    const site = await digestSite(smtp.url, 40, 'maxConnections: 1');
    const run = startHerald(['dispatch'], { cwd: site.dir, env: site.env(DUE) });
    await smtp.waitForMessages(8, 30_000);
    run.child.kill('SIGKILL');
    const killed = await run.done;
    expect(killed.signal).toBe('SIGKILL');
    const before = smtp.messages.length;
    expect(before).toBeLessThan(40);

    const resumed = await herald(['dispatch'], { cwd: site.dir, env: site.env(NEXT_RUN) });
    expect(resumed.code).toBe(0);
    const mails = await smtp.parsed();
    const byTo = new Map<string, string[]>();
    for (const m of mails) {
      const to = (Array.isArray(m.to) ? m.to[0] : m.to)!.value[0]!.address!;
      byTo.set(to, [...(byTo.get(to) ?? []), m.messageId!]);
    }
    expect(byTo.size, `resumed run:\n${resumed.stdout}${resumed.stderr}\nkilled run:\n${killed.stderr}`).toBe(40); // nothing lost
    const repeats = [...byTo.values()].filter((ids) => ids.length > 1);
    // Only what was in flight (at most the concurrency: 4 per connection) can repeat, with the same Message-ID.
    expect(repeats.length).toBeLessThanOrEqual(4);
    for (const ids of repeats) expect(new Set(ids).size).toBe(1);
  });
});

describe('send threads', () => {
  it('HERALD_SEND_THREADS=2 shares a large fan-out between threads, each email exactly once', async () => {
    smtp = await startSmtpServer({ discard: true });
    const site = await digestSite(smtp.url, 600, 'maxConnections: 4');
    const r = await herald(['dispatch'], { cwd: site.dir, env: site.env(DUE, { HERALD_SEND_THREADS: '2' }) });
    expect(r.code).toBe(0);
    expect(r.stdout).toContain('news: 600 sent, 0 failed');
    const to = smtp.messages.map((m) => m.envelope.to[0]);
    expect(to).toHaveLength(600);
    expect(new Set(to).size).toBe(600);
  });
});
