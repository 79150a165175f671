/**
 * Front matter fields every generator reads the same way: title, taxonomies, summary,
 * image, authors. Pure functions of the parsed front matter.
 */
import type { DateTime } from 'luxon';
import { parseDateField } from './dates.ts';
import { ArticleParseError } from './errors.ts';
import { summaryFromBody, summaryFromHtml, summaryFromText } from './summary.ts';
import { resolveAuthorUrl } from './urls.ts';
import { asBoolean, asText, asTextList, type Field, fieldError, getField, uniqueTexts } from './values.ts';
import type { EditorialControls } from './article.ts';
import type { FrontMatterWarning } from './front-matter.ts';
import { toUtcIso } from './dates.ts';
import { collapseWhitespace } from '../util/text.ts';

/** Taxonomies that always feed `topics`, in the order they are merged; a site's own come after. */
export const TOPIC_TAXONOMIES = ['tags', 'categories', 'main_topics'] as const;

/** The title as written (Hugo lists a page without one with an empty title), whitespace collapsed. */
export function readTitle(data: Record<string, unknown>): string {
  const field = getField(data, 'title');
  return field === undefined ? '' : collapseWhitespace(asText(field));
}

/** The first of `keys` that is set, read as a date (offsets kept; none: the site zone). */
export function readDate(data: Record<string, unknown>, keys: readonly string[], zone: string): DateTime | undefined {
  const field = getField(data, ...keys);
  return field && parseDateField(field, zone);
}

export function readTaxonomies(data: Record<string, unknown>, extra: readonly string[] = []): { taxonomies: Record<string, string[]>; topics: string[] } {
  const names = uniqueTexts([...TOPIC_TAXONOMIES, ...extra]);
  const taxonomies: Record<string, string[]> = {};
  for (const name of names) taxonomies[name] = uniqueTexts(asTextList(getField(data, name)));
  return { taxonomies, topics: uniqueTexts(names.flatMap((name) => taxonomies[name] ?? [])) };
}

/** Front matter `summary`/`description`, else from the body (HTML files: their text); a function body is called only then. */
export function readSummary(data: Record<string, unknown>, body: string | (() => string), ext: string): string {
  const field = getField(data, 'summary', 'description');
  if (field) return summaryFromText(asText(field));
  const text = typeof body === 'string' ? body : body();
  return ext === 'html' || ext === 'htm' ? summaryFromHtml(text) : summaryFromBody(text);
}

export function resolveField(field: Field, base: string, siteUrl: string): string {
  const text = asText(field);
  try {
    return resolveAuthorUrl(text, base, siteUrl);
  } catch (err) {
    throw new ArticleParseError(`front matter: "${field.key}" is ${JSON.stringify(text)}: ${(err as Error).message}`);
  }
}

/** featured_image, image, cover (string or PaperMod's `{ image }`), images[0] — first one set wins. */
export function findImage(data: Record<string, unknown>): Field | undefined {
  const direct = getField(data, 'featured_image', 'image');
  if (direct) return direct;
  const cover = getField(data, 'cover');
  if (cover) {
    if (typeof cover.value === 'string') return cover;
    if (typeof cover.value === 'object' && !Array.isArray(cover.value)) {
      const inner = getField(cover.value as Record<string, unknown>, 'image');
      if (inner) return { key: `${cover.key}.image`, value: inner.value };
    } else {
      throw fieldError(cover, 'an image path or a mapping with "image"');
    }
  }
  const images = getField(data, 'images');
  if (images) {
    const first = asTextList(images)[0];
    if (first !== undefined) return { key: `${images.key}[0]`, value: first };
  }
  return undefined;
}

/** author/authors as a string, a list, or `{ name }` objects (some themes). */
export function readAuthors(data: Record<string, unknown>): string[] {
  const names: string[] = [];
  for (const key of ['author', 'authors']) {
    const field = getField(data, key);
    if (field === undefined) continue;
    const items = Array.isArray(field.value) ? field.value : [field.value];
    for (const item of items) {
      if (item !== null && typeof item === 'object' && !Array.isArray(item)) {
        const name = getField(item as Record<string, unknown>, 'name');
        if (name === undefined) throw fieldError(field, 'a name, a list of names, or mappings with "name"');
        names.push(collapseWhitespace(asText(name)));
      } else {
        names.push(...asTextList({ key: field.key, value: item }).map(collapseWhitespace));
      }
    }
  }
  return uniqueTexts(names.filter((n) => n !== ''));
}

const EDITORIAL_KEYS = ['skip', 'only', 'pin', 'embargo'];

/**
 * Herald's own front matter: `breaking: true`, and `herald: { skip, only, pin, embargo }`
 * (channel ids, first in the next digest, held until an instant). Unknown keys under
 * `herald:` are a warning (a typo must not pass silently); wrong types are an error.
 */
export function readEditorial(data: Record<string, unknown>, zone: string, warnings: FrontMatterWarning[]): { breaking?: true; herald?: EditorialControls } {
  const out: { breaking?: true; herald?: EditorialControls } = {};
  if (asBoolean(getField(data, 'breaking'))) out.breaking = true;
  const field = getField(data, 'herald');
  if (field === undefined) return out;
  if (typeof field.value !== 'object' || Array.isArray(field.value) || field.value instanceof Date) {
    throw fieldError(field, 'a mapping like { skip: [channel], only: [channel], pin: true, embargo: 2025-07-02T08:00:00Z }');
  }
  const h = field.value as Record<string, unknown>;
  const unknown = Object.keys(h).filter((k) => !EDITORIAL_KEYS.includes(k));
  if (unknown.length > 0) {
    warnings.push({ message: `front matter: unknown key(s) under "${field.key}": ${unknown.join(', ')} (Herald knows ${EDITORIAL_KEYS.join(', ')})` });
  }
  const sub = (name: string): Field | undefined => {
    const f = getField(h, name);
    return f && { key: `${field.key}.${f.key}`, value: f.value };
  };
  const controls: EditorialControls = {};
  const skip = asTextList(sub('skip'));
  const only = asTextList(sub('only'));
  if (skip.length > 0) controls.skip = skip;
  if (only.length > 0) controls.only = only;
  if (asBoolean(sub('pin'))) controls.pin = true;
  const embargo = sub('embargo');
  if (embargo) controls.embargo = toUtcIso(parseDateField(embargo, zone));
  if (Object.keys(controls).length > 0) out.herald = controls;
  return out;
}
