import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { readFrontMatter, readHugoFrontMatter } from '../../src/content/front-matter.ts';
import { decodeSourceText } from '../../src/content/source-text.ts';

const FIXTURES = fileURLToPath(new URL('../fixtures/', import.meta.url));

/** Both readings of the same bytes: the value, or the error's message. */
function both(bytes: Uint8Array): [unknown, unknown] {
  const outcome = (f: () => { data: unknown; warnings: unknown; format?: unknown; body: string }) => {
    try {
      const { data, warnings, format, body } = f();
      return { data, warnings, format, body };
    } catch (e) {
      return { error: (e as Error).message };
    }
  };
  return [
    outcome(() => readFrontMatter(decodeSourceText(bytes), 'hugo')),
    outcome(() => {
      const fm = readHugoFrontMatter(bytes);
      return { ...fm, body: fm.body() };
    }),
  ];
}

function files(dir: string): string[] {
  return readdirSync(dir).flatMap((n) => {
    const p = join(dir, n);
    return statSync(p).isDirectory() ? files(p) : /\.(md|markdown|html?)$/.test(n) ? [p] : [];
  });
}

const filler = (n: number) => `${'正文段落，用于填充。'.repeat(Math.ceil(n / 30))}\n`.slice(0, n);

describe('readHugoFrontMatter (bytes, body decoded on demand)', () => {
  it('reads every fixture file as readFrontMatter does', () => {
    const all = files(FIXTURES);
    expect(all.length).toBeGreaterThan(20);
    for (const f of all) {
      const [whole, split] = both(readFileSync(f));
      expect(split, f).toEqual(whole);
    }
  });

  it('reads long files the same, wherever the block ends and whatever the line endings', () => {
    const cases: string[] = [
      `---\ntitle: "长文"\nsummary: "摘要"\n---\n\n${filler(20_000)}`,
      `\uFEFF---\r\ntitle: CRLF\r\n---\r\n${filler(9000).replace(/\n/g, '\r\n')}\r\nend\r\n`,
      `\n\n  +++\ntitle = "TOML"\n+++\n${filler(12_000)}`,
      // The block closes after the first 8 KB: the whole file is read.
      `---\ntitle: late\nnotes: "${'x'.repeat(9000)}"\n---\nbody ${filler(3000)}`,
      // Closing line right at the cut (the first kilobyte, then 8 KB).
      ...[990, 1000, 1004, 1010, 1020, 1030].map((n) => `---\ntitle: edge\nx: "${'y'.repeat(n)}"\n---\n${filler(3000)}`),
      `---\ntitle: 中文\nx: "${'字'.repeat(330)}"\n---\n${filler(3000)}`,
      // A line starting "---" inside the first kilobyte ends the block there, as in Hugo.
      `---\ntitle: a\n---not the end?\nx: "${'y'.repeat(2000)}"\n---\n${filler(3000)}`,
      `\n${' '.repeat(1500)}\n---\ntitle: far\n---\n${filler(3000)}`,
      `---\ntitle: edge\nx: "${'y'.repeat(8170)}"\n---\n${filler(500)}`,
      `---\ntitle: edge\nx: "${'y'.repeat(8180)}"\n---\n${filler(500)}`,
      `---yaml\ntitle: tagged\n---\n${filler(10_000)}`,
      `---\ntitle: [unclosed\n---\n${filler(10_000)}`,
      `--- \ntitle: a\n----\n${filler(10_000)}`,
      `{\n"title": "json"\n}\n${filler(10_000)}`,
      `#+TITLE: org\n${filler(10_000)}`,
      `no front matter at all\n${filler(10_000)}`,
      `---\ntitle: never closed\n${filler(10_000)}`,
    ];
    for (const text of cases) {
      const [whole, split] = both(Buffer.from(text));
      expect(split, text.slice(0, 40)).toEqual(whole);
    }
  });

  it('still rejects a bad byte after the part it reads first', () => {
    const head = Buffer.from(`---\ntitle: ok\nsummary: s\n---\n${filler(10_000)}`);
    for (const bad of [Buffer.from([0xc3, 0x28]), Buffer.from([0])]) {
      const [whole, split] = both(Buffer.concat([head, bad, Buffer.from('\nmore\n')]));
      expect((whole as { error?: string }).error).toBeDefined();
      expect(split).toEqual(whole);
    }
  });
});
