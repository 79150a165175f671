/**
 * Article ids are by language and source file now; a ledger written when ids were slugs
 * keeps its ids, so nothing it already sent is sent again.
 */
import { mkdirSync } from 'node:fs';
import path from 'node:path';
import Database from 'better-sqlite3';
import pino from 'pino';
import { afterEach, describe, expect, it } from 'vitest';
import { loadConfig } from '../../src/config/load.ts';
import { createHerald, type Herald } from '../../src/pipeline/herald.ts';
import { runPass } from '../../src/pipeline/dispatch.ts';
import { migrations } from '../../src/store/sqlite/migrations.ts';
import { openStore } from '../../src/store/sqlite/sqlite-store.ts';
import { makeSite, seedArticle, type TestSite } from '../helpers/site.ts';

const NOW = '2025-07-03T12:00:00+08:00';
let heralds: Herald[] = [];
afterEach(async () => {
  for (const h of heralds) await h.close();
  heralds = [];
});

/** A ledger as Herald wrote it before ids were by language and file (schema v2, slug ids). */
function oldLedger(file: string): void {
  mkdirSync(path.dirname(file), { recursive: true });
  const db = new Database(file);
  db.exec('CREATE TABLE schema_migrations (version INTEGER PRIMARY KEY, name TEXT NOT NULL, applied_at TEXT NOT NULL)');
  for (const m of migrations.filter((x) => x.version <= 2)) {
    db.exec(m.sql as string);
    db.prepare('INSERT INTO schema_migrations VALUES (?, ?, ?)').run(m.version, m.name, '2025-07-01T00:00:00Z');
  }
  const snapshot = (id: string, file: string) =>
    JSON.stringify({ id, file, title: id, publishedAt: '2025-07-02T00:00:00.000Z', date: '2025-07-02T00:00:00.000Z', draft: false, summary: '', url: `https://news.example.com/${id}/`, topics: ['AI'], taxonomies: {}, authors: [], section: 'posts', contentHash: 'old' });
  const article = db.prepare('INSERT INTO articles (id, data, content_hash, first_seen_at, last_seen_at) VALUES (?, ?, ?, ?, ?)');
  article.run('chips', snapshot('chips', 'posts/chips.md'), 'old', '2025-07-02T00:00:00Z', '2025-07-02T00:00:00Z');
  article.run('posts/plain', snapshot('posts/plain', 'posts/plain.md'), 'old', '2025-07-02T00:00:00Z', '2025-07-02T00:00:00Z');
  // Seen when content.dir was the posts folder itself: its file was "moved.md"; its link is the same.
  article.run('moved', snapshot('posts/moved', 'moved.md'), 'old', '2025-07-02T00:00:00Z', '2025-07-02T00:00:00Z');
  db.prepare('INSERT INTO channels (id, first_run_at) VALUES (?, ?)').run('tg', '2025-07-01T00:00:00Z');
  const decision = db.prepare("INSERT INTO decisions (channel_id, article_id, status, decided_at) VALUES ('tg', ?, 'planned', '2025-07-02T00:00:00Z')");
  const delivery = db.prepare(
    "INSERT INTO deliveries (dedupe_key, channel_id, kind, article_id, recipient, status, attempts, next_attempt_at, created_at, sent_at) VALUES (?, 'tg', 'post', ?, 'chat:@news', 'sent', 1, '2025-07-02T00:00:00Z', '2025-07-02T00:00:00Z', '2025-07-02T00:00:01Z')",
  );
  for (const id of ['chips', 'posts/plain', 'moved']) {
    decision.run(id);
    delivery.run(`auto:tg:${id}`, id);
  }
  db.close();
}

async function heraldFor(site: TestSite): Promise<Herald> {
  const config = loadConfig({ file: site.configFile, cwd: site.dir, env: site.env(NOW) });
  const h = await createHerald(config, { log: pino({ level: 'silent' }) });
  heralds.push(h);
  return h;
}

