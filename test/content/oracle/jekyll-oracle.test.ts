/**
 * Herald against the real Jekyll (Debian's jekyll 4.3): fixture sites written here are
 * built with `jekyll build --drafts --future`; every post, draft and collection document
 * must be an article in Herald with Jekyll's URL (and the page must be in _site there).
 */
import { describe, expect, it } from 'vitest';
import { compareWithJekyll, makeFixture } from '../../helpers/oracle.ts';

const TIMEOUT = 120_000;
const post = (fm: string, body = 'Body text.\n') => `---\n${fm.trim()}\n---\n${body}`;

const POSTS: Record<string, string> = {
  '_posts/2007-06-02-hello-world.md': post('title: Hello\ndate: 2007-06-03 01:38:17 +0000\ncategories: [Tech, "Big News"]'),
  '_posts/2007-06-02-中文 标题!.md': post('title: 中文'),
  '_posts/2025-07-02-late-night.md': post('title: Late night\ndate: 2025-07-02T00:40:05+08:00'),
  '_posts/2025-01-05-utc-evening.md': post('title: UTC evening\ndate: 2025-01-04T20:00:00Z'),
  '_posts/2008-01-01-unpublished.md': post('title: Unpublished\npublished: false'),
  '_posts/2010-01-01-no-front-matter.md': 'No front matter at all.\n',
  '_posts/2011-01-01-permalinked.md': post('title: Own permalink\npermalink: /custom/:title:output_ext'),
  '_posts/2012-01-01-x.md': post('title: Slugged\nslug: My Slug'),
  '_posts/2013-01-01-page.html': post('title: An HTML post', '<p>Hello <b>HTML</b>.</p>\n'),
  '_posts/2014-1-5-short-date.markdown': post('title: Short date\ncategory: Misc'),
  '_posts/2015-03-04-Mixed Case Name.md': post('title: Mixed case'),
  '_posts/2016-02-29-categories-string.md': post('title: Categories string\ncategories: one two'),
  '_posts/2017-12-31-dots...md': post('title: Dots'),
  '_posts/2018-05-05-untitled-post.md': post('date: 2018-05-05 10:00:00'),
  '_posts/sub/2019-01-01-in-subfolder.md': post('title: In a subfolder of _posts'),
  '_posts/not-dated.md': post('title: Not a post (no date in the name)'),
  'news/_posts/2020-01-01-nested.md': post('title: Nested category\ncategory: World'),
  'news/sports/_posts/2020-02-02-deeper.md': post('title: Deeper'),
  '_drafts/my-draft.md': post('title: A draft\ndate: 2021-01-01'),
  '_drafts/undated-draft.md': post('title: Undated draft'),
  '_posts/2099-01-01-future.md': post('title: In the future'),
  'about.md': post('title: About (a page)'),
};

describe('Jekyll oracle', () => {
  it(
    'posts, drafts, categories, slugs and dates under every permalink preset, with a baseurl and a time zone',
    async () => {
      let total = 0;
      for (const permalink of ['date', 'pretty', 'ordinal', 'none', 'weekdate', '/:categories/:year/:i_month/:i_day/:short_year/:title/', '/blog/:year/:month/:day/:slug:output_ext', '/:categories/:slugified_categories/:long_month/:short_month/:y_day/:week/:w_year/:w_day/:short_day/:long_day/:hour/:minute/:second/:name/']) {
        for (const tz of ['Asia/Shanghai', 'America/New_York']) {
          const site = makeFixture({
            '_config.yml': `title: Jekyll test\nurl: https://example.com\nbaseurl: /blog\ntimezone: ${tz}\npermalink: ${JSON.stringify(permalink)}\n`,
            ...POSTS,
          });
          // Jekyll dates a draft without a date by the file's time; Herald lists it as undated.
          const r = await compareWithJekyll(site, '', ['undated']);
          expect(r.notArticles).toEqual(['_drafts/undated-draft.md']);
          expect(r.compared).toBe(18);
          total += r.compared;
          const reasons = Object.fromEntries(r.scan.skipped.map((s) => [s.file, s.reason]));
          expect(reasons).toEqual({
            '_posts/2008-01-01-unpublished.md': 'unpublished',
            '_posts/not-dated.md': 'not-a-post',
            '_drafts/undated-draft.md': 'undated',
            'about.md': 'not-a-post',
          });
        }
      }
      expect(total).toBe(18 * 16);
    },
    TIMEOUT,
  );

  it(
    'collections with output, their permalinks, front matter defaults and excluded folders',
    async () => {
      const site = makeFixture({
        '_config.yml': [
          'title: Jekyll collections',
          'url: https://docs.example.org',
          'permalink: pretty',
          'collections:',
          '  recipes:',
          '    output: true',
          '    permalink: /:collection/:name/',
          '  guides:',
          '    output: true',
          '  notes:',
          '    output: false',
          'defaults:',
          '  - scope: { path: "", type: posts }',
          '    values: { permalink: "/p/:year/:title/" }',
          '  - scope: { path: "_posts/special" }',
          '    values: { categories: [special] , permalink: "/s/:categories/:title/" }',
          '  - scope: { path: "_posts/g*" }',
          '    values: { categories: [globbed] }',
          'exclude: [private]',
          '',
        ].join('\n'),
        '_recipes/Cake.md': post('title: Cake\ndate: 2009-02-02'),
        '_recipes/2010-03-03-pie.md': post('title: Pie'),
        '_recipes/undated.md': post('title: Undated recipe'),
        '_guides/Getting Started.md': post('title: Getting started\ndate: 2020-01-01 08:00:00 +0200'),
        '_guides/advanced/Deep Dive.md': post('title: Deep dive\ndate: 2020-01-02'),
        '_notes/n.md': post('title: Not output\ndate: 2020-01-01'),
        '_posts/2020-01-01-defaulted.md': post('title: Defaulted'),
        '_posts/special/2020-01-02-special.md': post('title: Special'),
        '_posts/globdir/2020-01-04-in-glob.md': post('title: In a globbed scope\npermalink: /:categories/:title/'),
        '_posts/2020-01-05-gone-fishing.md': post('title: Not in the folder glob\npermalink: /:categories/:title/'),
        'private/_posts/2020-01-03-private.md': post('title: Excluded'),
      });
      // Jekyll dates a collection document without a date by the build time; Herald does not take it.
      const r = await compareWithJekyll(site, '', ['undated']);
      expect(r.compared).toBe(8);
      expect(r.notArticles).toEqual(['_recipes/undated.md']);
      expect(r.scan.skipped.find((s) => s.file === '_recipes/undated.md')?.reason).toBe('undated');
    },
    TIMEOUT,
  );
});
