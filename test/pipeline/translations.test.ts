import { describe, expect, it } from 'vitest';
import type { Article } from '../../src/content/article.ts';
import { articlesForReader, type ReaderContext, siblingsOf, translationGroups, versionFor } from '../../src/pipeline/translations.ts';

const now = new Date('2025-07-10T00:00:00Z');
const a = (id: string, language: string, key: string, extra: Partial<Article> = {}): Article => ({
  id,
  file: `${id}.md`,
  language,
  translationKey: key,
  title: id,
  publishedAt: '2025-07-01T00:00:00.000Z',
  date: '2025-07-01T00:00:00.000Z',
  draft: false,
  summary: '',
  url: `https://e.com/${id}/`,
  topics: ['t'],
  taxonomies: {},
  authors: [],
  section: '',
  contentHash: 'x',
  ...extra,
});

const en = a('p', 'en', 'page/p');
const zh = a('p.zh', 'zh', 'page/p');
const ja = a('p.ja', 'ja', 'page/p');
const onlyJa = a('q.ja', 'ja', 'page/q');
const ctx = (articles: Article[], reached = new Map<number, Set<string>>()): ReaderContext => ({
  defaultLanguage: 'en',
  order: ['en', 'zh', 'ja'],
  groups: translationGroups(articles, {}, now),
  reached,
});

describe('versionFor', () => {
  it("prefers the reader's language, then the default, then the site's order; only versions whose topics match", () => {
    expect(versionFor([en, zh, ja], { topics: [], language: 'zh' }, ctx([]))?.id).toBe('p.zh');
    expect(versionFor([en, zh, ja], { topics: [], language: 'ZH' }, ctx([]))?.id).toBe('p.zh');
    expect(versionFor([en, zh, ja], { topics: [], language: 'fr' }, ctx([]))?.id).toBe('p');
    expect(versionFor([en, zh, ja], { topics: [] }, ctx([]))?.id).toBe('p');
    expect(versionFor([ja, zh], { topics: [], language: 'fr' }, ctx([]))?.id).toBe('p.zh');
    const zhTopics = { ...zh, topics: ['芯片'] };
    expect(versionFor([en, zhTopics], { topics: ['芯片'], language: 'en' }, ctx([]))?.id).toBe('p.zh');
    expect(versionFor([en, zhTopics], { topics: ['other'], language: 'en' }, ctx([]))).toBeUndefined();
  });
});

describe('articlesForReader', () => {
  it('gives one version per page, the one for the reader, when it is among the due articles', () => {
    const c = ctx([en, zh, ja, onlyJa]);
    expect(articlesForReader([en, zh, onlyJa], { topics: [], language: 'zh' }, c).map((x) => x.id)).toEqual(['p.zh', 'q.ja']);
    expect(articlesForReader([en, zh, onlyJa], { topics: [], language: 'ja' }, c).map((x) => x.id)).toEqual(['q.ja']);
    expect(articlesForReader([en, zh, onlyJa], { topics: [] }, c).map((x) => x.id)).toEqual(['p', 'q.ja']);
  });

  it('waits for the reader’s own version while it is scheduled; drafts do not count as versions', () => {
    const scheduled = { ...zh, publishedAt: '2025-08-01T00:00:00.000Z' };
    expect(articlesForReader([en], { topics: [], language: 'zh' }, ctx([en, scheduled])).map((x) => x.id)).toEqual([]);
    const draft = { ...zh, draft: true };
    expect(articlesForReader([en], { topics: [], language: 'zh' }, ctx([en, draft])).map((x) => x.id)).toEqual(['p']);
  });

  it('skips a page a reader already got in another language, unless asked to ignore that', () => {
    const c = ctx([en, zh], new Map([[7, new Set(['page/p'])]]));
    expect(articlesForReader([zh], { id: 7, topics: [], language: 'zh' }, c)).toEqual([]);
    expect(articlesForReader([zh], { id: 7, topics: [], language: 'zh' }, c, { ignoreReached: true }).map((x) => x.id)).toEqual(['p.zh']);
    expect(articlesForReader([zh], { id: 8, topics: [], language: 'zh' }, c).map((x) => x.id)).toEqual(['p.zh']);
  });

  it('names the other versions of the due pages (the ledger is asked about those only)', () => {
    expect(siblingsOf([zh], [en, zh, ja, onlyJa])).toEqual(new Map([['page/p', ['p', 'p.ja']]]));
    expect(siblingsOf([onlyJa], [en, zh, onlyJa])).toEqual(new Map());
  });

  it('leaves out languages the channel does not take', () => {
    const groups = translationGroups([en, zh, ja], { languages: ['ja', 'ZH'] }, now);
    expect(groups.get('page/p')?.map((x) => x.id)).toEqual(['p.zh', 'p.ja']);
  });
});
