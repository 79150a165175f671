import { describe, expect, it } from 'vitest';
import type { Article } from '../../src/content/article.ts';
import { decide, type RuleInput } from '../../src/pipeline/rules.ts';

const H = 3_600_000;
const now = new Date('2025-07-10T12:00:00Z');

function article(publishedAt: Date, extra: Partial<Article> = {}): Article {
  return {
    id: 'a',
    file: 'a.md',
    language: 'en',
    translationKey: 'page/a',
    title: 'A',
    publishedAt: publishedAt.toISOString(),
    date: publishedAt.toISOString(),
    draft: false,
    summary: '',
    url: 'https://example.com/a/',
    topics: ['算力与芯片', 'AI'],
    taxonomies: {},
    authors: [],
    section: '',
    contentHash: 'x',
    ...extra,
  };
}

function input(over: Partial<RuleInput>): RuleInput {
  return {
    article: article(new Date(now.getTime() - H)),
    firstSeenAt: now,
    channel: { topics: [], exclude: [] },
    firstContact: false,
    now,
    lookbackMs: 24 * H,
    maxAgeMs: 7 * 24 * H,
    ...over,
  };
}

describe('decide', () => {
  it('first contact: older than lookback is baseline, newer is due', () => {
    expect(decide(input({ firstContact: true, article: article(new Date(now.getTime() - 25 * H)) }))).toBe('baseline');
    expect(decide(input({ firstContact: true, article: article(new Date(now.getTime() - 23 * H)) }))).toBe('due');
  });

  it('after first contact: a back-dated article is due unless older than maxAge when first seen', () => {
    const seen = new Date(now.getTime() - 2 * H);
    expect(decide(input({ firstSeenAt: seen, article: article(new Date(seen.getTime() - 6 * 24 * H)) }))).toBe('due');
    expect(decide(input({ firstSeenAt: seen, article: article(new Date(seen.getTime() - 8 * 24 * H)) }))).toBe('too-old');
  });

  it('a draft seen long ago and published now counts from when it was first seen', () => {
    const seen = new Date(now.getTime() - 30 * 24 * H);
    expect(decide(input({ firstSeenAt: seen, article: article(new Date(seen.getTime() + H)) }))).toBe('due');
  });

  it('not published yet, drafts and expired articles are not decided (asked again later)', () => {
    expect(decide(input({ article: article(new Date(now.getTime() + H)) }))).toBeNull();
    expect(decide(input({ article: article(new Date(now.getTime() - H), { draft: true }) }))).toBeNull();
    expect(decide(input({ article: article(new Date(now.getTime() - H), { expiresAt: now.toISOString() }) }))).toBeNull();
  });

  it('routes by topics (any match, empty = all) and exclude', () => {
    expect(decide(input({ channel: { topics: ['算力与芯片'], exclude: [] } }))).toBe('due');
    expect(decide(input({ channel: { topics: ['ai'], exclude: [] } }))).toBe('due');
    expect(decide(input({ channel: { topics: ['体育'], exclude: [] } }))).toBeNull();
    expect(decide(input({ channel: { topics: [], exclude: ['AI'] } }))).toBeNull();
  });

  it('takes only the languages a channel names (any case); every language without `languages`', () => {
    const zh = article(new Date(now.getTime() - H), { language: 'zh-cn' });
    expect(decide(input({ article: zh, channel: { topics: [], exclude: [], languages: ['zh-CN'] } }))).toBe('due');
    expect(decide(input({ article: zh, channel: { topics: [], exclude: [], languages: ['en'] } }))).toBeNull();
    expect(decide(input({ article: zh, channel: { topics: [], exclude: [] } }))).toBe('due');
    // A snapshot stored before articles had a language is the default language's.
    const old = { ...article(new Date(now.getTime() - H)), language: undefined } as unknown as Article;
    expect(decide(input({ article: old, defaultLanguage: 'en', channel: { topics: [], exclude: [], languages: ['en'] } }))).toBe('due');
  });
});
