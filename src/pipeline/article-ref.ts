/**
 * How an editor names an article in a command: its id, its path under content.dir (with or
 * without the extension), or an unambiguous part of its title or slug. Several matches are
 * never guessed between: the candidates are returned.
 */
import type { Article } from '../content/article.ts';
import { scanSite } from './scan.ts';
import type { Herald } from './herald.ts';

export type ArticleLookup =
  | { outcome: 'found'; article: Article; /** Only in the store: the file is gone. */ gone: boolean }
  | { outcome: 'ambiguous'; candidates: Article[] }
  | { outcome: 'not-found'; /** The file exists but cannot be read as an article. */ problem?: string };

const norm = (s: string) => s.normalize('NFKC').toLowerCase().replace(/\s+/g, ' ').trim();
const withoutExtension = (file: string) => file.replace(/\.(md|markdown)$/i, '');

export function matchArticle(articles: Article[], ref: string): Article[] {
  const r = ref.trim();
  if (r === '') return [];
  const exact = articles.filter((a) => a.id === r || a.file === r || withoutExtension(a.file) === r.replace(/^\/+/, ''));
  if (exact.length > 0) return exact;
  const q = norm(r);
  const byId = articles.filter((a) => norm(a.id) === q);
  if (byId.length > 0) return byId;
  return articles.filter((a) => norm(a.title).includes(q) || norm(a.id).includes(q) || norm(withoutExtension(a.file)).includes(q));
}

/** Newest first, the way an editor thinks of them. */
const newestFirst = (a: Article, b: Article) => b.publishedAt.localeCompare(a.publishedAt) || a.id.localeCompare(b.id);

/** Looks in content.dir, then in what the store remembers of files since removed. */
export async function findArticle(h: Herald, ref: string): Promise<ArticleLookup> {
  const scan = await scanSite(h);
  const found = matchArticle(scan.articles, ref);
  if (found.length === 1) return { outcome: 'found', article: found[0]!, gone: false };
  if (found.length > 1) return { outcome: 'ambiguous', candidates: found.sort(newestFirst) };
  const present = new Set(scan.articles.map((a) => a.id));
  const gone = (await h.store.listArticles()).filter((s) => !present.has(s.article.id)).map((s) => s.article);
  const old = matchArticle(gone, ref);
  if (old.length === 1) return { outcome: 'found', article: old[0]!, gone: true };
  if (old.length > 1) return { outcome: 'ambiguous', candidates: old.sort(newestFirst) };
  const problem = scan.problems.find((p) => p.file === ref || withoutExtension(p.file) === ref)?.reason;
  return { outcome: 'not-found', ...(problem ? { problem } : {}) };
}

/** The latest articles (content.dir), newest first. */
export async function latestArticles(h: Herald, n: number): Promise<Article[]> {
  const scan = await scanSite(h);
  return scan.articles.sort(newestFirst).slice(0, n);
}
