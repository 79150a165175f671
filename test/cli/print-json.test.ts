import { describe, expect, it } from 'vitest';
import { printJsonArray } from '../../src/cli/print-json.ts';

function printed(rows: unknown[]): string {
  let out = '';
  printJsonArray(rows, (t) => (out += t));
  return out;
}

describe('printJsonArray', () => {
  it('prints what console.log(JSON.stringify(rows, null, 2)) prints, slice by slice', () => {
    const row = (i: number) => ({
      id: `posts/文章-${i}`,
      title: i % 7 === 0 ? 'two\nlines "quoted" \\ and\ttab' : `Article ${i}`,
      date: new Date(Date.UTC(2026, 0, 1, 0, 0, i)),
      topics: i % 3 === 0 ? [] : ['安全与地缘政治', 'News'],
      channels: i % 5 === 0 ? {} : { news: { state: 'sent', sent: i, nested: [[1, [2]], { a: null }] } },
      gone: undefined,
    });
    const cases: unknown[][] = [
      [],
      [1],
      [undefined, () => 1, null, 'x', [], {}],
      Array.from({ length: 255 }, (_, i) => row(i)),
      Array.from({ length: 256 }, (_, i) => row(i)),
      Array.from({ length: 1000 }, (_, i) => row(i)),
    ];
    for (const rows of cases) expect(printed(rows)).toBe(`${JSON.stringify(rows, null, 2)}\n`);
  });

  it('writes a long list in several writes, none holding the whole text', () => {
    const writes: string[] = [];
    const rows = Array.from({ length: 2000 }, (_, i) => ({ i, text: 'x'.repeat(100) }));
    printJsonArray(rows, (t) => writes.push(t));
    expect(writes.length).toBeGreaterThan(5);
    const whole = writes.join('');
    expect(Math.max(...writes.map((w) => w.length))).toBeLessThan(whole.length / 4);
  });
});
