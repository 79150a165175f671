/**
 * Pure rules: is an article due for a channel? (Section "The ledger" of the README.)
 * Kept free of I/O so every edge is unit-tested.
 */
import { type Article, articleStatus, matchesTopics } from '../content/article.ts';
import type { DecisionStatus } from '../store/types.ts';
import { channelTakesLanguage, languageOf } from './translations.ts';

export interface RuleInput {
  article: Article;
  /** When Herald first saw the article's file (any state). */
  firstSeenAt: Date;
  channel: { id?: string; topics: readonly string[]; exclude: readonly string[]; languages?: readonly string[] };
  /** True during the pass that creates the channel (first contact). */
  firstContact: boolean;
  now: Date;
  lookbackMs: number;
  maxAgeMs: number;
  /** For article snapshots stored before articles had a language. */
  defaultLanguage?: string;
}

/** 'due' | a terminal non-send decision | null (not now: unpublished or not matching; asked again next pass). */
export type RuleOutcome = 'due' | Extract<DecisionStatus, 'baseline' | 'too-old'> | null;

export function decide(i: RuleInput): RuleOutcome {
  if (articleStatus(i.article, i.now) !== 'published') return null;
  if (embargoed(i.article, i.now) || editorialMiss(i.article, i.channel) !== undefined) return null;
  if (!matchesTopics(i.article.topics, i.channel.topics, i.channel.exclude)) return null;
  if (!channelTakesLanguage(i.channel, languageOf(i.article, i.defaultLanguage ?? ''))) return null;
  const published = Date.parse(i.article.publishedAt);
  if (i.firstContact) {
    // Installing on a site with 500 old articles sends nothing old.
    return published < i.now.getTime() - i.lookbackMs ? 'baseline' : 'due';
  }
  // A bulk import of an archive (old dates, seen only now) sends nothing.
  return published < i.firstSeenAt.getTime() - i.maxAgeMs ? 'too-old' : 'due';
}

/** The article's `herald.embargo` is still ahead: no channel takes it yet. */
export function embargoed(a: Article, now: Date): boolean {
  return a.herald?.embargo !== undefined && Date.parse(a.herald.embargo) > now.getTime();
}

/** The article's own `herald: { skip, only }` leaves this channel out. */
export function editorialMiss(a: Article, channel: { id?: string }): RouteMiss | undefined {
  if (channel.id === undefined || !a.herald) return undefined;
  if (a.herald.skip?.includes(channel.id)) return { kind: 'editorial', rule: 'skip', channels: a.herald.skip };
  if (a.herald.only && !a.herald.only.includes(channel.id)) return { kind: 'editorial', rule: 'only', channels: a.herald.only };
  return undefined;
}

export type RouteMiss =
  | { kind: 'topics'; articleTopics: string[]; channelTopics: string[] }
  | { kind: 'excluded'; topics: string[] }
  | { kind: 'language'; language: string; languages: string[] }
  | { kind: 'editorial'; rule: 'skip' | 'only'; channels: string[] };

/**
 * Why a channel does not take an article at all (undefined when it does): the same test as
 * `decide`, spelled out for `why`. A channel may list `languages` and an article carry a
 * `language`; when both are there, they must agree.
 */
export function routeMiss(article: Article, channel: RuleInput['channel']): RouteMiss | undefined {
  const editorial = editorialMiss(article, channel);
  if (editorial) return editorial;
  const norm = (s: string) => s.normalize('NFC').toLowerCase();
  const have = new Set(article.topics.map(norm));
  const excluded = channel.exclude.filter((t) => have.has(norm(t)));
  if (excluded.length > 0) return { kind: 'excluded', topics: excluded };
  if (!matchesTopics(article.topics, channel.topics, channel.exclude)) return { kind: 'topics', articleTopics: article.topics, channelTopics: [...channel.topics] };
  // Snapshots stored before articles had a language pass, as in `decide`'s planning of them.
  if (article.language !== undefined && !channelTakesLanguage(channel, article.language)) {
    return { kind: 'language', language: article.language, languages: [...(channel.languages ?? [])] };
  }
  return undefined;
}
