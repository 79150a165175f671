import { describe, expect, it } from 'vitest';
import { describeHugoSource, HUGO_CONTENT_EXTENSIONS, hugoPagePath, hugoTranslationKey, isHiddenName, splitContentFileName } from '../../src/content/paths.ts';

const LANGS = new Set(['en', 'zh', 'zh-cn']);

describe('splitContentFileName', () => {
  it('recognises the content formats Hugo renders, case-sensitively', () => {
    expect(['a.md', 'b.markdown', 'c.mdown', 'd.html', 'e.htm', 'f.org', 'g.adoc', 'h.rst', 'i.pandoc'].map((n) => splitContentFileName(n, LANGS)?.ext)).toEqual(['md', 'markdown', 'mdown', 'html', 'htm', 'org', 'adoc', 'rst', 'pandoc']);
    expect(['a.MD', 'b.txt', 'md', '.md', 'c.mdx'].map((n) => splitContentFileName(n, LANGS))).toEqual([undefined, undefined, undefined, undefined, undefined]);
    expect(HUGO_CONTENT_EXTENSIONS.has('md')).toBe(true);
  });

  it('splits a language suffix only when it is one of the site languages', () => {
    expect(splitContentFileName('index.zh.md', LANGS)).toEqual({ baseName: 'index', language: 'zh', ext: 'md' });
    expect(splitContentFileName('post.zh-cn.md', LANGS)).toEqual({ baseName: 'post', language: 'zh-cn', ext: 'md' });
    expect(splitContentFileName('post.fr.md', LANGS)).toEqual({ baseName: 'post.fr', ext: 'md' });
    expect(splitContentFileName('post.ZH.md', LANGS)).toEqual({ baseName: 'post.ZH', ext: 'md' });
    expect(splitContentFileName('_index.zh.md', LANGS)).toEqual({ baseName: '_index', language: 'zh', ext: 'md' });
  });
});

describe('describeHugoSource', () => {
  it('describes a plain page: the first folder is the section', () => {
    expect(describeHugoSource('posts/2025/hello.md', 'en', LANGS)).toEqual({
      file: 'posts/2025/hello.md', language: 'en', dir: 'posts/2025', baseName: 'hello', ext: 'md', bundle: false, section: 'posts', sections: ['posts'], autoSection: true,
    });
  });

  it('names a leaf bundle after its folder; a root bundle has no section', () => {
    const b = describeHugoSource('posts/my-trip/index.zh.md', 'en', LANGS);
    expect(b).toMatchObject({ language: 'zh', dir: 'posts/my-trip', baseName: 'index', bundle: true, section: 'posts' });
    expect(hugoPagePath(b)).toBe('posts/my-trip');
    expect(hugoTranslationKey(b)).toBe('page/posts/my-trip/index');
    expect(describeHugoSource('my-trip/index.markdown', 'en', LANGS)).toMatchObject({ bundle: true, section: '', sections: [] });
  });

  it('keeps root files in the home section, normalising separators', () => {
    expect(describeHugoSource('about.markdown', 'en')).toMatchObject({ dir: '', baseName: 'about', section: '', sections: [] });
    expect(describeHugoSource('.\\posts\\win.md', 'en')).toMatchObject({ file: 'posts/win.md', dir: 'posts', section: 'posts' });
    expect(hugoTranslationKey(describeHugoSource('posts/a.md', 'en'), 'shared')).toBe('page/shared');
  });
});

describe('isHiddenName', () => {
  it('hides what Hugo never reads (and node_modules)', () => {
    expect(['.git', '.draft.md', '#scratch.md', 'notes.md~', 'node_modules', '_foo.md', 'a.md'].map(isHiddenName)).toEqual([true, true, true, true, true, false, false]);
  });
});
