/**
 * The front matter most sites write, read without the YAML library: one `key: value` a line,
 * each value text in double quotes without escapes, plain words, a whole number, an ISO date,
 * true or false, or a flow list `[a, b]` of words or quoted text. The library (a full YAML
 * parser: tokens, a document, then plain values) was about a third of a cold scan's parsing
 * (2,000 pages); this reading is a small fraction of that.
 *
 * Anything else (comments, nesting, block lists, escapes, a repeated key, a word YAML 1.1
 * reads as a boolean or null…) gives undefined and goes to the library, so the result is
 * always the library's (test/content/simple-yaml.test.ts compares the two).
 */

const LINE = /^([A-Za-z_][A-Za-z0-9_]*): (.+)$/;
const QUOTED = /^"([^"\\]*)"$/;
/** Letters (any script) in words with one space between: plain text in every YAML schema, unless a reserved word. */
const WORDS = /^\p{L}+(?: \p{L}+)*$/u;
/** YAML 1.1 booleans and nulls (yes, On, N, NULL…): never read here. */
const RESERVED = new Set(['y', 'n', 'yes', 'no', 'true', 'false', 'on', 'off', 'null']);
const WHOLE = /^(?:0|[1-9][0-9]{0,14})$/;
/** Dates stay text (Herald reads them in the site's zone), as with the library's options. */
const ISO_DATE = /^\d{4}-\d\d-\d\d(?:T\d\d:\d\d:\d\d(?:Z|[+-]\d\d:\d\d)?)?$/;

function scalar(text: string, inList: boolean): { value: unknown } | undefined {
  const quoted = QUOTED.exec(text);
  if (quoted) return { value: quoted[1] as string };
  if (!inList && (text === 'true' || text === 'false')) return { value: text === 'true' };
  if (WORDS.test(text)) return RESERVED.has(text.toLowerCase()) ? undefined : { value: text };
  if (inList) return undefined;
  if (WHOLE.test(text)) return { value: Number(text) };
  if (ISO_DATE.test(text)) return { value: text };
  return undefined;
}

function list(text: string): { value: unknown[] } | undefined {
  const inner = text.slice(1, -1).trim();
  if (inner === '') return { value: [] };
  const items: unknown[] = [];
  for (const part of inner.split(',')) {
    const item = scalar(part.trim(), true);
    if (!item) return undefined;
    items.push(item.value);
  }
  return { value: items };
}

/** The mapping, when the block is that simple; undefined: ask the library. */
export function readSimpleYaml(block: string): Record<string, unknown> | undefined {
  if (block === '') return undefined;
  const data: Record<string, unknown> = {};
  for (const line of block.split('\n')) {
    const m = LINE.exec(line);
    if (!m) return undefined;
    const key = m[1] as string;
    const text = m[2] as string;
    if (key === '__proto__' || RESERVED.has(key.toLowerCase()) || Object.hasOwn(data, key)) return undefined;
    const parsed = text.startsWith('[') && text.endsWith(']') ? list(text) : scalar(text, false);
    if (!parsed) return undefined;
    data[key] = parsed.value;
  }
  return data;
}
