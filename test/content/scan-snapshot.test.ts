/** A whole scan taken from the last one when nothing it was made of changed (ScanSnapshots). */
import { cpSync, mkdtempSync, readdirSync, rmSync, statSync, utimesSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { ScanResult } from '../../src/content/article.ts';
import { type CachedPage, ParseCache } from '../../src/content/parse-cache.ts';
import { type ScanSnapshots, scanContent } from '../../src/content/scan.ts';
import type { ContentSettings, SiteSettings } from '../../src/content/site.ts';

const FIXTURES = fileURLToPath(new URL('../fixtures/content/site/', import.meta.url));
const site: SiteSettings = { title: 'Example', url: 'https://example.com/', language: 'zh-CN', timezone: 'Asia/Shanghai' };
const settings = (dir: string): ContentSettings => ({ dir, permalink: '/:section/:filename/' });
const HOUR_AGO = Date.now() / 1000 - 3600;

/** Snapshots as the store keeps them: one, as JSON. */
function memorySnapshots() {
  const kept: { fingerprint?: string; json?: string; recorded: Array<string | undefined>; found: number } = { recorded: [], found: 0 };
  const snapshots: ScanSnapshots = {
    async find(fingerprint) {
      if (kept.fingerprint !== fingerprint || kept.json === undefined) return undefined;
      kept.found++;
      return JSON.parse(kept.json) as ScanResult;
    },
    async record(fingerprint, result) {
      kept.recorded.push(fingerprint);
      kept.fingerprint = fingerprint;
      kept.json = fingerprint === undefined ? undefined : JSON.stringify(result);
    },
  };
  return { kept, snapshots };
}

describe('scanContent with a scan snapshot', () => {
  let dir: string;
  /** The parse cache's pages, as the store keeps them across processes. */
  let pages: CachedPage[];
  let loads: number;
  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'herald-scan-snapshot-'));
    cpSync(FIXTURES, dir, { recursive: true });
    pages = [];
    loads = 0;
    ageAll();
  });
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  /** Every file an hour old: older than the clock's resolution, so sizes and times are trusted. */
  function ageAll(): void {
    for (const f of readdirSync(dir, { recursive: true, encoding: 'utf8' })) utimesSync(join(dir, f), HOUR_AGO, HOUR_AGO);
  }

  /** One scan as a new process makes it: a parse cache loaded on demand from `pages`. */
  async function scan(snapshots: ScanSnapshots, stamp = 's1'): Promise<{ result: ScanResult; cache: ParseCache }> {
    const cache = new ParseCache(stamp, async () => {
      loads++;
      return pages;
    });
    cache.begin();
    const result = await scanContent(settings(dir), site, { cache, snapshots });
    const changed = new Map(cache.changed.map((c) => [c.path, c]));
    const gone = new Set(cache.removed());
    pages = [...pages.filter((p) => !changed.has(p.path) && !gone.has(p.path)), ...changed.values()];
    return { result, cache };
  }

  it('gives the same result as a plain scan, the second time without loading the parse cache or forgetting a page', async () => {
    const plain = await scanContent(settings(dir), site);
    const { kept, snapshots } = memorySnapshots();
    expect((await scan(snapshots)).result).toEqual(plain);
    expect(kept.recorded).toHaveLength(1);
    expect(kept.recorded[0]).toMatch(/^[\w-]{43}$/);
    expect(loads).toBe(1);
    const cached = pages.length;

    const again = await scan(snapshots);
    expect(again.result).toEqual(plain);
    expect(kept.found).toBe(1);
    expect(loads).toBe(1);
    expect(again.cache.removed()).toEqual([]);
    expect(pages).toHaveLength(cached);
  });

  it('scans afresh when a page, a file, a folder or a setting changed, and gives the new result', async () => {
    const { kept, snapshots } = memorySnapshots();
    const first = await scan(snapshots);
    const seed = join(dir, 'posts/seed-article.md');
    const title = (r: ScanResult, id = 'posts/seed-article') => r.articles.find((a) => a.id === id)?.title;

    // New bytes (another size).
    writeFileSync(seed, '---\ntitle: A new title\ndate: 2025-07-02T00:40:05+08:00\n---\n\nBody.\n');
    utimesSync(seed, HOUR_AGO + 60, HOUR_AGO + 60);
    expect(title((await scan(snapshots)).result)).toBe('A new title');

    // Same size, another time (an edit that kept the length).
    writeFileSync(seed, '---\ntitle: A new TITLE\ndate: 2025-07-02T00:40:05+08:00\n---\n\nBody.\n');
    utimesSync(seed, HOUR_AGO + 120, HOUR_AGO + 120);
    expect(title((await scan(snapshots)).result)).toBe('A new TITLE');

    // A page added, then taken away.
    writeFileSync(join(dir, 'posts/added.md'), '---\ntitle: Added\ndate: 2025-07-01T08:00:00+08:00\n---\n\nNew.\n');
    utimesSync(join(dir, 'posts/added.md'), HOUR_AGO, HOUR_AGO);
    expect(title((await scan(snapshots)).result, 'posts/added')).toBe('Added');
    rmSync(join(dir, 'posts/added.md'));
    expect(title((await scan(snapshots)).result, 'posts/added')).toBeUndefined();

    // A list page's cascade: not a page itself, but what the pages below it get.
    writeFileSync(join(dir, 'posts/_index.md'), '---\ntitle: Posts\ncascade:\n  tags: [cascaded]\n---\nSection list page.\n');
    utimesSync(join(dir, 'posts/_index.md'), HOUR_AGO + 180, HOUR_AGO + 180);
    const cascaded = (await scan(snapshots)).result;
    // (The rewritten seed article has no tags of its own.)
    expect(cascaded.articles.find((a) => a.id === 'posts/seed-article')?.topics).toContain('cascaded');

    // Other settings or another build of Herald (the parse cache's stamp).
    const found = kept.found;
    const before = kept.recorded.at(-1);
    await scan(snapshots, 's2');
    expect(kept.recorded.at(-1)).not.toBe(before);
    expect(kept.found).toBe(found);
    // Each state its own fingerprint; the same files again, the same one (added, then removed).
    const [, newTitle, sameSize, added, removed, cascade, stamp] = kept.recorded;
    expect(removed).toBe(sameSize);
    expect(new Set([kept.recorded[0], newTitle, sameSize, added, cascade, stamp]).size).toBe(6);
    expect(first.result).not.toEqual(cascaded);
  });

  it('keeps none while a page is newer than the clock can tell apart', async () => {
    const { kept, snapshots } = memorySnapshots();
    const seed = join(dir, 'posts/seed-article.md');
    writeFileSync(seed, '---\ntitle: Just written\ndate: 2025-07-02T00:40:05+08:00\n---\n\nBody.\n');
    expect(Date.now() - statSync(seed).mtimeMs).toBeLessThan(2000);
    await scan(snapshots);
    expect(kept.recorded).toEqual([undefined]);
    // Rewritten within the same clock tick, same size: still read, never taken from a snapshot.
    writeFileSync(seed, '---\ntitle: Just WRITTEN\ndate: 2025-07-02T00:40:05+08:00\n---\n\nBody.\n');
    const { mtime } = statSync(seed);
    utimesSync(seed, mtime, mtime);
    const again = await scan(snapshots);
    expect(again.result.articles.find((a) => a.id === 'posts/seed-article')?.title).toBe('Just WRITTEN');
    expect(kept.found).toBe(0);
  });
});
