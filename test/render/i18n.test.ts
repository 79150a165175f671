import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { type Catalog, I18n, loadI18n } from '../../src/render/i18n.ts';
import { TEMPLATES_ROOT } from './fixtures.ts';

const i18n = loadI18n([TEMPLATES_ROOT]);

describe('language fallback', () => {
  it.each([
    ['en', 'en'],
    ['zh-CN', 'zh-CN'],
    ['zh-cn', 'zh-CN'],
    ['zh_CN', 'zh-CN'],
    ['zh', 'zh-CN'],
    ['zh-Hans', 'zh-CN'],
    ['zh-Hans-CN', 'zh-CN'],
    ['zh-SG', 'zh-CN'],
    ['en-GB', 'en'],
    ['fr', 'en'],
    ['', 'en'],
    // Traditional Chinese must not silently get Simplified text.
    ['zh-TW', 'en'],
    ['zh-Hant-HK', 'en'],
  ])('%s → %s', (tag, expected) => {
    expect(i18n.resolve(tag)).toBe(expected);
  });

  it('uses a zh-TW catalog when one exists', () => {
    const x = new I18n(new Map([['en', { a: 'A' }], ['zh-TW', { a: '甲' }], ['zh-CN', { a: '甲CN' }]]));
    expect(x.resolve('zh-TW')).toBe('zh-TW');
    expect(x.resolve('zh-HK')).toBe('zh-TW');
    expect(x.resolve('zh')).toBe('zh-CN');
  });
});

describe('strings', () => {
  it('fills parameters and chooses plural forms', () => {
    expect(i18n.t('en', 'more_articles', { count: 1, site: 'S' })).toBe('1 more article on S');
    expect(i18n.t('en', 'more_articles', { count: 5, site: 'S' })).toBe('5 more articles on S');
    expect(i18n.t('zh-CN', 'more_articles', { count: 5, site: '站' })).toBe('站 上还有 5 篇文章');
    expect(i18n.t('en-GB', 'greeting_named', { name: 'Ada' })).toBe('Hi Ada,');
    expect(i18n.t('zh-CN', 'greeting_anonymous')).toBe('您好！');
  });

  it('joins lists with the language separator', () => {
    expect(i18n.t('en', 'topics_line', { topics: ['a', 'b'] })).toBe('Topics: a, b');
    expect(i18n.t('zh-CN', 'topics_line', { topics: ['甲', '乙'] })).toBe('主题：甲、乙');
  });

  it('every key of en exists in zh-CN', () => {
    const en = loadI18n([TEMPLATES_ROOT]);
    for (const key of ['read_more', 'unsubscribe', 'why_received', 'subject_digest', 'greeting_named', 'greeting_anonymous', 'topics_line', 'text_link', 'more_articles', 'digest_intro']) {
      expect(en.t('zh-CN', key, { count: 2 })).not.toBe(en.t('en', key, { count: 2 }));
    }
  });

  it('falls back to English per key and names a missing key', () => {
    const x = new I18n(new Map<string, Catalog>([['en', { a: 'A', b: 'B' }], ['zh-CN', { a: '甲' }]]));
    expect(x.t('zh-CN', 'b')).toBe('B');
    expect(() => x.t('zh-CN', 'nope')).toThrow(/unknown interface string "nope"/);
  });

  it('a user root overrides single keys', () => {
    const dir = mkdtempSync(join(tmpdir(), 'herald-i18n-'));
    mkdirSync(join(dir, 'i18n'));
    writeFileSync(join(dir, 'i18n', 'en.yaml'), 'read_more: Continue reading →\n');
    const x = loadI18n([TEMPLATES_ROOT, dir]);
    expect(x.t('en', 'read_more')).toBe('Continue reading →');
    expect(x.t('en', 'unsubscribe')).toBe('Unsubscribe');
  });

  it('reports invalid catalogs with the file name', () => {
    const dir = mkdtempSync(join(tmpdir(), 'herald-i18n-'));
    mkdirSync(join(dir, 'i18n'));
    writeFileSync(join(dir, 'i18n', 'en.yaml'), 'read_more: [1, 2]\n');
    expect(() => loadI18n([dir])).toThrow(/en\.yaml: key "read_more"/);
  });
});
