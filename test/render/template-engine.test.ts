import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { formatLocalDate } from '../../src/render/filters.ts';
import { createTemplateEngine } from '../../src/render/template-engine.ts';
import { engine, TEMPLATES_ROOT } from './fixtures.ts';

function userRoot(files: Record<string, string>): string {
  const dir = mkdtempSync(join(tmpdir(), 'herald-tpl-'));
  for (const [name, body] of Object.entries(files)) {
    mkdirSync(join(dir, name, '..'), { recursive: true });
    writeFileSync(join(dir, name), body);
  }
  return dir;
}

describe('localdate', () => {
  it('formats in the site time zone and language', () => {
    expect(formatLocalDate('2024-05-02T17:30:00Z', 'Asia/Shanghai', 'zh-CN')).toBe('2024年5月3日');
    expect(formatLocalDate('2024-05-02T17:30:00Z', 'America/New_York', 'en')).toBe('May 2, 2024');
    expect(formatLocalDate(new Date('2024-05-02T17:30:00Z'), 'Asia/Shanghai', 'en', 'yyyy-MM-dd HH:mm')).toBe('2024-05-03 01:30');
  });
  it('rejects bad input clearly', () => {
    expect(() => formatLocalDate('yesterday', 'UTC', 'en')).toThrow(/not a valid date/);
    expect(() => formatLocalDate('2024-05-02T17:30:00Z', 'Mars/Olympus', 'en')).toThrow(/unknown time zone "Mars\/Olympus"/);
  });
});

describe('template engine', () => {
  it('requires absolute roots', () => {
    expect(() => createTemplateEngine({ root: 'templates' })).toThrow(/absolute/);
  });

  it('escapes output in HTML templates but not in .txt templates', async () => {
    const root = userRoot({ 'a.html.liquid': '{{ v }}', 'a.txt.liquid': '{{ v }}', 'raw.html.liquid': '{{ v | raw }}' });
    const e = engine(root);
    const v = '<script>alert("x")</script> & co';
    expect(await e.render('a.html.liquid', { v })).toBe('&lt;script&gt;alert(&#34;x&#34;)&lt;/script&gt; &amp; co');
    expect(await e.render('a.txt.liquid', { v })).toBe(v);
    expect(await e.render('raw.html.liquid', { v })).toBe(v);
  });

  it('names the template for an unknown variable, filter or syntax error', async () => {
    const root = userRoot({
      'email/typo.mjml.liquid': 'Hello {{ sitee.title }}',
      'email/filter.mjml.liquid': '{{ site.title | upcasee }}',
      'email/syntax.mjml.liquid': '{% if %}',
    });
    const e = engine(root);
    await expect(e.render('email/typo.mjml.liquid', { site: { title: 'x' } })).rejects.toThrow(/template "email\/typo\.mjml\.liquid": undefined variable: sitee/);
    await expect(e.render('email/filter.mjml.liquid', { site: { title: 'x' } })).rejects.toThrow(/template "email\/filter\.mjml\.liquid": undefined filter: upcasee/);
    await expect(e.render('email/syntax.mjml.liquid', {})).rejects.toThrow(/template "email\/syntax\.mjml\.liquid"/);
    await expect(e.render('email/missing.mjml.liquid', {})).rejects.toThrow(/template "email\/missing\.mjml\.liquid": not found/);
  });

  it('tolerates a missing optional value in if/default', async () => {
    const root = userRoot({ 'x.txt.liquid': '{% if a.image %}img{% else %}none{% endif %} {{ a.alt | default: "-" }}' });
    expect(await engine(root).render('x.txt.liquid', { a: {} })).toBe('none -');
  });

  it('lets a user root override a single file and keeps the rest', async () => {
    const root = userRoot({ 'email/partials/footer.txt.liquid': 'custom footer {{ unsubscribe_url }}' });
    const e = engine(root);
    expect(e.roots).toEqual([root, TEMPLATES_ROOT]);
    expect(await e.render('email/partials/footer.txt.liquid', { unsubscribe_url: 'U' })).toBe('custom footer U');
    expect(e.exists('email/digest.mjml.liquid')).toBe(true);
  });

  it('passes render data to partials and translates with the t filter', async () => {
    const root = userRoot({ 'p.txt.liquid': "{{ 'read_more' | t }} {{ site.title }}", 'main.txt.liquid': "{% render 'p.txt.liquid' %}" });
    expect(await engine(root).render('main.txt.liquid', { lang: 'zh-CN', site: { title: '站' } })).toBe('阅读全文 站');
    expect(await engine(root).render('main.txt.liquid', { lang: 'en-GB', site: { title: 'S' } })).toBe('Read more S');
  });

  it('renders string templates and names them in errors', async () => {
    const e = engine();
    expect(await e.renderString('{{ site.title }} — {{ count }}', { site: { title: 'A & B' }, count: 3 }, { label: 'subject' })).toBe('A & B — 3');
    await expect(e.renderString('{{ nope }}', {}, { label: 'subject template of email-main' })).rejects.toThrow(
      /template "subject template of email-main": undefined variable: nope/,
    );
  });
});
