import type { DateTime } from 'luxon';
import { ArticleParseError } from './errors.ts';
import { escapePathText, urlSafe } from './urls.ts';

export const DEFAULT_PERMALINK = '/:section/:filename/';

export interface PermalinkValues {
  /** Front matter slug, if any. */
  slug?: string;
  title: string;
  filename: string;
  section: string;
  sections: string;
  /** The article's date, already in the site time zone. */
  date: DateTime;
}

type Expander = (v: PermalinkValues) => string;

// Plain-text values are escaped so a `?` or `#` in a file name stays in the path.
const TOKENS: Record<string, Expander> = {
  year: (v) => v.date.toFormat('yyyy'),
  month: (v) => v.date.toFormat('MM'),
  monthname: (v) => v.date.setLocale('en').toFormat('LLLL'),
  day: (v) => v.date.toFormat('dd'),
  yearday: (v) => String(v.date.ordinal),
  weekday: (v) => String(v.date.weekday % 7), // Go counts Sunday as 0, as Hugo does
  weekdayname: (v) => v.date.setLocale('en').toFormat('cccc'),
  section: (v) => escapePathText(v.section),
  sections: (v) => escapePathText(v.sections),
  title: (v) => urlSafe(v.title),
  slug: (v) => (v.slug !== undefined ? escapePathText(v.slug) : urlSafe(v.title)),
  filename: (v) => escapePathText(v.filename),
  contentbasename: (v) => escapePathText(v.filename),
  slugorfilename: (v) => escapePathText(v.slug ?? v.filename),
  slugorcontentbasename: (v) => escapePathText(v.slug ?? v.filename),
};

export const PERMALINK_TOKENS: readonly string[] = Object.keys(TOKENS).map((t) => `:${t}`);

const TOKEN_PATTERN = /:([a-z]+)/g;

/** Names of unknown `:tokens` in a pattern, for config validation. */
export function unknownPermalinkTokens(pattern: string): string[] {
  return [...pattern.matchAll(TOKEN_PATTERN)].map((m) => m[1] as string).filter((t) => !(t in TOKENS)).map((t) => `:${t}`);
}

/**
 * Expands a Hugo-style permalink pattern into a path that starts and (if the
 * pattern does) ends with `/`. Empty values collapse their slashes, so a root
 * page with '/:section/:filename/' gets '/name/'.
 */
export function expandPermalink(pattern: string, values: PermalinkValues): string {
  const unknown = unknownPermalinkTokens(pattern);
  if (unknown.length > 0) {
    throw new ArticleParseError(`permalink "${pattern}": unknown token ${unknown.join(', ')}, expected one of ${PERMALINK_TOKENS.join(' ')}`);
  }
  const expanded = pattern.replace(TOKEN_PATTERN, (_, name: string) => (TOKENS[name] as Expander)(values));
  return `/${expanded}`.replace(/\/{2,}/g, '/');
}
