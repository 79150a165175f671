import { DateTime } from 'luxon';
import type { I18n, MessageParams } from './i18n.ts';

/**
 * Herald's own Liquid filters. They are plain functions so they can be unit-tested
 * and reused outside templates (e.g. for the default subject line).
 */

const DATE_STYLES = {
  date: DateTime.DATE_FULL,
  short: DateTime.DATE_MED,
  datetime: DateTime.DATETIME_MED,
  long: DateTime.DATETIME_FULL,
} as const;

/**
 * Formats an instant in the site's time zone and language:
 * `{{ article.publishedAt | localdate: site.timezone, site.language }}` → "May 3, 2024" / "2024年5月3日".
 * `style` is one of date (default) | short | datetime | long, or a luxon format like 'yyyy-MM-dd'.
 */
export function formatLocalDate(value: unknown, timezone: string, language: string, style = 'date'): string {
  const dt = toDateTime(value);
  if (!dt.isValid) throw new Error(`localdate: not a valid date: ${JSON.stringify(value)}`);
  const zoned = dt.setZone(timezone).setLocale(language || 'en');
  if (!zoned.isValid) throw new Error(`localdate: unknown time zone "${timezone}"`);
  const preset = DATE_STYLES[style as keyof typeof DATE_STYLES];
  return preset === undefined ? zoned.toFormat(style) : zoned.toLocaleString(preset);
}

function toDateTime(value: unknown): DateTime {
  if (value instanceof Date) return DateTime.fromJSDate(value);
  if (typeof value === 'number') return DateTime.fromMillis(value);
  if (typeof value === 'string') return DateTime.fromISO(value, { setZone: true });
  return DateTime.invalid('unsupported type');
}

/** Liquid passes keyword arguments (`t: count: 3`) as [key, value] tuples. */
export function keywordArgs(args: unknown[]): MessageParams {
  const params: MessageParams = {};
  for (const arg of args) {
    if (Array.isArray(arg) && arg.length === 2 && typeof arg[0] === 'string') params[arg[0]] = arg[1];
    else throw new Error(`t: arguments must be named, e.g. {{ 'more_articles' | t: count: 3 }}`);
  }
  return params;
}

/** The `lang` a template was rendered for; Herald puts it into the render globals. */
export function contextLanguage(context: { globals?: unknown; environments?: unknown }): string {
  for (const scope of [context.environments, context.globals]) {
    if (scope !== null && typeof scope === 'object' && 'lang' in scope && typeof scope.lang === 'string') return scope.lang;
  }
  return 'en';
}

export function translateFilter(i18n: I18n) {
  return function t(this: { context: { globals?: unknown; environments?: unknown } }, key: unknown, ...args: unknown[]): string {
    const params = keywordArgs(args);
    const lang = typeof params.lang === 'string' ? params.lang : contextLanguage(this.context);
    return i18n.t(lang, String(key), params);
  };
}
