/**
 * One Hugo content file → an Article (or the reason it is not one), as Hugo 0.111 reads
 * it. Pure: the file's bytes, where the walk found it (HugoSource) and the site's
 * settings in; no I/O, so a cache can wrap it.
 */
import { createHash } from 'node:crypto';
import type { Article, SkipReason } from '../article.ts';
import { parseDateText, toUtcIso } from '../dates.ts';
import { type FrontMatterWarning, readHugoFrontMatter } from '../front-matter.ts';
import { findImage, readAuthors, readDate, readEditorial, readSummary, readTaxonomies, readTitle, resolveField } from '../page-fields.ts';
import { type HugoSource, hugoPagePath, hugoTranslationKey } from '../paths.ts';
import { expandPermalink } from '../permalink.ts';
import type { ContentSettings, SiteLanguage, SiteSettings } from '../site.ts';
import { pageHref } from '../urls.ts';
import { asBoolean, asText, getField } from '../values.ts';
import { DEFAULT_PATH_RULES } from './path-rules.ts';
import { hugoPageLink } from './target-path.ts';

export interface ParsedPage {
  article?: Article;
  skipped?: { reason: SkipReason; detail: string };
  warnings: FrontMatterWarning[];
}

/** Hugo's `frontmatter` setting: which keys give each date, in order (`:default`, `:filename` understood). */
export interface DateKeys {
  date: readonly string[];
  publishDate: readonly string[];
  lastmod: readonly string[];
  expiryDate: readonly string[];
}

/** Hugo's defaults (hugolib/pagemeta/page_frontmatter.go). */
export const DEFAULT_DATE_KEYS: DateKeys = {
  date: ['date', 'publishDate', 'pubdate', 'published', 'lastmod', 'modified'],
  publishDate: ['publishDate', 'pubdate', 'published', 'date'],
  lastmod: ['lastmod', 'modified', 'date', 'publishDate', 'pubdate', 'published'],
  expiryDate: ['expiryDate', 'unpublishdate'],
};

const FILENAME_DATE = /^(\d{4}-\d{2}-\d{2})-(.+)$/;

/** keysFor's answers by date and list: the same few lists for every page of a site. */
const expandedKeys = { date: new WeakMap(), publishDate: new WeakMap(), lastmod: new WeakMap(), expiryDate: new WeakMap() } satisfies Record<keyof DateKeys, WeakMap<readonly string[], readonly string[]>>;

/** Expands `:default` (the caller skips what needs the file system or git: `:fileModTime`, `:git`). */
function keysFor(configured: readonly string[] | undefined, which: keyof DateKeys): readonly string[] {
  const list = configured ?? DEFAULT_DATE_KEYS[which];
  let keys = expandedKeys[which].get(list);
  if (keys === undefined) {
    keys = list.flatMap((k) => (k.toLowerCase() === ':default' ? DEFAULT_DATE_KEYS[which] : [k]));
    expandedKeys[which].set(list, keys);
  }
  return keys;
}

/** `build` (current Hugo) or `_build` (Hugo 0.111): render never/link and list never/local mean no page in the site's lists. */
function buildOptions(data: Record<string, unknown>): { render: string; list: string } {
  const field = getField(data, 'build', '_build');
  const options = field && typeof field.value === 'object' && field.value !== null && !Array.isArray(field.value) ? (field.value as Record<string, unknown>) : {};
  const word = (key: string) => {
    const f = getField(options, key);
    if (f === undefined) return 'always';
    if (typeof f.value === 'boolean') return f.value ? 'always' : 'never';
    return String(f.value).trim().toLowerCase();
  };
  return { render: word('render'), list: word('list') };
}

/** Cascaded values fill in what the page does not set itself (keys compare case-insensitively). */
function withCascade(data: Record<string, unknown>, cascade: Record<string, unknown> | undefined): Record<string, unknown> {
  if (!cascade) return data;
  const own = new Set(Object.keys(data).map((k) => k.toLowerCase()));
  const merged: Record<string, unknown> = { ...data };
  for (const [k, v] of Object.entries(cascade)) if (!own.has(k.toLowerCase())) merged[k] = v;
  return merged;
}

function uglyFor(content: ContentSettings, section: string): boolean {
  const u = content.uglyURLs;
  if (typeof u === 'boolean') return u;
  return u?.[section] ?? false;
}

/** The article id: page path, plus `.<language>` for every language but the default. */
export function hugoArticleId(src: HugoSource, defaultLanguage: string): string {
  const path = hugoPagePath(src);
  return src.language === defaultLanguage ? path : `${path}.${src.language}`;
}

