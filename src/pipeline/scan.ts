import type { Article, ScanResult } from '../content/article.ts';
import { type ScanOptions, scanContent } from '../content/scan.ts';
import { defaultLanguageCode } from '../content/site.ts';
import type { StoredArticle } from '../store/types.ts';
import { phase } from '../util/profile.ts';
import type { Herald } from './herald.ts';

export interface ScanPass extends ScanResult {
  /** What the store knows of each article (firstSeenAt etc.), after this scan was recorded. */
  seen: Map<string, StoredArticle>;
  added: string[];
}

function renamed(articles: Article[], ids: Map<string, string>): Article[] {
  return ids.size === 0 ? articles : articles.map((a) => (ids.has(a.id) ? { ...a, id: ids.get(a.id) as string } : a));
}

/** Read the site and give each article the id the ledger knows it by; writes nothing. */
export async function scanSite(h: Herald, opts: ScanOptions = {}): Promise<ScanResult> {
  return phase('scan', () => scanSiteNow(h, opts));
}

async function scanSiteNow(h: Herald, opts: ScanOptions): Promise<ScanResult> {
  const scan = await scanContent(h.config.content, h.config.site, opts);
  const ids = await h.store.identifyArticles(scan.articles, defaultLanguageCode(h.config.content, h.config.site));
  return { ...scan, articles: renamed(scan.articles, ids) };
}

/** Read the site and record it in the store; bad files are reported, never fatal. */
export async function scanAndRecord(h: Herald, opts: { dryRun?: boolean } = {}): Promise<ScanPass> {
  return phase('scan', () => scanAndRecordNow(h, opts));
}

async function scanAndRecordNow(h: Herald, opts: { dryRun?: boolean }): Promise<ScanPass> {
  const scan = await scanContent(h.config.content, h.config.site);
  for (const p of scan.problems) h.log.warn(`skipped ${p.file}: ${p.reason}`);
  const defaultLanguage = defaultLanguageCode(h.config.content, h.config.site);
  let articles: Article[];
  let added: string[] = [];
  if (opts.dryRun) {
    articles = renamed(scan.articles, await h.store.identifyArticles(scan.articles, defaultLanguage));
  } else {
    const synced = await h.store.syncArticles(scan.articles, h.now(), defaultLanguage);
    articles = renamed(scan.articles, synced.ids);
    added = synced.added;
  }
  const seen = new Map((await h.store.listArticles()).map((s) => [s.article.id, s]));
  return { ...scan, articles, seen, added };
}
