/**
 * Which ledger row each scanned article is (Store.identifyArticles), the same on every engine:
 * the engines only read the rows, this decides.
 */
import type { Article } from '../content/article.ts';

/** The identity of an article's row: its language and its file. */
export function sourceKey(a: Pick<Article, 'file' | 'language'>): string {
  return JSON.stringify([a.language, a.file]);
}

/** An article row as identification needs it; `file` and `url` only for rows from before identities (no source_key). */
export interface IdentityRow {
  id: string;
  source_key: string | null;
  file: string | null;
  url: string | null;
}

export type ArticleToIdentify = Pick<Article, 'id' | 'file' | 'language'> & { url?: string };

/**
 * The ids that differ from the articles' own: a row from before identities is claimed by the
 * same file, else (the content folder moved) by the same link; anything else that would take
 * someone else's id gets a suffix. `rows` in the order they were first seen.
 */
export function assignArticleIds(rows: Iterable<IdentityRow>, articles: readonly ArticleToIdentify[], defaultLanguage?: string): Map<string, string> {
  const byKey = new Map<string, string>();
  const legacyByFile = new Map<string, string[]>();
  const legacyByUrl = new Map<string, string[]>();
  const taken = new Map<string, string | null>();
  for (const r of rows) {
    taken.set(r.id, r.source_key ?? null);
    if (r.source_key) byKey.set(r.source_key, r.id);
    else {
      legacyByFile.set(r.file as string, [...(legacyByFile.get(r.file as string) ?? []), r.id]);
      if (r.url) legacyByUrl.set(r.url, [...(legacyByUrl.get(r.url) ?? []), r.id]);
    }
  }
  const ids = new Map<string, string>();
  const assigned = new Set<string>();
  const claim = (list: string[] | undefined): string | undefined => {
    while (list && list.length > 0) {
      const id = list.shift() as string;
      if (!assigned.has(id)) return id;
    }
    return undefined;
  };
  // Each article's key, made once and only if asked for (JSON text: thousands of articles).
  const keys = new Map<ArticleToIdentify, string>();
  const keyOf = (a: ArticleToIdentify): string => {
    let key = keys.get(a);
    if (key === undefined) {
      key = sourceKey(a);
      keys.set(a, key);
    }
    return key;
  };
  // The default language's articles claim a row from before first: that was the only language then.
  let pending = [...articles].sort((a, b) => Number(b.language === defaultLanguage) - Number(a.language === defaultLanguage));
  // A pass with no rows to claim changes nothing (a store that has not seen these articles yet).
  const passes = [...(byKey.size > 0 ? ['key' as const] : []), ...(legacyByFile.size > 0 ? ['file' as const] : []), ...(legacyByUrl.size > 0 ? ['url' as const] : [])];
  for (const pass of passes) {
    const rest: ArticleToIdentify[] = [];
    for (const a of pending) {
      const id = pass === 'key' ? byKey.get(keyOf(a)) : pass === 'file' ? claim(legacyByFile.get(a.file)) : a.url ? claim(legacyByUrl.get(a.url)) : undefined;
      if (id === undefined) {
        rest.push(a);
        continue;
      }
      taken.set(id, keyOf(a));
      assigned.add(id);
      if (id !== a.id) ids.set(a.id, id);
    }
    pending = rest;
  }
  for (const a of pending) {
    let id = a.id;
    // Someone else's id (another file's row, or one given out in this scan): add a suffix.
    for (let n = 2; assigned.has(id) || (taken.has(id) && taken.get(id) !== keyOf(a)); n++) id = `${a.id}~${n}`;
    assigned.add(id);
    if (id !== a.id) ids.set(a.id, id);
  }
  return ids;
}
