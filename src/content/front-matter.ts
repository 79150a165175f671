import matter from 'gray-matter';
import { parse as parseToml, TomlError } from 'smol-toml';
import { parse as parseYaml, YAMLError } from 'yaml';
import { ArticleParseError } from './errors.ts';

export type FrontMatterFormat = 'yaml' | 'toml' | 'json';

export interface FrontMatter {
  format: FrontMatterFormat;
  data: Record<string, unknown>;
  /** Markdown after the front matter. */
  body: string;
}

/** Syntax error inside a front matter block; `line` counts from the block's first line (which is the file's line 1). */
class BlockSyntaxError extends Error {
  constructor(
    readonly format: FrontMatterFormat,
    readonly detail: string,
    readonly line?: number,
    readonly column?: number,
  ) {
    super(detail);
  }
}

const FORMAT_NAMES: Record<FrontMatterFormat, string> = { yaml: 'YAML', toml: 'TOML', json: 'JSON' };

/**
 * Splits a markdown file into front matter and body. Accepts `---` YAML
 * (also `---yaml`, `---toml`, `---json`), `+++` TOML and Hugo's bare `{ … }`
 * JSON object. Throws ArticleParseError with the file line of a syntax error.
 */
export function readFrontMatter(source: string): FrontMatter {
  // gray-matter splits on "\n---", leaving a lone "\r" that YAML keeps in the last value.
  const text = source.replace(/\r\n?/g, '\n');
  const firstLine = text.split('\n', 1)[0] ?? '';
  if (firstLine.trimEnd() === '+++') return readDelimited(text, '+++', 'toml');
  if (firstLine.startsWith('---') && !firstLine.startsWith('----')) {
    const lang = firstLine.slice(3).trim().toLowerCase();
    if (lang === '' || lang === 'yaml' || lang === 'yml') return readDelimited(text, '---', 'yaml');
    if (lang === 'toml' || lang === 'json') return readDelimited(text, '---', lang);
    throw new ArticleParseError(`front matter: unsupported language "${firstLine.slice(3).trim()}" after "---" on line 1, expected yaml, toml or json`);
  }
  if (text.startsWith('{')) return readBareJson(text);
  throw new ArticleParseError('no front matter: expected the file to start with "---" (YAML), "+++" (TOML) or "{" (JSON) on line 1');
}

function readDelimited(text: string, delimiter: string, format: FrontMatterFormat): FrontMatter {
  assertClosed(text, delimiter);
  let file: { data: unknown; content: string };
  try {
    // gray-matter only reads the blocks; every parser is ours, so YAML keeps
    // timestamps as strings and offset-less dates can be read in the site zone.
    file = matter(text, {
      delimiters: delimiter,
      language: format,
      engines: {
        yaml: (s: string) => parseYamlBlock(s) as object,
        yml: (s: string) => parseYamlBlock(s) as object,
        toml: (s: string) => parseTomlBlock(s) as object,
        json: (s: string) => parseJsonBlock(s) as object,
      },
    });
  } catch (err) {
    throw toParseError(err, format);
  }
  return { format, data: asRecord(file.data, format), body: file.content };
}

/**
 * gray-matter treats a missing closing delimiter as "the whole file is front
 * matter", which turns a forgotten line into a baffling YAML error on the body.
 */
function assertClosed(text: string, delimiter: string): void {
  const lines = text.split('\n');
  for (let i = 1; i < lines.length; i++) {
    const line = lines[i] as string;
    if (!line.startsWith(delimiter)) continue;
    if (line.trimEnd() === delimiter) return;
    throw new ArticleParseError(`front matter: line ${i + 1} starts with "${delimiter}" but is not a closing "${delimiter}" line (nothing else may follow it)`);
  }
  throw new ArticleParseError(`front matter: the opening "${delimiter}" on line 1 has no closing "${delimiter}" line`);
}

