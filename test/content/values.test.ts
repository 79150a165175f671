import { describe, expect, it } from 'vitest';
import { getField } from '../../src/content/values.ts';

describe('getField', () => {
  it('prefers the exact key, then any key that matches case-insensitively, in the order written', () => {
    expect(getField({ PublishDate: 'a', publishdate: 'b' }, 'publishdate')).toEqual({ key: 'publishdate', value: 'b' });
    expect(getField({ PUBLISHDATE: 'a', PublishDate: 'b' }, 'publishDate')).toEqual({ key: 'PUBLISHDATE', value: 'a' });
    expect(getField({ title: 'x' }, 'publishDate', 'Title')).toEqual({ key: 'title', value: 'x' });
  });

  it('skips absent, null and blank values for the next name', () => {
    expect(getField({ date: null, pubdate: '  ', Published: '2025-07-02' }, 'date', 'pubdate', 'published')).toEqual({ key: 'Published', value: '2025-07-02' });
    expect(getField({ date: null }, 'date')).toBeUndefined();
  });

  it('matches names beyond ASCII case-insensitively too, and never a key that only lowers to look alike', () => {
    expect(getField({ ÄRA: 1 }, 'ära')).toEqual({ key: 'ÄRA', value: 1 });
    expect(getField({ 标签: ['a'] }, '标签')).toEqual({ key: '标签', value: ['a'] });
    // "İ" lowers to "i" plus a combining dot: not the ASCII name "id".
    expect(getField({ İd: 1 }, 'id')).toBeUndefined();
    // The Kelvin sign lowers to an ASCII "k".
    expect(getField({ '\u212Aey': 1 }, 'key')).toEqual({ key: '\u212Aey', value: 1 });
  });
});
