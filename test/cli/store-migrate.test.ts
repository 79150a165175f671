/**
 * `herald store migrate` on the example site: a SQLite ledger with sent, pending and failed
 * deliveries goes to PostgreSQL and back, row for row; a non-empty target is refused unless
 * --force; and a link in an email sent before the move still works against PostgreSQL.
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import Database from 'better-sqlite3';
import { afterAll, afterEach, describe, expect, it } from 'vitest';
import pino from 'pino';
import { loadConfig } from '../../src/config/load.ts';
import { createHerald } from '../../src/pipeline/herald.ts';
import { buildServer } from '../../src/server/app.ts';
import { herald } from '../helpers/cli.ts';
import { dropSchemas, freshSchema } from '../helpers/pg.ts';
import { SECRET } from '../helpers/site.ts';
import { startSmtpServer, type TestSmtpServer } from '../helpers/smtp-server.ts';

const ROOT = path.resolve(import.meta.dirname, '../..');
let smtp: TestSmtpServer | undefined;
afterEach(async () => {
  await smtp?.close();
  smtp = undefined;
});
afterAll(() => dropSchemas());

/** The shipped demo config, pointed at the example site, with its store in a temp folder. */
function exampleSite(smtpUrl: string): { dir: string; env: (now: string) => Record<string, string> } {
  const dir = mkdtempSync(path.join(tmpdir(), 'herald-migrate-'));
  const config = readFileSync(path.join(ROOT, 'config/herald.yaml'), 'utf8')
    .replace('dir: ../examples/site/content', `dir: ${JSON.stringify(path.join(ROOT, 'examples/site/content'))}`)
    .replace('url: sqlite:../data/herald.db', 'url: sqlite:data/herald.db')
    .replace('outbox: ../outbox', 'outbox: outbox');
  writeFileSync(path.join(dir, 'herald.yaml'), config);
  return {
    dir,
    env: (now) => ({ HERALD_CONFIG: path.join(dir, 'herald.yaml'), HERALD_SECRET: SECRET, HERALD_NOW: now, SMTP_URL: smtpUrl, HERALD_PUBLIC_URL: 'https://news.example.com/herald/' }),
  };
}

/** Every row of every table (ids included, so order is by content) and the id counters. */
function dump(file: string): Record<string, unknown[]> {
  const db = new Database(file, { readonly: true });
  try {
    const tables = db.prepare("SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT IN ('schema_migrations') ORDER BY name").pluck().all() as string[];
    return Object.fromEntries(tables.map((t) => [t, (db.prepare(`SELECT * FROM ${t}`).all() as unknown[]).map((r) => JSON.stringify(r)).sort()]));
  } finally {
    db.close();
  }
}

