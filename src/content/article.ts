import { truncateGraphemes } from '../util/text.ts';

/**
 * The Article is the one shape every later stage sees. It is produced by
 * `content/` from a markdown file and is plain data (JSON-serialisable), so the
 * store can keep a snapshot and renderers stay pure.
 */
export interface Article {
  /**
   * Unique by language and source file: the page's path under its content folder without
   * extension and language (bundles: the folder), with `.<language>` added for every
   * language but the default one (`posts/hello`, `posts/hello.zh`). The store may keep an
   * older id for a file it already knew (see store/README).
   */
  id: string;
  /** Path of the source file relative to its language's content folder (Hugo's `.File.Path`), with `/` separators. */
  file: string;
  /** The site's code of the article's language (Hugo's `.Lang`), e.g. 'en' or 'zh-cn'. */
  language: string;
  /** Translations of one page share it: Hugo's `translationKey`, else the page path without language. */
  translationKey: string;
  /** As the site gives it (Hugo lists pages without one with an empty title); renderers fall back to the summary. */
  title: string;
  /** ISO 8601 instant (UTC, `Z`) when the article becomes published: publishDate, else date. */
  publishedAt: string;
  /** ISO 8601 instant of `date` (may equal publishedAt). */
  date: string;
  /** ISO 8601 instants, when given. */
  expiresAt?: string;
  updatedAt?: string;
  draft: boolean;
  /** Plain text, at most ~200 characters, ends with an ellipsis when it was cut. */
  summary: string;
  /** Absolute, percent-encoded URL of the article. */
  url: string;
  /** Absolute, percent-encoded image URL, if the article has one. */
  image?: string;
  /** Union of tags, categories and main_topics, de-duplicated, in that order. */
  topics: string[];
  /** Each taxonomy kept by its own name, e.g. { tags: [...], categories: [...], main_topics: [...] }. */
  taxonomies: Record<string, string[]>;
  authors: string[];
  /** Section = first folder under the content folder ('' at the root); Jekyll: the collection ('posts'). */
  section: string;
  /** Hash of the source bytes, to notice edits. */
  contentHash: string;
  /** Front matter `breaking: true`: chat channels post it at once, alert emails go out (README "Breaking news"). */
  breaking?: true;
  /** Front matter `herald:`, when given. */
  herald?: EditorialControls;
}

/** An article's own instructions to Herald (front matter `herald:`). */
export interface EditorialControls {
  /** Never on these channels (ids). */
  skip?: string[];
  /** Only on these channels (ids). */
  only?: string[];
  /** First in the next digest. */
  pin?: true;
  /** ISO instant: no channel takes it before then, even when the page is public. */
  embargo?: string;
}

export type ArticleStatus = 'published' | 'draft' | 'scheduled' | 'expired';

/** A file under content.dir that could not be turned into an Article. */
export interface ArticleProblem {
  /** Path relative to content.dir. */
  file: string;
  /** Human-readable reason, e.g. "front matter: invalid YAML at line 3: ..." */
  reason: string;
}

/** Why a file under the content folder is not an article (it is not invalid either). */
export type SkipReason =
  | 'list-page' // Hugo _index.* (section or home page)
  | 'headless' // Hugo leaf bundle with `headless: true`
  | 'not-rendered' // Hugo `build.render: never` (or `link`): no page is written
  | 'not-listed' // Hugo `build.list: never|local`: left out of the site's lists and feeds
  | 'resource' // a content file inside a leaf bundle: a page resource, not a page
  | 'shadowed' // another file is the same page (posts/a.md beside posts/a/index.md): Hugo builds that one
  | 'ignored' // matched by the site's ignoreFiles / Jekyll exclude
  | 'undated' // no date at all (Hugo lists it dated 0001-01-01)
  | 'unpublished' // Jekyll `published: false`
  | 'language-disabled' // a language the site does not build
  | 'not-a-post' // Jekyll: a page, a file in _posts without a YYYY-MM-DD- name, a collection without output
  | 'not-content'; // not a content format (images, data): only with `herald articles --all`

export interface SkippedFile {
  /** Path relative to the content folder of its language (Jekyll: the site source). */
  file: string;
  language?: string;
  reason: SkipReason;
  /** A sentence for people, e.g. "resource of the page bundle posts/trip/index.md". */
  detail: string;
}

/** Something Herald accepted, but only leniently (Hugo accepts it too): `herald check` shows it. */
export interface ScanWarning {
  file: string;
  /** 1-based line in the file, when known. */
  line?: number;
  message: string;
}

export interface ScanResult {
  articles: Article[];
  problems: ArticleProblem[];
  skipped: SkippedFile[];
  warnings: ScanWarning[];
}

/**
 * The headline to show: the title, else (a page without one, which Hugo allows) the start
 * of its summary, else its link.
 */
export function displayTitle(a: Pick<Article, 'title' | 'summary' | 'url'>): string {
  if (a.title.trim() !== '') return a.title;
  const words = a.summary.trim();
  if (words !== '') return truncateGraphemes(words, 80);
  return a.url;
}

/** Published = not draft, publishedAt <= now, and expiresAt (if any) > now. */
export function articleStatus(a: Pick<Article, 'draft' | 'publishedAt' | 'expiresAt'>, now: Date): ArticleStatus {
  if (a.draft) return 'draft';
  const t = now.getTime();
  if (Date.parse(a.publishedAt) > t) return 'scheduled';
  if (a.expiresAt !== undefined && Date.parse(a.expiresAt) <= t) return 'expired';
  return 'published';
}

/** Topic routing shared by every channel: any match of `topics` (empty = all) and none of `exclude`. */
export function matchesTopics(articleTopics: readonly string[], topics: readonly string[], exclude: readonly string[] = []): boolean {
  const norm = (s: string) => s.normalize('NFC').toLowerCase();
  const have = new Set(articleTopics.map(norm));
  if (exclude.some((t) => have.has(norm(t)))) return false;
  return topics.length === 0 || topics.some((t) => have.has(norm(t)));
}
