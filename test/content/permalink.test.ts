import { DateTime } from 'luxon';
import { describe, expect, it } from 'vitest';
import { expandPermalink, type PermalinkValues, queryUnescape, unknownPermalinkTokens } from '../../src/content/permalink.ts';

const base: PermalinkValues = {
  title: "Hello, World: Hugo's Part 2",
  filename: 'Hello World',
  section: 'posts',
  sections: ['posts', '2025'],
  // 00:40 at +08:00 is still the previous day in UTC: the path must use the date's own day.
  date: DateTime.fromISO('2025-07-02T00:40:05+08:00', { setZone: true }),
};

// Unit checks of the pieces; test/content/oracle/ compares whole links with Hugo's own.
describe('expandPermalink', () => {
  it('uses the date in the offset it was written with', () => {
    expect(expandPermalink('/:year/:month/:day/', base)).toBe('/2025/07/02/');
    expect(expandPermalink('/:monthname/:weekday/:weekdayname/:yearday/', base)).toBe('/July/3/Wednesday/183/');
  });

  it('urlizes :title, :slug, :filename as Hugo does (apostrophes and punctuation dropped, lower case)', () => {
    expect(expandPermalink('/:title/', base)).toBe('/hello-world-hugos-part-2/');
    expect(expandPermalink('/:slug/', { ...base, slug: 'My Slug' })).toBe('/my-slug/');
    expect(expandPermalink('/:slug/', base)).toBe('/hello-world-hugos-part-2/');
    expect(expandPermalink('/:slugorfilename/', base)).toBe('/hello-world/');
    expect(expandPermalink('/:filename/', base, { disablePathToLower: true, removePathAccents: false })).toBe('/Hello-World/');
    expect(expandPermalink('/:slugorcontentbasename/', { ...base, slug: 's' })).toBe('/s/');
  });

  it('leaves :section and :sections raw (the whole path is sanitized later) and slices :sections', () => {
    expect(expandPermalink('/:section/:sections/', { ...base, sections: ['posts', 'A B', 'c'] })).toBe('/posts/posts/A B/c/');
    const deep = { ...base, sections: ['docs', 'a', 'b'] };
    expect(expandPermalink('/:sections[1:]/', deep)).toBe('/a/b/');
    expect(expandPermalink('/:sections[last]/:sections[0]/:sections[:2]/', deep)).toBe('/b/docs/docs/a/');
    expect(expandPermalink('/:sections[9]/:sections[5:]/x/', deep)).toBe('///x/');
    // A section Hugo made up (no _index file) has an empty last entry in Hugo 0.111.
    expect(expandPermalink('/:sections[last]/:sections/', { ...base, sections: ['guides'], autoSection: true })).toBe('//guides/');
  });

  it('query-unescapes the result like Hugo (a + kept by urlize becomes a space)', () => {
    expect(expandPermalink('/:title/', { ...base, title: 'C++ rocks' })).toBe('/c  -rocks/');
    expect(queryUnescape('a%20b+c')).toBe('a b c');
    expect(queryUnescape('100%')).toBeUndefined();
  });

  it('rejects unknown tokens, naming them', () => {
    expect(unknownPermalinkTokens('/:year/:foo/:slug/:bar/:sections[1:]')).toEqual([':foo', ':bar']);
    expect(() => expandPermalink('/:foo/', base)).toThrow('permalink "/:foo/": unknown token :foo, expected one of :year');
  });
});
