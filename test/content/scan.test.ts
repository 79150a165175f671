import { mkdir, mkdtemp, rm, symlink, truncate, writeFile } from 'node:fs/promises';
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

describe('scanContent on the fixture site', () => {
  it('returns the articles sorted by publishedAt then id', async () => {
    const { articles } = await scanContent(settings(FIXTURES), site);
    expect(articles.map((a) => [a.publishedAt, a.id])).toEqual([
      ['2019-06-01T00:00:00.000Z', 'posts/expired'],
      ['2025-01-01T00:00:00.000Z', 'about'],
      ['2025-07-01T16:00:00.000Z', 'broken/missing-title'],
      ['2025-07-01T16:40:05.000Z', 'posts/seed-article'],
      ['2025-07-02T02:00:00.000Z', 'posts/shanghai-local'],
      ['2025-07-03T01:30:00.000Z', 'posts/toml-article'],
      ['2025-07-04T16:00:00.000Z', 'posts/bare-json'],
      ['2025-07-06T08:00:00.000Z', 'posts/dash-json'],
      ['2025-07-07T10:00:00.000Z', 'posts/bundle-post'],
      ['2025-07-08T10:00:00.000Z', 'posts/draft'],
      ['2025-07-10T00:00:00.000Z', 'dup/first'],
      ['2025-07-11T00:00:00.000Z', 'dup/second'],
      ['2099-01-01T00:00:00.000Z', 'posts/future'],
    ]);
  });

  it('lists list pages and markdown resources inside a bundle as skipped, with the reason; never reads dot-folders or non-content files', async () => {
    const { articles, problems, skipped } = await scanContent(settings(FIXTURES), site);
    const files = [...articles.map((a) => a.file), ...problems.map((p) => p.file)];
    expect(files).not.toContain('_index.md');
    expect(files).not.toContain('posts/bundle-post/notes.md');
    expect(files).toContain('posts/bundle-post/index.md');
    expect(skipped.map((s) => [s.file, s.reason])).toEqual([
      ['_index.md', 'list-page'],
      ['broken/no-date.md', 'undated'],
      ['broken/no-front-matter.md', 'undated'],
      ['posts/_index.md', 'list-page'],
      ['posts/bundle-post/notes.md', 'resource'],
    ]);
    const all = await scanContent(settings(FIXTURES), site, { all: true });
    expect(all.skipped.filter((s) => s.reason === 'not-content').map((s) => s.file)).toEqual(['notes.txt']);
    expect([...all.skipped, ...all.articles].map((x) => x.file).filter((f) => f.startsWith('.'))).toEqual([]);
  });

  it('reports every bad file, in path order, without stopping the others', async () => {
    const { problems } = await scanContent(settings(FIXTURES), site);
    expect(problems).toEqual([
      { file: 'broken/binary.md', reason: 'binary file (contains NUL bytes), expected UTF-8 markdown text' },
      { file: 'broken/broken-yaml.md', reason: 'front matter: invalid YAML at line 5, column 1: Flow sequence in block collection must be sufficiently indented and end with a ]' },
      { file: 'broken/impossible-date.md', reason: 'front matter: "date" is "2025-13-45", expected an ISO 8601 date like 2025-07-02T00:40:05+08:00' },
      { file: 'broken/latin1.md', reason: 'not valid UTF-8 (first bad byte at offset 14), expected UTF-8 text; re-save the file as UTF-8' },
    ]);
  });

  it('is deterministic', async () => {
    const first = await scanContent(settings(FIXTURES), site);
    const second = await scanContent(settings(FIXTURES), site);
    expect(second).toEqual(first);
  });
});

