import { describe, expect, it } from 'vitest';
import { basePath, prefixLinks, publicPath, stripBase } from '../../src/server/base-path.ts';

describe('base path', () => {
  it('is the path of publicUrl, ending in /', () => {
    expect(basePath('https://example.com/')).toBe('/');
    expect(basePath('https://example.com/herald/')).toBe('/herald/');
    expect(basePath('https://example.com/herald')).toBe('/herald/');
    expect(basePath('not a url')).toBe('/');
  });

  it('strips the prefix only when the request carries it, as a whole segment', () => {
    expect(stripBase('/herald/', '/herald/admin?x=1')).toBe('/admin?x=1');
    expect(stripBase('/herald/', '/herald')).toBe('/');
    expect(stripBase('/herald/', '/herald/')).toBe('/');
    expect(stripBase('/herald/', '/admin')).toBe('/admin');
    expect(stripBase('/herald/', '/heraldry/admin')).toBe('/heraldry/admin');
    expect(stripBase('/', '/admin')).toBe('/admin');
  });

  it('prefixes server paths for the browser', () => {
    expect(publicPath('/herald/', '/admin/login?next=%2Fadmin')).toBe('/herald/admin/login?next=%2Fadmin');
    expect(publicPath('/', '/admin')).toBe('/admin');
    expect(publicPath('/herald/', 'https://elsewhere.example/')).toBe('https://elsewhere.example/');
  });

  it('prefixes only href, src and action attributes that start with a given root', () => {
    const html = '<a href="/admin/articles">a</a> <img src="/assets/x.png"> <form action="/admin"></form> <a href="/administrator">b</a> <p>/admin/text</p> <input value="/admin/x"> <a href="https://x/admin">c</a>';
    expect(prefixLinks(html, '/herald/', ['admin', 'assets'])).toBe(
      '<a href="/herald/admin/articles">a</a> <img src="/herald/assets/x.png"> <form action="/herald/admin"></form> <a href="/administrator">b</a> <p>/admin/text</p> <input value="/admin/x"> <a href="https://x/admin">c</a>',
    );
    expect(prefixLinks(html, '/', ['admin'])).toBe(html);
  });
});
