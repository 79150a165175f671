import { parse as parseToml, TomlError } from 'smol-toml';
import { type Document, parseDocument, type Tags, type YAMLError } from 'yaml';
import { ArticleParseError } from './errors.ts';
import { readSimpleYaml } from './simple-yaml.ts';
import { decodeSourceText, splitSourceText } from './source-text.ts';

export type FrontMatterFormat = 'yaml' | 'toml' | 'json' | 'org';

/** Whose rules find the front matter: Hugo's page lexer or Jekyll's regular expression. */
export type FrontMatterDialect = 'hugo' | 'jekyll';

export interface FrontMatterWarning {
  /** 1-based line in the file. */
  line?: number;
  message: string;
}

export interface FrontMatter {
  /** undefined: the file has no front matter (Hugo still makes it a page, without title or date). */
  format?: FrontMatterFormat;
  data: Record<string, unknown>;
  /** The content after the front matter. */
  body: string;
  /** What was accepted only because Hugo (or Jekyll) accepts it too. */
  warnings: FrontMatterWarning[];
}

/** Syntax error inside a front matter block; `line` counts from the block's first line. */
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

const FORMAT_NAMES: Record<FrontMatterFormat, string> = { yaml: 'YAML', toml: 'TOML', json: 'JSON', org: 'Org' };

/**
 * Splits a content file into front matter and body.
 *
 * Hugo's rules (its page lexer): whitespace and blank lines before the opening delimiter
 * are skipped; `---` is YAML, `+++` TOML, a bare `{ … }` JSON, `#+KEY: value` lines Org;
 * the block ends at the first line that starts with the same delimiter. Herald also reads
 * `---yaml`, `---toml` and `---json`. Jekyll's rules: `---` on the very first line, closed
 * by a line that is `---` or `...`.
 *
 * YAML is read as Go's YAML (Hugo) and Ruby's Psych (Jekyll) read it: YAML 1.1 scalars
 * (`yes`, `on`, octal `010`), timestamps kept as text; when the strict parse fails only
 * because a key is given twice or a quoted value continues at column 0, the lenient
 * reading those parsers use is taken (the later key wins) and a warning names the line.
 */
export function readFrontMatter(source: string, dialect: FrontMatterDialect = 'hugo'): FrontMatter {
  // Delimiters are found line by line; "\r" would otherwise end up in the last value.
  const text = source.replace(/\r\n?/g, '\n');
  return dialect === 'jekyll' ? readJekyll(text) : readHugo(text);
}

/**
 * Bytes of a Hugo file decoded before its front matter is read: only its start, when that holds
 * the block; the first kilobyte is tried first (most blocks are a few hundred bytes, and decoding
 * 8 KB of CJK text a page cost more than reading its front matter).
 */
const HEAD_BYTES = [1024, 8192];

/**
 * readFrontMatter(decodeSourceText(bytes), 'hugo'), with the body decoded only when asked
 * for: a page whose front matter gives its summary never needs it, and decoding 30 KB of
 * CJK text cost a fifth of parsing the page. When the file starts with a `---` or `+++`
 * block closed in its first HEAD_BYTES, that start decides everything but the body (the
 * block ends at its first closing line); otherwise the whole file is read as before.
 */
export function readHugoFrontMatter(bytes: Uint8Array): Omit<FrontMatter, 'body'> & { body: () => string } {
  for (const headBytes of HEAD_BYTES) {
    const split = splitSourceText(bytes, headBytes);
    if (!split) break; // the file is no longer than that: read whole
    const head = split.head.replace(/\r\n?/g, '\n');
    const rest = head.slice((/^\s*/.exec(head)?.[0] ?? '').length);
    const delimiter = rest.startsWith('---') ? '---' : rest.startsWith('+++') ? '+++' : undefined;
    if (!delimiter) break; // no block to find further on either
    const lineEnd = rest.indexOf('\n');
    if (lineEnd >= 0 && new RegExp(`^${delimiter.replace(/\+/g, '\\+')}`, 'm').test(rest.slice(lineEnd + 1))) {
      const fm = readHugo(head);
      let body: string | undefined;
      return { ...fm, body: () => (body ??= fm.body + split.rest().replace(/\r\n?/g, '\n')) };
    }
  }
  const fm = readFrontMatter(decodeSourceText(bytes), 'hugo');
  return { ...fm, body: () => fm.body };
}

