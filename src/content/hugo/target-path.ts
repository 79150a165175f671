/**
 * The link of a regular page, as Hugo 0.111 computes it (resources/page/page_paths.go,
 * CreateTargetPaths, for KindPage): folder path or expanded permalink, `url` front matter,
 * uglyURLs, the language prefix, then the whole path sanitized (and lower-cased).
 */
import { makePathSanitized, type PathRules } from './path-rules.ts';

export interface PageLinkInput {
  /** The expanded permalink pattern, '' when the section has none (or it expanded to nothing). */
  expandedPermalink: string;
  /** The page's folder under the content folder ('' at the root; a bundle's parent folder). */
  dir: string;
  /** Front matter slug, else the file's base name (a bundle's folder name). */
  baseName: string;
  /** Front matter `url`, kept as written (Hugo neither sanitizes nor prefixes it). */
  url?: string;
  uglyURLs: boolean;
  /** Language prefix ('' when none). */
  prefix: string;
  rules: PathRules;
}

/** Go's path.Clean. */
function goClean(p: string): string {
  if (p === '') return '.';
  const rooted = p.startsWith('/');
  const out: string[] = [];
  for (const part of p.split('/')) {
    if (part === '' || part === '.') continue;
    if (part === '..') {
      if (out.length > 0 && out[out.length - 1] !== '..') out.pop();
      else if (!rooted) out.push('..');
      continue;
    }
    out.push(part);
  }
  const joined = out.join('/');
  if (rooted) return `/${joined}`;
  return joined === '' ? '.' : joined;
}

/** Go's path.Join: empty elements are ignored, the result is cleaned, '' when all are empty. */
function goPathJoin(...parts: string[]): string {
  const nonEmpty = parts.filter((p) => p !== '');
  return nonEmpty.length === 0 ? '' : goClean(nonEmpty.join('/'));
}

/** Hugo's pjoin: path.Join that keeps the last element's trailing slash. */
export function goJoin(...parts: string[]): string {
  const joined = goPathJoin(...parts);
  return parts[parts.length - 1]?.endsWith('/') && !joined.endsWith('/') ? `${joined}/` : joined;
}

const isHtmlIndex = (s: string) => s.endsWith('/index.html');
const trimSlashes = (s: string) => s.replace(/^\/+|\/+$/g, '');

/** The page's link: a path starting with '/', not yet percent-encoded. */
export function hugoPageLink(i: PageLinkInput): string {
  let pagePath = '/';
  let link: string;
  const baseNameSameAsType = i.baseName !== '' && i.baseName === 'index';
  const isUgly = i.uglyURLs || (i.expandedPermalink === '' && baseNameSameAsType);

  if (i.url !== undefined && i.url !== '') {
    pagePath = goJoin(pagePath, i.url);
    link = pagePath;
    const hasDot = i.url.includes('.');
    const hasSlash = i.url.endsWith('/');
    if (hasSlash || !hasDot) pagePath = goJoin(pagePath, 'index.html');
    if (!isHtmlIndex(pagePath)) link = pagePath;
    else if (!hasSlash) link += '/';
  } else {
    if (i.expandedPermalink !== '') pagePath = goJoin(pagePath, i.expandedPermalink);
    else {
      if (i.dir !== '') pagePath = goJoin(pagePath, i.dir);
      if (i.baseName !== '') pagePath = goJoin(pagePath, i.baseName);
    }
    link = pagePath;
    if (baseNameSameAsType && link.endsWith(i.baseName)) link = link.slice(0, -i.baseName.length);
    link += '/';
    pagePath = isUgly ? `${trimSlashes(pagePath)}.html` : goJoin(pagePath, 'index.html');
    if (!isHtmlIndex(pagePath)) link = pagePath;
    if (i.prefix !== '') link = goJoin(i.prefix, link);
  }

  const hadSlash = link.endsWith('/');
  link = trimSlashes(link);
  if (hadSlash) link += '/';
  if (!link.startsWith('/')) link = `/${link}`;
  if (i.url === undefined || i.url === '') link = makePathSanitized(link, i.rules);
  return link === '' ? '/' : link;
}