function readBareJson(text: string): FrontMatter {
  const end = findJsonObjectEnd(text);
  if (end === -1) throw new ArticleParseError('front matter: the JSON object that starts on line 1 is never closed (missing "}")');
  let data: unknown;
  try {
    data = parseJsonBlock(text.slice(0, end));
  } catch (err) {
    throw toParseError(err, 'json');
  }
  const body = text.slice(end).replace(/^[ \t]*\n/, '');
  return { format: 'json', data: asRecord(data, 'json'), body };
}

/** Index just past the `}` that closes the object opened at index 0, or -1. */
function findJsonObjectEnd(text: string): number {
  let depth = 0;
  let inString = false;
  for (let i = 0; i < text.length; i++) {
    const c = text[i];
    if (inString) {
      if (c === '\\') i++;
      else if (c === '"') inString = false;
    } else if (c === '"') inString = true;
    else if (c === '{' || c === '[') depth++;
    else if (c === '}' || c === ']') {
      depth--;
      if (depth === 0) return i + 1;
    }
  }
  return -1;
}

function parseYamlBlock(s: string): unknown {
  try {
    // The core schema (YAML 1.2) has no timestamp type, so dates stay strings.
    return parseYaml(s, { schema: 'core', merge: true, uniqueKeys: true, logLevel: 'error', prettyErrors: true });
  } catch (err) {
    if (err instanceof YAMLError) {
      const pos = err.linePos?.[0];
      const detail = (err.message.split('\n')[0] ?? err.message).replace(/ at line \d+, column \d+:?$/, '');
      throw new BlockSyntaxError('yaml', detail, pos?.line, pos?.col);
    }
    throw err;
  }
}

function parseTomlBlock(s: string): unknown {
  try {
    return parseToml(s);
  } catch (err) {
    if (err instanceof TomlError) {
      const detail = (err.message.split('\n')[0] ?? err.message).replace(/^Invalid TOML document:\s*/, '');
      throw new BlockSyntaxError('toml', detail, err.line, err.column);
    }
    throw err;
  }
}

function parseJsonBlock(s: string): unknown {
  try {
    return JSON.parse(s);
  } catch (err) {
    if (!(err instanceof SyntaxError)) throw err;
    // V8 names a position for some errors only; turn it into a line number.
    const position = /at position (\d+)/.exec(err.message);
    let line: number | undefined;
    let column: number | undefined;
    if (position) {
      const before = s.slice(0, Number(position[1]));
      line = before.split('\n').length;
      column = before.length - before.lastIndexOf('\n');
    }
    const detail = err.message
      .replace(/, (?:\.\.\.)?".*" is not valid JSON$/s, '')
      .replace(/ in JSON at position \d+.*$/s, '')
      .replace(/ \(line \d+ column \d+\)$/, '');
    throw new BlockSyntaxError('json', detail, line, column);
  }
}

function toParseError(err: unknown, format: FrontMatterFormat): ArticleParseError {
  if (err instanceof ArticleParseError) return err;
  if (err instanceof BlockSyntaxError) {
    const where = err.line === undefined ? '' : ` at line ${err.line}${err.column === undefined ? '' : `, column ${err.column}`}`;
    return new ArticleParseError(`front matter: invalid ${FORMAT_NAMES[err.format]}${where}: ${err.detail}`);
  }
  const message = err instanceof Error ? err.message : String(err);
  return new ArticleParseError(`front matter: invalid ${FORMAT_NAMES[format]}: ${message}`);
}

function asRecord(data: unknown, format: FrontMatterFormat): Record<string, unknown> {
  if (data === null || data === undefined) return {};
  if (typeof data === 'object' && !Array.isArray(data) && !(data instanceof Date)) return data as Record<string, unknown>;
  const kind = Array.isArray(data) ? 'a list' : `a ${typeof data}`;
  throw new ArticleParseError(`front matter: the ${FORMAT_NAMES[format]} block is ${kind}, expected a mapping of keys to values`);
}
