import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import type { Article } from '../../src/content/article.ts';
import { openStore, type SqliteStore } from '../../src/store/sqlite/sqlite-store.ts';

const article = (id: string, title = id): Article => ({
  id,
  file: `posts/${id}.md`,
  language: 'en',
  translationKey: `page/posts/${id}`,
  title,
  publishedAt: '2025-07-02T00:00:00.000Z',
  date: '2025-07-02T00:00:00.000Z',
  draft: false,
  summary: '',
  url: `https://example.com/posts/${id}/`,
  topics: [],
  taxonomies: {},
  authors: [],
  section: 'posts',
  contentHash: `h-${id}-${title}`,
});

let dir: string;
let store: SqliteStore;
afterEach(async () => {
  await store.close();
  rmSync(dir, { recursive: true, force: true });
});

describe('syncArticles', () => {
  it('marks unchanged articles seen, changed ones updated, missing ones gone, and a returning one present again', async () => {
    dir = mkdtempSync(path.join(tmpdir(), 'herald-sync-'));
    store = await openStore({ path: path.join(dir, 'h.db') });
    const t1 = new Date('2025-07-01T00:00:00Z');
    const t2 = new Date('2025-07-02T00:00:00Z');
    const t3 = new Date('2025-07-03T00:00:00Z');
    expect((await store.syncArticles([article('a'), article('b'), article('c')], t1)).added).toEqual(['a', 'b', 'c']);

    // a unchanged, b edited, c gone.
    await store.syncArticles([article('a'), article('b', 'B2')], t2);
    const byId = async () => new Map((await store.listArticles()).map((s) => [s.article.id, s]));
    let rows = await byId();
    expect(rows.get('a')).toMatchObject({ firstSeenAt: t1.toISOString(), lastSeenAt: t2.toISOString() });
    expect(rows.get('a')?.goneAt).toBeUndefined();
    expect(rows.get('b')).toMatchObject({ lastSeenAt: t2.toISOString(), article: { title: 'B2' } });
    expect(rows.get('c')).toMatchObject({ lastSeenAt: t1.toISOString(), goneAt: t2.toISOString() });

    // c comes back unchanged: present again, not new.
    expect((await store.syncArticles([article('a'), article('b', 'B2'), article('c')], t3)).added).toEqual([]);
    rows = await byId();
    expect(rows.get('c')).toMatchObject({ lastSeenAt: t3.toISOString(), firstSeenAt: t1.toISOString() });
    expect(rows.get('c')?.goneAt).toBeUndefined();
    expect(rows.get('a')?.lastSeenAt).toBe(t3.toISOString());
  });
});
