import { describe, expect, it } from 'vitest';
import { telegramTextLength, telegramVisibleText, truncateTelegramHtml, validateTelegramHtml } from '../../../src/render/telegram/telegram-html.ts';

describe('telegramTextLength', () => {
  it('counts UTF-16 units of the visible text: tags removed, entities as one character', () => {
    expect(telegramTextLength('<b>a</b> &lt;b&gt; &amp; &quot;&#39;&#x27;')).toBe("a <b> & \"''".length);
    expect(telegramTextLength('<a href="https://x/?a=1&amp;b=2">链接</a>')).toBe(2);
    expect(telegramTextLength('😀')).toBe(2);
    expect(telegramTextLength('&#128512;')).toBe(2);
  });
});

describe('validateTelegramHtml', () => {
  it('accepts every tag Telegram supports', () => {
    const html =
      '<b>b</b><strong>s</strong><i>i</i><em>e</em><u>u</u><ins>i</ins><s>s</s><strike>s</strike><del>d</del>' +
      '<a href="https://example.com/?a=1&amp;b=2">a</a><code>c</code><pre><code class="language-ts">x</code></pre>' +
      '<blockquote>q</blockquote><blockquote expandable>q</blockquote><tg-spoiler>s</tg-spoiler><span class="tg-spoiler">s</span>';
    expect(validateTelegramHtml(html)).toEqual([]);
  });

  it('reports unsupported tags, attributes, entities, bare characters and bad nesting', () => {
    expect(validateTelegramHtml('<p>x</p>')).toEqual(['tag <p> is not supported by Telegram']);
    expect(validateTelegramHtml('<br>')).toEqual(['tag <br> is not supported by Telegram']);
    expect(validateTelegramHtml('<a href="x" target="_blank">x</a>')).toEqual(['attribute target is not allowed on <a>']);
    expect(validateTelegramHtml('<a>x</a>')).toEqual(['<a> needs href']);
    expect(validateTelegramHtml('<span class="red">x</span>')).toEqual(['attribute class="red" is not allowed on <span>']);
    expect(validateTelegramHtml('&nbsp;')).toEqual(['unsupported entity &nbsp;']);
    expect(validateTelegramHtml('a & b')).toEqual(['bare "&" (write &amp;)']);
    expect(validateTelegramHtml('a < b')).toEqual(['bare "<" (write &lt;)']);
    expect(validateTelegramHtml('<b><i>x</b></i>')).toEqual(['</b> closes <i>', '<b> is never closed']);
    expect(validateTelegramHtml('<b>x')).toEqual(['<b> is never closed']);
  });
});

describe('truncateTelegramHtml', () => {
  it('cuts visible text, keeps entities whole and closes open tags', () => {
    const html = '<b><a href="https://x/">Tom &amp; Jerry &lt;3</a></b> tail';
    const cut = truncateTelegramHtml(html, 8);
    expect(cut).toBe('<b><a href="https://x/">Tom &amp; J…</a></b>');
    expect(truncateTelegramHtml(html, 6)).toBe('<b><a href="https://x/">Tom &amp;…</a></b>');
    expect(telegramTextLength(cut)).toBeLessThanOrEqual(8);
    expect(validateTelegramHtml(cut)).toEqual([]);
  });

  it('does not split graphemes', () => {
    const cut = truncateTelegramHtml('ab👨‍👩‍👧‍👦cd', 6);
    expect(telegramVisibleText(cut)).toBe('ab…');
  });

  it('leaves text that fits alone', () => {
    expect(truncateTelegramHtml('<b>ok</b>', 2)).toBe('<b>ok</b>');
  });
});
