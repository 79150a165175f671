import { mkdtempSync, readdirSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseDocument } from 'yaml';
import { describe, expect, it } from 'vitest';
import { generateHugoSite } from '../../bench/site.ts';
import { YAML_OPTIONS } from '../../src/content/front-matter.ts';
import { readSimpleYaml } from '../../src/content/simple-yaml.ts';

/** What the library gives (the strict parse Herald starts with), or its first error. */
function library(block: string): unknown {
  const doc = parseDocument(block, { ...YAML_OPTIONS, uniqueKeys: true });
  return doc.errors.length > 0 ? { error: doc.errors[0]?.code } : doc.toJS();
}

function files(dir: string): string[] {
  return readdirSync(dir).flatMap((n) => {
    const p = join(dir, n);
    return statSync(p).isDirectory() ? files(p) : p.endsWith('.md') ? [p] : [];
  });
}

describe('readSimpleYaml', () => {
  it('reads what the library reads for every YAML front matter of a generated site', () => {
    const dir = mkdtempSync(join(tmpdir(), 'herald-simple-yaml-'));
    try {
      generateHugoSite(dir, 150);
      let simple = 0;
      for (const f of files(join(dir, 'content'))) {
        const text = readFileSync(f, 'utf8');
        if (!text.startsWith('---\n')) continue;
        const block = text.slice(4, text.indexOf('\n---', 3));
        const value = readSimpleYaml(block);
        expect(value).toBeDefined();
        expect(value).toStrictEqual(library(block));
        simple++;
      }
      expect(simple).toBeGreaterThan(100);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('reads each simple form exactly as the library does', () => {
    const blocks = [
      'title: "Hello: world # not a comment"\ndate: 2025-07-02T00:40:05+08:00',
      'title: 中文标题\ntags: [算力与芯片, Open models, "quoted: yes"]',
      'tags: ["a", b, "", Policy]\ncategories: []',
      'draft: true\nfeatured: false\nweight: 10\nzero: 0',
      'date: 2025-07-02\nlastmod: 2025-07-02T08:00:00Z\npublishDate: 2025-07-02T08:00:00-05:30',
      'title: Open models',
      'series: [One Two, Three]',
      'title: Café au lait',
      'title: "tab\there"',
    ];
    for (const block of blocks) {
      const value = readSimpleYaml(block);
      expect(value, block).toBeDefined();
      expect(value, block).toStrictEqual(library(block));
    }
    expect(readSimpleYaml(blocks[0] as string)).toStrictEqual({ title: 'Hello: world # not a comment', date: '2025-07-02T00:40:05+08:00' });
    expect(readSimpleYaml(blocks[3] as string)).toStrictEqual({ draft: true, featured: false, weight: 10, zero: 0 });
  });

  it('leaves everything else to the library', () => {
    const others = [
      '',
      'title: yes',
      'title: No',
      'draft: on',
      'draft: True',
      'tags: [y, n]',
      'nothing: null',
      'nothing: ~',
      'nothing:',
      'title: "escaped \\" quote"',
      "title: 'single'",
      'title: plain # comment',
      'title: trailing ',
      'title:  two spaces',
      'weight: 010',
      'weight: 1_000',
      'time: 1:20',
      'ratio: 1.5',
      'tags: [a, [b]]',
      'tags: [a, b, ]',
      'tags: ["a, b"]',
      'tags:\n  - a\n  - b',
      'author:\n  name: Ann',
      'title: A\ntitle: B',
      'yes: 1',
      '__proto__: x',
      '<<: {a: 1}',
      '# comment\ntitle: A',
      'title: A\n\nlater: B',
      '  title: A',
      'date: 2025-07-02 08:00:00',
    ];
    for (const block of others) expect(readSimpleYaml(block), block).toBeUndefined();
  });
});