function readJekyll(text: string): FrontMatter {
  const m = /^(---[ \t]*\n)([\s\S]*?\n?)^(?:---|\.\.\.)[ \t]*$\n?/m.exec(text);
  if (m?.index !== 0) return { data: {}, body: text, warnings: [] };
  const block = m[2] as string;
  const { data, warnings } = parseBlock(block, 'yaml', 1, PSYCH_OPTIONS);
  return { format: 'yaml', data, body: text.slice(m[0].length), warnings };
}

function readHugo(text: string): FrontMatter {
  const lead = /^\s*/.exec(text)?.[0] ?? '';
  const rest = text.slice(lead.length);
  // Lines before the block's first line: the skipped blank lines and the delimiter line.
  const skippedLines = lead.split('\n').length - 1;
  const first = rest[0];
  if (first === '+' || first === '-') {
    const delimiter = first === '+' ? '+++' : '---';
    if (!rest.startsWith(delimiter)) {
      throw new ArticleParseError(`front matter: line ${skippedLines + 1} starts with "${first}" but not with "${delimiter}" (Hugo stops here too)`);
    }
    const lineEnd = rest.indexOf('\n');
    const opening = lineEnd === -1 ? rest : rest.slice(0, lineEnd);
    let format: FrontMatterFormat = first === '+' ? 'toml' : 'yaml';
    const lang = opening.slice(3).trim().toLowerCase();
    if (first === '-' && lang !== '') {
      if (lang === 'toml' || lang === 'json') format = lang;
      else if (lang !== 'yaml' && lang !== 'yml' && !/^-*$/.test(lang)) {
        throw new ArticleParseError(`front matter: unsupported language "${opening.slice(3).trim()}" after "---" on line ${skippedLines + 1}, expected yaml, toml or json`);
      }
    }
    if (lineEnd === -1) throw unclosed(delimiter, skippedLines + 1);
    const blockStart = lineEnd + 1;
    // Hugo ends the block at the first line that starts with the delimiter.
    const close = new RegExp(`^${delimiter.replace(/\+/g, '\\+')}`, 'm');
    const after = rest.slice(blockStart);
    const end = close.exec(after);
    if (!end) throw unclosed(delimiter, skippedLines + 1);
    // Without the newline before the closing line, an error at the end points at the last line of the block.
    const block = after.slice(0, end.index).replace(/\n$/, '');
    let body = after.slice(end.index + 3);
    body = body.startsWith('\n') ? body.slice(1) : body;
    const { data, warnings } = parseBlock(block, format, skippedLines + 2);
    return { format, data, body, warnings };
  }
  if (first === '{') {
    const end = findJsonObjectEnd(rest);
    if (end === -1) throw new ArticleParseError(`front matter: the JSON object that starts on line ${skippedLines + 1} is never closed (missing "}")`);
    const { data, warnings } = parseBlock(rest.slice(0, end), 'json', skippedLines + 1);
    return { format: 'json', data, body: rest.slice(end).replace(/^[ \t]*\n/, ''), warnings };
  }
  if (rest.startsWith('#+')) return readOrg(rest);
  return { data: {}, body: text, warnings: [] };
}

function unclosed(delimiter: string, line: number): ArticleParseError {
  return new ArticleParseError(`front matter: the opening "${delimiter}" on line ${line} has no closing "${delimiter}" line`);
}

/** Org mode keywords (`#+TITLE: …`) at the top of an .org file, as Hugo reads them. */
function readOrg(text: string): FrontMatter {
  const data: Record<string, unknown> = {};
  const lines = text.split('\n');
  let i = 0;
  for (; i < lines.length; i++) {
    const m = /^#\+(\w+):\s*(.*)$/.exec(lines[i] as string);
    if (!m) break;
    const key = (m[1] as string).toLowerCase();
    const value = (m[2] as string).trim();
    // Hugo's org reader splits these lists on spaces (or on colons, org's tag syntax).
    if (['tags', 'categories', 'keywords', 'aliases'].includes(key)) data[key] = value.split(/[\s:]+/).filter(Boolean);
    else if (key === 'draft') data[key] = value === 'true';
    else data[key] = value;
  }
  return { format: 'org', data, body: lines.slice(i).join('\n'), warnings: [] };
}

