import { createHash } from 'node:crypto';
import type { Article } from './article.ts';
import { assertValidZone, parseDateField, toUtcIso } from './dates.ts';
import { ArticleParseError } from './errors.ts';
import { readFrontMatter } from './front-matter.ts';
import { DEFAULT_PERMALINK, expandPermalink } from './permalink.ts';
import { describeSourcePath, isListPage } from './paths.ts';
import type { ContentSettings, SiteSettings } from './site.ts';
import { decodeSourceText } from './source-text.ts';
import { summaryFromBody, summaryFromText } from './summary.ts';
import { assertSiteUrl, resolveAuthorUrl, siteUrlFor } from './urls.ts';
import { asBoolean, asText, asTextList, type Field, fieldError, getField, uniqueTexts } from './values.ts';
import { collapseWhitespace } from '../util/text.ts';

/** Taxonomies that feed `topics`, in the order they are merged. */
export const TOPIC_TAXONOMIES = ['tags', 'categories', 'main_topics'] as const;

// Hugo's own aliases for the date fields; the first name is the one in messages.
const DATE_KEYS = ['date'];
const PUBLISH_KEYS = ['publishDate', 'pubDate', 'published'];
const EXPIRY_KEYS = ['expiryDate', 'unpublishDate'];
const LASTMOD_KEYS = ['lastmod', 'modified'];

/**
 * Turns one markdown file into an Article. `file` is the path relative to
 * content.dir. Throws ArticleParseError (with `.reason`) when the file cannot
 * be used; never returns a half-filled Article.
 */
export function parseArticle(file: string, bytes: Buffer, site: SiteSettings, content: ContentSettings): Article {
  assertSiteUrl(site.url);
  assertValidZone(site.timezone);
  const path = describeSourcePath(file);
  if (isListPage(path.file)) throw new ArticleParseError('list page (_index.md), not an article');

  const text = decodeSourceText(bytes);
  const { data, body } = readFrontMatter(text);

  const titleField = getField(data, 'title');
  if (titleField === undefined) throw new ArticleParseError('front matter: "title" is missing, expected a non-empty string');
  const title = collapseWhitespace(asText(titleField));
  if (title === '') throw fieldError(titleField, 'a non-empty string');

  const zone = site.timezone;
  const dateField = getField(data, ...DATE_KEYS);
  const publishField = getField(data, ...PUBLISH_KEYS);
  const date = dateField && parseDateField(dateField, zone);
  const publishDate = publishField && parseDateField(publishField, zone);
  const primaryDate = date ?? publishDate;
  if (primaryDate === undefined) {
    throw new ArticleParseError(`front matter: no date, expected "date" or "publishDate" (${DATE_KEYS.concat(PUBLISH_KEYS).join(', ')}) with an ISO 8601 date like 2025-07-02T00:40:05+08:00`);
  }
  const expiryField = getField(data, ...EXPIRY_KEYS);
  const lastmodField = getField(data, ...LASTMOD_KEYS);
  const expiresAt = expiryField && toUtcIso(parseDateField(expiryField, zone));
  const updatedAt = lastmodField && toUtcIso(parseDateField(lastmodField, zone));

  const slugField = getField(data, 'slug');
  const slug = slugField && asText(slugField).trim();

  const urlField = getField(data, 'url');
  const url = urlField
    ? resolveField(urlField, site.url, site.url)
    : siteUrlFor(
        expandPermalink(content.permalink || DEFAULT_PERMALINK, {
          slug: slug || undefined,
          title,
          filename: path.filename,
          section: path.section,
          sections: path.sections,
          date: primaryDate.setZone(zone),
        }),
        site.url,
      );

  const taxonomies: Record<string, string[]> = {};
  for (const name of TOPIC_TAXONOMIES) taxonomies[name] = uniqueTexts(asTextList(getField(data, name)));

  const summaryField = getField(data, 'summary', 'description');
  const summary = summaryField ? summaryFromText(asText(summaryField)) : summaryFromBody(body);

  const imageField = findImage(data);
  const image = imageField && resolveField(imageField, url, site.url);

  const article: Article = {
    id: slug || path.pagePath,
    file: path.file,
    title,
    publishedAt: toUtcIso(publishDate ?? primaryDate),
    date: toUtcIso(primaryDate),
    draft: asBoolean(getField(data, 'draft')),
    summary,
    url,
    topics: uniqueTexts(TOPIC_TAXONOMIES.flatMap((name) => taxonomies[name] ?? [])),
    taxonomies,
    authors: readAuthors(data),
    section: path.section,
    contentHash: createHash('sha256').update(bytes).digest('hex'),
  };
  if (expiresAt !== undefined) article.expiresAt = expiresAt;
  if (updatedAt !== undefined) article.updatedAt = updatedAt;
  if (image !== undefined) article.image = image;
  return article;
}

function resolveField(field: Field, base: string, siteUrl: string): string {
  const text = asText(field);
  try {
    return resolveAuthorUrl(text, base, siteUrl);
  } catch (err) {
    throw new ArticleParseError(`front matter: "${field.key}" is ${JSON.stringify(text)}: ${(err as Error).message}`);
  }
}

/** featured_image, image, cover (string or PaperMod's `{ image }`), images[0] — first one set wins. */
function findImage(data: Record<string, unknown>): Field | undefined {
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
function readAuthors(data: Record<string, unknown>): string[] {
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
