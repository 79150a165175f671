import { DateTime, Info } from 'luxon';
import { TomlDate } from 'smol-toml';
import { YamlTimestamp } from './front-matter.ts';
import { ArticleParseError } from './errors.ts';
import { type Field, fieldError } from './values.ts';

export const DATE_EXPECTATION = 'an ISO 8601 date like 2025-07-02T00:40:05+08:00';

// Date, optional time (after T, t or spaces), optional offset. Also covers YAML 1.1
// timestamps such as `2001-12-14 21:59:43.10 -5`.
const DATE_TIME =
  /^(\d{4}-\d{2}-\d{2})(?:(?:[Tt]|\s+)(\d{1,2}):(\d{2})(?::(\d{2})(?:[.,](\d+))?)?\s*(Z|z|[+-]\d{1,2}(?::?\d{2})?)?)?$/;

export function assertValidZone(zone: string): void {
  if (!Info.isValidIANAZone(zone)) {
    throw new ArticleParseError(`site timezone "${zone}" is not a valid IANA time zone (e.g. Asia/Shanghai)`);
  }
}

/**
 * Reads a front matter date. Values with an offset (or Z) are exact instants and keep
 * that offset (Hugo's `:day` of `2007-06-03T01:38:17+08:00` is 03 whatever the site's
 * zone); values without one are wall-clock times in `zone`, as Hugo reads them with its
 * `timeZone` setting.
 */
export function parseDateField(field: Field, zone: string): DateTime {
  const { value } = field;
  let dt: DateTime | undefined;
  if (value instanceof YamlTimestamp) {
    dt = parseDateText(value.text, value.utc ? 'UTC' : zone);
  } else if (value instanceof TomlDate) {
    // TOML local date-times come back as TomlDate; its ISO text has no offset then.
    if (!value.isTime()) dt = parseDateText(value.toISOString(), zone);
  } else if (value instanceof Date) {
    dt = Number.isNaN(value.getTime()) ? undefined : DateTime.fromJSDate(value, { zone });
  } else if (typeof value === 'string') {
    dt = parseDateText(value, zone);
  }
  if (dt === undefined || !dt.isValid) throw fieldError(field, DATE_EXPECTATION);
  return dt;
}

export function parseDateText(text: string, zone: string): DateTime | undefined {
  const t = text.trim();
  const m = DATE_TIME.exec(t);
  if (m) {
    const [, date, hh, mm, ss, frac, offset] = m;
    let iso = date as string;
    if (hh !== undefined) iso += `T${hh.padStart(2, '0')}:${mm}:${ss ?? '00'}${frac ? `.${frac}` : ''}${normalizeOffset(offset)}`;
    return offset === undefined ? DateTime.fromISO(iso, { zone }) : DateTime.fromISO(iso, { setZone: true });
  }
  // Go's "02 Jan 2006", which Hugo accepts.
  const dayMonthYear = DateTime.fromFormat(t, 'dd LLL yyyy', { zone, locale: 'en' });
  if (dayMonthYear.isValid) return dayMonthYear;
  // RFC 2822 ("Wed, 02 Jul 2025 00:40:05 +0800") shows up in feeds-turned-posts.
  const rfc = DateTime.fromRFC2822(t, { zone, setZone: true });
  if (rfc.isValid) return rfc;
  // Other ISO 8601 spellings (basic format, week dates), but never a bare time of day.
  if (/^\d{4}-?(?:W\d|\d{2})/.test(t)) return DateTime.fromISO(t, { zone, setZone: true });
  return undefined;
}

function normalizeOffset(offset: string | undefined): string {
  if (offset === undefined) return '';
  if (offset === 'Z' || offset === 'z') return 'Z';
  const m = /^([+-])(\d{1,2}):?(\d{2})?$/.exec(offset);
  if (!m) return offset;
  return `${m[1]}${(m[2] as string).padStart(2, '0')}:${m[3] ?? '00'}`;
}

/** ISO 8601 instant in UTC with milliseconds, exactly like Date#toISOString. */
export function toUtcIso(dt: DateTime): string {
  return dt.toJSDate().toISOString();
}
