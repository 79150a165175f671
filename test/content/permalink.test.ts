import { DateTime } from 'luxon';
import { describe, expect, it } from 'vitest';
import { expandPermalink, type PermalinkValues, unknownPermalinkTokens } from '../../src/content/permalink.ts';

const base: PermalinkValues = {
  title: 'Hello, World: Part 2',
  filename: 'hello-world',
  section: 'posts',
  sections: 'posts/2025',
  // 00:40 in Shanghai is still the previous day in UTC: the path must use the local day.
  date: DateTime.fromISO('2025-07-02T00:40:05+08:00', { setZone: true }),
};

describe('expandPermalink', () => {
  it('expands the default pattern and collapses an empty section', () => {
    expect(expandPermalink('/:section/:filename/', base)).toBe('/posts/hello-world/');
    expect(expandPermalink('/:section/:filename/', { ...base, section: '' })).toBe('/hello-world/');
  });

  it('uses the date in the zone it was given (the site zone)', () => {
    expect(expandPermalink('/:year/:month/:day/:slug/', base)).toBe('/2025/07/02/hello-world-part-2/');
    expect(expandPermalink('/:monthname/:weekday/:weekdayname/:yearday/', base)).toBe('/July/3/Wednesday/183/');
  });

  it('prefers the slug for :slug and falls back to the URL-safe title', () => {
    expect(expandPermalink('/:slug/', { ...base, slug: 'My Slug' })).toBe('/My Slug/');
    expect(expandPermalink('/:title/', { ...base, slug: 'ignored' })).toBe('/hello-world-part-2/');
    expect(expandPermalink('/:slugorfilename/', base)).toBe('/hello-world/');
    expect(expandPermalink('/:slugorcontentbasename/', { ...base, slug: 's' })).toBe('/s/');
    expect(expandPermalink('/:sections/:contentbasename.html', base)).toBe('/posts/2025/hello-world.html');
  });

  it('escapes ? # % in plain-text values so they stay in the path', () => {
    expect(expandPermalink('/:filename/', { ...base, filename: 'why? 100% #1' })).toBe('/why%3F 100%25 %231/');
  });

  it('rejects unknown tokens, naming them', () => {
    expect(unknownPermalinkTokens('/:year/:foo/:slug/:bar')).toEqual([':foo', ':bar']);
    expect(() => expandPermalink('/:foo/', base)).toThrow('permalink "/:foo/": unknown token :foo, expected one of :year');
  });
});
