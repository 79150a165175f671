/**
 * Several Herald processes on one PostgreSQL (each test in its own schema), as real child
 * processes: workers share a digest fan-out with `herald run` and each email goes out once,
 * a worker killed mid-run loses nothing; two daemons post to one Telegram chat paced as one,
 * and when the leader is killed the other takes over within 10 s.
 */
import { hostname } from 'node:os';
import { setTimeout as sleep } from 'node:timers/promises';
import { simpleParser } from 'mailparser';
import { afterAll, afterEach, describe, expect, it } from 'vitest';
import { type CliResult, herald, startHerald } from '../helpers/cli.ts';
import { dropSchemas, freshSchema, inSchema } from '../helpers/pg.ts';
import { makeSite, seedArticle, type TestSite } from '../helpers/site.ts';
import { startSmtpServer, type TestSmtpServer } from '../helpers/smtp-server.ts';
import { startTelegramApi, type TestTelegramApi } from '../helpers/telegram-api.ts';

const T0 = '2025-07-02T01:00:00+08:00';
const DUE = '2025-07-03T08:01:00+08:00';
const TOKEN = '123456:ABC-secret-token';

type Child = ReturnType<typeof startHerald>;
let children: Child[] = [];
let smtp: TestSmtpServer | undefined;
let tg: TestTelegramApi | undefined;
afterEach(async () => {
  for (const c of children) if (c.child.exitCode === null && c.child.signalCode === null) c.child.kill('SIGKILL');
  await Promise.all(children.map((c) => c.done));
  children = [];
  await smtp?.close();
  await tg?.close();
  smtp = undefined;
  tg = undefined;
});
afterAll(() => dropSchemas());

/** A test site whose store is a fresh PostgreSQL schema. */
async function pgSite(channels: string): Promise<{ site: TestSite; url: string }> {
  const { url } = await freshSchema('procs');
  const site = makeSite({ channels });
  const { readFileSync, writeFileSync } = await import('node:fs');
  writeFileSync(site.configFile, readFileSync(site.configFile, 'utf8').replace('url: sqlite:data/herald.db', `url: "${url}"`));
  return { site, url };
}

function start(args: string[], site: TestSite, env: Record<string, string>): Child {
  const c = startHerald(args, { cwd: site.dir, env });
  children.push(c);
  return c;
}

async function until(what: string, check: () => Promise<boolean>, timeoutMs: number, everyMs = 250): Promise<number> {
  const t = Date.now();
  // A table that does not exist yet (the process is still migrating) is a "not yet".
  while (!(await check().catch(() => false))) {
    if (Date.now() - t > timeoutMs) throw new Error(`not within ${timeoutMs} ms: ${what}`);
    await sleep(everyMs);
  }
  return Date.now() - t;
}

const count = async (url: string, sql: string) => Number((await inSchema<Array<{ n: string }>>(url, sql))[0]?.n);
const logs = (r: CliResult) => r.stdout + r.stderr;
const sentBy = (r: CliResult, channel: string) => [...logs(r).matchAll(new RegExp(`${channel}: (\\d+) sent`, 'g'))].reduce((n, m) => n + Number(m[1]), 0);

