import type { ScanResult } from '../content/article.ts';
import { scanContent } from '../content/scan.ts';
import type { StoredArticle } from '../store/types.ts';
import type { Herald } from './herald.ts';

export interface ScanPass extends ScanResult {
  /** What the store knows of each article (firstSeenAt etc.), after this scan was recorded. */
  seen: Map<string, StoredArticle>;
  added: string[];
}

/** Read content.dir and record it in the store; bad files are reported, never fatal. */
export async function scanAndRecord(h: Herald, opts: { dryRun?: boolean } = {}): Promise<ScanPass> {
  const scan = await scanContent(h.config.content, h.config.site);
  for (const p of scan.problems) h.log.warn(`skipped ${p.file}: ${p.reason}`);
  const added = opts.dryRun ? [] : (await h.store.syncArticles(scan.articles, h.now())).added;
  const seen = new Map((await h.store.listArticles()).map((s) => [s.article.id, s]));
  return { ...scan, seen, added };
}
