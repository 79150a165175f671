import { describe, expect, it } from 'vitest';
import { goToLower, makePathSanitized, removeAccents, unicodeSanitize, urlize } from '../../../src/content/hugo/path-rules.ts';
import { goJoin, hugoPageLink } from '../../../src/content/hugo/target-path.ts';
import { DEFAULT_PATH_RULES } from '../../../src/content/hugo/path-rules.ts';

// The examples of issue 8 (Hugo's own output); test/content/oracle/ compares many more with Hugo itself.
describe("Hugo's path rules", () => {
  it('drops apostrophes and punctuation (CJK full-width too), turns spaces into one hyphen, lower-cases', () => {
    expect(urlize("Hugo's Lookup Order")).toBe('hugos-lookup-order');
    expect(urlize('Hugo 0.24')).toBe('hugo-0.24');
    expect(urlize('中文：标题，好！')).toBe('中文标题好');
    expect(urlize('  a - b  ')).toBe('a-b');
    expect(unicodeSanitize('100% and %41')).toBe('100-and-%41');
    expect(unicodeSanitize('keep ./_#+~-@ these')).toBe('keep-./_#+~-@-these');
  });

  it('keeps the case with disablePathToLower and removes accents with removePathAccents', () => {
    expect(makePathSanitized('Ünïcödé Café', { disablePathToLower: true, removePathAccents: false })).toBe('Ünïcödé-Café');
    expect(makePathSanitized('Ünïcödé Café', { disablePathToLower: false, removePathAccents: true })).toBe('unicode-cafe');
    expect(removeAccents('Çà')).toBe('Ca');
  });

  it("lower-cases rune by rune, as Go's strings.ToLower", () => {
    expect(goToLower('İSTANBUL ΣΑΣ')).toBe('istanbul σασ');
  });

  it("joins paths as Hugo's pjoin (cleaned, the last element's trailing slash kept)", () => {
    expect(goJoin('/', 'a//b/../c/')).toBe('/a/c/');
    expect(goJoin('zh', '/posts/a/')).toBe('zh/posts/a/');
    expect(goJoin('', '')).toBe('');
  });

  it('builds a page link from its folder, slug, url, uglyURLs and language prefix', () => {
    const base = { expandedPermalink: '', dir: 'My Posts', baseName: 'Hello World', uglyURLs: false, prefix: '', rules: DEFAULT_PATH_RULES };
    expect(hugoPageLink(base)).toBe('/my-posts/hello-world/');
    expect(hugoPageLink({ ...base, prefix: 'zh' })).toBe('/zh/my-posts/hello-world/');
    expect(hugoPageLink({ ...base, uglyURLs: true })).toBe('/my-posts/hello-world.html');
    expect(hugoPageLink({ ...base, url: '/Custom Path/Foo' })).toBe('/Custom Path/Foo/');
    expect(hugoPageLink({ ...base, url: '/files/report.html' })).toBe('/files/report.html');
    expect(hugoPageLink({ ...base, expandedPermalink: '/b/trip.html' })).toBe('/b/trip.html/');
    expect(hugoPageLink({ ...base, baseName: 'index' })).toBe('/my-posts/');
  });
});
