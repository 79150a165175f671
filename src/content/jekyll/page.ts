/**
 * Jekyll 4 posts, drafts and collection documents → Articles, with the URLs Jekyll gives
 * them (lib/jekyll/document.rb, url.rb, drops/url_drop.rb). The walk finds them as
 * Jekyll's reader does; the parse is pure (bytes + where the file is + settings).
 */
import { noteFile, noteFolder, type WalkInputs, type WalkOptions } from '../walk-inputs.ts';
import { createHash } from 'node:crypto';
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import type { DateTime } from 'luxon';
import type { Article, ArticleProblem, SkippedFile } from '../article.ts';
import { parseDateText, toUtcIso } from '../dates.ts';
import { ArticleParseError } from '../errors.ts';
import { readFrontMatter } from '../front-matter.ts';
import { globToRegExp } from '../glob.ts';
import type { ParsedPage } from '../hugo/page.ts';
import { compareText } from '../hugo/walk.ts';
import { findImage, readAuthors, readDate, readEditorial, readSummary, readTaxonomies, resolveField } from '../page-fields.ts';
import type { ContentSettings, JekyllSettings, SiteSettings } from '../site.ts';
import { decodeSourceText } from '../source-text.ts';
import { pageHref } from '../urls.ts';
import { asText, getField } from '../values.ts';
import { collapseWhitespace } from '../../util/text.ts';

export interface JekyllSource {
  /** Path relative to the site source, `/`-separated. */
  file: string;
  language?: string;
  /** 'posts' for posts and drafts, else the collection's label. */
  collection: string;
  draft: boolean;
  /** Categories from the folders above `_posts` / `_drafts` (`news/_posts/…` → news). */
  dirCategories: string[];
  /** Path relative to the collections folder (what `defaults` scopes match). */
  relativePath: string;
  /** The collection's permalink template (posts: the site's `permalink`). */
  template: string;
}

export interface JekyllCandidate {
  src: JekyllSource;
  absolute: string;
}

const DATE_FILENAME = /^(?:.+\/)*?(\d{2,4}-\d{1,2}-\d{1,2})-([^/]*)(\.[^.]+)$/;
const DATELESS_FILENAME = /^(?:.+\/)*(.*)(\.[^.]+)$/;
const DEFAULT_EXCLUDES = ['.sass-cache', '.jekyll-cache', 'gemfiles', 'Gemfile', 'Gemfile.lock', 'node_modules', 'vendor/bundle/', 'vendor/cache/', 'vendor/gems/', 'vendor/ruby/'];

// ── URLs ─────────────────────────────────────────────────────────────────

