/**
 * Herald may be served under a path of its site (server.publicUrl
 * https://example.com/herald/), behind a proxy that strips that prefix or passes it
 * on. Requests are routed the same either way, and every absolute path Herald hands
 * to a browser (links, redirects, cookie paths) carries the prefix.
 */

/** The path of publicUrl, always ending in '/': '/' or '/herald/'. */
export function basePath(publicUrl: string): string {
  try {
    const p = new URL(publicUrl).pathname;
    return p.endsWith('/') ? p : `${p}/`;
  } catch {
    return '/';
  }
}

/** A server path ('/admin/articles') as the browser must ask for it ('/herald/admin/articles'). */
export function publicPath(base: string, serverPath: string): string {
  return base === '/' || !serverPath.startsWith('/') ? serverPath : base + serverPath.slice(1);
}

/** The server path of a request that still carries the prefix (a proxy that does not strip it). */
export function stripBase(base: string, url: string): string {
  if (base === '/') return url;
  const bare = base.slice(0, -1);
  if (url === bare) return '/';
  return url.startsWith(base) ? url.slice(base.length - 1) : url;
}

/**
 * Prefixes the server paths in href, src and action attributes of a page Herald rendered.
 * Only attribute values that start with '/' followed by one of `roots` are touched;
 * content from articles is HTML-escaped, so it cannot open such an attribute.
 */
export function prefixLinks(html: string, base: string, roots: string[]): string {
  if (base === '/') return html;
  // Roots are plain path segments ('admin', 'assets'): nothing in them needs escaping.
  const re = new RegExp(`(\\s(?:href|src|action)=")/(${roots.join('|')})(?=[/"?#])`, 'g');
  return html.replace(re, (_m, attr: string, root: string) => `${attr}${base}${root}`);
}
