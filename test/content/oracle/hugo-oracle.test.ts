/**
 * Herald against the real Hugo (Debian's hugo 0.111): each fixture site below is written
 * by the test for one rule of issue 8, built by Hugo, read by Herald, and the two are
 * compared page by page (see test/helpers/oracle.ts). No expected URL is written by hand.
 */
import { describe, expect, it } from 'vitest';
import { compareTranslations, compareWithHugo, makeFixture } from '../../helpers/oracle.ts';

const TIMEOUT = 60_000;
const page = (fm: string, body = 'Body text.\n') => `---\n${fm.trim()}\n---\n${body}`;

describe('Hugo oracle', () => {
  it(
    'CJK titles with full-width punctuation, apostrophes and other punctuation in :title and :slug',
    async () => {
      const titles = [
        '中文：标题，好！',
        '欧洲的AI“千兆工厂”热潮：算力基础设施竞赛中的主权宣言',
        "Hugo's Lookup Order",
        'Hugo 0.24',
        'C++ & C# in 2025',
        '100% real (really) — yes!',
        '  Leading and   trailing spaces  ',
        'Ünïcödé ÇA VA?',
        'Tabs\tand\u3000ideographic space',
        'a+b=c',
        'Dots...and-dashes--here',
        '「引号」与『书名号』《测试》',
        'Emoji 🎉 party',
        'İstanbul ΣΑΣ',
        'path/with/slash',
        '~tilde_under@at',
      ];
      const files: Record<string, string> = {
        'hugo.toml': `baseURL = "https://example.com/"\ntitle = "T"\n[permalinks]\n  posts = "/:year/:month/:title/"\n  notes = "/notes/:slug/"\n`,
      };
      titles.forEach((t, i) => {
        files[`content/posts/p${i}.md`] = page(`title: ${JSON.stringify(t)}\ndate: 2025-07-0${(i % 9) + 1}T10:00:00+08:00`);
        files[`content/notes/n${i}.md`] = page(`title: ${JSON.stringify(`note ${t}`)}\nslug: ${JSON.stringify(t)}\ndate: 2025-07-01`);
      });
      const r = await compareWithHugo(makeFixture(files));
      expect(r.compared).toBe(titles.length * 2);
    },
    TIMEOUT,
  );

  it(
    'folder and file names with spaces, brackets, capitals and CJK; default paths without permalinks',
    async () => {
      const files: Record<string, string> = { 'hugo.toml': 'baseURL = "https://example.com/blog/"\ntitle = "T"\n' };
      const names = ['My Folder [x]/Hello (World).md', 'Blog Posts/Über Café.md', '新闻 目录/文章 一.md', 'posts/UPPER Case Name.md', 'posts/a  b (c) [d] {e}.md', 'posts/x.y.z.md', 'posts/2025/07/deep.md'];
      names.forEach((n, i) => {
        files[`content/${n}`] = page(`title: File ${i}\ndate: 2025-07-02`);
      });
      files['content/Bundled Folder (1)/index.md'] = page('title: Root bundle\ndate: 2025-07-03');
      files['content/posts/Trip [2025]/index.md'] = page('title: Bundle\ndate: 2025-07-03');
      files['content/posts/Trip [2025]/notes.md'] = page('title: A resource\ndate: 2025-07-03');
      const r = await compareWithHugo(makeFixture(files));
      expect(r.compared).toBe(names.length + 2);
      expect(r.scan.skipped).toEqual([expect.objectContaining({ file: 'posts/Trip [2025]/notes.md', reason: 'resource' })]);
    },
    TIMEOUT,
  );

  it(
    'root pages and root bundles, with and without a root permalink',
    async () => {
      const files = (root: boolean): Record<string, string> => ({
        'hugo.toml': `baseURL = "https://example.com/"\ntitle = "T"\n[permalinks]\n  posts = "/:section/:year/:filename/"\n${root ? '  "/" = "/pages/:year/:slug/"\n' : ''}`,
        'content/about.md': page('title: About Us\ndate: 2025-01-01'),
        'content/Contact Me.md': page('title: Contact\ndate: 2025-01-01\nslug: write-to-us'),
        'content/trip/index.md': page('title: A root bundle\ndate: 2025-01-02'),
        'content/posts/a.md': page('title: A\ndate: 2025-01-03'),
      });
      const without = await compareWithHugo(makeFixture(files(false)));
      const withRoot = await compareWithHugo(makeFixture(files(true)));
      expect([without.compared, withRoot.compared]).toEqual([4, 4]);
      // The root pattern must make a difference, or this test proves nothing about it.
      expect(withRoot.scan.articles.map((a) => a.url)).not.toEqual(without.scan.articles.map((a) => a.url));
    },
    TIMEOUT,
  );

  it(
    'nested sections with and without _index.md (:section, :sections, :sections[1:], :sections[last], default paths)',
    async () => {
      const files: Record<string, string> = {
        'hugo.toml': `baseURL = "https://example.com/"\ntitle = "T"\n[permalinks]\n  docs = "/:sections/:filename/"\n  guides = "/g/:sections[1:]/:sections[last]/:sections[0]/:filename/"\n  posts = "/:section/:slugorfilename/"\n`,
        'content/docs/_index.md': page('title: Docs'),
        'content/docs/a/p1.md': page('title: P1\ndate: 2025-01-01'),
        'content/docs/a/b/_index.md': page('title: B'),
        'content/docs/a/b/p2.md': page('title: P2\ndate: 2025-01-01'),
        'content/docs/a/b/c/p3.md': page('title: P3\ndate: 2025-01-01'),
        'content/docs/a/b/c/d/_index.md': page('title: D'),
        'content/docs/a/b/c/d/p4.md': page('title: P4\ndate: 2025-01-01'),
        'content/docs/a/b/c/d/bundle/index.md': page('title: Bundle in D\ndate: 2025-01-01'),
        'content/guides/x/_index.md': page('title: X'),
        'content/guides/x/y/_index.md': page('title: Y'),
        'content/guides/x/y/g1.md': page('title: G1\ndate: 2025-01-01'),
        'content/guides/g0.md': page('title: G0\ndate: 2025-01-01'),
        'content/posts/2024/old.md': page('title: Old\ndate: 2024-01-01'),
        'content/posts/2024/_index.md': page('title: 2024'),
        'content/posts/2024/q1/older.md': page('title: Older\ndate: 2024-02-01\nslug: Older Post'),
        'content/other/deep/er/page.md': page('title: Default path\ndate: 2025-01-01'),
        'content/other/deep/_index.md': page('title: Deep'),
      };
      const r = await compareWithHugo(makeFixture(files));
      expect(r.compared).toBe(10);
      expect(r.scan.skipped.filter((s) => s.reason === 'list-page')).toHaveLength(7);
    },
    TIMEOUT,
  );

  it(
    '+08:00 dates with :day/:month/:year in sites on UTC and on Asia/Shanghai; dates without an offset in the site zone',
    async () => {
      const posts = {
        'content/posts/late.md': page('title: Late\ndate: 2007-06-03T01:38:17+08:00'),
        'content/posts/newyear.md': page('title: New year\ndate: 2025-01-01T00:30:00+08:00'),
        'content/posts/utc.md': page('title: UTC\ndate: 2025-03-31T23:30:00Z'),
        'content/posts/local.md': page('title: Local\ndate: 2025-03-31T23:30:00'),
        'content/posts/dateonly.md': page('title: Date only\ndate: 2025-03-31'),
        'content/posts/space.md': page('title: Space\ndate: 2025-03-31 23:30:00'),
        'content/posts/toml.md': '+++\ntitle = "TOML"\ndate = 2025-06-30T23:59:59-07:00\n+++\nBody\n',
        'content/posts/tomllocal.md': '+++\ntitle = "TOML local"\ndate = 2025-06-30T23:59:59\n+++\nBody\n',
        'content/posts/json.md': '{\n  "title": "JSON",\n  "date": "2025-12-31T20:00:00-05:00"\n}\nBody\n',
        'content/posts/publish.md': page('title: Publish later\ndate: 2025-01-01\npublishDate: 2030-01-01T00:00:00+08:00\nexpiryDate: 2031-01-01'),
        'content/posts/lastmod.md': page('title: Only lastmod\nlastmod: 2025-02-02T02:02:02+08:00'),
        'content/posts/draft.md': page('title: Draft\ndate: 2025-02-02\ndraft: true'),
      };
      for (const tz of ['', 'timeZone = "Asia/Shanghai"\n', 'timeZone = "America/New_York"\n']) {
        const r = await compareWithHugo(
          makeFixture({ 'hugo.toml': `baseURL = "https://example.com/"\ntitle = "T"\n${tz}[permalinks]\n  posts = "/:year/:month/:day/:monthname/:weekday/:weekdayname/:yearday/:filename/"\n`, ...posts }),
        );
        expect(r.compared).toBe(Object.keys(posts).length);
      }
    },
    TIMEOUT,
  );

  it(
    'multilingual by file name, default language at the root or in its subfolder, translations linked',
    async () => {
      const content = {
        'content/posts/hello.md': page('title: Hello\ndate: 2025-01-01'),
        'content/posts/hello.zh.md': page('title: 你好\ndate: 2025-01-01'),
        'content/posts/hello.ja.md': page('title: こんにちは\ndate: 2025-01-02'),
        'content/posts/only-zh.zh.md': page('title: 只有中文\ndate: 2025-01-01'),
        'content/posts/trip/index.md': page('title: Trip\ndate: 2025-01-01'),
        'content/posts/trip/index.zh.md': page('title: 旅行\ndate: 2025-01-01'),
        'content/posts/trip/photo.md': page('title: A resource'),
        'content/posts/keyed-en.md': page('title: Keyed EN\ndate: 2025-01-01\ntranslationKey: keyed'),
        'content/posts/keyed-zh.zh.md': page('title: 键\ndate: 2025-01-01\ntranslationKey: keyed'),
        'content/posts/not-a-language.fr.md': page('title: Not French\ndate: 2025-01-01'),
        'content/posts/_index.zh.md': page('title: 文章'),
        'content/about.zh.md': page('title: 关于\ndate: 2025-01-01'),
        'content/custom.ja.md': page('title: URL\ndate: 2025-01-01\nurl: /custom-ja/'),
      };
      for (const subdir of [false, true]) {
        const site = makeFixture({
          'hugo.toml': `baseURL = "https://example.com/"\ntitle = "T"\ndefaultContentLanguage = "en"\ndefaultContentLanguageInSubdir = ${subdir}\n[languages.en]\nweight = 1\n[languages.zh]\nweight = 2\ntitle = "中文站"\n[languages.ja]\nweight = 3\n[permalinks]\nposts = "/:section/:slug/"\n`,
          ...content,
        });
        const r = await compareWithHugo(site);
        expect(r.compared).toBe(11);
        expect(await compareTranslations(site, r.config, r.scan)).toBe(11);
        expect(new Set(r.scan.articles.map((a) => a.language))).toEqual(new Set(['en', 'zh', 'ja']));
      }
    },
    TIMEOUT,
  );

  it(
    'multilingual by content folder, with a language on its own host, disabled languages and config/_default',
    async () => {
      const site = makeFixture({
        'config/_default/hugo.toml': 'baseURL = "https://example.com/"\ntitle = "T"\ndefaultContentLanguage = "zh"\ndisableLanguages = ["fr"]\n',
        'config/_default/languages.toml': '[zh]\nweight = 1\ncontentDir = "content/zh"\nlanguageCode = "zh-CN"\n[en]\nweight = 2\ncontentDir = "content/en"\n[fr]\nweight = 3\ncontentDir = "content/fr"\n',
        'config/_default/permalinks.toml': 'posts = "/:year/:slug/"\n',
        'content/zh/posts/a.md': page('title: 甲\ndate: 2025-01-01'),
        'content/en/posts/a.md': page('title: A\ndate: 2025-01-01'),
        'content/zh/posts/b.md': page('title: 乙\ndate: 2025-01-01\ntranslationKey: bee'),
        'content/en/posts/bee-en.md': page('title: Bee\ndate: 2025-01-01\ntranslationKey: bee'),
        'content/en/posts/c.zh.md': page('title: 丙 in the English folder\ndate: 2025-01-01'),
        'content/en/Other Section/x.md': page('title: X\ndate: 2025-01-01'),
        'content/fr/posts/a.md': page('title: Un\ndate: 2025-01-01'),
      });
      const r = await compareWithHugo(site);
      expect(r.compared).toBe(6);
      expect(await compareTranslations(site, r.config, r.scan)).toBe(6);
      expect(r.scan.skipped).toEqual([]);

      const multihost = makeFixture({
        'hugo.toml': 'title = "T"\ndefaultContentLanguage = "en"\n[languages.en]\nweight = 1\nbaseURL = "https://en.example.com/"\ncontentDir = "content/en"\n[languages.zh]\nweight = 2\nbaseURL = "https://zh.example.org/sub/"\ncontentDir = "content/zh"\n',
        'content/en/posts/a.md': page('title: A\ndate: 2025-01-01'),
        'content/zh/posts/a.md': page('title: 甲\ndate: 2025-01-01'),
        'content/zh/posts/u.md': page('title: U\ndate: 2025-01-01\nurl: /zh-url/'),
      });
      const m = await compareWithHugo(multihost, 'site:\n  url: https://en.example.com/\n');
      expect(m.compared).toBe(3);
    },
    TIMEOUT,
  );

  it(
    'headless bundles, build options and cascade: listed by Herald with the reason',
    async () => {
      const site = makeFixture({
        'hugo.toml': 'baseURL = "https://example.com/"\ntitle = "T"\n',
        'content/posts/visible.md': page('title: Visible\ndate: 2025-01-01'),
        'content/posts/headless/index.md': page('title: Headless\ndate: 2025-01-01\nheadless: true'),
        'content/posts/headless/part.md': page('title: Part'),
        'content/posts/never.md': page('title: Never rendered\ndate: 2025-01-01\n_build:\n  render: never'),
        'content/posts/link.md': page('title: Link only\ndate: 2025-01-01\n_build:\n  render: link'),
        'content/posts/unlisted.md': page('title: Not listed\ndate: 2025-01-01\n_build:\n  list: never'),
        'content/posts/local.md': page('title: Listed locally\ndate: 2025-01-01\n_build:\n  list: local'),
        'content/hidden/_index.md': page('title: Hidden\ncascade:\n  _build:\n    render: never\n    list: never'),
        'content/hidden/h1.md': page('title: H1\ndate: 2025-01-01'),
        'content/drafts/_index.md': page('title: Drafts\ncascade:\n  draft: true'),
        'content/drafts/d1.md': page('title: D1\ndate: 2025-01-01'),
        'content/drafts/d2.md': page('title: D2\ndate: 2025-01-01\ndraft: false'),
        'content/targeted/_index.md': page('title: Targeted\ncascade:\n  - _target:\n      path: "/targeted/sub/**"\n    draft: true'),
        'content/targeted/t1.md': page('title: T1\ndate: 2025-01-01'),
        'content/targeted/sub/t2.md': page('title: T2\ndate: 2025-01-01'),
      });
      const r = await compareWithHugo(site, '', ['not-rendered']);
      expect(r.compared).toBe(5);
      expect(r.notArticles.map((n) => n.file).sort()).toEqual(['content/posts/link.md', 'content/posts/never.md']);
      const reasons = Object.fromEntries(r.scan.skipped.map((s) => [s.file, s.reason]));
      expect(reasons).toMatchObject({
        'posts/headless/index.md': 'headless',
        'posts/headless/part.md': 'resource',
        'posts/never.md': 'not-rendered',
        'posts/link.md': 'not-rendered',
        'posts/unlisted.md': 'not-listed',
        'posts/local.md': 'not-listed',
        'hidden/h1.md': 'not-rendered',
        'hidden/_index.md': 'list-page',
      });
      expect(r.scan.articles.find((a) => a.file === 'drafts/d1.md')?.draft).toBe(true);
    },
    TIMEOUT,
  );

  it(
    'what Hugo reads leniently: BOM, blank lines before ---, duplicate keys, quoted values continued at column 0, a closing line with more after ---',
    async () => {
      const site = makeFixture({
        'hugo.toml': 'baseURL = "https://example.com/"\ntitle = "T"\n[permalinks]\nposts = "/:slug/"\n',
        'content/posts/bom.md': `\uFEFF${page('title: BOM\ndate: 2025-01-01')}`,
        'content/posts/blank.md': `\n\n  \n${page('title: Blank lines first\ndate: 2025-01-01')}`,
        'content/posts/blank-toml.md': '\n\n+++\ntitle = "TOML after blank lines"\ndate = 2025-01-01\n+++\n',
        'content/posts/dup.md': page('title: First\ndate: 2025-01-01\ntitle: Second wins\ntags: [a]\ntags: [b]'),
        'content/posts/quoted.md': page('title: "A long title\nthat goes on\n  and on"\ndate: 2025-01-01\ndescription: \'single quoted\ncontinued\''),
        'content/posts/closing.md': '---\ntitle: Closing\ndate: 2025-01-01\n---x\nBody\n',
        'content/posts/crlf.md': '---\r\ntitle: CRLF\r\ndate: 2025-01-01\r\n---\r\nBody\r\n',
        'content/posts/yes.md': page('title: yes\ndate: 2025-01-01\ndraft: no'),
        'content/posts/notitle.md': page('date: 2025-01-01', 'A page without a title.\n'),
        'content/posts/nofm.md': 'Just text, no front matter.\n',
        'content/posts/nodate.md': page('title: No date'),
      });
      const r = await compareWithHugo(site);
      expect(r.compared).toBe(9);
      const warnings = r.scan.warnings.map((w) => `${w.file}:${w.line}: ${w.message}`);
      expect(warnings).toEqual([
        'posts/dup.md:4: key "title" is given twice; the later value is used, as Hugo does',
        'posts/dup.md:6: key "tags" is given twice; the later value is used, as Hugo does',
        expect.stringMatching(/^posts\/quoted\.md:2: the quoted value of "title" continues/),
        expect.stringMatching(/^posts\/quoted\.md:6: the quoted value of "description" continues/),
      ]);
      expect(r.scan.skipped.map((s) => [s.file, s.reason])).toEqual([
        ['posts/nodate.md', 'undated'],
        ['posts/nofm.md', 'undated'],
      ]);
    },
    TIMEOUT,
  );

  it(
    'slug collisions across folders are fine; of a bundle and a page of one path Hugo builds the bundle',
    async () => {
      const site = makeFixture({
        'hugo.toml': 'baseURL = "https://example.com/"\ntitle = "T"\n',
        'content/posts/a.md': page('title: A\ndate: 2025-01-01\nslug: same'),
        'content/news/b.md': page('title: B\ndate: 2025-01-01\nslug: same'),
        'content/news/2024/c.md': page('title: C\ndate: 2025-01-01\nslug: same'),
        'content/posts/trip.md': page('title: Trip page\ndate: 2025-01-01'),
        'content/posts/trip/index.md': page('title: Trip bundle\ndate: 2025-01-01'),
      });
      const r = await compareWithHugo(site);
      expect(r.compared).toBe(4);
      expect(new Set(r.scan.articles.map((a) => a.id)).size).toBe(4);
      // Hugo builds the bundle; the plain page of the same path is listed with why.
      expect(r.scan.skipped).toEqual([expect.objectContaining({ file: 'posts/trip.md', reason: 'shadowed' })]);
    },
    TIMEOUT,
  );

  it(
    'url front matter, uglyURLs, disablePathToLower, removePathAccents, ignoreFiles and content formats beyond markdown',
    async () => {
      const content = {
        'content/posts/Ünïcödé Title.md': page('title: Ünïcödé Çafé Title\ndate: 2025-01-01'),
        'content/posts/MixedCase.md': page('title: Mixed\ndate: 2025-01-01\nslug: Keep-Case'),
        'content/posts/url-abs.md': page('title: U1\ndate: 2025-01-01\nurl: /Custom Path/Foo'),
        'content/posts/url-dot.md': page('title: U2\ndate: 2025-01-01\nurl: /files/report.html'),
        'content/posts/url-rel.md': page('title: U3\ndate: 2025-01-01\nurl: relative/x/'),
        'content/posts/page.html': page('title: An HTML page\ndate: 2025-01-01', '<p>Hello <b>HTML</b> world.</p>\n'),
        'content/posts/page2.htm': page('title: HTM\ndate: 2025-01-01', '<p>htm</p>\n'),
        'content/posts/other.mdown': page('title: mdown\ndate: 2025-01-01'),
        'content/posts/org-post.org': '#+TITLE: An Org Post\n#+DATE: 2025-01-02\n#+DRAFT: false\n\nHello from org.\n',
        'content/posts/NOT-CONTENT.MD': page('title: Upper-case extension\ndate: 2025-01-01'),
        'content/posts/secret-draft.md': page('title: Ignored\ndate: 2025-01-01'),
        'content/drafts/x.md': page('title: Ignored too\ndate: 2025-01-01'),
        'content/posts/index-slug.md': page('title: Slug index\ndate: 2025-01-01\nslug: index'),
      };
      const configs = [
        '',
        'uglyURLs = true\n',
        'disablePathToLower = true\nremovePathAccents = true\n',
        '[uglyURLs]\nposts = true\n[permalinks]\nposts = "/:year/:title/"\n',
        '[permalinks]\nposts = "/:slugorfilename.html"\n',
      ];
      for (const extra of configs) {
        const site = makeFixture({
          'hugo.toml': `baseURL = "https://example.com/"\ntitle = "T"\nignoreFiles = ["secret-draft\\\\.md$", "/content/drafts/"]\n${extra}`,
          ...content,
        });
        const r = await compareWithHugo(site);
        expect(r.compared).toBe(10);
        expect(r.scan.skipped.filter((s) => s.reason === 'ignored').map((s) => s.file).sort()).toEqual(['drafts/x.md', 'posts/secret-draft.md']);
        expect(r.scan.articles.find((a) => a.file === 'posts/page.html')?.summary).toBe('Hello HTML world.');
      }
    },
    TIMEOUT,
  );
});
