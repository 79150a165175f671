import { describe, expect, it } from 'vitest';
import { TELEGRAM_LIMITS } from '../../../src/channels/telegram/telegram-payload.ts';
import { parseArticle } from '../../../src/content/parse-article.ts';
import { describeTelegramPayload, renderTelegramPost, telegramTextLength, validateTelegramHtml } from '../../../src/render/telegram/render-post.ts';
import { telegramVisibleText } from '../../../src/render/telegram/telegram-html.ts';
import { article, engine, enSite, zhSite } from '../fixtures.ts';

const e = engine();
const channel = { disableNotification: false, linkPreview: true, chat: -1001234567890 };

const SEED = `---
title: 欧洲的AI“千兆工厂”热潮：算力基础设施竞赛中的主权宣言
date: 2025-07-02T00:40:05+08:00
slug: europe-ai-gigafactories
featured_image: "/newsimages/selected_image_2025-07-Jul 2, 2025_00-32-31-741.jpg"
summary: 欧盟委员会的AI“千兆工厂”计划收到了来自16个成员国60个站点的76份意向书，远超预期，彰显了欧洲在AI基础设施建设方面的强烈决心。
tags:
  - AI千兆工厂
  - 欧洲AI战略
  - 算力基础设施
  - 数字主权
main_topics:
  - 算力与芯片
  - 安全与地缘政治
---

正文。
`;
const seed = parseArticle('posts/europe-ai-gigafactories.md', Buffer.from(SEED), zhSite, { dir: '/content', permalink: '/:section/:slug/' });

