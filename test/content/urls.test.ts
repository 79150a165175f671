import { describe, expect, it } from 'vitest';
import { pageHref, resolveAuthorUrl } from '../../src/content/urls.ts';

const SITE = 'https://example.com/';
const PAGE = 'https://example.com/posts/hello/';

/** Every emitted URL must parse back to itself and be plain printable ASCII without spaces. */
function expectCleanUrl(href: string): void {
  expect(new URL(href).href).toBe(href);
  expect(href).toMatch(/^[\x21-\x7e]+$/);
}

describe('resolveAuthorUrl', () => {
  it('resolves the seed image against the site root, percent-encoding the spaces and keeping the comma', () => {
    const href = resolveAuthorUrl('/newsimages/selected_image_YYYY-07-Jul 2, 2025_00-32-31-741.jpg', PAGE, SITE);
    expect(href).toBe('https://example.com/newsimages/selected_image_YYYY-07-Jul%202,%202025_00-32-31-741.jpg');
    expectCleanUrl(href);
  });

  it('keeps a site sub-path for site-relative paths', () => {
    expect(resolveAuthorUrl('/img/a.png', 'https://example.com/blog/posts/x/', 'https://example.com/blog/')).toBe('https://example.com/blog/img/a.png');
  });

  it('resolves bare relative paths against the page', () => {
    expect(resolveAuthorUrl('hero.jpg', PAGE, SITE)).toBe('https://example.com/posts/hello/hero.jpg');
    expect(resolveAuthorUrl('../shared/a.jpg', PAGE, SITE)).toBe('https://example.com/posts/shared/a.jpg');
  });

  it('keeps absolute http(s) URLs and gives protocol-relative ones the site scheme', () => {
    expect(resolveAuthorUrl('https://cdn.example.org/a.jpg?w=1&h=2#x', PAGE, SITE)).toBe('https://cdn.example.org/a.jpg?w=1&h=2#x');
    expect(resolveAuthorUrl('//cdn.example.org/a.jpg', PAGE, SITE)).toBe('https://cdn.example.org/a.jpg');
  });

  it('percent-encodes non-ASCII paths, hosts (punycode) and RFC 3986-illegal ASCII', () => {
    const href = resolveAuthorUrl('https://例子.测试/图片 1.jpg?q=中文|x', PAGE, SITE);
    expect(href).toBe('https://xn--fsqu00a.xn--0zwm56d/%E5%9B%BE%E7%89%87%201.jpg?q=%E4%B8%AD%E6%96%87%7Cx');
    expectCleanUrl(href);
    expect(resolveAuthorUrl('/a|b^c[d].png', PAGE, SITE)).toBe('https://example.com/a%7Cb%5Ec%5Bd%5D.png');
  });

  it('encodes a stray percent sign but keeps existing escapes', () => {
    expect(resolveAuthorUrl('/100% real.png', PAGE, SITE)).toBe('https://example.com/100%25%20real.png');
    expect(resolveAuthorUrl('/a%20b.png', PAGE, SITE)).toBe('https://example.com/a%20b.png');
  });

  it('rejects non-http schemes and unparseable URLs', () => {
    expect(() => resolveAuthorUrl('ftp://example.com/a.jpg', PAGE, SITE)).toThrow('uses "ftp:", expected an http(s) URL or a path');
    expect(() => resolveAuthorUrl('javascript:alert(1)', PAGE, SITE)).toThrow('uses "javascript:"');
    expect(() => resolveAuthorUrl('https://exa mple.com/', PAGE, SITE)).toThrow('not a valid URL');
  });
});

describe('pageHref', () => {
  it('joins a link onto a base URL, keeping its sub-path, percent-encoding what a path cannot hold', () => {
    expect(pageHref(SITE, '/posts/a/')).toBe('https://example.com/posts/a/');
    expect(pageHref('https://example.com/blog/', '/posts/a/')).toBe('https://example.com/blog/posts/a/');
    const zh = pageHref(SITE, '/posts/欧洲的ai千兆工厂/');
    expect(zh).toBe('https://example.com/posts/%E6%AC%A7%E6%B4%B2%E7%9A%84ai%E5%8D%83%E5%85%86%E5%B7%A5%E5%8E%82/');
    expectCleanUrl(zh);
    // `#` and `?` stay in the path (Hugo keeps them in its paths); existing escapes are kept.
    expect(pageHref(SITE, '/c#-tips/why?/a%20b/[x] |y|/')).toBe('https://example.com/c%23-tips/why%3F/a%20b/%5Bx%5D%20%7Cy%7C/');
    expect(pageHref(SITE, '/emoji-🎉/')).toBe('https://example.com/emoji-%F0%9F%8E%89/');
  });
});
