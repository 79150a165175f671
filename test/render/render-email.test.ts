import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { renderDigest, renderSingle, tidyText } from '../../src/render/email/render-email.ts';
import { PLACEHOLDERS } from '../../src/render/placeholders.ts';
import { article, engine, enSite, zhArticle, zhSite } from './fixtures.ts';

const e = engine();
const date = new Date('2024-05-03T00:30:00Z');

function count(haystack: string, needle: string): number {
  return haystack.split(needle).length - 1;
}

describe('renderDigest (Chinese site)', async () => {
  const noImage = article({ id: 'b', title: '没有图片的文章', url: 'https://blog.example.cn/posts/b/', topics: [], summary: '' });
  const r = await renderDigest(e, { site: zhSite, articles: [zhArticle, noImage], moreCount: 3, date });

  it('uses zh-CN strings and the default subject with the local date', () => {
    expect(r.lang).toBe('zh-CN');
    expect(r.subject).toBe('码农周刊 文章摘要 — 2024年5月3日');
    expect(r.html).toContain('<html lang="zh-CN"');
    expect(r.html).toMatch(/<meta http-equiv="Content-Type" content="text\/html; charset=UTF-8"/i);
    expect(r.html).toContain('阅读全文');
    expect(r.html).toContain('主题：Rust、异步编程、教程');
    expect(r.html).toContain('您收到这封邮件，是因为您订阅了 码农周刊。');
    expect(r.html).toContain('退订');
  });

  it('shows the date in the site time zone (17:30 UTC is the next day in Shanghai)', () => {
    expect(r.html).toContain('2024年5月3日');
    expect(r.text).toContain('2024年5月3日');
  });

  it('renders the image with alt = title and keeps %20 in its URL', () => {
    expect(r.html).toContain('src="https://blog.example.cn/images/rust%20async/cover%20image.png"');
    expect(r.html).toContain(`alt="${zhArticle.title}"`);
    // The article without an image has none.
    expect(count(r.html, '<img')).toBe(1);
  });

  it('links the title and the read-more button to the article', () => {
    expect(r.html).toContain(`<a href="${zhArticle.url}"`);
    expect(count(r.html, `href="${zhArticle.url}"`)).toBeGreaterThanOrEqual(3); // image, title, button
  });

  it('adds the "N more articles" line with a link to the site', () => {
    expect(r.html).toContain('码农周刊 上还有 3 篇文章');
    expect(r.text).toContain('码农周刊 上还有 3 篇文章：https://blog.example.cn/');
  });

  it('leaves exactly the per-recipient placeholders', () => {
    expect(count(r.html, PLACEHOLDERS.greeting)).toBe(1);
    expect(count(r.html, PLACEHOLDERS.unsubscribeUrl)).toBe(1);
    expect(r.html).toContain(`href="${PLACEHOLDERS.unsubscribeUrl}"`);
    expect(count(r.text, PLACEHOLDERS.greeting)).toBe(1);
    expect(r.text).toContain(`退订：${PLACEHOLDERS.unsubscribeUrl}`);
    expect(r.greeting).toEqual({ named: '{name}，您好！', anonymous: '您好！' });
  });

  it('has a plain-text part that reads well', () => {
    expect(r.text).toBe(
      [
        '码农周刊',
        'https://blog.example.cn/',
        '',
        '%%HERALD_GREETING%%',
        '',
        '以下是 码农周刊 的 2 篇最新文章。',
        '',
        'Rust 异步编程入门：从 Future 到 Tokio',
        '2024年5月3日',
        '',
        zhArticle.summary,
        '',
        '主题：Rust、异步编程、教程',
        '阅读全文：https://blog.example.cn/posts/rust-async/',
        '',
        '----------------------------------------',
        '',
        '没有图片的文章',
        '2024年5月3日',
        '',
        '阅读全文：https://blog.example.cn/posts/b/',
        '',
        '码农周刊 上还有 3 篇文章：https://blog.example.cn/',
        '',
        '-- ',
        '您收到这封邮件，是因为您订阅了 码农周刊。',
        '选择主题：%%HERALD_PREFERENCES_URL%%',
        '退订：%%HERALD_UNSUBSCRIBE_URL%%',
        '',
      ].join('\n'),
    );
  });

  it('reports timings', () => {
    expect(r.timings.mjmlMs).toBeGreaterThan(0);
    expect(r.timings.templateMs).toBeGreaterThan(0);
  });
});