export function parseHugoPage(src: HugoSource, bytes: Uint8Array, site: SiteSettings, content: ContentSettings, lang: SiteLanguage, defaultLanguage: string): ParsedPage {
  const dateKeys = content.dateKeys;
  const fm = readHugoFrontMatter(bytes);
  const data = withCascade(fm.data, src.cascade);
  const warnings = fm.warnings;

  const build = buildOptions(data);
  if (build.render === 'never' || build.render === 'false' || build.render === 'link') {
    return { skipped: { reason: 'not-rendered', detail: `build.render is "${build.render}": Hugo writes no page for it` }, warnings };
  }
  if (build.list === 'never' || build.list === 'false' || build.list === 'local') {
    return { skipped: { reason: 'not-listed', detail: `build.list is "${build.list}": left out of the site's lists and feeds` }, warnings };
  }
  if (src.bundle && asBoolean(getField(data, 'headless'))) {
    return { skipped: { reason: 'headless', detail: 'headless bundle (headless: true): Hugo writes no page for it' }, warnings };
  }

  const zone = site.timezone;
  const contentBaseName = src.bundle ? (src.dir.split('/').pop() ?? '') : src.baseName;
  const fromName = FILENAME_DATE.exec(contentBaseName);
  const dateOf = (which: keyof DateKeys) => {
    for (const key of keysFor(dateKeys?.[which], which)) {
      if (key.toLowerCase() === ':filename') {
        const d = fromName && parseDateText(fromName[1] as string, zone);
        if (d?.isValid) return d;
        continue;
      }
      if (key.startsWith(':')) continue;
      const d = readDate(data, [key], zone);
      if (d) return d;
    }
    return undefined;
  };
  const date = dateOf('date');
  const publishDate = dateOf('publishDate');
  const expiryDate = dateOf('expiryDate');
  const lastmod = getField(data, 'lastmod', 'modified') ? dateOf('lastmod') : undefined;
  if (date === undefined) {
    return { skipped: { reason: 'undated', detail: 'no date (date, publishDate, lastmod…): Hugo lists it dated 0001-01-01' }, warnings };
  }

  const title = readTitle(data);
  const slugField = getField(data, 'slug');
  const usesFilenameDate = [...keysFor(dateKeys?.date, 'date')].some((k) => k.toLowerCase() === ':filename');
  const slug = (slugField && asText(slugField).trim()) || (usesFilenameDate && fromName ? (fromName[2] as string) : '');
  const urlField = getField(data, 'url');
  const urlText = urlField && asText(urlField).trim();
  const translationKeyField = getField(data, 'translationKey');

  let url: string;
  if (urlText && (/^[a-z][a-z\d+.-]*:/i.test(urlText) || urlText.startsWith('//'))) {
    // Hugo refuses a URL with a scheme; Herald links to an http(s) one (a page that lives elsewhere).
    url = resolveField(urlField as NonNullable<typeof urlField>, lang.baseUrl, lang.baseUrl);
  } else {
    const rules = content.pathRules ?? DEFAULT_PATH_RULES;
    const pattern = content.permalink || lang.permalinks?.[src.section] || content.permalinks?.[src.section] || '';
    const expanded = pattern
      ? expandPermalink(pattern, { slug, title, filename: contentBaseName, section: src.section, sections: src.sections, autoSection: src.autoSection, date }, rules)
      : '';
    const parentDir = src.bundle ? src.dir.split('/').slice(0, -1).join('/') : src.dir;
    const link = hugoPageLink({
      expandedPermalink: expanded,
      dir: parentDir,
      baseName: slug || contentBaseName,
      url: urlText || undefined,
      uglyURLs: uglyFor(content, src.section),
      prefix: lang.prefix,
      rules,
    });
    url = pageHref(lang.baseUrl, link);
  }

  const { taxonomies, topics } = readTaxonomies(data, content.taxonomies);
  const imageField = findImage(data);
  const article: Article = {
    id: hugoArticleId(src, defaultLanguage),
    file: src.file,
    language: src.language,
    translationKey: hugoTranslationKey(src, translationKeyField ? asText(translationKeyField).trim() : undefined),
    title,
    publishedAt: toUtcIso(publishDate ?? date),
    date: toUtcIso(date),
    draft: asBoolean(getField(data, 'draft')),
    summary: readSummary(data, fm.body, src.ext),
    url,
    topics,
    taxonomies,
    authors: readAuthors(data),
    section: src.section,
    contentHash: createHash('sha256').update(bytes).digest('hex'),
  };
  if (expiryDate !== undefined) article.expiresAt = toUtcIso(expiryDate);
  if (lastmod !== undefined) article.updatedAt = toUtcIso(lastmod);
  if (imageField) article.image = resolveField(imageField, url, lang.baseUrl);
  Object.assign(article, readEditorial(data, zone, warnings));
  return { article, warnings };
}
