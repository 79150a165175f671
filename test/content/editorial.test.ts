/**
 * Herald's own front matter (`breaking`, `herald: { skip, only, pin, embargo }`), read the
 * same way from Hugo and Jekyll sites.
 */
import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { scanContent } from '../../src/content/scan.ts';

const site = { title: 'T', url: 'https://e.com/', language: 'en', timezone: 'UTC' };
const FRONT = `breaking: true
herald:
  skip: [tg]
  only: dc
  pin: true
  embargo: 2025-07-03 08:00
  sikp: [oops]
`;

function write(dir: string, rel: string, text: string): void {
  mkdirSync(path.dirname(path.join(dir, rel)), { recursive: true });
  writeFileSync(path.join(dir, rel), text);
}

describe('editorial front matter', () => {
  it('Hugo: breaking, skip, only, pin and embargo (in the site zone); an unknown key is a warning naming the file', async () => {
    const dir = mkdtempSync(path.join(tmpdir(), 'herald-ed-'));
    write(dir, 'posts/a.md', `---\ntitle: A\ndate: 2025-07-02T08:00:00Z\n${FRONT}---\nBody.\n`);
    write(dir, 'posts/b.md', '---\ntitle: B\ndate: 2025-07-02T08:00:00Z\nherald: yes\n---\nBody.\n');
    write(dir, 'posts/c.md', '---\ntitle: C\ndate: 2025-07-02T08:00:00Z\n---\nBody.\n');
    const r = await scanContent({ dir, permalink: '/:section/:slug/' }, site);
    const a = r.articles.find((x) => x.id === 'posts/a');
    expect(a?.breaking).toBe(true);
    expect(a?.herald).toEqual({ skip: ['tg'], only: ['dc'], pin: true, embargo: '2025-07-03T08:00:00.000Z' });
    expect(r.warnings).toContainEqual({ file: 'posts/a.md', message: expect.stringContaining('unknown key(s) under "herald": sikp') });
    expect(r.problems).toEqual([{ file: 'posts/b.md', reason: expect.stringContaining('"herald" is true, expected a mapping') }]);
    const c = r.articles.find((x) => x.id === 'posts/c');
    expect(c && 'herald' in c).toBe(false);
    expect(c && 'breaking' in c).toBe(false);
  });

  it('Jekyll: the same fields', async () => {
    const dir = mkdtempSync(path.join(tmpdir(), 'herald-ed-j-'));
    write(dir, '_config.yml', '');
    write(dir, '_posts/2025-07-02-a.md', `---\ntitle: A\n${FRONT}---\nBody.\n`);
    const jekyll = { source: dir, permalink: '/:year/:title/', collections: [], collectionsDir: '', defaults: [], exclude: [], include: [], markdownExt: ['md'] };
    const r = await scanContent({ dir, generator: 'jekyll', jekyll } as never, site);
    expect(r.articles).toHaveLength(1);
    expect(r.articles[0]?.breaking).toBe(true);
    expect(r.articles[0]?.herald).toEqual({ skip: ['tg'], only: ['dc'], pin: true, embargo: '2025-07-03T08:00:00.000Z' });
    expect(r.warnings.map((w) => w.file)).toEqual(['_posts/2025-07-02-a.md']);
  });
});