function hasLoneSurrogate(s: string): boolean {
  return /[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/.test(s);
}

describe('renderTelegramPost: the seed-like Chinese article', async () => {
  const p = await renderTelegramPost(e, { site: zhSite, article: seed, channel: { ...channel, thread: 7 } });

  it('reads the +08:00 date as the instant it is', () => {
    expect(seed.publishedAt).toBe('2025-07-01T16:40:05.000Z');
  });

  it('turns tags and main_topics into hashtags, CJK words kept whole', () => {
    const lastLine = p.text.split('\n').at(-1);
    expect(lastLine).toBe('#AI千兆工厂 #欧洲AI战略 #算力基础设施 #数字主权 #算力与芯片 #安全与地缘政治');
  });

  it('is a photo post whose caption is the post: bold linked title, summary, read-more in Chinese', () => {
    expect(p.photo?.url).toBe('https://blog.example.cn/newsimages/selected_image_2025-07-Jul%202,%202025_00-32-31-741.jpg');
    expect(p.photo?.caption).toBe(p.text);
    expect(p.text.startsWith(`<b><a href="${seed.url}">欧洲的AI“千兆工厂”热潮：算力基础设施竞赛中的主权宣言</a></b>\n\n欧盟委员会`)).toBe(true);
    expect(p.text).toContain(`<a href="${seed.url}">阅读全文 →</a>`);
    expect(validateTelegramHtml(p.text)).toEqual([]);
  });

  it('carries the channel settings', () => {
    expect(p).toMatchObject({ kind: 'telegram', chatId: -1001234567890, threadId: 7, disableNotification: false, linkPreview: true, linkPreviewUrl: seed.url });
  });

  it('is described as a sendPhoto with HTML parse mode and measured lengths', () => {
    const d = describeTelegramPayload(p);
    expect(d.method).toBe('sendPhoto');
    expect(d.fields).toEqual({
      chat_id: -1001234567890,
      message_thread_id: 7,
      parse_mode: 'HTML',
      disable_notification: false,
      photo: p.photo?.url,
      caption: p.photo?.caption,
    });
    expect(d.limits[0]).toEqual({ field: 'caption', length: telegramTextLength(p.text), limit: 1024 });
    expect(d.limits[1]?.limit).toBe(4096);
  });
});

describe('renderTelegramPost: escaping and markup', () => {
  it('escapes < > & and quotes in titles, summaries and URLs, and counts entities as one character', async () => {
    const a = article({ title: 'Tom & Jerry: <script> "quoted"', summary: 'a < b && c > d', url: 'https://example.com/p/?a=1&b=2', topics: [] });
    const p = await renderTelegramPost(e, { site: enSite, article: a, channel });
    expect(p.text).toContain('Tom &amp; Jerry: &lt;script&gt; &#34;quoted&#34;');
    expect(p.text).toContain('a &lt; b &amp;&amp; c &gt; d');
    expect(p.text).toContain('href="https://example.com/p/?a=1&amp;b=2"');
    expect(validateTelegramHtml(p.text)).toEqual([]);
    expect(telegramVisibleText(p.text)).toBe('Tom & Jerry: <script> "quoted"\n\na < b && c > d\n\nRead more →');
    expect(telegramTextLength(p.text)).toBe('Tom & Jerry: <script> "quoted"\n\na < b && c > d\n\nRead more →'.length);
  });

  it('without an image: a sendMessage with the article as link preview', async () => {
    const p = await renderTelegramPost(e, { site: enSite, article: article({ topics: ['Open Source'] }), channel: { ...channel, linkPreview: true } });
    expect(p.photo).toBeUndefined();
    const d = describeTelegramPayload(p);
    expect(d.method).toBe('sendMessage');
    expect(d.fields).toMatchObject({
      chat_id: -1001234567890,
      text: p.text,
      parse_mode: 'HTML',
      link_preview_options: { url: 'https://example.com/posts/hello/', is_disabled: false },
    });
    expect(d.fields).not.toHaveProperty('message_thread_id');
    expect(d.limits).toEqual([{ field: 'text', length: telegramTextLength(p.text), limit: 4096 }]);
    expect(p.text.endsWith('#Open_Source')).toBe(true);
  });

  it('linkPreview: false disables the preview', async () => {
    const p = await renderTelegramPost(e, { site: enSite, article: article(), channel: { ...channel, linkPreview: false, disableNotification: true } });
    expect(describeTelegramPayload(p).fields).toMatchObject({ disable_notification: true, link_preview_options: { is_disabled: true } });
  });

  it('keeps an image URL with spaces percent-encoded, unescaped', async () => {
    const image = 'https://example.com/images/my%20cover%20(1).png?x=1&y=2';
    const p = await renderTelegramPost(e, { site: enSite, article: article({ image }), channel });
    expect(p.photo?.url).toBe(image);
    expect(describeTelegramPayload(p).fields.photo).toBe(image);
  });

  it('leaves out the summary paragraph when there is none', async () => {
    const p = await renderTelegramPost(e, { site: enSite, article: article({ summary: '' }), channel });
    expect(telegramVisibleText(p.text)).toBe('Hello\n\nRead more →');
  });

  it('drops control characters and collapses whitespace in the title', async () => {
    const p = await renderTelegramPost(e, { site: enSite, article: article({ title: 'Two\n  lines\u0007', summary: '' }), channel });
    expect(telegramVisibleText(p.text).split('\n')[0]).toBe('Two lines');
  });

  it('rejects a template that produces markup Telegram does not support, naming it', async () => {
    const { mkdtempSync, mkdirSync, writeFileSync } = await import('node:fs');
    const { join } = await import('node:path');
    const { tmpdir } = await import('node:os');
    const root = mkdtempSync(join(tmpdir(), 'herald-tg-'));
    mkdirSync(join(root, 'telegram'));
    writeFileSync(join(root, 'telegram', 'fancy.html.liquid'), '<p>{{ article.title }}</p>');
    await expect(renderTelegramPost(engine(root), { site: enSite, article: article(), channel: { ...channel, template: 'telegram/fancy' } })).rejects.toThrow(
      /template "telegram\/fancy.html.liquid": Telegram would reject the post's HTML: tag <p> is not supported/,
    );
  });
});

describe('renderTelegramPost: limits (counted as Telegram does)', () => {
  const check = (html: string, limit: number) => {
    expect(telegramTextLength(html)).toBeLessThanOrEqual(limit);
    expect(validateTelegramHtml(html)).toEqual([]);
    expect(hasLoneSurrogate(html)).toBe(false);
  };

  it('cuts an over-long summary, not the title, link or tags: caption ≤ 1024, text ≤ 4096, ending in …', async () => {
    const summary = 'Fish & chips <cheap> are "great". '.repeat(200); // entities everywhere near any cut
    const a = article({ title: 'A & B', summary, image: 'https://example.com/i.png', topics: ['Food', 'UK'] });
    const p = await renderTelegramPost(e, { site: enSite, article: a, channel });
    const caption = p.photo?.caption ?? '';
    check(caption, TELEGRAM_LIMITS.caption);
    check(p.text, TELEGRAM_LIMITS.text);
    expect(telegramTextLength(caption)).toBeGreaterThan(TELEGRAM_LIMITS.caption - 40); // not cut needlessly short
    expect(telegramTextLength(p.text)).toBeGreaterThan(TELEGRAM_LIMITS.text - 40);
    for (const html of [caption, p.text]) {
      const paragraphs = telegramVisibleText(html).split('\n\n');
      expect(paragraphs[0]).toBe('A & B');
      expect(paragraphs[1]?.endsWith('…')).toBe(true);
      expect(paragraphs.slice(2)).toEqual(['Read more →', '#Food #UK']);
      // No entity was cut in half: every & starts a complete entity.
      expect(html.replace(/&(amp|lt|gt|#34|#39);/g, '')).not.toContain('&');
    }
  });

  it('never splits an emoji or a surrogate pair near the cut', async () => {
    // Each unit is 2 (😀) or 11 (👨‍👩‍👧‍👦 family, one grapheme) UTF-16 units; try every cut phase.
    for (let pad = 0; pad < 12; pad++) {
      const summary = `${'x'.repeat(pad)}${'😀👨‍👩‍👧‍👦🇨🇳'.repeat(120)}`;
      const p = await renderTelegramPost(e, { site: enSite, article: article({ summary, image: 'https://example.com/i.png' }), channel });
      const caption = p.photo?.caption ?? '';
      check(caption, TELEGRAM_LIMITS.caption);
      const cutSummary = telegramVisibleText(caption).split('\n\n')[1] ?? '';
      expect(cutSummary.endsWith('…')).toBe(true);
      // What is left is whole graphemes of the original.
      const kept = cutSummary.slice(0, -1);
      expect(summary.startsWith(kept)).toBe(true);
      const graphemes = [...new Intl.Segmenter('en', { granularity: 'grapheme' }).segment(summary)].map((s) => s.index);
      expect(graphemes).toContain(kept.length);
    }
  });

  it('counts a CJK summary in UTF-16 units (astral ideographs count 2)', async () => {
    const summary = '𠀀汉字'.repeat(600); // 𠀀 is outside the BMP
    const p = await renderTelegramPost(e, { site: zhSite, article: article({ summary, image: 'https://example.com/i.png' }), channel });
    check(p.photo?.caption ?? '', 1024);
    check(p.text, 4096);
  });

  it('also cuts an absurd title, keeping the link and the tags', async () => {
    const a = article({ title: 'T&'.repeat(3000), summary: 'S'.repeat(3000), topics: ['Keep'] });
    const p = await renderTelegramPost(e, { site: enSite, article: a, channel });
    check(p.text, 4096);
    const paragraphs = telegramVisibleText(p.text).split('\n\n');
    expect(paragraphs[0]?.endsWith('…')).toBe(true);
    expect(paragraphs.slice(-2)).toEqual(['Read more →', '#Keep']);
    expect(p.text.startsWith('<b><a href="https://example.com/posts/hello/">')).toBe(true);
  });

  it('still fits with hundreds of hashtags (cut as HTML, tags closed)', async () => {
    const topics = Array.from({ length: 400 }, (_, i) => `topic number ${i} extra`);
    const p = await renderTelegramPost(e, { site: enSite, article: article({ topics, image: 'https://example.com/i.png' }), channel });
    check(p.photo?.caption ?? '', 1024);
    check(p.text, 4096);
    expect(p.text.endsWith('…')).toBe(true);
  });
});
