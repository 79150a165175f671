import { ArticleParseError } from './errors.ts';
import { YamlTimestamp } from './front-matter.ts';

export interface Field {
  /** The key as written in the file, for messages. */
  key: string;
  value: unknown;
}

// biome-ignore lint/suspicious/noControlCharactersInRegex: the whole ASCII range, control characters included
const ASCII = /^[\x00-\x7f]*$/;

/**
 * Looks a field up by any of its names. Hugo treats front matter keys
 * case-insensitively (`publishdate`, `publishDate`), so exact matches win, then
 * case-insensitive ones. null and empty strings count as absent.
 */
export function getField(data: Record<string, unknown>, ...names: string[]): Field | undefined {
  let keys: string[] | undefined;
  for (const name of names) {
    let key: string | undefined = name;
    if (!(name in data)) {
      // Case-insensitively. A page looks up ~20 names, most absent: for an ASCII name, only keys
      // of its length can match (lowering never shortens a string; lengthening adds non-ASCII).
      const lower = name.toLowerCase();
      const length = ASCII.test(name) ? name.length : -1;
      keys ??= Object.keys(data);
      key = keys.find((k) => (length < 0 || k.length === length) && k.toLowerCase() === lower);
    }
    if (key === undefined) continue;
    const value = data[key];
    if (value === null || value === undefined) continue;
    if (typeof value === 'string' && value.trim() === '') continue;
    return { key, value };
  }
  return undefined;
}

export function describeValue(value: unknown): string {
  if (Array.isArray(value)) return 'a list';
  if (value instanceof Date) return Number.isNaN(value.getTime()) ? 'an invalid date' : `a date (${value.toISOString()})`;
  if (typeof value === 'object' && value !== null) return 'a table/mapping';
  if (typeof value === 'string') return JSON.stringify(value);
  return String(value);
}

export function fieldError(field: Field, expected: string): ArticleParseError {
  return new ArticleParseError(`front matter: "${field.key}" is ${describeValue(field.value)}, expected ${expected}`);
}

/** Numbers and booleans are accepted as text because authors write `title: 1984`. */
export function asText(field: Field): string {
  const { value } = field;
  if (typeof value === 'string') return value;
  if (typeof value === 'number' || typeof value === 'bigint' || typeof value === 'boolean') return String(value);
  // An unquoted timestamp (Jekyll's YAML) used as text, e.g. a title.
  if (value instanceof YamlTimestamp) return value.text;
  throw fieldError(field, 'a string');
}

/** A single string where a list is expected counts as a one-element list. */
export function asTextList(field: Field | undefined): string[] {
  if (field === undefined) return [];
  const items = Array.isArray(field.value) ? field.value : [field.value];
  const out: string[] = [];
  for (const item of items) {
    if (item === null || item === undefined) continue;
    if (typeof item === 'object') throw fieldError(field, 'a string or a list of strings');
    const text = String(item).normalize('NFC').trim();
    if (text !== '') out.push(text);
  }
  return out;
}

export function asBoolean(field: Field | undefined): boolean {
  if (field === undefined) return false;
  if (typeof field.value === 'boolean') return field.value;
  if (typeof field.value === 'number') return field.value !== 0;
  // Go's ParseBool (`"1"`, `"t"`) as Hugo casts, and YAML 1.1 habits written as strings.
  if (typeof field.value === 'string') {
    const v = field.value.trim().toLowerCase();
    if (v === 'true' || v === 'yes' || v === 'on' || v === '1' || v === 't') return true;
    if (v === 'false' || v === 'no' || v === 'off' || v === '0' || v === 'f') return false;
  }
  throw fieldError(field, 'true or false');
}

/** De-duplicates case- and normalisation-insensitively, keeping the first spelling. */
export function uniqueTexts(values: Iterable<string>): string[] {
  const seen = new Set<string>();
  const out: string[] = [];
  for (const v of values) {
    const key = v.normalize('NFC').toLowerCase();
    if (seen.has(key)) continue;
    seen.add(key);
    out.push(v);
  }
  return out;
}
