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
  channel: { topics: readonly string[]; exclude: readonly string[]; languages?: readonly string[] };
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