describe('renderDigest (English site)', async () => {
  const evil = article({
    title: 'Tips & tricks <script>alert("x")</script>',
    summary: 'Use <b>bold</b> & "quotes"',
    url: 'https://example.com/posts/tips/?a=1&b=2',
    topics: ['Node.js', 'Tips & Tricks'],
  });
  const r = await renderDigest(e, { site: enSite, articles: [evil], moreCount: 0, date });

  it('uses English strings and the site time zone', () => {
    expect(r.subject).toBe('Tom & Jerry Notes digest — May 2, 2024');
    expect(r.html).toContain('Read more');
    expect(r.html).toContain('May 2, 2024');
    expect(r.html).toContain('Topics: Node.js, Tips &amp; Tricks');
    expect(r.html).toContain('You receive this email because you subscribed to Tom &amp; Jerry Notes.');
    expect(r.html).toContain('Here is the latest article from Tom &amp; Jerry Notes.');
    expect(r.greeting).toEqual({ named: 'Hi {name},', anonymous: 'Hello,' });
  });

  it('escapes titles and summaries, never emitting markup from content', () => {
    expect(r.html).not.toContain('<script>');
    expect(r.html).not.toContain('<b>bold</b>');
    expect(r.html).toContain('Tips &amp; tricks &lt;script&gt;alert(&#34;x&#34;)&lt;/script&gt;');
    expect(r.html).toContain('href="https://example.com/posts/tips/?a=1&amp;b=2"');
    // The subject and the text part are plain text: no entities.
    expect(r.text).toContain('Tips & tricks <script>alert("x")</script>');
    expect(r.text).toContain('Read more: https://example.com/posts/tips/?a=1&b=2');
  });

  it('has no "more articles" line when nothing was cut', () => {
    expect(r.html).not.toContain('more article');
    expect(r.text).not.toContain('more article');
  });

  it('uses a custom subject template with site, date and count', async () => {
    const r2 = await renderDigest(e, {
      site: enSite,
      articles: [evil, article()],
      moreCount: 0,
      date,
      subjectTemplate: "{{ count }} new on {{ site.title }} ({{ date | localdate: site.timezone, site.language, 'yyyy-MM-dd' }})\n",
    });
    expect(r2.subject).toBe('2 new on Tom & Jerry Notes (2024-05-02)');
  });

  it('names the subject template in errors', async () => {
    await expect(renderDigest(e, { site: enSite, articles: [evil], moreCount: 0, date, subjectTemplate: '{{ sitee.title }}' })).rejects.toThrow(
      /subject template of email\/digest.*undefined variable: sitee/,
    );
  });
});

describe('placeholder safety', () => {
  it('content cannot inject a placeholder', async () => {
    const sneaky = article({ title: `Win ${PLACEHOLDERS.unsubscribeUrl}`, summary: PLACEHOLDERS.greeting });
    const r = await renderDigest(e, { site: enSite, articles: [sneaky], moreCount: 0, date });
    expect(count(r.html, PLACEHOLDERS.unsubscribeUrl)).toBe(1);
    expect(count(r.html, PLACEHOLDERS.greeting)).toBe(1);
    expect(count(r.text, PLACEHOLDERS.unsubscribeUrl)).toBe(1);
  });
});

describe('renderSingle', () => {
  it('renders one article with the title as subject', async () => {
    const r = await renderSingle(e, { site: zhSite, article: zhArticle });
    expect(r.subject).toBe(zhArticle.title);
    expect(r.html).toContain(zhArticle.title);
    expect(r.html).toContain('阅读全文');
    expect(r.html).not.toContain('上还有');
    expect(r.text).toContain(`阅读全文：${zhArticle.url}`);
    expect(r.text).toContain(PLACEHOLDERS.greeting);
    expect(r.text).toContain(PLACEHOLDERS.unsubscribeUrl);
  });

  it('accepts a subject template with article', async () => {
    const r = await renderSingle(e, { site: enSite, article: article({ title: 'A & B' }), subjectTemplate: 'New: {{ article.title }}' });
    expect(r.subject).toBe('New: A & B');
  });
});

