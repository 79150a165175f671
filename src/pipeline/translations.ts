/**
 * Pure rules for readers and translations: which version of a page a subscriber gets, so
 * that each reader gets a page in their own language when the site has it, and never two
 * translations of one page.
 */
import { type Article, articleStatus, matchesTopics } from '../content/article.ts';

/** The languages a channel takes (unset: all); codes compare case-insensitively. */
export function channelTakesLanguage(channel: { languages?: readonly string[] }, language: string): boolean {
  return channel.languages === undefined || channel.languages.some((l) => l.toLowerCase() === language.toLowerCase());
}

/** Pages by translation key: every version a reader could get from this channel (drafts and expired ones left out). */
export type TranslationGroups = Map<string, Article[]>;

export function translationGroups(articles: Iterable<Article>, channel: { languages?: readonly string[] }, now: Date): TranslationGroups {
  const groups: TranslationGroups = new Map();
  for (const a of articles) {
    if (!channelTakesLanguage(channel, languageOf(a))) continue;
    const status = articleStatus(a, now);
    if (status === 'draft' || status === 'expired') continue;
    const key = keyOf(a);
    groups.set(key, [...(groups.get(key) ?? []), a]);
  }
  return groups;
}

export interface ReaderContext {
  /** The site's default language code (a reader without one reads it). */
  defaultLanguage: string;
  /** Site language codes in the site's order (the tie-break when neither reader nor default language has a version). */
  order: readonly string[];
  groups: TranslationGroups;
  /** Subscriber id → translation keys of pages they already got on this channel. */
  reached: Map<number, Set<string>>;
}

/** Snapshots stored before languages existed have none: they are the default language's. */
export function languageOf(a: Article, fallback = ''): string {
  return a.language ?? fallback;
}

export function keyOf(a: Article): string {
  return a.translationKey ?? `id:${a.id}`;
}

const same = (a: string, b: string) => a.toLowerCase() === b.toLowerCase();

/**
 * The version of one page a reader gets: the one in their language, else the default
 * language's, else the first in the site's language order; among the versions whose
 * topics match theirs.
 */
export function versionFor(versions: readonly Article[], reader: { topics: readonly string[]; language?: string }, ctx: Pick<ReaderContext, 'defaultLanguage' | 'order'>): Article | undefined {
  const matching = versions.filter((v) => matchesTopics(v.topics, reader.topics));
  if (matching.length === 0) return undefined;
  const wanted = reader.language ?? ctx.defaultLanguage;
  const lang = (v: Article) => languageOf(v, ctx.defaultLanguage);
  return (
    matching.find((v) => same(lang(v), wanted)) ??
    matching.find((v) => same(lang(v), ctx.defaultLanguage)) ??
    [...matching].sort((a, b) => rank(ctx.order, lang(a)) - rank(ctx.order, lang(b)))[0]
  );
}

function rank(order: readonly string[], language: string): number {
  const i = order.findIndex((l) => same(l, language));
  return i === -1 ? order.length : i;
}

/**
 * Of `articles` (due now, e.g. a digest's), those this reader gets: per page, the version
 * for them, only if it is among `articles` and they got no version of that page before.
 */
export function articlesForReader(
  articles: readonly Article[],
  reader: { id?: number; topics: readonly string[]; language?: string },
  ctx: ReaderContext,
  opts: { ignoreReached?: boolean } = {},
): Article[] {
  const out: Article[] = [];
  const done = new Set<string>();
  const reached = reader.id === undefined || opts.ignoreReached ? undefined : ctx.reached.get(reader.id);
  for (const a of articles) {
    const key = keyOf(a);
    if (done.has(key)) continue;
    done.add(key);
    if (reached?.has(key)) continue;
    const known = ctx.groups.get(key) ?? [];
    const versions = known.some((v) => v.id === a.id) ? known : [...known, a];
    const chosen = versionFor(versions, reader, ctx);
    if (!chosen) continue;
    const here = articles.find((x) => x.id === chosen.id);
    if (here) out.push(here);
  }
  return out;
}

/** Per translation key of `articles`, the ids of its other versions: readers may have got one of those already. */
export function siblingsOf(articles: readonly Article[], allVersions: Iterable<Article>): Map<string, string[]> {
  const due = new Set(articles.map((a) => a.id));
  const keys = new Set(articles.map(keyOf));
  const out = new Map<string, string[]>();
  for (const v of allVersions) {
    const key = keyOf(v);
    if (!keys.has(key) || due.has(v.id)) continue;
    out.set(key, [...(out.get(key) ?? []), v.id]);
  }
  return out;
}