describe('scanContent on generated folders', () => {
  let dir: string;
  beforeEach(async () => {
    dir = await mkdtemp(join(tmpdir(), 'herald-scan-'));
  });
  afterEach(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  const page = (title: string, date = '2025-07-02T00:00:00Z') => `---\ntitle: ${title}\ndate: ${date}\n---\nBody of ${title}.\n`;

  async function put(file: string, text: string): Promise<void> {
    await mkdir(join(dir, file, '..'), { recursive: true });
    await writeFile(join(dir, file), text);
  }

  it('reports an oversize file without reading it, and still reads the rest', async () => {
    await put('a.md', page('A'));
    await writeFile(join(dir, 'huge.md'), '');
    await truncate(join(dir, 'huge.md'), 6 * 1024 * 1024); // sparse: instant, no 6 MB written
    const { articles, problems } = await scanContent(settings(dir), site);
    expect(articles.map((a) => a.id)).toEqual(['a']);
    expect(problems).toEqual([{ file: 'huge.md', reason: 'file is 6 MB, larger than the 5 MB limit for an article' }]);
  });

  it('reports the same problems whether a page is stat-ed before it is read (a cache to check) or as it is opened (nothing cached)', async () => {
    await put('a.md', page('A'));
    await writeFile(join(dir, 'huge.md'), '');
    await truncate(join(dir, 'huge.md'), 6 * 1024 * 1024);
    await symlink(join(dir, 'gone.md'), join(dir, 'broken.md'));
    await mkdir(join(dir, 'folder.md', 'inner'), { recursive: true });
    await put('folder.md/inner/b.md', page('B'));
    const cache = new ParseCache('s');
    cache.begin();
    const cold = await scanContent(settings(dir), site, { cache });
    expect(cache.size).toBeGreaterThan(0);
    cache.begin();
    await put('c.md', page('C'));
    const warm = await scanContent(settings(dir), site, { cache });
    expect(warm.problems).toEqual(cold.problems);
    expect(cold.problems.map((p) => p.file)).toEqual(['broken.md', 'huge.md']);
    expect(cold.problems[0]?.reason).toMatch(/^cannot read file: ENOENT: no such file or directory, stat '/);
    expect(await scanContent(settings(dir), site)).toEqual(warm);
  });

  it('accepts a file of exactly 5 MB', async () => {
    const head = page('Big');
    await put('big.md', head + 'x'.repeat(5 * 1024 * 1024 - Buffer.byteLength(head)));
    const { articles, problems } = await scanContent(settings(dir), site);
    expect(problems).toEqual([]);
    expect(articles.map((a) => a.id)).toEqual(['big']);
  });

  it('skips node_modules, dot-files, editor files and dot-folders at any depth; reads every content format Hugo reads', async () => {
    await put('node_modules/pkg/readme.md', page('Dependency'));
    await put('posts/node_modules/x.md', page('Nested dependency'));
    await put('.git/info.md', page('Git'));
    await put('posts/.draft.md', page('Dot file'));
    await put('posts/#scratch.md', page('Editor file'));
    await put('posts/real.markdown', page('Real'));
    await put('posts/page.html', page('HTML'));
    await put('posts/UPPER.MD', page('Upper'));
    const { articles, problems } = await scanContent(settings(dir), site);
    expect(problems).toEqual([]);
    expect(articles.map((a) => a.file)).toEqual(['posts/page.html', 'posts/real.markdown']);
    expect(articles.map((a) => a.id)).toEqual(['posts/page', 'posts/real']);
  });

  it('builds the bundle, not the plain page of the same path, and says so', async () => {
    await put('posts/trip.md', page('Plain'));
    await put('posts/trip/index.md', page('Bundle'));
    const { articles, problems, skipped } = await scanContent(settings(dir), site);
    expect(articles.map((a) => a.file)).toEqual(['posts/trip/index.md']);
    expect(problems).toEqual([]);
    expect(skipped).toEqual([
      { file: 'posts/trip.md', language: 'zh-CN', reason: 'shadowed', detail: 'posts/trip/index.md is the same page (posts/trip); Hugo builds only that one' },
    ]);
  });

  it('gives two files with the same slug their own ids', async () => {
    await put('a/x.md', page('X').replace('---\n', '---\nslug: same\n'));
    await put('b/y.md', page('Y').replace('---\n', '---\nslug: same\n'));
    const { articles } = await scanContent({ dir }, site);
    expect(articles.map((a) => [a.id, a.url])).toEqual([
      ['a/x', 'https://example.com/a/same/'],
      ['b/y', 'https://example.com/b/same/'],
    ]);
  });

  it('follows symlinks but not into a loop', async () => {
    await put('posts/a.md', page('A'));
    await symlink(join(dir, 'posts'), join(dir, 'posts', 'loop'));
    await symlink(join(dir, 'posts', 'a.md'), join(dir, 'linked.md'));
    const { articles, problems } = await scanContent(settings(dir), site);
    expect(articles.map((a) => a.file).sort()).toEqual(['linked.md', 'posts/a.md']);
    expect(problems).toEqual([]);
  });

  it('orders articles with the same publishedAt by id', async () => {
    await put('b.md', page('B'));
    await put('a.md', page('A'));
    await put('c.md', page('C', '2025-07-01T00:00:00Z'));
    const { articles } = await scanContent(settings(dir), site);
    expect(articles.map((a) => a.id)).toEqual(['c', 'a', 'b']);
  });

  it('returns nothing for an empty folder', async () => {
    expect(await scanContent(settings(dir), site)).toEqual({ articles: [], problems: [], skipped: [], warnings: [] });
  });

  it('throws once for a missing folder or unusable settings instead of failing every file', async () => {
    await expect(scanContent(settings(join(dir, 'missing')), site)).rejects.toThrow(/content folder .*missing cannot be read/);
    await expect(scanContent(settings(dir), { ...site, timezone: 'Nowhere/City' })).rejects.toThrow(/site timezone "Nowhere\/City"/);
    await expect(scanContent({ dir, permalink: '/:bogus/' }, site)).rejects.toThrow('permalink "/:bogus/" has unknown token :bogus');
    await expect(scanContent({ dir, ignoreFiles: ['(unclosed'] }, site)).rejects.toThrow(/ignoreFiles: "\(unclosed" is not a valid regular expression/);
  });
});