describe('article identity', () => {
  it('a ledger from the old id scheme is migrated and rescanned: ids kept, nothing already sent is planned again', async () => {
    const site = makeSite({ channels: '  tg:\n    type: telegram\n    chat: "@news"\n' });
    oldLedger(path.join(site.dir, 'data/herald.db'));
    site.write('posts/chips.md', seedArticle({ title: 'Chips', date: '2025-07-03T09:00:00+08:00', slug: 'chips', tags: ['AI'] }));
    site.write('posts/plain.md', seedArticle({ title: 'Plain', date: '2025-07-03T09:00:00+08:00', tags: ['AI'] }));
    site.write('posts/new.md', seedArticle({ title: 'New', date: '2025-07-03T10:00:00+08:00', tags: ['AI'] }));
    site.write('posts/moved.md', seedArticle({ title: 'Moved', date: '2025-07-03T09:00:00+08:00', tags: ['AI'] }));
    // A new file whose path-based id is the old slug id of another file.
    site.write('chips.md', seedArticle({ title: 'Root chips', date: '2025-07-03T11:00:00+08:00', tags: ['AI'] }));

    const h = await heraldFor(site);
    const first = await runPass(h, { planOnly: true });
    expect(first.plans).toEqual([expect.objectContaining({ channelId: 'tg', firstContact: false, due: ['posts/new', 'chips~2'] })]);
    const ids = (await h.store.listArticles()).map((s) => [s.article.id, s.article.file]);
    expect(ids).toEqual([
      ['chips', 'posts/chips.md'],
      ['chips~2', 'chips.md'],
      ['moved', 'posts/moved.md'],
      ['posts/new', 'posts/new.md'],
      ['posts/plain', 'posts/plain.md'],
    ]);
    // The refreshed snapshot carries the language and the id the ledger knows.
    expect((await h.store.getArticle('chips'))?.article).toMatchObject({ id: 'chips', language: 'zh-CN', file: 'posts/chips.md' });

    // Rescans keep every id and plan nothing more.
    const again = await runPass(h, { planOnly: true });
    expect(again.plans[0]).toMatchObject({ due: [] });
    expect((await h.store.listArticles()).map((s) => s.article.id)).toEqual(ids.map(([id]) => id));
  });

  it('the default language claims a row from before; another language keeps its own id', async () => {
    const store = await openStore({ path: ':memory:' });
    await store.syncArticles(
      [{ id: 'legacy', file: 'posts/a.md', language: 'en', translationKey: 'k', title: 'A', publishedAt: '2025-07-01T00:00:00.000Z', date: '2025-07-01T00:00:00.000Z', draft: false, summary: '', url: 'https://e.com/a/', topics: [], taxonomies: {}, authors: [], section: 'posts', contentHash: 'x' }],
      new Date('2025-07-01T00:00:00Z'),
      'en',
    );
    // Forget the identity, as a row written before migration 3 has none.
    store.db.prepare('UPDATE articles SET source_key = NULL').run();
    const ids = await store.identifyArticles(
      [
        { id: 'posts/a.zh', file: 'posts/a.md', language: 'zh' },
        { id: 'posts/a', file: 'posts/a.md', language: 'en' },
      ],
      'en',
    );
    expect(ids).toEqual(new Map([['posts/a', 'legacy']]));
    await store.close();
  });
});

describe('subscribers and languages in the store', () => {
  it('keeps a subscriber language through add, sign-up and update, and finds who already got another version', async () => {
    const store = await openStore({ path: ':memory:' });
    const t = new Date('2025-07-01T00:00:00Z');
    const { subscriber: ann } = await store.upsertSubscriber({ email: 'ann@example.com', language: 'zh', status: 'active' }, t);
    expect(ann.language).toBe('zh');
    // An update without a language keeps it.
    expect((await store.upsertSubscriber({ email: 'ann@example.com', name: 'Ann' }, t)).subscriber.language).toBe('zh');
    expect((await store.signUp({ email: 'bob@example.com', topics: [], language: 'ja' }, t)).subscriber.language).toBe('ja');
    expect((await store.upsertSubscriber({ email: 'cy@example.com', status: 'active' }, t)).subscriber.language).toBeUndefined();
    const { subscriber: bob } = await store.upsertSubscriber({ email: 'bob@example.com', status: 'active' }, t);

    await store.applyPlan({ channelId: 'c', createChannelAt: t.toISOString(), decisions: [{ articleId: 'p', status: 'planned' }], deliveries: [], fanouts: [
      { channelId: 'c', kind: 'post', articleId: 'p', dedupePrefix: 'auto:c:p', match: (s) => (s.id === ann.id ? '["p"]' : null), messageId: (s) => `<${s.id}@x>` },
    ] }, t);
    const digest = await store.createDigest('c', [], t);
    expect(digest).toBeUndefined();
    await store.applyPlan({ channelId: 'c', decisions: [{ articleId: 'q', status: 'waiting' }], deliveries: [], fanouts: [] }, t);
    const d = (await store.createDigest('c', ['q'], t)) as NonNullable<Awaited<ReturnType<typeof store.createDigest>>>;
    await store.applyPlan({ channelId: 'c', decisions: [], deliveries: [], fanouts: [
      { channelId: 'c', kind: 'digest', digestId: d.id, dedupePrefix: `digest:${d.id}`, match: (s) => (s.id === bob.id ? '["q"]' : null), messageId: (s) => `<d${s.id}@x>` },
    ] }, t);
    expect(await store.subscribersReached('c', ['p'])).toEqual(new Set([ann.id]));
    expect(await store.subscribersReached('c', ['q'])).toEqual(new Set([bob.id]));
    expect(await store.subscribersReached('c', ['p', 'q', 'zzz'])).toEqual(new Set([ann.id, bob.id]));
    expect(await store.subscribersReached('other', ['p'])).toEqual(new Set());
    await store.close();
  });
});
