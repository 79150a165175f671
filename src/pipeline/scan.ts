import type { Article, ScanResult } from '../content/article.ts';
import { ParseCache, stableJson } from '../content/parse-cache.ts';
import { type ScanInputs, type ScanOptions, type ScanSnapshots, scanContent } from '../content/scan.ts';
import { defaultLanguageCode } from '../content/site.ts';
import type { Store, StoredArticle } from '../store/types.ts';
import { codeStamp } from '../util/code-stamp.ts';
import { phase } from '../util/profile.ts';
import type { Herald } from './herald.ts';
import { pack, packWhole, unpack } from './snapshot-pack.ts';

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

/**
 * What a file's page depends on besides its bytes: Herald's code and the site's settings, as
 * text (the parse cache hashes it for its keys; a snapshot keeps it whole).
 */
function parseStamp(h: Herald): string {
  return `${codeStamp()}\n${stableJson({ content: h.config.content, site: h.config.site })}`;
}

/**
 * The store's scan snapshot (see ScanSnapshots). Kept by a process's first scan only: a
 * daemon's rescans use the parse cache it holds, and writing the whole result again at each
 * change would make a rescan cost in proportion to the site, not to what changed.
 */
function storeSnapshots(h: Herald): ScanSnapshots {
  return {
    async kept() {
      const row = await h.store.scanSnapshotInputs().catch(() => undefined);
      if (!row) return undefined;
      try {
        return { id: row.id, inputs: unpack(row.inputs) as ScanInputs };
      } catch {
        return undefined; // unreadable: scanned afresh, and kept again
      }
    },
    async find(id, fields) {
      const bytes = await h.store.scanSnapshot(id).catch(() => undefined);
      if (bytes === undefined) return undefined;
      try {
        return unpack(bytes, fields ? { articles: fields } : {}) as ScanResult;
      } catch {
        return undefined;
      }
    },
    async record(snapshot, result) {
      const row = snapshot && { id: snapshot.id, inputs: packWhole(snapshot.inputs), result: pack(result) };
      // A cache only, like the parse cache.
      await h.store.saveScanSnapshot(row).catch((e: unknown) => h.log.warn(`scan snapshot not saved: ${(e as Error).message}`));
    },
  };
}

async function withParseCache<T extends ScanResult>(h: Herald, scan: (cache: ParseCache, snapshots?: ScanSnapshots) => Promise<T>): Promise<T> {
  const stamp = parseStamp(h);
  let cache = caches.get(h.store);
  let snapshots: ScanSnapshots | undefined;
  if (cache?.stamp !== stamp) {
    // Loaded only if some page must be looked at: not when the snapshot is the site as it is.
    cache = new ParseCache(stamp, () => h.store.parsedPages());
    caches.set(h.store, cache);
    snapshots = storeSnapshots(h);
  }
  cache.begin();
  const result = await scan(cache, snapshots);
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

/** A scan whose articles hold the fields asked for (and those that identify them), maybe no others. */
export type SiteListing<K extends keyof Article> = Omit<ScanResult, 'articles'> & { articles: Array<Pick<Article, K | IdentityField>> };

type IdentityField = 'id' | 'file' | 'language' | 'url';

/**
 * scanSite for a caller that reads only some fields of each article (`herald articles`): on an
 * unchanged site the snapshot gives back just those (snapshot-pack.ts), not whole articles.
 */
export async function listSite<K extends keyof Article>(h: Herald, fields: readonly K[], opts: Omit<ScanOptions, 'fields'> = {}): Promise<SiteListing<K>> {
  const wanted = new Set<keyof Article>([...fields, 'id', 'file', 'language', 'url']);
  return phase('scan', () => scanSiteNow(h, { ...opts, fields: wanted }));
}

async function scanSiteNow(h: Herald, opts: ScanOptions): Promise<ScanResult> {
  const scan = await withParseCache(h, (cache, snapshots) => scanContent(h.config.content, h.config.site, { ...opts, cache, snapshots }));
  const ids = await h.store.identifyArticles(scan.articles, defaultLanguageCode(h.config.content, h.config.site));
  return { ...scan, articles: renamed(scan.articles, ids) };
}

/** Read the site and record it in the store; bad files are reported, never fatal. */
export async function scanAndRecord(h: Herald, opts: { dryRun?: boolean } = {}): Promise<ScanPass> {
  return phase('scan', () => scanAndRecordNow(h, opts));
}

async function scanAndRecordNow(h: Herald, opts: { dryRun?: boolean }): Promise<ScanPass> {
  const scan = await withParseCache(h, (cache, snapshots) => scanContent(h.config.content, h.config.site, { cache, snapshots }));
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
