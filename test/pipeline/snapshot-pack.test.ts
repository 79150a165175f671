import { describe, expect, it } from 'vitest';
import { pack, packWhole, unpack } from '../../src/pipeline/snapshot-pack.ts';

/** Deep equality that also tells key order and undefined values apart. */
function same(a: unknown, b: unknown): void {
  expect(b).toStrictEqual(a);
  const order = (v: unknown): unknown =>
    Array.isArray(v) ? v.map(order) : v && typeof v === 'object' ? Object.entries(v).map(([k, x]) => [k, order(x)]) : v === undefined ? '<undefined>' : v;
  expect(order(b)).toEqual(order(a));
}

const article = (i: number) => ({
  id: `posts/p-${i}`,
  file: `posts/p-${i}.md`,
  language: i % 2 ? 'zh' : 'en',
  title: i % 2 ? `欧洲AI千兆工厂 第${i}篇` : `Article ${i}`,
  publishedAt: '2025-07-01T01:00:00.000Z',
  draft: i % 3 === 0,
  summary: '算力基础设施竞赛，'.repeat(i % 5),
  url: `https://news.example.com/posts/p-${i}/`,
  ...(i % 4 === 0 ? { image: 'https://news.example.com/a%20b.png' } : {}),
  topics: i % 2 ? ['算力与芯片', 'News'] : [],
  taxonomies: { tags: ['算力与芯片'], categories: ['News'], main_topics: [] },
  ...(i % 5 === 0 ? { herald: { skip: ['tg'], pin: true as const } } : {}),
});

describe('snapshot-pack', () => {
  it('gives back what it was given: keys in order, optional keys, undefined values, empty and top-level arrays', () => {
    const value = {
      articles: [...Array.from({ length: 50 }, (_, i) => article(i)), { id: 'x', expiresAt: undefined, title: '' }],
      problems: [],
      skipped: [{ file: 'a.png', reason: 'not-content' }],
      folders: ['/site/content', '/site/content/posts'],
      folderTimes: [1.5, null],
      stamp: 'abc',
      all: false,
    };
    const bytes = pack(value);
    expect(bytes[0]).toBe(1); // as columns
    same(value, unpack(bytes));
    // Or whole, in V8's format.
    const whole = packWhole(value);
    expect(whole[0]).toBe(2);
    same(value, unpack(whole));
  });

  it('carries strings that a NUL-joined run cannot (NUL inside, lone surrogates) as JSON, exactly', () => {
    const value = { articles: [{ id: 'a\u0000b', title: 'x\ud800y' }, { id: '', title: '\u00e9' }] };
    const bytes = pack(value);
    expect(bytes[0]).toBe(1);
    same(value, unpack(bytes));
  });

  it('never mixes up records whose keys hold a NUL', () => {
    const value = { rows: [{ a: 1, b: 2 }, { 'a\u0000b': 3 }] };
    same(value, unpack(pack(value)));
  });

  it('takes V8’s format for what JSON would change (a Date, a Map, -0, NaN, a hole)', () => {
    const dates = { articles: [{ id: 'a', at: new Date(0) }] };
    const maps = { m: new Map([['a', 1]]) };
    const numbers = { articles: [{ id: 'a', n: -0 }, { id: 'b', n: Number.NaN }] };
    // biome-ignore lint/suspicious/noSparseArray: a hole is what this checks
    const holes = { list: [1, , 3] };
    for (const value of [dates, maps, numbers, holes, [1, 2], 'text']) {
      const bytes = pack(value);
      expect(bytes[0]).toBe(2);
      same(value, unpack(bytes));
    }
  });

  it('reads back only the fields picked, for the records of the entry named', () => {
    const value = { articles: Array.from({ length: 10 }, (_, i) => article(i)), skipped: [{ file: 'a.png', reason: 'x' }] };
    const back = unpack(pack(value), { articles: new Set(['id', 'title', 'image']) }) as typeof value;
    expect(back.articles).toEqual(value.articles.map((a) => ({ id: a.id, title: a.title, ...('image' in a ? { image: a.image } : {}) })));
    expect(back.skipped).toEqual(value.skipped);
  });

  it('reads whole records for an entry no pick names, whatever its name', () => {
    // Names an empty object also has (inherited): no pick is found under them.
    const value = { constructor: [{ id: 'a', title: 't' }], toString: [{ id: 'b' }] };
    expect(JSON.stringify(unpack(pack(value), { other: new Set(['id']) }))).toBe(JSON.stringify(value));
  });

  it('refuses bytes it did not make', () => {
    expect(() => unpack(Buffer.from('not a snapshot'))).toThrow();
  });
});
