import { describe, expect, it } from 'vitest';
import { describeSourcePath, isListPage, isMarkdownFile } from '../../src/content/paths.ts';

describe('describeSourcePath', () => {
  it('describes a plain page in a section', () => {
    expect(describeSourcePath('posts/2025/hello.md')).toEqual({
      file: 'posts/2025/hello.md', pagePath: 'posts/2025/hello', filename: 'hello', section: 'posts', sections: 'posts/2025', bundle: false,
    });
  });

  it('names a leaf bundle after its folder', () => {
    expect(describeSourcePath('posts/my-trip/index.md')).toEqual({
      file: 'posts/my-trip/index.md', pagePath: 'posts/my-trip', filename: 'my-trip', section: 'posts', sections: 'posts', bundle: true,
    });
  });

  it('treats a root-level bundle as a page, not a section', () => {
    expect(describeSourcePath('my-trip/index.markdown')).toMatchObject({ pagePath: 'my-trip', filename: 'my-trip', section: '', bundle: true });
  });

  it('keeps root files and a root index.md as plain pages, normalising separators', () => {
    expect(describeSourcePath('about.markdown')).toMatchObject({ pagePath: 'about', filename: 'about', section: '', bundle: false });
    expect(describeSourcePath('index.md')).toMatchObject({ pagePath: 'index', section: '', bundle: false });
    expect(describeSourcePath('.\\posts\\win.md')).toMatchObject({ file: 'posts/win.md', pagePath: 'posts/win', section: 'posts' });
  });
});

describe('file kinds', () => {
  it('recognises markdown and list pages', () => {
    expect(['a.md', 'b.MARKDOWN', 'c.Md'].map(isMarkdownFile)).toEqual([true, true, true]);
    expect(['a.mdx', 'b.txt', 'md'].map(isMarkdownFile)).toEqual([false, false, false]);
    expect(isListPage('posts/_index.md')).toBe(true);
    expect(isListPage('_index.markdown')).toBe(true);
    expect(isListPage('posts/index.md')).toBe(false);
  });
});
