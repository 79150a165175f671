/** A whole scan taken from the last one when nothing it was made of changed (ScanSnapshots). */
import { cpSync, mkdirSync, mkdtempSync, readdirSync, rmSync, statSync, utimesSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { ScanResult } from '../../src/content/article.ts';
import { type CachedPage, ParseCache } from '../../src/content/parse-cache.ts';
import { type ScanInputs, type ScanSnapshots, scanContent } from '../../src/content/scan.ts';
import type { ContentSettings, SiteSettings } from '../../src/content/site.ts';

const FIXTURES = fileURLToPath(new URL('../fixtures/content/site/', import.meta.url));
const site: SiteSettings = { title: 'Example', url: 'https://example.com/', language: 'zh-CN', timezone: 'Asia/Shanghai' };
const settings = (dir: string): ContentSettings => ({ dir, permalink: '/:section/:filename/' });
const HOUR_AGO = Date.now() / 1000 - 3600;

/** Snapshots as the store keeps them: one, as JSON. */
function memorySnapshots() {
  const kept: { id?: string; inputs?: string; json?: string; recorded: Array<string | undefined>; found: number; lastInputs?: ScanInputs } = { recorded: [], found: 0 };
  const snapshots: ScanSnapshots = {
    async kept() {
      return kept.id === undefined ? undefined : { id: kept.id, inputs: JSON.parse(kept.inputs as string) as ScanInputs };
    },
    async find(id) {
      if (kept.id !== id || kept.json === undefined) return undefined;
      kept.found++;
      return JSON.parse(kept.json) as ScanResult;
    },
    async record(snapshot, result) {
      kept.recorded.push(snapshot?.id);
      kept.id = snapshot?.id;
      kept.inputs = snapshot && JSON.stringify(snapshot.inputs);
      kept.lastInputs = snapshot?.inputs;
      kept.json = snapshot === undefined ? undefined : JSON.stringify(result);
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

  /** Every file and folder an hour old: older than the clock's resolution, so sizes and times are trusted. */
  function ageAll(at = HOUR_AGO): void {
    for (const f of ['', ...readdirSync(dir, { recursive: true, encoding: 'utf8' })]) utimesSync(join(dir, f), at, at);
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
    expect(kept.recorded[0]).toMatch(/^[\w-]{36}$/);
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
    // (Its folder's time changes with it; set back to an hour ago, only the listing tells.)
    writeFileSync(join(dir, 'posts/added.md'), '---\ntitle: Added\ndate: 2025-07-01T08:00:00+08:00\n---\n\nNew.\n');
    ageAll(HOUR_AGO + 240);
    expect(title((await scan(snapshots)).result, 'posts/added')).toBe('Added');
    rmSync(join(dir, 'posts/added.md'));
    ageAll(HOUR_AGO + 240);
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
    // Each state kept anew.
    expect(kept.recorded).toHaveLength(7);
    expect(kept.recorded.every((f) => f !== undefined)).toBe(true);
    expect(new Set(kept.recorded).size).toBe(7);
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

describe('scan snapshots of a Jekyll site', () => {
  it('takes an unchanged site whole and sees a new post, a page turned into a post and a collection file', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'herald-scan-snapshot-jekyll-'));
    try {
      const write = (rel: string, text: string) => {
        mkdirSync(dirname(join(dir, rel)), { recursive: true });
        writeFileSync(join(dir, rel), text);
      };
      write('_posts/2025-07-01-first.md', '---\ntitle: First\n---\n\nOne.\n');
      write('about.md', 'No front matter: a static file.\n');
      const age = (at: number) => {
        for (const f of ['', ...readdirSync(dir, { recursive: true, encoding: 'utf8' })]) utimesSync(join(dir, f), at, at);
      };
      age(HOUR_AGO);
      const jekyll = { source: dir, permalink: '/:year/:title/', collections: [{ label: 'notes', permalink: '/notes/:title/' }], collectionsDir: '', defaults: [], exclude: [], include: [], markdownExt: ['md'] };
      const content: ContentSettings = { dir, generator: 'jekyll', jekyll };
      const { kept, snapshots } = memorySnapshots();
      const scan = async () => {
        const cache = new ParseCache('j1', []);
        cache.begin();
        return scanContent(content, site, { cache, snapshots });
      };
      const files = (r: ScanResult) => r.articles.map((a) => a.file).sort();
      expect(files(await scan())).toEqual(['_posts/2025-07-01-first.md']);
      expect(kept.lastInputs?.folders).toContain(join(dir, '_posts'));
      expect(kept.lastInputs?.files).toContain(join(dir, 'about.md'));
      expect(files(await scan())).toEqual(['_posts/2025-07-01-first.md']);
      expect(kept.found).toBe(1);

      write('_posts/2025-07-02-second.md', '---\ntitle: Second\n---\n\nTwo.\n');
      write('_notes/a-note.md', '---\ntitle: A note\ndate: 2025-07-03\n---\n\nNote.\n');
      age(HOUR_AGO + 60);
      expect(files(await scan())).toEqual(['_notes/a-note.md', '_posts/2025-07-01-first.md', '_posts/2025-07-02-second.md']);
      expect(kept.found).toBe(1);
      // A file the walk read (its first bytes): about.md now has front matter, so it is a page (skipped: not a post).
      write('about.md', '---\ntitle: About\n---\n\nNow a page.\n');
      age(HOUR_AGO + 120);
      const r = await scan();
      expect(r.skipped.find((s) => s.file === 'about.md')?.reason).toBe('not-a-post');
      expect(kept.found).toBe(1);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