describe('many processes on one PostgreSQL', () => {
  it('three workers and one run send 30,000 digest emails, each once; a worker killed mid-run loses nothing, repeats keep their Message-ID', async () => {
    const N = 30_000;
    smtp = await startSmtpServer({ discard: 'body' });
    const { site, url } = await pgSite(
      `  news:\n    type: email\n    smtp: "${smtp.url}"\n    from: "News <news@example.com>"\n    schedule: "0 8 * * *"\n    pool: { maxConnections: 2 }\n`,
    );
    site.write('a.md', '---\ntitle: Article A\ndate: 2025-07-02T00:30:00+08:00\n---\n\nBody A.\n');
    site.write('b.md', '---\ntitle: Article B\ndate: 2025-07-02T00:50:00+08:00\n---\n\nBody B.\n');
    expect((await herald(['dispatch'], { cwd: site.dir, env: site.env(T0) })).code).toBe(0); // first contact; the schema is made
    // The readers, written in one statement (an import of 30,000 through the CLI would be most of this test's time).
    await inSchema(
      url,
      `INSERT INTO subscribers (public_id, email, email_key, topics, status, created_at, updated_at)
       SELECT md5('reader' || g), 'reader' || g || '@example.com', 'reader' || g || '@example.com', '[]', 'active', '2025-07-01T00:00:00.000Z', '2025-07-01T00:00:00.000Z'
       FROM generate_series(1, ${N}) g`,
    );
    // One clock for all: a process's HERALD_NOW clock starts at its start, so each later one starts that much later.
    const t0 = Date.now();
    const env = () => site.env(new Date(Date.parse(DUE) + Date.now() - t0).toISOString(), { HERALD_CLUSTER_TICK_MS: '500', HERALD_POLL_MS: '1000' });
    const workers = [0, 1, 2].map(() => start(['worker'], site, env()));
    await until('three workers beat', async () => (await count(url, "SELECT COUNT(*) AS n FROM heartbeats WHERE role = 'worker'")) === 3, 30_000);
    const run = start(['run', '--no-server'], site, env());

    await smtp.waitForMessages(4000, 180_000);
    const victim = workers[0] as Child;
    victim.child.kill('SIGKILL');
    expect((await victim.done).signal).toBe('SIGKILL');
    const killedAt = Date.now();
    // What it held: claimed, not recorded as sent. Only these may be sent twice.
    const held = new Map(
      (await inSchema<Array<{ recipient: string; message_id: string }>>(url, `SELECT recipient, message_id FROM deliveries WHERE status = 'sending' AND claimed_by LIKE '${hostname()}:${victim.child.pid}:%'`)).map((r) => [
        r.recipient,
        r.message_id,
      ]),
    );

    await until('every delivery sent', async () => (await count(url, "SELECT COUNT(*) AS n FROM deliveries WHERE status = 'sent'")) === N, 300_000, 1000);
    expect(await count(url, "SELECT COUNT(*) AS n FROM deliveries WHERE status <> 'sent'")).toBe(0);

    const status = await herald(['status'], { cwd: site.dir, env: env() });
    // The killed worker stopped beating when it was killed (it is called dead only after 20 s of
    // silence, which may or may not have passed by now); the three others beat on.
    const silentSince = Math.floor((Date.now() - killedAt) / 1000);
    const listed = JSON.parse((await herald(['status', '--json'], { cwd: site.dir, env: env() })).stdout).processes as Array<{ pid: number; alive: boolean; secondsSilent: number }>;
    expect(listed.map((p) => p.pid).sort()).toEqual([run, ...workers].map((c) => c.child.pid).sort());
    expect(listed.find((p) => p.pid === victim.child.pid)?.secondsSilent).toBeGreaterThanOrEqual(silentSince - 1);
    expect(listed.filter((p) => p.pid !== victim.child.pid).every((p) => p.alive)).toBe(true);
    expect(status.stdout).toMatch(new RegExp(`${hostname()} pid ${run.child.pid} run \\(leader\\): last heartbeat \\d+ s ago`));
    expect(status.stdout).toMatch(new RegExp(`${hostname()} pid ${workers[1]?.child.pid} worker: last heartbeat`));

    for (const c of [run, workers[1], workers[2]]) c?.child.kill('SIGTERM');
    const ended = await Promise.all([run, workers[1], workers[2]].map((c) => (c as Child).done));
    for (const e of ended) expect(e.code, logs(e)).toBe(0);
    // Every process sent its share.
    for (const e of ended) expect(sentBy(e, 'news'), logs(e)).toBeGreaterThan(0);
    // Clean stops take their row away; the killed worker's stays until it is an hour old (status shows it silent).
    expect((await inSchema<Array<{ pid: number }>>(url, 'SELECT pid FROM heartbeats')).map((r) => r.pid)).toEqual([victim.child.pid]);

    const byTo = new Map<string, number[]>();
    smtp.messages.forEach((m, i) => {
      const to = m.envelope.to[0] as string;
      byTo.set(to, [...(byTo.get(to) ?? []), i]);
    });
    expect(byTo.size).toBe(N); // nothing lost
    const repeats = [...byTo.entries()].filter(([, at]) => at.length > 1);
    expect(repeats.length).toBeLessThanOrEqual(held.size);
    for (const [to, at] of repeats) {
      expect(held.has(to), `${to} was sent twice but was not in flight in the killed worker`).toBe(true);
      const ids = await Promise.all(at.map(async (i) => (await simpleParser(smtp!.messages[i]!.raw)).messageId));
      expect(new Set(ids)).toEqual(new Set([held.get(to)]));
    }
  }, 600_000);

  it('two daemons post a burst of 40 articles to one Telegram chat, each once, paced as one; the leader killed, the other takes over within 10 s', async () => {
    tg = await startTelegramApi({ tokens: [TOKEN] });
    // Two channels posting to one chat: 80 posts on one budget of 1200 a minute (20 a second, 50 ms apart).
    const channel = (id: string) => `  ${id}:\n    type: telegram\n    token: "${TOKEN}"\n    chat: "-100777"\n    apiRoot: ${tg!.apiRoot}\n    pace: { perChat: 1200, perToken: 100 }\n`;
    const { site, url } = await pgSite(channel('tg-a') + channel('tg-b'));
    // The real clock: every process agrees on it (a HERALD_NOW clock starts at its own process's start).
    const now = new Date();
    const env = site.env(undefined, { HERALD_CLUSTER_TICK_MS: '500', HERALD_POLL_MS: '1000' });
    const leads = (c: Child) => async () => (await count(url, `SELECT COUNT(*) AS n FROM heartbeats WHERE leader AND pid = ${c.child.pid}`)) === 1;
    const beats = (c: Child) => async () => (await count(url, `SELECT COUNT(*) AS n FROM heartbeats WHERE pid = ${c.child.pid}`)) === 1;
    const a = start(['run', '--no-server'], site, env);
    await until('a leads', leads(a), 30_000);
    const b = start(['run', '--no-server'], site, env);
    await until('b beats', beats(b), 30_000);

    // The leader plans tg-a, then tg-b; the other process, woken by tg-a's plan, posts tg-a while the leader posts tg-b.
    const date = (min: number) => new Date(now.getTime() - min * 60_000).toISOString();
    for (let i = 0; i < 40; i++) site.write(`posts/burst-${i}.md`, seedArticle({ title: `Burst ${i}`, date: date(30 - i / 2), slug: `burst-${i}` }));
    await tg.waitForMessages(80, 60_000);
    await sleep(1500); // nothing more comes
    expect(tg.messages).toHaveLength(80);
    const titles = tg.messages.map((m) => /Burst \d+/.exec(String(m.body.text ?? m.body.caption))?.[0]);
    for (let i = 0; i < 40; i++) expect(titles.filter((t) => t === `Burst ${i}`), `Burst ${i}`).toHaveLength(2); // once per channel
    // Paced as one: never more than the chat's 20 in any second, though both processes posted at once.
    const at = tg.messages.map((m) => m.at).sort((x, y) => x - y);
    const gaps = at.slice(1).map((t, i) => t - (at[i] as number));
    const inASecond = Math.max(...at.map((t) => at.filter((u) => u >= t && u < t + 1000).length));
    // 20, and some for requests reaching the server late or early on a busy machine (each alone: about 40).
    expect(inASecond, `gaps: ${gaps.join(' ')}`).toBeLessThanOrEqual(28);
    expect((at[at.length - 1]! - at[0]!) / gaps.length, `gaps: ${gaps.join(' ')}`).toBeGreaterThanOrEqual(42);

    // The leader dies: the other leads within 10 s and posts a new article, once per channel.
    const [dying, other] = (await leads(a)()) ? [a, b] : [b, a];
    dying.child.kill('SIGKILL');
    const died = await dying.done;
    const took = await until('the other leads', leads(other), 10_000, 100);
    expect(took).toBeLessThanOrEqual(10_000);
    site.write('posts/after.md', seedArticle({ title: 'After the takeover', date: date(1), slug: 'after' }));
    await tg.waitForMessages(82, 20_000);
    await sleep(1500);
    expect(tg.messages.filter((m) => String(m.body.text ?? m.body.caption).includes('After the takeover'))).toHaveLength(2);
    expect(tg.messages).toHaveLength(82);

    other.child.kill('SIGTERM');
    const end = await other.done;
    expect(end.code, logs(end)).toBe(0);
    expect(logs(end)).toContain('this process now leads');
    // (Which process posts which channel is a race; test/channels/shared-pacing.test.ts makes two post at once.)
    expect(sentBy(died, 'tg-a') + sentBy(died, 'tg-b') + sentBy(end, 'tg-a') + sentBy(end, 'tg-b')).toBe(82);
  }, 180_000);

  it('a correction on a shared store is edited once its settle time ends, whatever send-only passes run meanwhile', async () => {
    tg = await startTelegramApi({ tokens: [TOKEN] });
    const { site, url } = await pgSite(`  tg:\n    type: telegram\n    token: "${TOKEN}"\n    chat: "-100777"\n    apiRoot: ${tg.apiRoot}\n    settle: 3s\n`);
    // A poll every 300 ms: many send-only passes fall within the settle time.
    const env = site.env(undefined, { HERALD_CLUSTER_TICK_MS: '500', HERALD_POLL_MS: '300' });
    const a = start(['run', '--no-server'], site, env);
    await until('a leads', async () => (await count(url, `SELECT COUNT(*) AS n FROM heartbeats WHERE leader AND pid = ${a.child.pid}`)) === 1, 30_000);
    const date = new Date(Date.now() - 60_000).toISOString();
    site.write('posts/fix.md', seedArticle({ title: 'Budget pased', date, slug: 'fix' }));
    await tg.waitForMessages(1, 30_000);
    site.write('posts/fix.md', seedArticle({ title: 'Budget passed', date, slug: 'fix' }));
    // The next scan is minutes away: only the wake-up at the end of the settle time makes the edit.
    await until('the post is edited', async () => tg!.messages[0]!.edits === 1, 20_000, 100).catch(async (e) => {
      a.child.kill('SIGTERM');
      console.log(logs(await a.done));
      throw e;
    });
    expect(String(tg.messages[0]!.body.text)).toContain('Budget passed');
    expect(tg.messages).toHaveLength(1);
    a.child.kill('SIGTERM');
    expect((await a.done).code).toBe(0);
  }, 90_000);
});
