import { describe, expect, it } from 'vitest';
import { ArticleParseError } from '../../src/content/errors.ts';
import { readFrontMatter } from '../../src/content/front-matter.ts';

function reason(text: string): string {
  try {
    readFrontMatter(text);
  } catch (err) {
    expect(err).toBeInstanceOf(ArticleParseError);
    return (err as ArticleParseError).reason;
  }
  throw new Error('expected readFrontMatter to throw');
}

describe('readFrontMatter', () => {
  it('reads YAML and keeps timestamps as strings (no UTC Date objects)', () => {
    const fm = readFrontMatter('---\ntitle: Hi\ndate: 2025-07-02 10:00\nupdated: 2025-07-02T00:40:05+08:00\ndraft: false\n---\nBody\n');
    expect(fm).toEqual({
      format: 'yaml',
      data: { title: 'Hi', date: '2025-07-02 10:00', updated: '2025-07-02T00:40:05+08:00', draft: false },
      body: 'Body\n',
    });
  });

  it('accepts ---yaml, CRLF line endings and an empty block', () => {
    expect(readFrontMatter('---yaml\ntitle: A\n---\nB').data).toEqual({ title: 'A' });
    const crlf = readFrontMatter('---\r\ntitle: A\r\n---\r\nBody\r\n');
    expect(crlf.data).toEqual({ title: 'A' });
    expect(crlf.body).toBe('Body\n');
    expect(readFrontMatter('---\n---\nBody')).toEqual({ format: 'yaml', data: {}, body: 'Body' });
  });

  it('reads +++ TOML (Hugo) and ---toml', () => {
    const fm = readFrontMatter('+++\ntitle = "T"\ntags = ["a"]\n+++\nBody');
    expect(fm.format).toBe('toml');
    expect(fm.data).toMatchObject({ title: 'T', tags: ['a'] });
    expect(fm.body).toBe('Body');
    expect(readFrontMatter('---toml\ntitle = "T2"\n---\n').data).toMatchObject({ title: 'T2' });
  });

  it("reads ---json (gray-matter) and Hugo's bare JSON object", () => {
    expect(readFrontMatter('---json\n{"title": "J"}\n---\nBody')).toEqual({ format: 'json', data: { title: 'J' }, body: 'Body' });
    const bare = readFrontMatter('{\n  "title": "brace } in \\" string {",\n  "nested": {"a": [1, {"b": 2}]}\n}\nBody {not json}\n');
    expect(bare).toEqual({ format: 'json', data: { title: 'brace } in " string {', nested: { a: [1, { b: 2 }] } }, body: 'Body {not json}\n' });
  });

  it('reports YAML errors with the file line number', () => {
    expect(reason('---\ntitle: A\ntags: [one, two\nsummary: x\n---\n')).toMatch(/^front matter: invalid YAML at line 4, column 1: /);
    expect(reason('---\ntitle: A\ntitle: B\n---\n')).toBe('front matter: invalid YAML at line 3, column 1: Map keys must be unique');
  });

  it('reports TOML errors with the file line number', () => {
    expect(reason('+++\ntitle = "A"\ndate = \n+++\n')).toBe('front matter: invalid TOML at line 3, column 8: invalid value');
  });

  it('reports JSON errors with a line number when the parser gives a position', () => {
    expect(reason('---json\n{"title": "a"\n "x": 1}\n---\n')).toBe(
      "front matter: invalid JSON at line 3, column 2: Expected ',' or '}' after property value",
    );
    expect(reason('{\n  "title": "a",\n  "date": \n}\nBody')).toMatch(/^front matter: invalid JSON/);
    expect(reason('{\n  "title": "never closed"\n')).toBe('front matter: the JSON object that starts on line 1 is never closed (missing "}")');
  });

  it('rejects a missing closing delimiter instead of parsing the body as YAML', () => {
    expect(reason('---\ntitle: A\n\nBody text: with a colon\n')).toBe('front matter: the opening "---" on line 1 has no closing "---" line');
    expect(reason('+++\ntitle = "A"\n')).toBe('front matter: the opening "+++" on line 1 has no closing "+++" line');
    expect(reason('---\ntitle: A\n--- trailing\n')).toBe('front matter: line 3 starts with "---" but is not a closing "---" line (nothing else may follow it)');
  });

  it('rejects files without front matter, unknown languages and non-mapping blocks', () => {
    expect(reason('# Title\n\ntext')).toBe('no front matter: expected the file to start with "---" (YAML), "+++" (TOML) or "{" (JSON) on line 1');
    expect(reason('----\ntitle: a\n----\n')).toMatch(/^no front matter/);
    expect(reason('---coffee\ntitle: a\n---\n')).toBe('front matter: unsupported language "coffee" after "---" on line 1, expected yaml, toml or json');
    expect(reason('---\n- a\n- b\n---\n')).toBe('front matter: the YAML block is a list, expected a mapping of keys to values');
    expect(reason('---\njust a string\n---\n')).toBe('front matter: the YAML block is a string, expected a mapping of keys to values');
  });
});
