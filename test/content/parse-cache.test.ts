import { cpSync, mkdtempSync, rmSync, utimesSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { ParseCache } from '../../src/content/parse-cache.ts';
import { scanContent } from '../../src/content/scan.ts';
import type { ContentSettings, SiteSettings } from '../../src/content/site.ts';

const FIXTURES = fileURLToPath(new URL('../fixtures/content/site/', import.meta.url));
const site: SiteSettings = { title: 'Example', url: 'https://example.com/', language: 'zh-CN', timezone: 'Asia/Shanghai' };
const settings = (dir: string): ContentSettings => ({ dir, permalink: '/:section/:filename/' });
const HOUR_AGO = Date.now() / 1000 - 3600;

describe('scanContent with a parse cache', () => {
  let dir: string;
  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'herald-parse-cache-'));
    cpSync(FIXTURES, dir, { recursive: true });
    // Files written "just now" are always re-read; these are old enough to be trusted.
    for (const f of ['posts/seed-article.md', 'posts/toml-article.md', 'posts/draft.md']) utimesSync(join(dir, f), HOUR_AGO, HOUR_AGO);
  });
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  it('gives the same scan as without a cache, first and again', async () => {
    const plain = await scanContent(settings(dir), site);
    const cache = new ParseCache('s1');
    cache.begin();
    expect(await scanContent(settings(dir), site, { cache })).toEqual(plain);
    cache.begin();
    expect(await scanContent(settings(dir), site, { cache })).toEqual(plain);
    expect(cache.stats.reused).toBeGreaterThanOrEqual(3);
  });

  it('re-reads a changed file, keeps a touched but unchanged one, forgets a deleted one', async () => {
    const cache = new ParseCache('s1');
    cache.begin();
    await scanContent(settings(dir), site, { cache });
    const seed = join(dir, 'posts/seed-article.md');

    // Same size and time: not read.
    cache.begin();
    await scanContent(settings(dir), site, { cache });
    expect(cache.changed.map((c) => c.path)).not.toContain(seed);

    // Touched, same bytes: read and hashed, not parsed again, its new time recorded.
    utimesSync(seed, HOUR_AGO + 60, HOUR_AGO + 60);
    cache.begin();
    await scanContent(settings(dir), site, { cache });
    expect(cache.changed.find((c) => c.path === seed)?.mtimeMs).toBeCloseTo((HOUR_AGO + 60) * 1000, -1);

    // Changed: the new title is what the scan gives.
    writeFileSync(seed, '---\ntitle: A new title\ndate: 2025-07-02T00:40:05+08:00\n---\n\nBody.\n');
    utimesSync(seed, HOUR_AGO + 120, HOUR_AGO + 120);
    cache.begin();
    const changed = await scanContent(settings(dir), site, { cache });
    expect(changed.articles.find((a) => a.id === 'posts/seed-article')?.title).toBe('A new title');

    rmSync(seed);
    cache.begin();
    await scanContent(settings(dir), site, { cache });
    expect(cache.removed()).toEqual([seed]);
  });

  it('does not use a page parsed with other settings or by other code', async () => {
    const cache = new ParseCache('s1');
    cache.begin();
    await scanContent(settings(dir), site, { cache });
    const entries = [...cache.changed];
    const other = new ParseCache('s2', entries);
    other.begin();
    const scan = await scanContent({ ...settings(dir), permalink: '/:year/:filename/' }, site, { cache: other });
    expect(other.stats.reused).toBe(0);
    expect(scan.articles.find((a) => a.id === 'posts/seed-article')?.url).toBe('https://example.com/2025/seed-article/');
  });

  it('never hands out the cached objects themselves', async () => {
    const cache = new ParseCache('s1');
    cache.begin();
    const first = await scanContent(settings(dir), site, { cache });
    const a = first.articles.find((x) => x.id === 'posts/seed-article');
    if (a) a.title = 'changed by a caller';
    cache.begin();
    const again = await scanContent(settings(dir), site, { cache });
    expect(again.articles.find((x) => x.id === 'posts/seed-article')?.title).not.toBe('changed by a caller');
  });
});
// The store's side of the cache is in the store contract (test/store/store-contract.test.ts), on both engines.
