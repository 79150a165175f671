import type { Article } from './article.ts';
import { ArticleParseError } from './errors.ts';
import { parseHugoPage } from './hugo/page.ts';
import { describeHugoSource } from './paths.ts';
import { assertValidZone } from './dates.ts';
import { type ContentSettings, defaultLanguageCode, type SiteSettings, siteLanguages } from './site.ts';
import { assertSiteUrl } from './urls.ts';

export { TOPIC_TAXONOMIES } from './page-fields.ts';

/**
 * Turns one Hugo content file into an Article, knowing only its path (relative to the
 * content folder): the first folder is its section, deeper folders are not sections
 * (scanContent, which walks the folder, knows better). Throws ArticleParseError (with
 * `.reason`) when the file is invalid or is not an article; never returns a half-filled
 * Article.
 */
export function parseArticle(file: string, bytes: Uint8Array, site: SiteSettings, content: ContentSettings): Article {
  assertSiteUrl(site.url);
  assertValidZone(site.timezone);
  const languages = siteLanguages(content, site);
  const defaultLanguage = defaultLanguageCode(content, site);
  const src = describeHugoSource(file, defaultLanguage, new Set(languages.map((l) => l.code)));
  if (src.baseName === '_index') throw new ArticleParseError(`list page (_index.${src.ext}), not an article`);
  const lang = languages.find((l) => l.code === src.language) ?? (languages[0] as (typeof languages)[number]);
  const parsed = parseHugoPage(src, bytes, site, content, lang, defaultLanguage);
  if (parsed.skipped) throw new ArticleParseError(parsed.skipped.detail);
  return parsed.article as Article;
}
