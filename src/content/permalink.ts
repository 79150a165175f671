/**
 * Hugo permalink patterns (resources/page/permalinks.go): `/:year/:month/:slug/` and
 * friends, expanded for one page exactly as Hugo 0.111 does, plus the tokens later Hugo
 * versions added (`:contentbasename`, `:slugorcontentbasename`).
 */
import type { DateTime } from 'luxon';
import { ArticleParseError } from './errors.ts';
import { DEFAULT_PATH_RULES, type PathRules, urlize } from './hugo/path-rules.ts';

export interface PermalinkValues {
  /** Front matter slug, if any. */
  slug?: string;
  title: string;
  /** File name without extension and language; for a bundle the folder's name. */
  filename: string;
  /** First folder (Hugo's `.Section`), '' at the root. */
  section: string;
  /** Folders of the page's own section (Hugo's `.CurrentSection.SectionsEntries`). */
  sections: readonly string[];
  /** The section has no `_index` file: Hugo 0.111's entries then end with an empty one. */
  autoSection?: boolean;
  /** The page's date, in the offset it was written with (or the site zone when it had none). */
  date: DateTime;
}

type Expander = (v: PermalinkValues, rules: PathRules) => string;

const MONTHS = ['January', 'February', 'March', 'April', 'May', 'June', 'July', 'August', 'September', 'October', 'November', 'December'];
const WEEKDAYS = ['Sunday', 'Monday', 'Tuesday', 'Wednesday', 'Thursday', 'Friday', 'Saturday'];
const pad2 = (n: number) => String(n).padStart(2, '0');

const TOKENS: Record<string, Expander> = {
  year: (v) => String(v.date.year),
  month: (v) => pad2(v.date.month),
  monthname: (v) => MONTHS[v.date.month - 1] as string,
  day: (v) => pad2(v.date.day),
  yearday: (v) => String(v.date.ordinal),
  weekday: (v) => String(v.date.weekday % 7), // Go counts Sunday as 0
  weekdayname: (v) => WEEKDAYS[v.date.weekday % 7] as string,
  // Hugo leaves these two raw here; the whole path is sanitized afterwards.
  section: (v) => v.section,
  sections: (v) => v.sections.join('/'),
  title: (v, r) => urlize(v.title, r),
  slug: (v, r) => urlize(v.slug || v.title, r),
  slugorfilename: (v, r) => urlize(v.slug || v.filename, r),
  filename: (v, r) => urlize(v.filename, r),
  contentbasename: (v, r) => urlize(v.filename, r),
  slugorcontentbasename: (v, r) => urlize(v.slug || v.filename, r),
};

export const PERMALINK_TOKENS: readonly string[] = [...Object.keys(TOKENS).map((t) => `:${t}`), ':sections[n]'];

const TOKEN_PATTERN = /:(\w+)(\[.+?\])?/g;

/** Names of unknown `:tokens` in a pattern, for config validation. */
export function unknownPermalinkTokens(pattern: string): string[] {
  return [...pattern.matchAll(TOKEN_PATTERN)]
    .filter((m) => !((m[1] as string) in TOKENS) && !((m[1] as string) === 'sections' && m[2] !== undefined))
    .map((m) => `:${m[1]}${m[2] ?? ''}`);
}

/**
 * Hugo's `:sections[low:high]`, `:sections[n]` and `:sections[last]`: lenient, an index out
 * of range gives nothing rather than an error.
 */
function sliceSections(sections: readonly string[], cut: string): string[] {
  const spec = cut.trim().toLowerCase();
  if (spec.length < 3 || spec[0] !== '[' || spec[spec.length - 1] !== ']') return [];
  if (sections.length === 0) return [];
  const inner = spec.slice(1, -1);
  const index = (s: string, low: boolean): number => {
    if (s === '') return low ? 0 : sections.length;
    if (s === 'last') return sections.length - 1;
    const n = Math.max(0, Number.parseInt(s, 10) || 0);
    if (n >= sections.length) return low ? -1 : sections.length;
    return n;
  };
  if (!inner.includes(':')) {
    const n = index(inner, true);
    const v = n < 0 ? '' : (sections[n] ?? '');
    return v === '' ? [] : [v];
  }
  const [a = '', b = ''] = inner.split(':');
  const lo = index(a, true);
  const hi = index(b, false);
  if (lo < 0 || hi < 0) return [];
  return sections.slice(lo, hi);
}

/**
 * Expands a pattern for one page. Like Hugo, the result is then query-unescaped (so a `+`
 * kept by urlize becomes a space, which the later path sanitizing turns into `-`), and
 * an unescapable result means "no permalink" (''), so the page falls back to its folder path.
 */
export function expandPermalink(pattern: string, values: PermalinkValues, rules: PathRules = DEFAULT_PATH_RULES): string {
  const unknown = unknownPermalinkTokens(pattern);
  if (unknown.length > 0) {
    throw new ArticleParseError(`permalink "${pattern}": unknown token ${unknown.join(', ')}, expected one of ${PERMALINK_TOKENS.join(' ')}`);
  }
  const entries = values.autoSection && values.sections.length > 0 ? [...values.sections, ''] : values.sections;
  const expanded = pattern.replace(TOKEN_PATTERN, (_, name: string, cut: string | undefined) =>
    cut !== undefined && name === 'sections' ? sliceSections(entries, cut).filter(Boolean).join('/') : (TOKENS[name] as Expander)(values, rules),
  );
  return queryUnescape(expanded) ?? '';
}

/** Go's url.QueryUnescape: `+` is a space, `%XX` a byte; undefined when an escape is malformed. */
export function queryUnescape(s: string): string | undefined {
  if (/%(?![0-9a-fA-F]{2})/.test(s)) return undefined;
  try {
    return decodeURIComponent(s.replace(/\+/g, ' '));
  } catch {
    // Valid escapes that are not UTF-8: Go keeps the bytes; keep the text as it was.
    return s.replace(/\+/g, ' ');
  }
}
