import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { type Article, articleStatus } from '../../src/content/article.ts';
import { ArticleParseError } from '../../src/content/errors.ts';
import { parseArticle } from '../../src/content/parse-article.ts';
import type { ContentSettings, SiteSettings } from '../../src/content/site.ts';
import { countGraphemes } from '../../src/util/text.ts';

const FIXTURES = fileURLToPath(new URL('../fixtures/content/site/', import.meta.url));
const site: SiteSettings = { title: 'Example', url: 'https://example.com/', language: 'zh-CN', timezone: 'Asia/Shanghai' };
const content: ContentSettings = { dir: FIXTURES, permalink: '/:section/:filename/' };

const fixture = (file: string): Article => parseArticle(file, readFileSync(FIXTURES + file), site, content);
const inline = (file: string, text: string, s: SiteSettings = site, c: ContentSettings = content): Article =>
  parseArticle(file, Buffer.from(text), s, c);

function reasonOf(fn: () => unknown): string {
  try {
    fn();
  } catch (err) {
    expect(err).toBeInstanceOf(ArticleParseError);
    return (err as ArticleParseError).reason;
  }
  throw new Error('expected an ArticleParseError');
}

const LONE_SURROGATE = /[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/;

describe('parseArticle: the seed article', () => {
  const a = fixture('posts/seed-article.md');

  it('reads every field', () => {
    expect(a).toEqual({
      id: 'posts/seed-article',
      file: 'posts/seed-article.md',
      language: 'zh-CN',
      translationKey: 'page/posts/seed-article',
      title: '欧洲的AI“千兆工厂”热潮：算力基础设施竞赛中的主权宣言',
      publishedAt: '2025-07-01T16:40:05.000Z',
      date: '2025-07-01T16:40:05.000Z',
      draft: false,
      summary:
        '欧盟委员会的AI“千兆工厂”计划收到了来自16个成员国60个站点的76份意向书，远超预期，彰显了欧洲在AI基础设施建设方面的强烈决心。这些工厂将提供大规模计算和数据存储能力，配备最先进的AI芯片，旨在解决算力瓶颈，并在全球AI竞赛中提升欧洲的数字主权和战略自主性。',
      url: 'https://example.com/posts/seed-article/',
      image: 'https://example.com/newsimages/selected_image_YYYY-07-Jul%202,%202025_00-32-31-741.jpg',
      topics: ['AI千兆工厂', '欧洲AI战略', '算力基础设施', '数字主权', 'AI芯片', '欧盟委员会', '产业投资', '技术竞争', '算力与芯片', '产业生态与商业版图', '安全与地缘政治'],
      taxonomies: {
        tags: ['AI千兆工厂', '欧洲AI战略', '算力基础设施', '数字主权', 'AI芯片', '欧盟委员会', '产业投资', '技术竞争'],
        categories: [],
        main_topics: ['算力与芯片', '产业生态与商业版图', '安全与地缘政治'],
      },
      authors: [],
      section: 'posts',
      contentHash: '3ad854ac812575163e4633e78d92aa226e7195b72bb29281d2b818131234d96d',
    });
  });

  it('emits URLs that round-trip and contain no spaces or non-ASCII', () => {
    for (const href of [a.url, a.image as string]) {
      expect(new URL(href).href).toBe(href);
      expect(href).toMatch(/^[\x21-\x7e]+$/);
    }
  });

  it('falls back to the blockquote lead paragraph, footnote markers gone, when summary is absent', () => {
    const text = readFileSync(`${FIXTURES}posts/seed-article.md`, 'utf8').replace(/^summary:.*\n/m, '');
    const b = inline('posts/seed-article.md', text);
    expect(b.summary).toBe(
      '欧盟委员会收到了76份在16个成员国60个地点建立AI“千兆工厂”的意向书，这股前所未有的热情预示着欧洲在人工智能基础设施建设上迈出了重要一步。此举不仅旨在解决AI算力瓶颈，更是欧洲在日益激烈的全球AI竞赛中寻求数字主权和战略自主的关键体现。',
    );
    expect(b.contentHash).not.toBe(a.contentHash);
  });

  it("puts a Chinese title into a :title permalink as Hugo's urlize does (full-width punctuation dropped), percent-encoded", () => {
    const b = parseArticle('posts/seed-article.md', readFileSync(`${FIXTURES}posts/seed-article.md`), site, { ...content, permalink: '/:year/:month/:day/:title/' });
    expect(b.url).toBe(
      `https://example.com/2025/07/02/${encodeURIComponent('欧洲的ai千兆工厂热潮算力基础设施竞赛中的主权宣言')}/`,
    );
    expect(new URL(b.url).href).toBe(b.url);
  });
});

describe('parseArticle: formats and fixtures', () => {
  it('reads TOML with a local date-time, PaperMod cover object and single-string categories', () => {
    expect(fixture('posts/toml-article.md')).toMatchObject({
      id: 'posts/toml-article',
      publishedAt: '2025-07-03T01:30:00.000Z',
      date: '2025-07-03T01:30:00.000Z',
      updatedAt: '2025-07-04T12:00:00.000Z',
      url: 'https://example.com/posts/toml-article/',
      image: 'https://example.com/posts/toml-article/cover.png',
      summary: 'First paragraph of the TOML article.',
      topics: ['toml', 'hugo', 'Engineering'],
      taxonomies: { tags: ['toml', 'hugo'], categories: ['Engineering'], main_topics: [] },
      authors: ['Dana'],
    });
  });

  it('reads bare JSON: date-only in the site zone, description, images[0], authors, de-duplicated topics', () => {
    const a = fixture('posts/bare-json.md');
    expect(a).toMatchObject({
      id: 'posts/bare-json',
      date: '2025-07-04T16:00:00.000Z',
      summary: 'From the description field.',
      image: 'https://cdn.example.org/a%20b.jpg',
      authors: ['Ann', 'Bob'],
      topics: ['json', 'Hugo'],
      taxonomies: { tags: ['json', 'Hugo'], categories: ['hugo'], main_topics: [] },
    });
    expect(a.updatedAt).toBeUndefined();
    expect(a.expiresAt).toBeUndefined();
  });

  it('reads ---json: publishDate as the only date, relative url and site-root image', () => {
    expect(fixture('posts/dash-json.md')).toMatchObject({
      publishedAt: '2025-07-06T08:00:00.000Z',
      date: '2025-07-06T08:00:00.000Z',
      url: 'https://example.com/custom/dash-json/',
      image: 'https://example.com/img/x.png',
      authors: ['Carol'],
    });
  });

  it('names a page bundle after its folder and resolves its image against the page', () => {
    expect(fixture('posts/bundle-post/index.md')).toMatchObject({
      id: 'posts/bundle-post',
      file: 'posts/bundle-post/index.md',
      section: 'posts',
      date: '2025-07-07T10:00:00.000Z',
      url: 'https://example.com/posts/bundle-post/',
      image: 'https://example.com/posts/bundle-post/hero.jpg',
      topics: ['Bundles'],
    });
  });

  it('reads offset-less YAML dates (unquoted) in Asia/Shanghai, not UTC', () => {
    expect(fixture('posts/shanghai-local.md')).toMatchObject({
      date: '2025-07-02T02:00:00.000Z',
      publishedAt: '2025-07-02T02:00:00.000Z',
      updatedAt: '2025-07-01T16:00:00.000Z',
    });
    const ny = parseArticle('posts/shanghai-local.md', readFileSync(`${FIXTURES}posts/shanghai-local.md`), { ...site, timezone: 'America/New_York' }, content);
    expect(ny.date).toBe('2025-07-02T14:00:00.000Z');
  });

  it('gives drafts, future and expired articles the right status', () => {
    const now = new Date('2025-07-15T00:00:00Z');
    expect(articleStatus(fixture('posts/draft.md'), now)).toBe('draft');
    expect(articleStatus(fixture('posts/future.md'), now)).toBe('scheduled');
    const expired = fixture('posts/expired.md');
    expect(expired.expiresAt).toBe('2020-01-01T00:00:00.000Z');
    expect(articleStatus(expired, now)).toBe('expired');
    expect(articleStatus(fixture('posts/seed-article.md'), now)).toBe('published');
  });

  it('collapses the empty section of a root page', () => {
    expect(fixture('about.md')).toMatchObject({ id: 'about', section: '', url: 'https://example.com/about/' });
  });
});

describe('parseArticle: fields', () => {
  const doc = (fm: string, body = 'Body.') => `---\n${fm}\n---\n${body}\n`;

  it('uses publishDate for publishedAt and date for date when both are given', () => {
    const a = inline('p/a.md', doc('title: A\ndate: 2025-07-01T00:00:00Z\npublishDate: 2025-07-03T00:00:00Z'));
    expect([a.date, a.publishedAt]).toEqual(['2025-07-01T00:00:00.000Z', '2025-07-03T00:00:00.000Z']);
  });

  it('reads keys case-insensitively and Hugo aliases', () => {
    const a = inline('p/a.md', doc('Title: A\npubdate: 2025-07-03T00:00:00Z\nexpirydate: 2026-01-01\nModified: 2025-07-04T00:00:00Z\nDraft: yes'));
    expect(a).toMatchObject({
      title: 'A',
      publishedAt: '2025-07-03T00:00:00.000Z',
      expiresAt: '2025-12-31T16:00:00.000Z',
      updatedAt: '2025-07-04T00:00:00.000Z',
      draft: true,
    });
  });

  it('uses the slug in :slug (urlized), falling back to the title; the id is the path, not the slug', () => {
    const c = { ...content, permalink: '/:year/:slug/' };
    expect(inline('p/a.md', doc('title: Hello World\nslug: Custom Slug\ndate: 2025-07-02'), site, c)).toMatchObject({
      id: 'p/a',
      url: 'https://example.com/2025/custom-slug/',
    });
    // 2025-12-31T20:00 UTC is already 2026 in Shanghai, but Hugo takes the year from the date as written.
    expect(inline('p/a.md', doc('title: Hello, World!\ndate: 2025-12-31T20:00:00Z'), site, c)).toMatchObject({
      id: 'p/a',
      url: 'https://example.com/2025/hello-world/',
    });
    // Without an offset the date is in the site zone.
    expect(inline('p/a.md', doc('title: Hello, World!\ndate: 2025-12-31T20:00:00'), site, c).url).toBe('https://example.com/2025/hello-world/');
  });

  it('accepts a page without a title (Hugo lists it with an empty one)', () => {
    expect(inline('p/a.md', doc('date: 2025-07-02')).title).toBe('');
    expect(inline('p/a.md', doc('title: "  "\ndate: 2025-07-02')).title).toBe('');
  });

  it('keeps a site sub-path and an absolute front matter url', () => {
    const sub = { ...site, url: 'https://example.com/blog/' };
    expect(inline('posts/a.md', doc('title: A\ndate: 2025-07-02\nimage: /img/a.png'), sub).url).toBe('https://example.com/blog/posts/a/');
    expect(inline('posts/a.md', doc('title: A\ndate: 2025-07-02\nimage: /img/a.png'), sub).image).toBe('https://example.com/blog/img/a.png');
    expect(inline('posts/a.md', doc('title: A\ndate: 2025-07-02\nurl: https://other.example/x y'), sub).url).toBe('https://other.example/x%20y');
  });

  it('picks the image by priority: featured_image, image, cover, images[0]', () => {
    const pick = (fm: string) => inline('p/a.md', doc(`title: A\ndate: 2025-07-02\n${fm}`)).image;
    expect(pick('images: [i.png]\ncover: c.png\nimage: m.png\nfeatured_image: f.png')).toBe('https://example.com/p/a/f.png');
    expect(pick('images: [i.png]\ncover: c.png\nimage: m.png')).toBe('https://example.com/p/a/m.png');
    expect(pick('images: [i.png]\ncover:\n  image: c.png')).toBe('https://example.com/p/a/c.png');
    expect(pick('images: i.png')).toBe('https://example.com/p/a/i.png');
    expect(pick('cover:\n  alt: no image here')).toBeUndefined();
  });

  it('merges author and authors, accepting { name } objects', () => {
    const a = inline('p/a.md', doc('title: A\ndate: 2025-07-02\nauthor: { name: Ann }\nauthors: [Bob, ann, "  Carol  Doe "]'));
    expect(a.authors).toEqual(['Ann', 'Bob', 'Carol Doe']);
  });

  it('treats single strings as one-element lists and drops empty entries', () => {
    const a = inline('p/a.md', doc('title: A\ndate: 2025-07-02\ntags: solo\ncategories: [" ", Solo, null, 42]\nmain_topics: []'));
    expect(a.taxonomies).toEqual({ tags: ['solo'], categories: ['Solo', '42'], main_topics: [] });
    expect(a.topics).toEqual(['solo', '42']);
  });

  it('takes numeric titles as text and collapses whitespace', () => {
    expect(inline('p/a.md', doc('title: 1984\ndate: 2025-07-02')).title).toBe('1984');
    expect(inline('p/a.md', doc('title: "  Two\\n  lines "\ndate: 2025-07-02')).title).toBe('Two lines');
  });

  it('cuts a long body summary to 200 graphemes on a boundary, with no lone surrogate', () => {
    const body = `${'算力基础设施建设，'.repeat(30)}😀`;
    const a = inline('p/a.md', doc('title: A\ndate: 2025-07-02'), site);
    const b = inline('p/a.md', doc('title: A\ndate: 2025-07-02', body), site);
    expect(a.summary).toBe('Body.');
    expect(countGraphemes(b.summary)).toBeLessThanOrEqual(200);
    expect(b.summary).toMatch(/^(算力基础设施建设，)+算力基础设施建设…$/);
    expect(LONE_SURROGATE.test(b.summary)).toBe(false);
  });

  it('strips a UTF-8 byte order mark', () => {
    expect(inline('p/a.md', `\ufeff${doc('title: BOM\ndate: 2025-07-02')}`).title).toBe('BOM');
  });
});

describe('parseArticle: unusable files', () => {
  const bad = (text: string, file = 'p/bad.md') => reasonOf(() => inline(file, text));

  it.each([
    ['broken/broken-yaml.md', /^front matter: invalid YAML at line 5, column 1: /],
    ['broken/impossible-date.md', /^front matter: "date" is "2025-13-45", expected an ISO 8601 date like 2025-07-02T00:40:05\+08:00$/],
    ['broken/no-date.md', /^no date \(date, publishDate, lastmod…\): Hugo lists it dated 0001-01-01$/],
    ['broken/no-front-matter.md', /^no date /],
    ['broken/binary.md', /^binary file \(contains NUL bytes\)/],
    ['broken/latin1.md', /^not valid UTF-8 \(first bad byte at offset 14\)/],
  ])('%s', (file, expected) => {
    expect(reasonOf(() => fixture(file))).toMatch(expected);
  });

  it('rejects wrong types, naming the key and what was expected', () => {
    expect(bad('---\ntitle: [a]\ndate: 2025-07-02\n---\n')).toBe('front matter: "title" is a list, expected a string');
    expect(bad('---\ntitle: A\ndate: 2025-07-02\ndraft: maybe\n---\n')).toBe('front matter: "draft" is "maybe", expected true or false');
    expect(bad('---\ntitle: A\ndate: 2025-07-02\ntags: {a: 1}\n---\n')).toBe('front matter: "tags" is a table/mapping, expected a string or a list of strings');
    expect(bad('---\ntitle: A\ndate: 2025-07-02\ncover: [a.png]\n---\n')).toBe('front matter: "cover" is a list, expected an image path or a mapping with "image"');
    expect(bad('---\ntitle: A\ndate: 2025-07-02\nurl: ftp://x.example/\n---\n')).toBe('front matter: "url" is "ftp://x.example/": uses "ftp:", expected an http(s) URL or a path');
    expect(bad('---\ntitle: A\ndate: 2025-07-02\nexpiryDate: soon\n---\n')).toMatch(/^front matter: "expiryDate" is "soon", expected an ISO 8601 date/);
    expect(bad('---\ntitle: A\ndate: 2025-07-02\nauthor: {email: x}\n---\n')).toBe('front matter: "author" is a table/mapping, expected a name, a list of names, or mappings with "name"');
  });

  it('rejects list pages, UTF-16 files and oversize buffers', () => {
    expect(bad('---\ntitle: A\n---\n', 'posts/_index.md')).toBe('list page (_index.md), not an article');
    const utf16 = Buffer.concat([Buffer.from([0xff, 0xfe]), Buffer.from('---\ntitle: A\n---\n', 'utf16le')]);
    expect(reasonOf(() => parseArticle('p/a.md', utf16, site, content))).toBe('file is UTF-16 encoded (byte order mark), expected UTF-8 text');
    const big = Buffer.alloc(5 * 1024 * 1024 + 1, 0x61);
    expect(reasonOf(() => parseArticle('p/a.md', big, site, content))).toBe('file is 5.0 MB, larger than the 5 MB limit for an article');
  });

  it('rejects unusable site settings', () => {
    const good = '---\ntitle: A\ndate: 2025-07-02\n---\n';
    expect(reasonOf(() => inline('a.md', good, { ...site, timezone: 'Nowhere/City' }))).toMatch(/site timezone "Nowhere\/City"/);
    expect(reasonOf(() => inline('a.md', good, { ...site, url: 'example.com' }))).toMatch(/site url "example.com" is not an absolute URL/);
    expect(reasonOf(() => inline('a.md', good, site, { ...content, permalink: '/:nope/' }))).toMatch(/unknown token :nope/);
  });
});