describe('custom templates', () => {
  function root(files: Record<string, string>): string {
    const dir = mkdtempSync(join(tmpdir(), 'herald-email-'));
    for (const [name, body] of Object.entries(files)) {
      mkdirSync(join(dir, name, '..'), { recursive: true });
      writeFileSync(join(dir, name), body);
    }
    return dir;
  }

  it('derives the text part from HTML when there is no .txt template', async () => {
    const dir = root({
      'email/plain.mjml.liquid':
        '<mjml><mj-head><mj-preview>hidden preview</mj-preview></mj-head><mj-body><mj-section><mj-column><mj-text>{{ recipient.greeting }} <a href="{{ unsubscribe_url }}">Unsubscribe</a></mj-text><mj-text>{% for a in articles %}<a href="{{ a.url }}">{{ a.title }}</a>{% endfor %}</mj-text></mj-column></mj-section></mj-body></mjml>',
    });
    const r = await renderDigest(engine(dir), { site: enSite, articles: [article()], moreCount: 0, date, template: 'email/plain' });
    expect(r.text).toContain(`${PLACEHOLDERS.greeting} Unsubscribe [${PLACEHOLDERS.unsubscribeUrl}]`);
    expect(r.text).toContain('Hello [https://example.com/posts/hello/]');
    expect(r.text).not.toContain('hidden preview');
  });

  it('surfaces MJML errors naming the template', async () => {
    const dir = root({ 'email/bad.mjml.liquid': '<mjml><mj-body><mj-section><mj-text>text outside a column</mj-text></mj-section></mj-body></mjml>' });
    await expect(renderDigest(engine(dir), { site: enSite, articles: [], moreCount: 0, date, template: 'email/bad' })).rejects.toThrow(
      /template "email\/bad\.mjml\.liquid": invalid MJML .*mj-text/,
    );
  });

  it('names the template (and partial) for Liquid errors', async () => {
    const dir = root({ 'email/partials/article-card.mjml.liquid': '<mj-section><mj-column><mj-text>{{ article.titel }}</mj-text></mj-column></mj-section>' });
    await expect(renderDigest(engine(dir), { site: enSite, articles: [article()], moreCount: 0, date })).rejects.toThrow(
      /template "email\/digest\.mjml\.liquid".*titel/,
    );
  });
});

describe('tidyText', () => {
  it('trims lines, keeps the signature delimiter and collapses blank lines', () => {
    expect(tidyText('a  \r\n\n\n\nb\n-- \nc\n\n')).toBe('a\n\nb\n-- \nc\n');
  });
});

describe('HTML for mail clients', async () => {
  const r = await renderDigest(e, { site: { ...zhSite, address: '码农周刊编辑部, 1 Example Road' }, articles: [zhArticle], moreCount: 0, date });

  it('is minified but keeps Outlook conditional comments, the placeholders and the link targets', () => {
    expect(r.html).toContain('<!--[if mso | IE]>');
    const outsideConditionals = r.html.replace(/<!--\[if[\s\S]*?<!\[endif\]-->|<!--\[if !mso\]><!-->|<!--<!\[endif\]-->/g, '');
    // No other comments survive, and no indentation.
    expect(outsideConditionals).not.toContain('<!--');
    expect(outsideConditionals).not.toMatch(/\n\s{2,}/);
    expect(r.html).toContain(`href="${PLACEHOLDERS.unsubscribeUrl}"`);
    expect(r.html).toContain(`href="${PLACEHOLDERS.preferencesUrl}"`);
    expect(r.html).toContain('href="https://blog.example.cn/posts/rust-async/"');
  });

  it('has valid image attributes, a color-scheme hint and the postal address in the footer', () => {
    expect(r.html).toMatch(/<img [^>]*src="https:\/\/blog\.example\.cn\/images\/rust%20async\/cover%20image\.png"/);
    expect(r.html).not.toMatch(/height="auto"/);
    expect(r.html).toContain('<meta name="color-scheme" content="light">');
    expect(r.html).toContain('<meta name="supported-color-schemes" content="light">');
    expect(r.html).toContain('码农周刊编辑部, 1 Example Road');
    expect(r.text).toContain('码农周刊编辑部, 1 Example Road');
  });
});