describe('herald store migrate', () => {
  it('copies the example site’s ledger to PostgreSQL and back, row for row; refuses a non-empty target without --force', async () => {
    smtp = await startSmtpServer();
    smtp.rejectRecipient('grace@example.com', 550, '5.1.1 no such user'); // failed
    smtp.rejectRecipient('lin@example.com', 451, '4.2.1 try later'); // pending, retried later
    const site = exampleSite(smtp.url);
    const welcome = /date: (\S+)/.exec(readFileSync(path.join(ROOT, 'examples/site/content/posts/welcome-to-herald.md'), 'utf8'))?.[1] as string;
    const t0 = new Date(Date.parse(welcome) + 5 * 60_000);
    const at = (min: number) => new Date(t0.getTime() + min * 60_000).toISOString();
    const run = (args: string[], now = at(0)) => herald(args, { cwd: site.dir, env: site.env(now) });

    expect((await run(['subscribers', 'import', path.join(ROOT, 'examples/subscribers.csv')])).code).toBe(0);
    await run(['dispatch']);
    await run(['dispatch'], at(2)); // the newsletter's digest (every minute)
    const status = JSON.parse((await run(['status', '--json'], at(2))).stdout) as { channels: Array<{ id: string; deliveries: Record<string, number> }> };
    const totals = { sent: 0, pending: 0, failed: 0 };
    for (const c of status.channels) for (const k of ['sent', 'pending', 'failed'] as const) totals[k] += c.deliveries[k] ?? 0;
    expect(totals.sent).toBeGreaterThan(0);
    expect(totals.pending).toBeGreaterThan(0);
    expect(totals.failed).toBeGreaterThan(0);

    const pg = (await freshSchema('migrate')).url;
    const sqliteFile = path.join(site.dir, 'data/herald.db');
    // What the site's runs did not make: a reader with alerts, what a digest showed.
    const db = new Database(sqliteFile);
    try {
      db.prepare("UPDATE subscribers SET alerts = 1 WHERE id = (SELECT MIN(id) FROM subscribers WHERE status = 'active')").run();
      db.prepare("UPDATE digests SET shown = '{}' WHERE id = (SELECT MIN(id) FROM digests)").run();
    } finally {
      db.close();
    }
    const to = await run(['store', 'migrate', '--from', 'sqlite:data/herald.db', '--to', pg]);
    expect(to.stderr).toBe('');
    expect(to.code).toBe(0);
    expect(to.stdout).toMatch(/deliveries: \d+ row\(s\)/);
    expect(to.stdout).toContain('counts match');

    // (trust authentication ignores the password: it is only there to be kept out of the message)
    const again = await run(['store', 'migrate', '--from', 'sqlite:data/herald.db', '--to', pg.replace('postgres://postgres@', 'postgres://postgres:sekret-pw@')]);
    expect(again.code).toBe(1);
    expect(again.stderr).toMatch(/postgres:\/\/postgres:\*\*\*@127\.0\.0\.1:5432\/test.* is not empty \(.*deliveries.*\); add --force/);
    expect(again.stderr).not.toContain('sekret-pw');
    expect((await run(['store', 'migrate', '--from', 'sqlite:data/herald.db', '--to', pg, '--force'])).code).toBe(0);

    // Back again into a new SQLite file: every table, row and id counter as it was.
    const back = await run(['store', 'migrate', '--from', pg, '--to', 'sqlite:data/back.db']);
    expect(back.code).toBe(0);
    const original = dump(sqliteFile);
    const copy = dump(path.join(site.dir, 'data/back.db'));
    expect(Object.keys(copy)).toEqual(Object.keys(original));
    for (const table of Object.keys(original)) expect(copy[table], table).toEqual(original[table]);
    expect((original.deliveries as string[]).some((d) => /"message_id":"</.test(d))).toBe(true);
    // grace@'s 550 stopped the address: its bounce report went too, as did the chat posts' revisions and the alerts choice.
    expect(original.bounce_events?.length).toBeGreaterThan(0);
    expect(original.post_revisions?.length).toBeGreaterThan(0);
    expect((original.digests as string[]).some((r) => /"shown":"\{\}"/.test(r))).toBe(true);
    expect((original.subscribers as string[]).filter((r) => /"alerts":1/.test(r))).toHaveLength(1);

    // An unsubscribe link from an email sent before the move works against PostgreSQL.
    const mails = await smtp.parsed();
    const link = /https:\/\/news\.example\.com\/herald\/(unsubscribe\/[^\s">]+)/.exec(mails.map((m) => m.text ?? '').join('\n'))?.[1];
    expect(link).toBeDefined();
    const config = loadConfig({ file: path.join(site.dir, 'herald.yaml'), env: { ...process.env, ...site.env(at(3)) } });
    const h = await createHerald({ ...config, store: { ...config.store, url: pg } }, { log: pino({ level: 'silent' }) });
    try {
      expect(h.store.constructor.name).toBe('PostgresStore');
      const app = await buildServer(h);
      const page = await app.inject({ method: 'GET', url: `/${link}` });
      expect(page.statusCode).toBe(200);
      expect(page.body).toMatch(/<form[^>]+method="post"/i);
      await app.close();
    } finally {
      await h.close();
    }
  }, 120_000);

  it('says what is wrong with its arguments', async () => {
    const dir = mkdtempSync(path.join(tmpdir(), 'herald-migrate-'));
    const r = await herald(['store', 'migrate', '--from', 'sqlite:nowhere.db', '--to', 'mysql://x'], { cwd: dir });
    expect(r.code).toBe(2);
    expect(r.stderr).toContain('--to: expected "sqlite:<path>" or "postgres://user@host:port/database", got "mysql://x"');
    const missing = await herald(['store', 'migrate', '--from', 'sqlite:nowhere.db', '--to', 'sqlite:x.db'], { cwd: dir });
    expect(missing.code).toBe(2);
    expect(missing.stderr).toContain(`--from: no SQLite store at ${path.join(dir, 'nowhere.db')}`);
    writeFileSync(path.join(dir, 'there.db'), '');
    const down = await herald(['store', 'migrate', '--from', 'sqlite:there.db', '--to', 'postgres://herald:pw-SECRET@127.0.0.1:1/herald'], { cwd: dir });
    expect(down.code).toBe(1);
    expect(down.stderr).toMatch(/could not open the PostgreSQL store at postgres:\/\/herald:\*\*\*@127\.0\.0\.1:1\/herald: .*ECONNREFUSED/);
    expect(down.stderr).not.toContain('pw-SECRET');
  });
});
