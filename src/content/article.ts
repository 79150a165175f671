/**
 * The Article is the one shape every later stage sees. It is produced by
 * `content/` from a markdown file and is plain data (JSON-serialisable), so the
 * store can keep a snapshot and renderers stay pure.
 */
export interface Article {
  /** `slug` from front matter, else the path under content.dir without extension (bundles: the folder). */
  id: string;
  /** Path of the source file relative to content.dir, with `/` separators. */
  file: string;
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
  /** Section = first folder under content.dir ('' at the root). */
  section: string;
  /** Hash of the source bytes, to notice edits. */
  contentHash: string;
}

export type ArticleStatus = 'published' | 'draft' | 'scheduled' | 'expired';

/** A file under content.dir that could not be turned into an Article. */
export interface ArticleProblem {
  /** Path relative to content.dir. */
  file: string;
  /** Human-readable reason, e.g. "front matter: invalid YAML at line 3: ..." */
  reason: string;
}

export interface ScanResult {
  articles: Article[];
  problems: ArticleProblem[];
}

/** Published = not draft, publishedAt <= now, and expiresAt (if any) > now. */
export function articleStatus(a: Article, now: Date): ArticleStatus {
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
