import { describe, expect, it } from 'vitest';
import { collapseWhitespace, countGraphemes, splitGraphemes, truncateGraphemes, truncateUtf16 } from '../../src/util/text.ts';

const LONE_SURROGATE = /[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/;

describe('splitGraphemes / countGraphemes', () => {
  it('counts user-perceived characters, not code units', () => {
    const family = '👨‍👩‍👧‍👦';
    expect(family.length).toBe(11);
    expect(countGraphemes(family)).toBe(1);
    expect(splitGraphemes('e\u0301a🇨🇳')).toEqual(['e\u0301', 'a', '🇨🇳']);
    expect(countGraphemes('')).toBe(0);
  });
});

describe('collapseWhitespace', () => {
  it('trims and collapses runs of any whitespace, including ideographic spaces', () => {
    expect(collapseWhitespace('  a \n\t b\u3000\u3000c  ')).toBe('a b c');
  });
});

describe('truncateGraphemes', () => {
  it('returns the text unchanged, without ellipsis, when it fits exactly', () => {
    const text = 'x'.repeat(200);
    expect(truncateGraphemes(text, 200)).toBe(text);
    expect(truncateGraphemes('short', 200)).toBe('short');
  });

  it('counts the ellipsis inside the limit', () => {
    const out = truncateGraphemes('x'.repeat(201), 200);
    expect(out).toBe(`${'x'.repeat(199)}…`);
    expect(countGraphemes(out)).toBe(200);
  });

  it('cuts before a space rather than inside a word', () => {
    expect(truncateGraphemes('The quick brown fox jumps over the lazy dog', 18)).toBe('The quick brown…');
    expect(truncateGraphemes('The quick brown fox jumps over the lazy dog', 20)).toBe('The quick brown fox…');
  });

  it('drops punctuation left dangling before the ellipsis', () => {
    expect(truncateGraphemes('Hello, world and more text here', 7)).toBe('Hello…');
  });

  it('hard-cuts a single long word when no boundary is near', () => {
    expect(truncateGraphemes('Supercalifragilisticexpialidocious', 10)).toBe('Supercali…');
  });

  it('prefers cutting after CJK punctuation near the limit', () => {
    const zh = '欧盟委员会收到了76份意向书，这股前所未有的热情预示着欧洲迈出了重要一步。此举不仅旨在解决AI算力瓶颈更是欧洲寻求数字主权的关键体现';
    expect(truncateGraphemes(zh, 20)).toBe('欧盟委员会收到了76份意向书…');
    expect(truncateGraphemes(zh, 45)).toBe('欧盟委员会收到了76份意向书，这股前所未有的热情预示着欧洲迈出了重要一步…');
  });

  it('falls back to a CJK word boundary from Intl.Segmenter when no punctuation is near', () => {
    const zh = '欧盟委员会收到了76份意向书，这股前所未有的热情预示着欧洲迈出了重要一步。';
    // The hard cut would leave "欧洲迈" (splitting the word 迈出).
    expect(truncateGraphemes(zh, 30)).toBe('欧盟委员会收到了76份意向书，这股前所未有的热情预示着欧洲…');
  });

  it('never splits an emoji ZWJ sequence, a flag or a combining sequence', () => {
    const families = '👨‍👩‍👧‍👦'.repeat(10);
    const out = truncateGraphemes(families, 5);
    expect(out).toBe(`${'👨‍👩‍👧‍👦'.repeat(4)}…`);
    expect(LONE_SURROGATE.test(out)).toBe(false);
    expect(truncateGraphemes('🇨🇳🇺🇸🇯🇵', 2)).toBe('🇨🇳…');
    expect(truncateGraphemes('e\u0301'.repeat(10), 3)).toBe('e\u0301e\u0301…');
  });

  it('supports a custom ellipsis, counted in the limit', () => {
    expect(truncateGraphemes('abcdefghij', 6, '...')).toBe('abc...');
    expect(truncateGraphemes('abcdefghij', 6, '')).toBe('abcdef');
  });

  it('only segments the start of a huge text (V8 segmentation is slower than linear)', () => {
    const huge = `${'字'.repeat(300)}${'x'.repeat(5_000_000)}`;
    const started = performance.now();
    expect(truncateGraphemes(huge, 10)).toBe(`${'字'.repeat(9)}…`);
    expect(truncateUtf16(huge, 10)).toBe(`${'字'.repeat(9)}…`);
    // Segmenting the whole string took seconds; the prefix takes well under one.
    expect(performance.now() - started).toBeLessThan(1000);
  });

  it('handles limits smaller than the ellipsis and rejects bad limits', () => {
    expect(truncateGraphemes('abcdef', 0)).toBe('');
    expect(truncateGraphemes('abcdef', 2, '...')).toBe('..');
    expect(() => truncateGraphemes('abc', -1)).toThrow(RangeError);
    expect(() => truncateGraphemes('abc', 1.5)).toThrow(RangeError);
  });
});

describe('truncateUtf16', () => {
  it('limits UTF-16 code units without leaving half a surrogate pair', () => {
    const text = '😀'.repeat(10);
    for (const limit of [1, 2, 3, 4, 5, 6, 7, 19]) {
      const out = truncateUtf16(text, limit);
      expect(out.length).toBeLessThanOrEqual(limit);
      expect(LONE_SURROGATE.test(out)).toBe(false);
    }
    expect(truncateUtf16(text, 6)).toBe('😀😀…');
    expect(truncateUtf16(text, 20)).toBe(text);
  });

  it('keeps whole graphemes even when they are many code units long', () => {
    const family = '👨‍👩‍👧‍👦'; // 11 units
    expect(truncateUtf16(`ab ${family}${family}`, 20)).toBe(`ab ${family}…`);
    expect(truncateUtf16(`${family}${family}`, 11)).toBe('…');
  });

  it('counts CJK as one unit each (BMP) and cuts after punctuation', () => {
    const out = truncateUtf16('第一句话还没有结束。第二句话很长很长', 12);
    expect(out).toBe('第一句话还没有结束…');
  });
});
