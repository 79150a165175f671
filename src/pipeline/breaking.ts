/**
 * Breaking news: front matter `breaking: true`, or a topic in the config's `breaking.topics`.
 * Chat channels post it at once (past an approval window unless `approval.breaking: true`,
 * never inside a roundup); a digest channel with `breaking: email` sends it at once, alone,
 * to the readers who opted into alerts, and their next digest leaves it out.
 */
import { type Article, matchesTopics } from '../content/article.ts';
import type { HeraldConfig } from '../config/load.ts';
import type { ChannelConfig } from './channel-kinds.ts';

export function isBreaking(a: Article, config: Pick<HeraldConfig, 'breaking'>): boolean {
  if (a.breaking) return true;
  const topics = config.breaking?.topics ?? [];
  return topics.length > 0 && matchesTopics(a.topics, topics);
}

/** A digest channel that emails breaking news to readers who asked for alerts. */
export function sendsAlerts(c: ChannelConfig): boolean {
  return c.type === 'email' && c.mode === 'digest' && c.breaking === 'email';
}