function parseBlock(
  block: string,
  format: FrontMatterFormat,
  firstLine: number,
  yamlOptions: typeof YAML_OPTIONS | typeof PSYCH_OPTIONS = YAML_OPTIONS,
): { data: Record<string, unknown>; warnings: FrontMatterWarning[] } {
  try {
    if (format === 'yaml') {
      const { value, warnings } = parseYamlBlock(block, yamlOptions);
      return { data: asRecord(value, format), warnings: warnings.map((w) => ({ line: w.line === undefined ? undefined : w.line + firstLine - 1, message: w.message })) };
    }
    const value = format === 'toml' ? parseTomlBlock(block) : parseJsonBlock(block);
    return { data: asRecord(value, format), warnings: [] };
  } catch (err) {
    if (err instanceof BlockSyntaxError) {
      const line = err.line === undefined ? undefined : err.line + firstLine - 1;
      const where = line === undefined ? '' : ` at line ${line}${err.column === undefined ? '' : `, column ${err.column}`}`;
      throw new ArticleParseError(`front matter: invalid ${FORMAT_NAMES[err.format]}${where}: ${err.detail}`);
    }
    throw err;
  }
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

/**
 * An unquoted YAML timestamp, as Ruby's Psych (Jekyll) sees it: one with a time but no
 * offset is UTC there, while the same text quoted is local time. Kept as text otherwise.
 */
export class YamlTimestamp {
  constructor(readonly text: string) {}
  /** Has a time of day and no offset: Psych reads it as UTC. */
  get utc(): boolean {
    return /\d:\d\d:\d\d/.test(this.text) && !/(?:Z|[-+]\d{1,2}(?::?\d\d)?)\s*$/i.test(this.text.slice(10));
  }
  toString(): string {
    return this.text;
  }
}

const isTimestampTag = (t: Tags[number]) => typeof t === 'object' && t.tag === 'tag:yaml.org,2002:timestamp';
// YAML 1.1 scalars as Go's yaml.v2 and Ruby's Psych read them, but timestamps stay text:
// a date without an offset must be read in the site's time zone, not as UTC.
const withoutTimestamps = (tags: Tags) => tags.filter((t) => !isTimestampTag(t));
// Psych's timestamp (plain scalars only, as YAML resolves implicit tags).
const psychTimestamps = (tags: Tags): Tags => [
  ...withoutTimestamps(tags),
  {
    tag: 'tag:yaml.org,2002:timestamp',
    default: true,
    test: /^(?:\d{4}-\d{1,2}-\d{1,2}|\d{4}-\d{1,2}-\d{1,2}(?:[Tt]|\s+)\d{1,2}:\d\d:\d\d(?:\.\d*)?(?:\s*(?:Z|[-+]\d{1,2}(?::?\d\d)?))?)$/,
    resolve: (text: string) => new YamlTimestamp(text),
  } as Tags[number],
];
export const YAML_OPTIONS = { schema: 'yaml-1.1', customTags: withoutTimestamps, merge: true, logLevel: 'error', prettyErrors: true } as const;
const PSYCH_OPTIONS = { ...YAML_OPTIONS, customTags: psychTimestamps };

interface BlockWarning {
  line?: number;
  message: string;
}

/** Line numbers here count from the block's first line. */
function parseYamlBlock(block: string, options: typeof YAML_OPTIONS | typeof PSYCH_OPTIONS): { value: unknown; warnings: BlockWarning[] } {
  // Hugo's simple front matter without the library (Psych's differs: unquoted dates are timestamps there).
  const simple = options === YAML_OPTIONS ? readSimpleYaml(block) : undefined;
  if (simple) return { value: simple, warnings: [] };
  const strict = parseDocument(block, { ...options, uniqueKeys: true });
  if (strict.errors.length === 0) return { value: strict.toJS(), warnings: [] };

  const warnings: BlockWarning[] = [];
  let text = block;
  let doc: Document = strict;
  // Each pass repairs what Go's YAML would have accepted, then parses again.
  for (let pass = 0; pass < 20; pass++) {
    let changed = false;
    for (const e of doc.errors) {
      if (e.code !== 'MISSING_CHAR') continue;
      const line = e.linePos?.[0]?.line;
      const repaired = line === undefined ? undefined : indentQuotedContinuation(text, line);
      if (repaired === undefined) continue;
      text = repaired.text;
      changed = true;
      warnings.push({ line, message: `the quoted value of "${repaired.key}" continues on the next line at column 0; read as Hugo reads it (indent the continuation to be safe)` });
      break;
    }
    doc = parseDocument(text, { ...options, uniqueKeys: true });
    if (!changed) break;
  }
  const remaining = doc.errors.filter((e) => e.code !== 'DUPLICATE_KEY');
  if (remaining.length > 0) throw yamlError(strict.errors.find((e) => e.code !== 'DUPLICATE_KEY') ?? (remaining[0] as YAMLError));
  for (const e of doc.errors) {
    const line = e.linePos?.[0]?.line;
    const key = line === undefined ? undefined : /^\s*([^:#]+?)\s*:/.exec(text.split('\n')[line - 1] ?? '')?.[1];
    warnings.push({ line, message: `key ${key ? `"${key}" ` : ''}is given twice; the later value is used, as Hugo does` });
  }
  const lenient = parseDocument(text, { ...options, uniqueKeys: false });
  if (lenient.errors.length > 0) throw yamlError(lenient.errors[0] as YAMLError);
  warnings.sort((a, b) => (a.line ?? 0) - (b.line ?? 0));
  return { value: lenient.toJS(), warnings };
}

/**
 * A quoted scalar opened on `line` (1-based) whose continuation lines start at column 0:
 * libyaml (Go, Ruby) folds them in, the YAML spec wants them indented. Indenting them does
 * not change the value (leading spaces of a continuation line are folded away).
 */
function indentQuotedContinuation(text: string, line: number): { text: string; key: string } | undefined {
  const lines = text.split('\n');
  const opening = lines[line - 1];
  if (opening === undefined) return undefined;
  const m = /^(\s*)(?:-\s+)?([^:#'"]+?)\s*:\s+(["'])/.exec(opening);
  if (!m) return undefined;
  const indent = (m[1] as string).length + 1;
  const quote = m[3] as string;
  let inString = true;
  let i = (m[0] as string).length;
  let row = line - 1;
  let col = i;
  const fixed = [...lines];
  while (row < lines.length) {
    const current = lines[row] as string;
    for (col = row === line - 1 ? i : 0; col < current.length; col++) {
      const c = current[col];
      if (quote === '"' && c === '\\') col++;
      else if (c === quote) {
        if (quote === "'" && current[col + 1] === "'") col++;
        else {
          inString = false;
          break;
        }
      }
    }
    if (!inString) break;
    row++;
    if (row < lines.length && /^\S/.test(lines[row] as string)) fixed[row] = ' '.repeat(indent) + (lines[row] as string);
    i = 0;
  }
  if (inString || row === line - 1) return undefined;
  return { text: fixed.join('\n'), key: m[2] as string };
}

function yamlError(err: YAMLError): BlockSyntaxError {
  const pos = err.linePos?.[0];
  const detail = (err.message.split('\n')[0] ?? err.message).replace(/ at line \d+, column \d+:?$/, '');
  return new BlockSyntaxError('yaml', detail, pos?.line, pos?.col);
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

function asRecord(data: unknown, format: FrontMatterFormat): Record<string, unknown> {
  if (data === null || data === undefined) return {};
  if (typeof data === 'object' && !Array.isArray(data) && !(data instanceof Date)) return data as Record<string, unknown>;
  const kind = Array.isArray(data) ? 'a list' : `a ${typeof data}`;
  throw new ArticleParseError(`front matter: the ${FORMAT_NAMES[format]} block is ${kind}, expected a mapping of keys to values`);
}
