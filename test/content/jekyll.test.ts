import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { jekyllSlugify, unknownJekyllPlaceholders } from '../../src/content/jekyll/page.ts';
import { withPermalinkSuffix } from '../../src/content/jekyll/permalink-styles.ts';
import { scanContent } from '../../src/content/scan.ts';

// Pieces of Jekyll's rules; test/content/oracle/jekyll-oracle.test.ts compares whole sites with jekyll build.
describe('Jekyll rules', () => {
  it('slugifies as Utils.slugify (default and pretty, cased)', () => {
    expect(jekyllSlugify("The _config.yml file's")).toBe('the-config-yml-file-s');
    expect(jekyllSlugify("The _config.yml file's", 'pretty', true)).toBe("The-_config.yml-file's");
    expect(jekyllSlugify('中文 标题!', 'pretty', true)).toBe('中文-标题!');
  });

  it('ends a collection template as the site style does', () => {
    expect(withPermalinkSuffix('/:collection/:path', 'pretty')).toBe('/:collection/:path/');
    expect(withPermalinkSuffix('/:collection/:path', 'date')).toBe('/:collection/:path:output_ext');
    expect(withPermalinkSuffix('/:collection/:path', '/:year/:title/')).toBe('/:collection/:path/');
  });

  it('refuses a template with a placeholder Jekyll does not know, once for the site', async () => {
    expect(unknownJekyllPlaceholders('/:year/:month_:day/:nope/')).toEqual([':nope']);
    const dir = mkdtempSync(path.join(tmpdir(), 'herald-jekyll-'));
    writeFileSync(path.join(dir, '_config.yml'), '');
    const jekyll = { source: dir, permalink: '/:bogus/', collections: [], collectionsDir: '', defaults: [], exclude: [], include: [], markdownExt: ['md'] };
    const site = { title: 'T', url: 'https://e.com/', language: 'en', timezone: 'UTC' };
    await expect(scanContent({ dir, generator: 'jekyll', jekyll }, site)).rejects.toThrow('permalink "/:bogus/" has unknown placeholder :bogus');
  });
});
