import { ArticleParseError } from './errors.ts';

/**
 * Resolves a URL or path written by an author. Absolute http(s) URLs are kept,
 * `//host/x` takes the site's scheme, `/x` is relative to the site root
 * (site.url, including any sub-path), anything else is relative to `base`.
 * Throws a plain Error with a short reason; callers add the field name.
 */
export function resolveAuthorUrl(ref: string, base: string, siteUrl: string): string {
  const text = fixStrayPercent(ref.trim());
  let url: URL;
  try {
    if (/^[a-z][a-z\d+.-]*:/i.test(text)) url = new URL(text);
    else if (text.startsWith('//')) url = new URL(text, siteUrl);
    else if (text.startsWith('/')) url = new URL(text.replace(/^\/+/, ''), siteUrl);
    else url = new URL(text, base);
  } catch {
    throw new Error('not a valid URL');
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') throw new Error(`uses "${url.protocol}", expected an http(s) URL or a path`);
  return strictHref(url);
}

/**
 * Joins a page's link (a path starting with `/`, as the generator computed it, not yet
 * escaped) onto a base URL that ends with `/`. Everything but RFC 3986 path characters is
 * percent-encoded (so `#`, `?`, spaces and CJK stay in the path); existing `%XX` escapes
 * are kept, as Hugo and Jekyll keep them.
 */
const UTF8 = new TextEncoder();

export function pageHref(baseUrl: string, link: string): string {
  const path = link.replace(/^\/+/, '');
  let encoded = '';
  for (let i = 0; i < path.length; i++) {
    const c = path[i] as string;
    if (/[A-Za-z\d\-._~!$&'()*+,;=:@/]/.test(c)) encoded += c;
    else if (c === '%' && /^[\da-fA-F]{2}$/.test(path.slice(i + 1, i + 3))) encoded += c;
    else {
      const cp = path.codePointAt(i) as number;
      const char = String.fromCodePoint(cp);
      if (char.length === 2) i++;
      encoded += Array.from(UTF8.encode(char), (b) => `%${b.toString(16).toUpperCase().padStart(2, '0')}`).join('');
    }
  }
  return strictHref(new URL(encoded, baseUrl));
}

export function assertSiteUrl(siteUrl: string): void {
  let url: URL;
  try {
    url = new URL(siteUrl);
  } catch {
    throw new ArticleParseError(`site url "${siteUrl}" is not an absolute URL, expected e.g. https://example.com/`);
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') {
    throw new ArticleParseError(`site url "${siteUrl}" uses "${url.protocol}", expected http(s)`);
  }
}

/** A `%` not starting an escape would make an invalid URL; it was meant literally. */
function fixStrayPercent(text: string): string {
  return text.replace(/%(?![\da-fA-F]{2})/g, '%25');
}

/**
 * WHATWG URL already encodes spaces and non-ASCII, but lets through ASCII such
 * as `|`, `^` or `[` in paths that RFC 3986 forbids and that chat clients'
 * link detectors stop at; encode those too.
 */
function strictHref(url: URL): string {
  const encode = (s: string, extra: string) =>
    s.replace(/[^A-Za-z\d\-._~!$&'()*+,;=:@/%?]/g, (c) => (extra.includes(c) ? c : `%${c.charCodeAt(0).toString(16).toUpperCase().padStart(2, '0')}`));
  const path = encode(url.pathname, '');
  const search = url.search === '' ? '' : `?${encode(url.search.slice(1), '')}`;
  const hash = url.hash === '' ? '' : `#${encode(url.hash.slice(1), '#')}`;
  return `${url.protocol}//${url.host}${path}${search}${hash}`;
}