const SLUG_DEFAULT = /[^\p{M}\p{L}\p{Nd}]+/gu;
const SLUG_PRETTY = /[^\p{M}\p{L}\p{Nd}._~!$&'()+,;=@]+/gu;

/** Jekyll's Utils.slugify in the `default` and `pretty` modes. */
export function jekyllSlugify(s: string, mode: 'default' | 'pretty' = 'default', cased = false): string {
  const slug = s.replace(mode === 'pretty' ? SLUG_PRETTY : SLUG_DEFAULT, '-').replace(/^-|-$/g, '');
  return cased ? slug : slug.toLowerCase();
}

const MONTHS = ['January', 'February', 'March', 'April', 'May', 'June', 'July', 'August', 'September', 'October', 'November', 'December'];
const DAYS = ['Monday', 'Tuesday', 'Wednesday', 'Thursday', 'Friday', 'Saturday', 'Sunday'];
const pad = (n: number, w = 2) => String(n).padStart(w, '0');

interface UrlValues {
  collection: string;
  basename: string;
  slug?: string;
  categories: string[];
  date: DateTime;
  outputExt: string;
  path: string;
}

function placeholder(name: string, v: UrlValues): string | undefined {
  const d = v.date;
  switch (name) {
    case 'collection':
      return v.collection;
    case 'name':
      return jekyllSlugify(v.basename);
    case 'title':
      return jekyllSlugify(v.slug ?? v.basename, 'pretty', true);
    case 'slug':
      return jekyllSlugify(v.slug ?? v.basename);
    case 'categories':
      return [...new Set(v.categories.map((c) => c.toLowerCase()))].join('/');
    case 'slugified_categories':
      return [...new Set(v.categories.map((c) => jekyllSlugify(c)))].join('/');
    case 'year':
      return String(d.year);
    case 'month':
      return pad(d.month);
    case 'day':
      return pad(d.day);
    case 'hour':
      return pad(d.hour);
    case 'minute':
      return pad(d.minute);
    case 'second':
      return pad(d.second);
    case 'i_day':
      return String(d.day);
    case 'i_month':
      return String(d.month);
    case 'short_month':
      return (MONTHS[d.month - 1] as string).slice(0, 3);
    case 'long_month':
      return MONTHS[d.month - 1];
    case 'short_year':
      return pad(d.year % 100);
    case 'w_year':
      return String(d.weekYear);
    case 'week':
      return pad(d.weekNumber);
    case 'w_day':
      return String(d.weekday);
    case 'short_day':
      return (DAYS[d.weekday - 1] as string).slice(0, 3);
    case 'long_day':
      return DAYS[d.weekday - 1];
    case 'y_day':
      return pad(d.ordinal, 3);
    case 'output_ext':
      return v.outputExt;
    case 'path':
      return v.path;
    default:
      return undefined;
  }
}

const PLACEHOLDERS = ['collection', 'name', 'title', 'slug', 'categories', 'slugified_categories', 'year', 'month', 'day', 'hour', 'minute', 'second', 'i_day', 'i_month', 'short_month', 'long_month', 'short_year', 'w_year', 'week', 'w_day', 'short_day', 'long_day', 'y_day', 'output_ext', 'path'];

/** Placeholders of a template Jekyll does not know (it would stop the build), as `:name`. */
export function unknownJekyllPlaceholders(template: string): string[] {
  return [...template.matchAll(/:([a-z_]+)/g)]
    .map((m) => m[1] as string)
    .filter((name) => !PLACEHOLDERS.includes(name) && !(name.endsWith('_') && PLACEHOLDERS.includes(name.slice(0, -1))))
    .map((name) => `:${name}`);
}

/** Jekyll's URL#generate_url_from_drop and #sanitize_url: the unescaped path. */
export function jekyllUrl(template: string, v: UrlValues): string {
  const filled = template.replace(/:([a-z_]+)/g, (match, name: string) => {
    const pool = name.endsWith('_') ? [name, name.slice(0, -1)] : [name];
    for (const key of pool) {
      const value = placeholder(key, v);
      if (value !== undefined) return match.replace(`:${key}`, value);
    }
    throw new Error(`permalink "${template}": Jekyll has no :${name} placeholder`);
  });
  return `/${filled}`.replaceAll('..', '/').replaceAll('./', '').replace(/\/{2,}/g, '/');
}

// ── parse ────────────────────────────────────────────────────────────────

/** Scope globs compiled once, not per document. */
const scopeGlobs = new Map<string, RegExp>();
function scopeGlob(scope: string): RegExp {
  let re = scopeGlobs.get(scope);
  if (!re) {
    re = globToRegExp(scope);
    scopeGlobs.set(scope, re);
  }
  return re;
}

function applyDefaults(settings: JekyllSettings, src: JekyllSource): Record<string, unknown> {
  const merged: Record<string, unknown> = {};
  const type = src.collection;
  for (const d of settings.defaults) {
    if (d.type !== undefined && d.type !== type && !(d.type === 'drafts' && src.draft)) continue;
    const scope = d.path.replace(/^\/|\/$/g, '');
    if (scope !== '') {
      // A glob scope names files or folders (everything below a matched folder is in scope).
      const parts = src.relativePath.split('/');
      const ok = scope.includes('*')
        ? parts.some((_, i) => scopeGlob(scope).test(parts.slice(0, i + 1).join('/')))
        : src.relativePath.startsWith(scope);
      if (!ok) continue;
    }
    Object.assign(merged, d.values);
  }
  return merged;
}

/** Front matter categories (a string is split on spaces) after the folder ones, then `category`. */
function readCategories(dirCategories: string[], data: Record<string, unknown>): string[] {
  const list = (v: unknown) => (typeof v === 'string' ? v.split(/\s+/).filter(Boolean) : Array.isArray(v) ? v.filter((x) => x !== null && x !== undefined).map(String) : v === null || v === undefined ? [] : [String(v)]);
  const categories = [...dirCategories];
  for (const c of list(getField(data, 'categories')?.value)) if (!categories.includes(c)) categories.push(c);
  const single = getField(data, 'category')?.value;
  for (const c of single === undefined ? [] : Array.isArray(single) ? single.map(String) : [String(single)]) if (!categories.includes(c)) categories.push(c);
  return categories;
}

function outputExt(ext: string, settings: JekyllSettings): string {
  const bare = ext.replace(/^\./, '').toLowerCase();
  return settings.markdownExt.includes(bare) || bare === 'html' ? '.html' : ext;
}

export function parseJekyllPage(src: JekyllSource, bytes: Uint8Array, site: SiteSettings, content: ContentSettings): ParsedPage {
  const settings = content.jekyll as JekyllSettings;
  const text = decodeSourceText(bytes);
  const fm = readFrontMatter(text, 'jekyll');
  const data = { ...applyDefaults(settings, src), ...fm.data };
  const warnings = fm.warnings;
  const published = getField(data, 'published');
  if (published && published.value === false) return { skipped: { reason: 'unpublished', detail: 'published: false' }, warnings };

  const zone = site.timezone;
  // Document#populate_title: a dated name gives the date and the slug, for any document.
  const dated = DATE_FILENAME.exec(src.relativePath);
  const dateless = DATELESS_FILENAME.exec(src.relativePath);
  const ext = (dated?.[3] ?? dateless?.[2] ?? '') as string;
  const basename = (src.file.split('/').pop() as string).replace(/\.[^.]*$/, '');
  const nameSlug = (dated?.[2] ?? dateless?.[1] ?? basename).replace(/\.*$/, '');
  const slugField = getField(data, 'slug');
  const slug = slugField ? asText(slugField) : nameSlug;

  // Jekyll reads every date in the site's time zone (Time#localtime), offsets included.
  let date: DateTime | undefined = readDate(data, ['date'], zone)?.setZone(zone);
  if (date === undefined && dated) date = parseDateText((dated[1] as string).replace(/^(\d+)-(\d+)-(\d+)$/, (_, y, m, d) => `${y}-${m.padStart(2, '0')}-${d.padStart(2, '0')}`), zone);
  if (date === undefined || !date.isValid) {
    return { skipped: { reason: 'undated', detail: src.draft ? 'a draft without a date (Jekyll dates it by the file time)' : 'no date (Jekyll dates it by the build time)' }, warnings };
  }

  const titleField = getField(data, 'title');
  const title = titleField ? collapseWhitespace(asText(titleField)) : nameSlug.split('-').map((w) => w.charAt(0).toUpperCase() + w.slice(1).toLowerCase()).join(' ');
  const categories = readCategories(src.dirCategories, data);
  const permalinkField = getField(data, 'permalink');
  const template = content.permalink || (permalinkField ? asText(permalinkField) : src.template);
  const cleanedPath = src.relativePath
    .slice(0, src.relativePath.length - ext.length)
    .replace(`_${src.collection}`, '')
    .replace(/\.*$/, '');
  let link: string;
  try {
    link = jekyllUrl(template, { collection: src.collection, basename, slug, categories, date, outputExt: outputExt(ext, settings), path: cleanedPath });
  } catch (err) {
    throw new ArticleParseError((err as Error).message);
  }
  const url = pageHref(site.url, link);

  const { taxonomies, topics } = readTaxonomies({ ...data, categories }, content.taxonomies);
  const imageField = findImage(data);
  const article: Article = {
    id: src.file.replace(/\.[^./]*$/, ''),
    file: src.file,
    language: src.language ?? site.language,
    translationKey: `page/${src.file.replace(/\.[^./]*$/, '')}`,
    title,
    publishedAt: toUtcIso(date),
    date: toUtcIso(date),
    draft: src.draft,
    summary: readSummary(data, fm.body, ext.replace(/^\./, '')),
    url,
    topics,
    taxonomies,
    authors: readAuthors(data),
    section: src.collection,
    contentHash: createHash('sha256').update(bytes).digest('hex'),
  };
  const imageUrl = imageField && resolveField(imageField, url, site.url);
  if (imageUrl) article.image = imageUrl;
  Object.assign(article, readEditorial(data, zone, warnings));
  return { article, warnings };
}

// ── walk ─────────────────────────────────────────────────────────────────

export interface JekyllWalk {
  candidates: JekyllCandidate[];
  skipped: SkippedFile[];
  problems: ArticleProblem[];
}

interface Filter {
  excluded: RegExp[];
  included: RegExp[];
}

/** Jekyll's EntryFilter: dot, underscore, `#` and `~` entries and `exclude` globs are skipped unless `include`d. */
function makeFilter(settings: JekyllSettings): Filter {
  const toRe = (g: string) => globToRegExp(g.replace(/^\/+/, '').replace(/\/+$/, '(/**)?').replace('(/**)?', '{,/**}'));
  return { excluded: [...settings.exclude, ...DEFAULT_EXCLUDES].map(toRe), included: settings.include.map(toRe) };
}

function isIncluded(f: Filter, rel: string, name: string): boolean {
  return f.included.some((re) => re.test(rel) || re.test(name));
}

function isFiltered(f: Filter, rel: string, name: string, allowUnderscore = false): boolean {
  const included = isIncluded(f, rel, name);
  if (f.excluded.some((re) => re.test(rel)) && !included) return true;
  if (included) return false;
  return name.startsWith('.') || (!allowUnderscore && name.startsWith('_')) || name.startsWith('#') || name.endsWith('~');
}

async function entries(dir: string, inputs?: WalkInputs): Promise<Array<{ name: string; isDir: boolean }>> {
  // Synchronous: a walk makes thousands of small calls, each a thread-pool round trip otherwise.
  noteFolder(inputs, dir);
  let names: string[];
  try {
    names = readdirSync(dir).sort(compareText);
  } catch {
    names = [];
  }
  const out: Array<{ name: string; isDir: boolean }> = [];
  for (const name of names) {
    try {
      out.push({ name, isDir: statSync(join(dir, name)).isDirectory() });
    } catch {
      // A dangling symlink is not content.
    }
  }
  return out;
}

/** Every file under `dir` (recursively), relative to it, as Jekyll's `Dir["**\/*"]` with the entry filter. */
async function filesBelow(f: Filter, root: string, relRoot: string, inputs: WalkInputs | undefined, dir = ''): Promise<string[]> {
  const out: string[] = [];
  for (const e of await entries(join(root, dir), inputs)) {
    const rel = dir === '' ? e.name : `${dir}/${e.name}`;
    if (isFiltered(f, `${relRoot}/${rel}`, e.name)) continue;
    if (e.isDir) out.push(...(await filesBelow(f, root, relRoot, inputs, rel)));
    else out.push(rel);
  }
  return out;
}

const hasYamlHeader = (head: string) => /^---\s*\r?\n/.test(head);

export async function walkJekyll(content: ContentSettings, opts: WalkOptions = {}): Promise<JekyllWalk> {
  const settings = content.jekyll as JekyllSettings;
  const source = settings.source;
  const f = makeFilter(settings);
  const out: JekyllWalk = { candidates: [], skipped: [], problems: [] };
  try {
    readdirSync(source);
  } catch (err) {
    throw new Error(`Jekyll site folder ${source} cannot be read: ${(err as Error).message}`);
  }
  const postsTemplate = settings.permalink;
  const collectionsDir = settings.collectionsDir.replace(/^\/+|\/+$/g, '');
  const base = collectionsDir === '' ? '' : `${collectionsDir}/`;
  const head16 = (file: string): string => {
    noteFile(opts.inputs, file);
    try {
      return readFileSync(file, 'utf8').slice(0, 16);
    } catch {
      return '';
    }
  };

  const addPosts = async (dir: string, magic: '_posts' | '_drafts') => {
    const rel = dir === '' ? magic : `${dir}/${magic}`;
    const files = await filesBelow(f, join(source, rel), rel, opts.inputs);
    const dirCategories = dir === '' ? [] : dir.split('/').filter((c) => c !== '' && c !== magic);
    for (const file of files) {
      const full = `${rel}/${file}`;
      const relativePath = collectionsDir && full.startsWith(base) ? full.slice(base.length) : full;
      if (magic === '_posts' && !DATE_FILENAME.test(relativePath)) {
        out.skipped.push({ file: full, reason: 'not-a-post', detail: 'in _posts, but the name does not start with YYYY-MM-DD-, so Jekyll skips it' });
        continue;
      }
      if (magic === '_drafts' && !DATELESS_FILENAME.test(relativePath)) continue;
      out.candidates.push({
        src: { file: full, collection: 'posts', draft: magic === '_drafts', dirCategories: dirCategories.filter((c) => !(collectionsDir && c === collectionsDir)), relativePath, template: postsTemplate },
        absolute: join(source, full),
      });
      opts.found?.(out.candidates.length);
    }
  };

  // Jekyll's reader: every folder it walks may hold _posts and _drafts; other files with
  // front matter are pages.
  const walk = async (dir: string): Promise<void> => {
    if (collectionsDir === '' || dir === collectionsDir || dir.startsWith(base)) {
      await addPosts(dir, '_posts');
      await addPosts(dir, '_drafts');
    }
    for (const e of await entries(join(source, dir), opts.inputs)) {
      const rel = dir === '' ? e.name : `${dir}/${e.name}`;
      if (isFiltered(f, rel, e.name)) {
        if (!e.isDir && opts.all && !e.name.startsWith('.')) out.skipped.push({ file: rel, reason: 'ignored', detail: "excluded by the site's _config.yml (or a special name Jekyll skips)" });
        continue;
      }
      if (e.isDir) {
        if (rel === '_site') continue;
        await walk(rel);
        continue;
      }
      const ext = e.name.includes('.') ? e.name.slice(e.name.lastIndexOf('.') + 1).toLowerCase() : '';
      const isText = settings.markdownExt.includes(ext) || ext === 'html' || ext === 'htm';
      if (!isText) {
        if (opts.all) out.skipped.push({ file: rel, reason: 'not-content', detail: 'a static file' });
        continue;
      }
      const head = head16(join(source, rel));
      if (hasYamlHeader(head)) out.skipped.push({ file: rel, reason: 'not-a-post', detail: 'a page, not a post' });
      else if (opts.all) out.skipped.push({ file: rel, reason: 'not-content', detail: 'a static file (no front matter)' });
    }
  };
  await walk('');

  for (const c of settings.collections) {
    const rel = `${base}_${c.label}`;
    const files = await filesBelow(f, join(source, rel), rel, opts.inputs);
    for (const file of files) {
      const full = `${rel}/${file}`;
      const head = head16(join(source, full));
      if (!hasYamlHeader(head)) {
        if (opts.all) out.skipped.push({ file: full, reason: 'not-content', detail: `a static file of the ${c.label} collection` });
        continue;
      }
      out.candidates.push({
        src: { file: full, collection: c.label, draft: false, dirCategories: [], relativePath: full.slice(base.length), template: c.permalink },
        absolute: join(source, full),
      });
      opts.found?.(out.candidates.length);
    }
  }
  out.candidates.sort((a, b) => compareText(a.src.file, b.src.file));
  return out;
}
