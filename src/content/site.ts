import type { DateKeys } from './hugo/page.ts';
import type { PathRules } from './hugo/path-rules.ts';

/** Site settings that content/ and render/ need (a subset of the validated config). */
export interface SiteSettings {
  title: string;
  /** Base URL, absolute, e.g. https://example.com/ (always ends with '/'). */
  url: string;
  /** BCP 47 language tag of the site's default language, e.g. 'zh-CN' or 'en' (interface strings). */
  language: string;
  /** IANA time zone, e.g. 'Asia/Shanghai'. */
  timezone: string;
  /** Postal address for email footers. */
  address?: string;
}

/** Which generator's rules turn files into pages and URLs. */
export type SiteGenerator = 'hugo' | 'jekyll';

/** One language of the site, as the site's own config describes it. */
export interface SiteLanguage {
  /** The site's code for it: Hugo's language key (lower-cased, as Hugo reads config keys), Jekyll's `lang`. */
  code: string;
  /** BCP 47 tag for interface strings and dates: Hugo's `languageCode`, else the code. */
  locale: string;
  /** The language's own site title, if the site gives one. */
  title?: string;
  /** Its name for readers (Hugo's `languageName`), e.g. 中文. */
  name?: string;
  /** Absolute base URL of this language's pages, ending with '/': its own baseURL on a multihost site, else the site's. */
  baseUrl: string;
  /** What Hugo puts before this language's paths ('' for the default language unless defaultContentLanguageInSubdir). */
  prefix: string;
  /** Absolute content folder of this language. */
  contentDir: string;
  /** Hugo's weight: languages are listed by it. */
  weight: number;
  /** The language's own Hugo `permalinks` (section → pattern), over the site's. */
  permalinks?: Record<string, string>;
}

/** Jekyll's rules, read from `_config.yml`. */
export interface JekyllSettings {
  /** Absolute site source folder. */
  source: string;
  /** The posts' permalink template, presets (`date`, `pretty`, `ordinal`, `weekdate`, `none`) already expanded. */
  permalink: string;
  /** `collections` with `output: true` (posts excluded); each with its permalink template. */
  collections: Array<{ label: string; permalink: string }>;
  /** `collections_dir` (relative, '' by default). */
  collectionsDir: string;
  /** Front matter `defaults` (scope path/type → values). */
  defaults: Array<{ path: string; type?: string; values: Record<string, unknown> }>;
  /** `exclude` and `include` (Jekyll's globs). */
  exclude: string[];
  include: string[];
  /** Extensions Jekyll converts with its markdown converter (without dots). */
  markdownExt: string[];
}

export interface ContentSettings {
  /** Absolute path of the content folder (Hugo: the default language's; Jekyll: the site source). */
  dir: string;
  /**
   * One permalink pattern for every page (Herald's own `content.permalink`), in the site
   * generator's syntax. Empty or absent: the site's own rules (Hugo's per-section
   * `permalinks`, else the folder path; Jekyll's `permalink`).
   */
  permalink?: string;
  /** Default 'hugo'. */
  generator?: SiteGenerator;
  /** Hugo `permalinks`: section → pattern ('' is the root section). */
  permalinks?: Record<string, string>;
  /** Hugo `uglyURLs`: for every section, or per section. */
  uglyURLs?: boolean | Record<string, boolean>;
  /** Hugo `disablePathToLower` and `removePathAccents`. */
  pathRules?: PathRules;
  /** Hugo `ignoreFiles`: regular expressions matched against each file's absolute path. */
  ignoreFiles?: string[];
  /** Taxonomies (plural front matter keys) that feed topics besides tags, categories and main_topics. */
  taxonomies?: string[];
  /** The site's languages, default language first. Absent: one language, `site.language`, in `dir`. */
  languages?: SiteLanguage[];
  /** Code of the default content language (default: the first of `languages`). */
  defaultLanguage?: string;
  /** Languages the site names but does not build (Hugo `disableLanguages`, `disabled: true`). */
  disabledLanguages?: string[];
  /** Hugo `frontmatter`: the keys each date is read from. */
  dateKeys?: Partial<DateKeys>;
  jekyll?: JekyllSettings;
}

/** The languages of a site: the configured ones, or the single one Herald's settings imply. */
export function siteLanguages(content: ContentSettings, site: SiteSettings): SiteLanguage[] {
  if (content.languages && content.languages.length > 0) return content.languages;
  return [{ code: site.language, locale: site.language, baseUrl: site.url, prefix: '', contentDir: content.dir, weight: 0 }];
}

export function defaultLanguageCode(content: ContentSettings, site: SiteSettings): string {
  return content.defaultLanguage ?? siteLanguages(content, site)[0]?.code ?? site.language;
}

/**
 * The site settings as a reader of one language sees them: that language's title (when
 * the site gives one), its home page and its locale for interface strings. Unknown or no
 * code: the default.
 */
export function siteForLanguage(content: ContentSettings, site: SiteSettings, code?: string): SiteSettings {
  if (code === undefined || !content.languages) return site;
  const lang = content.languages.find((l) => l.code.toLowerCase() === code.toLowerCase());
  if (!lang || lang.code === defaultLanguageCode(content, site)) return site;
  const home = lang.prefix === '' ? lang.baseUrl : `${lang.baseUrl}${lang.prefix.toLowerCase()}/`;
  return { ...site, title: lang.title ?? site.title, language: lang.locale, url: home || site.url };
}
