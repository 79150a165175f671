import { describe, expect, it } from 'vitest';
import { ArticleParseError } from '../../src/content/errors.ts';
import { readFrontMatter, YamlTimestamp } from '../../src/content/front-matter.ts';

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
  it('reads YAML as Go reads YAML 1.1, keeping timestamps as strings (no UTC Date objects)', () => {
    const fm = readFrontMatter('---\ntitle: Hi\ndate: 2025-07-02 10:00\nupdated: 2025-07-02T00:40:05+08:00\ndraft: no\nnum: 010\n---\nBody\n');
    expect(fm).toEqual({
      format: 'yaml',
      data: { title: 'Hi', date: '2025-07-02 10:00', updated: '2025-07-02T00:40:05+08:00', draft: false, num: 8 },
      body: 'Body\n',
      warnings: [],
    });
  });

  it('accepts ---yaml, CRLF line endings and an empty block', () => {
    expect(readFrontMatter('---yaml\ntitle: A\n---\nB').data).toEqual({ title: 'A' });
    const crlf = readFrontMatter('---\r\ntitle: A\r\n---\r\nBody\r\n');
    expect(crlf.data).toEqual({ title: 'A' });
    expect(crlf.body).toBe('Body\n');
    expect(readFrontMatter('---\n---\nBody')).toEqual({ format: 'yaml', data: {}, body: 'Body', warnings: [] });
  });

  it('skips blank lines and spaces before the delimiter, as Hugo does; a closing line may carry more', () => {
    expect(readFrontMatter('\n\n  \n---\ntitle: A\n---x\nBody')).toEqual({ format: 'yaml', data: { title: 'A' }, body: 'x\nBody', warnings: [] });
  });

  it('reads +++ TOML (Hugo) and ---toml', () => {
    const fm = readFrontMatter('+++\ntitle = "T"\ntags = ["a"]\n+++\nBody');
    expect(fm.format).toBe('toml');
    expect(fm.data).toMatchObject({ title: 'T', tags: ['a'] });
    expect(fm.body).toBe('Body');
    expect(readFrontMatter('---toml\ntitle = "T2"\n---\n').data).toMatchObject({ title: 'T2' });
    expect(readFrontMatter('\n\n+++\ntitle = "after blank lines"\n+++\n').data).toEqual({ title: 'after blank lines' });
  });

  it("reads ---json and Hugo's bare JSON object", () => {
    expect(readFrontMatter('---json\n{"title": "J"}\n---\nBody')).toEqual({ format: 'json', data: { title: 'J' }, body: 'Body', warnings: [] });
    const bare = readFrontMatter('{\n  "title": "brace } in \\" string {",\n  "nested": {"a": [1, {"b": 2}]}\n}\nBody {not json}\n');
    expect(bare).toEqual({ format: 'json', data: { title: 'brace } in " string {', nested: { a: [1, { b: 2 }] } }, body: 'Body {not json}\n', warnings: [] });
  });

  it('reads Org mode keywords', () => {
    expect(readFrontMatter('#+TITLE: Org post\n#+DATE: 2025-01-02\n#+TAGS: a b\n\nText\n')).toEqual({
      format: 'org',
      data: { title: 'Org post', date: '2025-01-02', tags: ['a', 'b'] },
      body: '\nText\n',
      warnings: [],
    });
  });

  it('takes the later of a duplicate key, with a warning naming the file line', () => {
    const fm = readFrontMatter('\n---\ntitle: A\ndate: 2025-01-01\ntitle: B\n---\n');
    expect(fm.data).toEqual({ title: 'B', date: '2025-01-01' });
    expect(fm.warnings).toEqual([{ line: 5, message: 'key "title" is given twice; the later value is used, as Hugo does' }]);
  });

  it('reads a quoted value continued at column 0, with a warning naming the line where it starts', () => {
    const fm = readFrontMatter('---\ntitle: "A long\ntitle \\"quoted\\"\n  here"\nsummary: \'it\'\'s\nfine\'\ndate: 2025-01-01\n---\n');
    expect(fm.data).toEqual({ title: 'A long title "quoted" here', summary: "it's fine", date: '2025-01-01' });
    expect(fm.warnings.map((w) => w.line)).toEqual([2, 5]);
    expect(fm.warnings[0]?.message).toMatch(/^the quoted value of "title" continues on the next line at column 0/);
  });

  it('reports YAML errors it cannot read leniently with the file line number', () => {
    expect(reason('---\ntitle: A\ntags: [one, two\nsummary: x\n---\n')).toMatch(/^front matter: invalid YAML at line 4, column 1: /);
    expect(reason('\n\n---\ntitle: A\n\tdate: x\n---\n')).toMatch(/^front matter: invalid YAML at line 5, column 1: Tabs are not allowed/);
  });

  it('reports TOML errors with the file line number', () => {
    expect(reason('+++\ntitle = "A"\ndate = \n+++\n')).toBe('front matter: invalid TOML at line 3, column 8: invalid value');
  });

  it('reports JSON errors with a line number when the parser gives a position', () => {
    expect(reason('---json\n{"title": "a"\n "x": 1}\n---\n')).toBe("front matter: invalid JSON at line 3, column 2: Expected ',' or '}' after property value");
    expect(reason('{\n  "title": "a",\n  "date": \n}\nBody')).toMatch(/^front matter: invalid JSON/);
    expect(reason('{\n  "title": "never closed"\n')).toBe('front matter: the JSON object that starts on line 1 is never closed (missing "}")');
  });

  it('rejects a missing closing delimiter instead of parsing the body as YAML; a line starting with --- closes the block', () => {
    expect(reason('---\ntitle: A\n\nBody text: with a colon\n')).toBe('front matter: the opening "---" on line 1 has no closing "---" line');
    expect(reason('+++\ntitle = "A"\n')).toBe('front matter: the opening "+++" on line 1 has no closing "+++" line');
    expect(readFrontMatter('---\ntitle: A\n--- trailing\nBody')).toEqual({ format: 'yaml', data: { title: 'A' }, body: ' trailing\nBody', warnings: [] });
  });

  it('has no front matter without a delimiter; rejects an unknown language, a broken delimiter and non-mapping blocks', () => {
    expect(readFrontMatter('# Title\n\ntext')).toEqual({ data: {}, body: '# Title\n\ntext', warnings: [] });
    expect(reason('-- a list item\n')).toBe('front matter: line 1 starts with "-" but not with "---" (Hugo stops here too)');
    expect(reason('---coffee\ntitle: a\n---\n')).toBe('front matter: unsupported language "coffee" after "---" on line 1, expected yaml, toml or json');
    expect(reason('---\n- a\n- b\n---\n')).toBe('front matter: the YAML block is a list, expected a mapping of keys to values');
    expect(reason('---\njust a string\n---\n')).toBe('front matter: the YAML block is a string, expected a mapping of keys to values');
  });

  it("follows Jekyll's rules in the Jekyll dialect: --- on line 1, closed by --- or ..., unquoted timestamps as Psych sees them", () => {
    expect(readFrontMatter('\n---\ntitle: A\n---\n', 'jekyll')).toEqual({ data: {}, body: '\n---\ntitle: A\n---\n', warnings: [] });
    const fm = readFrontMatter('---\ntitle: A\ndate: 2025-01-01 10:00:00\nquoted: "2025-01-01 10:00:00"\n...\nBody', 'jekyll');
    expect(fm.body).toBe('Body');
    expect(fm.data.date).toEqual(new YamlTimestamp('2025-01-01 10:00:00'));
    expect((fm.data.date as YamlTimestamp).utc).toBe(true);
    expect(fm.data.quoted).toBe('2025-01-01 10:00:00');
    expect(new YamlTimestamp('2025-01-01 10:00:00 +08:00').utc).toBe(false);
    expect(new YamlTimestamp('2025-01-01').utc).toBe(false);
  });
});
