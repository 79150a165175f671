import { describe, expect, it } from 'vitest';
import { collapseWhitespace, countGraphemes, leadingGraphemes, splitGraphemes, truncateGraphemes, truncateUtf16 } from '../../src/util/text.ts';

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

describe('leadingGraphemes', () => {
  const segmenter = new Intl.Segmenter(undefined, { granularity: 'grapheme' });
  const reference = (text: string, limit: number) => {
    const all = Array.from(segmenter.segment(text), (s) => s.segment);
    return all.length > limit ? { parts: all.slice(0, limit), complete: false } : { parts: all, complete: true };
  };

  it('takes the first graphemes as ICU segments them, with and without the one-character-per-grapheme path', () => {
    // Simple text (one grapheme per character) and text that is not: combining marks, CR LF,
    // emoji with joiners and skin tones, flags, Hangul jamo, a combining mark right after the cut.
    const pieces = ['a', ' ', '\n', '\t', 'é', '中', '。', 'ー', '！', '…', '—', 'e\u0301', '\r\n', '👩‍💻', '👍🏽', '🇨🇳', '\u1100\u1161\u11a8', 'か\u3099', '\u302a', '\uff9e'];
    let seed = 7;
    const next = () => {
      seed = (seed * 1103515245 + 12345) % 2147483648;
      return seed;
    };
    for (let n = 0; n < 400; n++) {
      const simple = n % 2 === 0;
      let text = '';
      const length = next() % 40;
      for (let i = 0; i < length; i++) text += pieces[next() % (simple ? 11 : pieces.length)];
      for (const limit of [0, 1, 5, 12, 39, 80]) expect(leadingGraphemes(text, limit), JSON.stringify([text, limit])).toEqual(reference(text, limit));
      // countGraphemes takes the same path: the same count as ICU's.
      expect(countGraphemes(text), JSON.stringify(text)).toBe(reference(text, Number.MAX_SAFE_INTEGER).parts.length);
    }
  });

  it('treats as one-character graphemes only characters that are, next to anything', () => {
    // Every character of the fast path's set, between others: ICU never joins it to a neighbour.
    const ranges: Array<[number, number]> = [[0x20, 0x7e], [0xa0, 0x2ff], [0x2010, 0x2027], [0x2030, 0x205e], [0x3000, 0x3029], [0x3030, 0x3098], [0x309b, 0x30ff], [0x3400, 0x4dbf], [0x4e00, 0x9fff], [0xff01, 0xff9d]];
    const joined: string[] = [];
    for (const [from, to] of ranges) {
      for (let code = from; code <= to; code++) {
        const c = String.fromCharCode(code);
        for (const context of [`a${c}a`, `${c}${c}`, `\u4e00${c}\u3002`, `\n${c}\t`]) {
          if ([...segmenter.segment(context)].length !== context.length) joined.push(`U+${code.toString(16)} in ${JSON.stringify(context)}`);
        }
      }
    }
    expect(joined).toEqual([]);
  });
});
