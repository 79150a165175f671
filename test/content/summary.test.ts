import { describe, expect, it } from 'vitest';
import { summaryFromBody, summaryFromMarkdownText, summaryFromText } from '../../src/content/summary.ts';
import { countGraphemes } from '../../src/util/text.ts';

describe('summaryFromBody', () => {
  it('takes the first paragraph as plain text, skipping headings and image-only paragraphs', () => {
    const md = '# Title\n\n![cover](cover.png)\n\nHello **bold** _em_ ~~del~~ [link](https://x.y) `code` &amp; &#169;\nnext line.\n\nSecond paragraph.';
    expect(summaryFromBody(md)).toBe('Hello bold em del link code & © next line.');
  });

  it('strips inline HTML tags but keeps their text, and drops footnote markers and definitions', () => {
    const md = 'Text<sup>[^1]</sup> with <span class="x">inline</span> HTML[^note].<br>After break.\n\n[^1]: https://example.com\n[^note]: A note.';
    expect(summaryFromBody(md)).toBe('Text with inline HTML. After break.');
  });

  it('uses a footnote-definition-only body as nothing', () => {
    expect(summaryFromBody('[^1]: [Source](https://example.com)·Site·（2025/7/2）\n    continued')).toBe('');
  });

  it("counts a leading blockquote's paragraph", () => {
    expect(summaryFromBody('> Quoted **lead**.\n\nBody.')).toBe('Quoted lead.');
  });

  it('skips code blocks, HTML blocks, tables and shortcodes', () => {
    const md = '```js\nconst x = 1;\n```\n\n<div class="note">\nblock html\n</div>\n\n| a | b |\n|---|---|\n| 1 | 2 |\n\n{{< figure src="x.jpg" caption="Cap" >}}\n\nReal text {{% mark %}}here{{% /mark %}}.';
    expect(summaryFromBody(md)).toBe('Real text here.');
  });

  it('joins CJK lines without a space but Latin lines with one', () => {
    expect(summaryFromBody('中文第一行\n中文第二行 English\nnext')).toBe('中文第一行中文第二行 English next');
  });

  it('uses everything before <!--more--> when present', () => {
    expect(summaryFromBody('Intro one.\n\nIntro two.\n<!--more-->\nRest of the article.')).toBe('Intro one. Intro two.');
  });

  it('falls back to the first list item for list-only bodies, and to "" for empty ones', () => {
    expect(summaryFromBody('## Steps\n\n- **First** step\n- Second step')).toBe('First step');
    expect(summaryFromBody('')).toBe('');
    expect(summaryFromBody('## Only a heading')).toBe('');
  });

  it('cuts long CJK text to at most 200 graphemes with an ellipsis, never half a character', () => {
    const sentence = '欧盟委员会收到了七十六份意向书，这股热情预示着欧洲迈出了重要一步。'; // 33 chars
    const out = summaryFromBody(`${sentence.repeat(10)}😀😀`);
    expect(countGraphemes(out)).toBeLessThanOrEqual(200);
    expect(countGraphemes(out)).toBeGreaterThan(160);
    expect(out.endsWith('…')).toBe(true);
    expect(out.slice(0, -1).endsWith('一步')).toBe(true); // cut after a sentence, its "。" dropped
    expect(out).not.toMatch(/[\uD800-\uDBFF](?![\uDC00-\uDFFF])/);
  });

  it('cuts long emoji text on grapheme boundaries', () => {
    const out = summaryFromBody('👍🏽'.repeat(300));
    expect(out).toBe(`${'👍🏽'.repeat(199)}…`);
  });
});

describe('summaryFromText', () => {
  it('collapses whitespace, strips inline markdown but keeps block-looking text literal', () => {
    expect(summaryFromText('  1. First **bold**\n\n  [link](u)   here[^2]  ')).toBe('1. First bold link here');
    expect(summaryFromText('# not a heading')).toBe('# not a heading');
  });

  it('cuts a very long summary with an ellipsis and leaves short ones alone', () => {
    const long = 'word '.repeat(100);
    const out = summaryFromText(long);
    expect(countGraphemes(out)).toBeLessThanOrEqual(200);
    expect(out).toMatch(/^(word ){39}word…$/);
    expect(summaryFromText('Short summary.')).toBe('Short summary.');
  });
});

describe('summaryFromBody on long bodies (read from the start only)', () => {
  const filler = Array.from({ length: 400 }, (_, i) => `Paragraph ${i} of the rest of a long article.`).join('\n\n');

  it('takes the first paragraph of a long body, after headings, lists and code', () => {
    const md = `## Heading\n\n- a list\n- of items\n\n\`\`\`\ncode\n\n\`\`\`\n\nThe *first* paragraph,\ncontinued.\n\n${filler}`;
    expect(summaryFromBody(md)).toBe('The first paragraph, continued.');
  });

  it('finds a first paragraph that starts past the first kilobytes', () => {
    const code = `\`\`\`\n${'line\n\n'.repeat(1500)}\`\`\``;
    expect(summaryFromBody(`${code}\n\nAfter the code.\n\n${filler}`)).toBe('After the code.');
  });

  it('reads a reference link defined at the end of a long body', () => {
    expect(summaryFromBody(`See [the report][r] now.\n\n${filler}\n\n[r]: https://example.com/report`)).toBe('See the report now.');
    expect(summaryFromBody(`See [the report][r] now.\n\n${filler}`)).toBe('See [the report][r] now.');
  });

  it('takes the first list item of a long body made only of lists', () => {
    const lists = Array.from({ length: 300 }, (_, i) => `- item ${i}\n- more ${i}`).join('\n\n');
    expect(summaryFromBody(lists)).toBe('item 0');
  });
});

describe('summaryFromText without markdown', () => {
  it('gives what marked\'s inline lexer gives, for text with none of the characters that start inline markdown', () => {
    // Plain pieces (URLs, addresses and "www." autolink; hard breaks; CJK lines) and a few marked ones.
    const plain = ['a', 'Z', ' ', '  \n', '\n', '\t', '\r\n', ':', '/', '.', '@', '(', ')', '#', '%', '-', ',', '"', "'", '?', '|', '$', '+', '=', '{', '}', ';', '^', '\u00a0', '中', '文', '。', '，', '“', '”', 'www.example.com', 'http://a.b/c?d=e', 'https://news.example.com/x.', 'mail@example.com', '1. ', '# ', '> ', '- '];
    const marked = ['*', '_', '`', '[', ']', '*em* ', ' **strong** ', '`code`', '[link](http://x.y/)', '<b>x</b>', '&amp;', '~~del~~', '\\*', '![img](x.png)', ' _u_ ', '[^1]'];
    let seed = 11;
    const next = () => {
      seed = (seed * 1103515245 + 12345) % 2147483648;
      return seed;
    };
    let plainCases = 0;
    for (let n = 0; n < 600; n++) {
      let text = '';
      const length = next() % 30;
      const pieces = n % 3 === 0 ? [...plain, ...marked] : plain;
      for (let i = 0; i < length; i++) text += pieces[next() % pieces.length];
      if (!/[\\`*_[\]<>!~&]/.test(text)) plainCases++;
      for (const max of [200, 12]) expect(summaryFromText(text, max), JSON.stringify([text, max])).toBe(summaryFromMarkdownText(text, max));
    }
    expect(plainCases).toBeGreaterThan(300);
  });
});
