import { createHash } from 'node:crypto';
import type { Article, ScanResult } from '../content/article.ts';
import { ParseCache, stableJson } from '../content/parse-cache.ts';
import { type ScanOptions, scanContent } from '../content/scan.ts';
import { defaultLanguageCode } from '../content/site.ts';
import type { Store, StoredArticle } from '../store/types.ts';
import { codeStamp } from '../util/code-stamp.ts';
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

/** One parse cache per store, kept across the daemon's rescans (loaded from the store once). */
const caches = new WeakMap<Store, ParseCache>();

/** What a file's page depends on besides its bytes: the site's settings and Herald's code. */
function parseStamp(h: Herald): string {
  return createHash('sha256').update(codeStamp()).update(stableJson({ content: h.config.content, site: h.config.site })).digest('base64url');
}

async function withParseCache<T extends ScanResult>(h: Herald, scan: (cache: ParseCache) => Promise<T>): Promise<T> {
  const stamp = parseStamp(h);
  let cache = caches.get(h.store);
  if (cache?.stamp !== stamp) {
    cache = new ParseCache(stamp, await h.store.parsedPages());
    caches.set(h.store, cache);
  }
  cache.begin();
  const result = await scan(cache);
  const removed = cache.removed();
  // A cache only: a scan that cannot save it has still read the site correctly.
  if (cache.changed.length > 0 || removed.length > 0) {
    await h.store.saveParsedPages(cache.changed, removed).catch((e: unknown) => h.log.warn(`parse cache not saved: ${(e as Error).message}`));
  }
  return result;
}

/** Read the site and give each article the id the ledger knows it by; writes nothing (but the parse cache). */
export async function scanSite(h: Herald, opts: ScanOptions = {}): Promise<ScanResult> {
  return phase('scan', () => scanSiteNow(h, opts));
}

async function scanSiteNow(h: Herald, opts: ScanOptions): Promise<ScanResult> {
  const scan = await withParseCache(h, (cache) => scanContent(h.config.content, h.config.site, { ...opts, cache }));
  const ids = await h.store.identifyArticles(scan.articles, defaultLanguageCode(h.config.content, h.config.site));
  return { ...scan, articles: renamed(scan.articles, ids) };
}

/** Read the site and record it in the store; bad files are reported, never fatal. */
export async function scanAndRecord(h: Herald, opts: { dryRun?: boolean } = {}): Promise<ScanPass> {
  return phase('scan', () => scanAndRecordNow(h, opts));
}

async function scanAndRecordNow(h: Herald, opts: { dryRun?: boolean }): Promise<ScanPass> {
  const scan = await withParseCache(h, (cache) => scanContent(h.config.content, h.config.site, { cache }));
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
